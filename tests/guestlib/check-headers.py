#!/usr/bin/env python3
# Every public header (include/apemu/*.h) compiles alone, included twice
# (its guard), as C11 and as C++17 with -Wall -Wextra -Werror -pedantic, and
# its functions have C linkage in C++ (an extern "C" block): a C++ object
# that takes their addresses refers to the unmangled names the library
# exports. The headers are found by globbing, so a new one is checked too.
#
# usage: check-headers.py INCLUDE_DIR --cc CC... --cxx [CXX...]
# Without a C++ compiler the test is skipped (exit 77) with the reason:
# scripts/install-deps.sh installs g++.
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import publicapi  # noqa: E402

WARN = ["-Wall", "-Wextra", "-Werror", "-pedantic"]


def compile_tu(cmd, std, lang, include_dir, source, extra):
    """None when source compiles, else the command and the compiler's words."""
    args = cmd + ["-std=" + std] + WARN + ["-I", include_dir, "-x", lang] + extra
    p = subprocess.run(args + ["-"], input=source, capture_output=True, text=True)
    if p.returncode == 0 and not p.stderr:
        return None
    return "$ %s - <<'EOF'\n%sEOF\n%s" % (" ".join(args), source, p.stderr)


def linkage(cxx, include_dir, names):
    """Problems with the C linkage of names in C++: each must be referred to
    by its plain name from an object that takes its address."""
    src = "".join("#include <%s>\n" % h for h in publicapi.headers(include_dir))
    src += "extern const void *const apemu_probe[];\nconst void *const apemu_probe[] = {\n"
    src += "".join("\treinterpret_cast<const void *>(&%s),\n" % n for n in sorted(names))
    src += "};\n"
    with tempfile.TemporaryDirectory() as d:
        obj = os.path.join(d, "probe.o")
        err = compile_tu(cxx, "c++17", "c++", include_dir, src, ["-c", "-o", obj])
        if err:
            return [err]
        out = subprocess.run([os.environ.get("NM", "nm"), "-u", obj], capture_output=True,
                             text=True, check=True).stdout
    undefined = {line.split()[-1] for line in out.splitlines() if line.strip()}
    return ["%s: no C linkage in C++ (missing extern \"C\"?)" % n
            for n in sorted(names - undefined)]


def main(argv):
    try:
        include_dir = argv[1]
        cc = argv[argv.index("--cc") + 1:argv.index("--cxx")]
        cxx = argv[argv.index("--cxx") + 1:]
    except (IndexError, ValueError):
        sys.exit("usage: check-headers.py INCLUDE_DIR --cc CC... --cxx [CXX...]")
    problems = []
    for h in publicapi.headers(include_dir):
        src = "#include <%s>\n#include <%s>\n" % (h, h)
        for what, cmd, std, lang in (("C11", cc, "c11", "c"), ("C++17", cxx, "c++17", "c++")):
            if not cmd:
                continue
            err = compile_tu(cmd, std, lang, include_dir, src, ["-fsyntax-only"])
            if err:
                problems.append("%s does not compile alone as %s:\n%s" % (h, what, err))
            else:
                print("ok: %s alone, %s" % (h, what))
    if cxx and not problems:
        problems += linkage(cxx, include_dir, publicapi.declared_symbols(cc, include_dir))
    for p in problems:
        print(p)
    if problems:
        return 1
    if not cxx:
        print("SKIP: the C++ half needs a C++ compiler (scripts/install-deps.sh installs g++)")
        return 77
    print("ok: every function of include/apemu has C linkage in C++")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
