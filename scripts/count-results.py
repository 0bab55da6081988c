#!/usr/bin/python3
"""Count test cases across meson test logs (TAP subtests) and pytest JUnit XML.

Usage: count-results.py [--meson testlog.json]... [--junit report.xml]...
Prints one line per source and the total as 'N passed, N failed'.
A meson test that runs pytest with --junitxml=FILE (tests/functional)
counts the cases of FILE. An executable that failed without reporting a
failing case (a crash, a sanitizer abort, a time-out, a missing JUnit
file) counts as one failure.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def junit_of(entry):
    """The --junitxml=FILE a meson test passed to pytest, or None."""
    for arg in entry.get("command") or []:
        if arg.startswith("--junitxml="):
            return arg[len("--junitxml="):]
    return None


def count_meson(path):
    passed = failed = 0
    with open(path) as f:
        for line in f:
            entry = json.loads(line)
            out = entry.get("stdout") or ""
            ok = len(re.findall(r"^ok \d+", out, re.M))
            bad = len(re.findall(r"^not ok \d+", out, re.M))
            junit = junit_of(entry)
            if junit:
                try:
                    ok, bad = count_junit(junit)
                except (OSError, ET.ParseError) as e:
                    print(f"  {junit}: unreadable ({e}); counted as one failure")
                    ok, bad = 0, 1
            if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and bad == 0:
                bad = 1
            if ok == 0 and bad == 0 and entry.get("result") == "OK" and not junit:
                ok = 1  # a plain (non-TAP) test executable
            passed += ok
            failed += bad
    return passed, failed


def count_junit(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = 0
    for s in suites:
        total = int(s.get("tests", 0))
        bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped = int(s.get("skipped", 0))
        passed += total - bad - skipped
        failed += bad
    return passed, failed


def main(argv):
    total_p = total_f = 0
    it = iter(argv)
    for flag in it:
        path = next(it)
        try:
            p, f = count_meson(path) if flag == "--meson" else count_junit(path)
        except (OSError, ValueError, ET.ParseError) as e:
            print(f"  {path}: unreadable ({e}); counted as one failure")
            p, f = 0, 1
        print(f"  {path}: {p} passed, {f} failed")
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    return 0 if total_f == 0 and total_p > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
