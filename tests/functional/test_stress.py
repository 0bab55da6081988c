# The bounded stress run (stress.py): guests with RSA on every queue,
# random configuration changes, hot plug and faults at once; every request
# accounted for, the auditor clean, nothing hung. APEMU_STRESS_SECONDS sets
# the length (default 60 s: about a minute in each sanitizer build of CI),
# APEMU_STRESS_SEED replays a run.
import os
import random

import stress


def test_stress_loses_nothing(apemu):
    inst = apemu.start(stress.MACHINE)
    seed = int(os.environ.get("APEMU_STRESS_SEED", random.randrange(1 << 30)))
    seconds = float(os.environ.get("APEMU_STRESS_SECONDS", "60"))
    inst.note(f"# stress run: APEMU_STRESS_SEED={seed} APEMU_STRESS_SECONDS={seconds}")
    fig = stress.run(inst, seconds, seed)
    assert sum(fig["changes"].values()) > 50, fig
