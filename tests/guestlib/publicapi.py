# What the public headers (include/apemu/*.h) declare, as a C compiler sees
# them: the headers are run through the preprocessor, so conditionals and
# macros count as they do for a user of the library, and only declarations
# written in those headers are kept (not those of <stdint.h> and friends).
# Shared by check-symbols.py and check-headers.py.
import os
import re
import subprocess

KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof", "void", "int", "char",
            "unsigned", "signed", "long", "short", "const", "volatile", "struct", "union",
            "enum", "bool", "_Bool", "static_assert", "_Static_assert", "_Alignas"}


def headers(include_dir):
    """The public headers, as <apemu/NAME.h> include names, sorted."""
    d = os.path.join(include_dir, "apemu")
    return sorted("apemu/" + f for f in os.listdir(d) if f.endswith(".h"))


def preprocess(cc, include_dir):
    """The text the public headers contribute to a C11 translation unit that
    includes all of them, with every line from other files dropped."""
    tu = "".join("#include <%s>\n" % h for h in headers(include_dir))
    out = subprocess.run(cc + ["-std=c11", "-E", "-I", include_dir, "-x", "c", "-"],
                         input=tu, capture_output=True, text=True, check=True).stdout
    ours = os.path.realpath(os.path.join(include_dir, "apemu"))
    keep, text = False, []
    for line in out.splitlines():
        m = re.match(r'#\s*(?:line\s+)?\d+\s+"([^"]*)"', line)
        if m:
            keep = os.path.dirname(os.path.realpath(m.group(1))) == ours
        elif keep and not line.startswith("#"):
            text.append(line)
    return "\n".join(text)


def statements(text):
    """Top-level declarations, without what stands between braces (struct
    members). A function defined in a header (static inline) is dropped:
    it is not the library's to export."""
    out, cur, depth, head = [], [], 0, ""
    for ch in text:
        if ch == "{":
            if depth == 0:
                head = "".join(cur).strip()
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and head.endswith(")"):
                cur, head = [], ""  # a function body
        elif depth == 0:
            if ch == ";":
                out.append(" ".join("".join(cur).split()))
                cur = []
            else:
                cur.append(ch)
    return out


def strip_attributes(s):
    """s without GNU __attribute__((...)) groups, whose contents look like calls."""
    while True:
        m = re.search(r"__attribute__\s*\(", s)
        if not m:
            return s
        depth, i = 0, m.end() - 1
        while i < len(s):
            depth += {"(": 1, ")": -1}.get(s[i], 0)
            i += 1
            if depth == 0:
                break
        s = s[:m.start()] + " " + s[i:]


def declared_symbols(cc, include_dir):
    """Names of the functions and extern objects the public headers declare:
    what the library must export, and nothing else."""
    names = set()
    for s in statements(preprocess(cc, include_dir)):
        s = strip_attributes(s)
        words = re.findall(r"[A-Za-z_]\w*", s)
        if not words or "typedef" in words or "static" in words:
            continue
        calls = [m.group(1) for m in re.finditer(r"([A-Za-z_]\w*)\s*\(", s)
                 if not m.group(1).startswith("__") and m.group(1) not in KEYWORDS]
        if calls:
            names.add(calls[0])
        elif "extern" in words:
            names.add(re.findall(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?:=|$)", s)[0])
    return names
