#!/usr/bin/python3
"""The build targets that the tests of some suites need, one per line, as
ninja names them (paths relative to the build directory).

suite-targets.py BUILD-DIR SUITE...

What a test needs is what meson itself rebuilds before running it: its
program when that is built here, and its 'depends' (tests/functional lists
apemu, apemud and the example guests there). Exit 1 when a suite has no
test or a test's target is unknown: a build of nothing would pass unseen.
"""
import json
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip())
    build, suites = sys.argv[1], set(sys.argv[2:])
    out = subprocess.run(["meson", "introspect", build, "--tests", "--targets"],
                         check=True, capture_output=True, text=True).stdout
    info = json.loads(out)
    files = {t["id"]: t["filename"] for t in info["targets"]}
    wanted, seen = [], set()
    for test in info["tests"]:
        # "apemu:unit": the project's name, then the suite's
        names = {s.split(":", 1)[-1] for s in test["suite"]}
        if not names & suites:
            continue
        seen |= names & suites
        for dep in test["depends"]:
            if dep not in files:
                sys.exit(f"suite-targets: test {test['name']!r} needs unknown target {dep!r}")
            for f in files[dep]:
                rel = os.path.relpath(f, os.path.abspath(build))
                if rel not in wanted:
                    wanted.append(rel)
    missing = suites - seen
    if missing:
        sys.exit(f"suite-targets: no test in suite {', '.join(sorted(missing))} of {build}")
    print("\n".join(wanted))


if __name__ == "__main__":
    main()
