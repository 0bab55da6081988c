#!/usr/bin/env python3
# libapemu-guest exports exactly what include/apemu/guest.h declares: every
# function of the public headers is in the shared library's dynamic symbol
# table, under the version node of src/guest/libapemu-guest.map, and nothing
# else is. The list comes from the headers themselves (publicapi.py), so a
# new public function without a map entry fails here, and so does an
# internal one that leaks out through the map. With APEMU_GUEST_MAN set to
# man/libapemu-guest.3, every such function must also be in its SYNOPSIS.
#
# usage: check-symbols.py LIBRARY MAP INCLUDE_DIR CC...
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import publicapi  # noqa: E402


def map_file(path):
    """{name: version node} of a linker version script's global lists."""
    text = re.sub(r"/\*.*?\*/", " ", open(path).read(), flags=re.S)
    text = re.sub(r"#[^\n]*", " ", text)
    listed = {}
    for m in re.finditer(r"([A-Za-z_][\w.]*)\s*\{(.*?)\}", text, flags=re.S):
        glob = re.search(r"global\s*:(.*?)(?:local\s*:|$)", m.group(2), flags=re.S)
        if not glob:
            continue
        for n in glob.group(1).split(";"):
            if n.strip():
                listed[n.strip()] = m.group(1)
    if not listed:
        sys.exit("%s: no version node with a global: list" % path)
    return listed


def exported(lib):
    """{name: version} of the library's defined dynamic symbols (the
    version node's own absolute symbol left out)."""
    nm = os.environ.get("NM", "nm")
    out = subprocess.run([nm, "-D", "--defined-only", "--with-symbol-versions", lib],
                         capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 3:
            continue
        kind, name = f[-2], f[-1]
        base, _, ver = name.partition("@")
        if kind == "A" and (not ver or base == ver.lstrip("@")):
            continue
        syms[base] = ver.lstrip("@")
    return syms


def main(argv):
    if len(argv) < 5:
        sys.exit("usage: check-symbols.py LIBRARY MAP INCLUDE_DIR CC...")
    lib, mapf, include_dir, cc = argv[1], argv[2], argv[3], argv[4:]
    want = publicapi.declared_symbols(cc, include_dir)
    nodes = map_file(mapf)
    listed = set(nodes)
    have = exported(lib)
    problems = []
    if not want:
        problems.append("no function found in %s/apemu/*.h: the header parser is broken"
                        % include_dir)
    for n in sorted(want - listed):
        problems.append("%s: declared in include/apemu but missing from %s" % (n, mapf))
    for n in sorted(listed - want):
        problems.append("%s: listed in %s but declared in no public header" % (n, mapf))
    for n in sorted(want - set(have)):
        problems.append("%s: declared in include/apemu but not exported by %s" % (n, lib))
    for n in sorted(set(have) - want):
        problems.append("%s: exported by %s but declared in no public header (leaked)"
                        % (n, lib))
    for n in sorted(want & set(have)):
        if have[n] != nodes.get(n):
            problems.append("%s: exported with version %r, not %s"
                            % (n, have[n] or "none", nodes.get(n)))
    man = os.environ.get("APEMU_GUEST_MAN")
    if man:
        text = open(man).read()
        synopsis = text[text.find(".SH SYNOPSIS"):text.find(".SH DESCRIPTION")]
        for n in sorted(want):
            if not re.search(r"\b%s\(" % re.escape(n), synopsis):
                problems.append("%s: declared in include/apemu but not in %s's SYNOPSIS"
                                % (n, man))
    for p in problems:
        print(p)
    if problems:
        return 1
    print("%d symbols exported, all declared in include/apemu, in nodes %s"
          % (len(have), ", ".join(sorted(set(nodes.values())))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
