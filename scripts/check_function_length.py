#!/usr/bin/env python3
"""Lists every non-test Rust function longer than the limit (80 lines, from its `fn` line to
its closing brace) in the workspace's sources, and exits 1 if there is any.

A function may be longer only if it is a hot loop that says so: a comment line starting
`// Hot loop:` directly above its doc comment or `fn` line, giving the reason.
Usage: scripts/check_function_length.py [LIMIT]
"""
import pathlib
import re
import subprocess
import sys

LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 80
ROOT = pathlib.Path(__file__).resolve().parent.parent
FN = re.compile(r'^(\s*)(pub(\([^)]*\))? )?(const )?(async )?(unsafe )?fn (\w+)')


def test_start(lines):
    """The line where a file's `#[cfg(test)] mod` begins (its end when there is none)."""
    for k, line in enumerate(lines[:-1]):
        if re.match(r'\s*#\[cfg\(test\)\]', line) and re.match(r'\s*(pub(\([^)]*\))? )?mod ', lines[k + 1]):
            return k
    return len(lines)


def exempt(lines, i):
    """Whether a `// Hot loop:` comment sits above line i (past attributes and doc lines)."""
    k = i - 1
    while k >= 0 and re.match(r'\s*(///|#\[)', lines[k]):
        k -= 1
    while k >= 0 and re.match(r'\s*//', lines[k]):
        if re.match(r'\s*// Hot loop:', lines[k]):
            return True
        k -= 1
    return False


def long_functions(path):
    lines = path.read_text(encoding='utf-8').split('\n')
    end = test_start(lines)
    i = 0
    while i < end:
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, name = m.group(1), m.group(7)
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(('{', ';')):
            j += 1
        if j >= len(lines) or lines[j].rstrip().endswith(';'):
            i += 1
            continue
        k = j + 1
        while k < len(lines) and lines[k] != indent + '}':
            k += 1
        if k - i + 1 > LIMIT and not exempt(lines, i):
            yield k - i + 1, i + 1, name
        i += 1


files = subprocess.run(['git', 'ls-files', '*.rs'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
found = []
for f in files:
    if '/tests/' in f or f.startswith('tests/') or '/benches/' in f:
        continue
    for length, line, name in long_functions(ROOT / f):
        found.append((length, f, line, name))
for length, f, line, name in sorted(found, reverse=True):
    print(f'{f}:{line}: `{name}` is {length} lines (limit {LIMIT})')
print(f'{len(found)} non-test functions over {LIMIT} lines without a "// Hot loop:" reason')
sys.exit(1 if found else 0)
