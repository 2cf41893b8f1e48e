#!/bin/sh
# rename_internal.sh [--dry-run] [SRC] — one internal prefix per layer, by rule: every identifier with an
# old internal prefix (nbi_ nbk_ nbg_ nbj_, macros NBI_ NBK_ NBG_ NBJ_) is renamed to the prefix of the
# layer whose files declare it (tensor nbt_, autograd nba_, optim nbo_, nn nbn_, dist nbd_; macros in
# capitals), in every tracked text file of SRC (default .). Files named nbi_*.h move likewise
# (autograd/nbi_tape.h -> autograd/nba_tape.h) with their includes. Then tools/prefix_check.sh is
# enabled. Idempotent (a second run finds nothing to rename); refuses, changing nothing, when two old
# names would map to one new name or a new name already exists. --dry-run prints the map only;
# --check lists every name a layer declares without its prefix (what tools/prefix_check.sh runs).
# The lead runs it once, after all merges:  tools/rename_internal.sh && meson test prefix_check ...
set -e
dry=0
[ "$1" = "--dry-run" ] && { dry=1; shift; }
[ "$1" = "--check" ] && { dry=check; shift; }  # used by tools/prefix_check.sh
src=${1:-.}
cd "$src"
exec python3 - "$dry" <<'EOF'
import os, re, subprocess, sys

dry, check = sys.argv[1] == '1', sys.argv[1] == 'check'
LAYERS = {'tensor': ('nbt', 0), 'autograd': ('nba', 1), 'optim': ('nbo', 2), 'nn': ('nbn', 2), 'dist': ('nbd', 3)}
OLD = r'(?:nbi|nbk|nbg|nbj|NBI|NBK|NBG|NBJ)_'
TOKEN = re.compile(r'\b' + OLD + r'\w*')
SKIP = ('tests/golden/', 'tests/data/', 'tests/expected/', 'fuzz/corpus', 'playground/corpus',
        'tools/rename_internal.sh')

def layer_of(path):
    top = path.split('/')[0]
    return top if top in LAYERS else None

files = [f for f in subprocess.run(['git', 'ls-files'], capture_output=True, text=True, check=True).stdout.split('\n')
         if f and not f.startswith(SKIP) and os.path.isfile(f)]
text = {}
for f in files:
    try:
        text[f] = open(f, encoding='utf-8').read()
    except (UnicodeDecodeError, OSError):
        pass

def strip_c(s):
    """s without comments and string literals (same line structure)."""
    s = re.sub(r'/\*.*?\*/', lambda m: re.sub(r'[^\n]', ' ', m.group(0)), s, flags=re.S)
    s = re.sub(r'//[^\n]*', '', s)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', s)

# declaring constructs (clang-formatted code: file-scope declarations start in column 0)
def decl_rx(pfx):
    return [
        re.compile(r'^\s*#\s*define\s+(' + pfx + r'\w*)', re.M),                       # macros
        re.compile(r'^(?!return\b)(?:[A-Za-z_]\w*[\s\*]+)+\**(' + pfx + r'\w*)\s*(?:\(|\[|=|;|,)', re.M),
        re.compile(r'\}\s*(' + pfx + r'\w*)\s*;'),                                     # typedef struct { } name;
        re.compile(r'\b(?:struct|enum|union)\s+(' + pfx + r'\w*)\s*\{'),                # tags
        re.compile(r'\btypedef\b[^;{]*?\b(' + pfx + r'\w*)\s*;'),                       # typedef x name;
        re.compile(r'\(\s*\*\s*(' + pfx + r'\w*)\s*\)\s*\('),                           # typedef fn pointer
    ]
ENUM = re.compile(r'\benum\b[^{;]*\{([^}]*)\}', re.S)

def decl_names(c, pfx):
    names = set()
    for rx in decl_rx(pfx):
        names.update(rx.findall(c))
    for body in ENUM.findall(c):
        for item in body.split(','):
            m = re.match(r'\s*(' + pfx + r'\w*)', item)
            if m: names.add(m.group(1))
    return names

if check:  # prefix_check: every internal name a layer declares uses that layer's prefix
    bad, decls = [], {}
    for f, s in sorted(text.items()):
        if layer_of(f) and f.endswith(('.c', '.h', '.def')):
            decls[f] = decl_names(strip_c(s), r'(?:nb[a-z]|NB[A-Z])_')
    home = {}  # name -> layers declaring it
    for f, names in decls.items():
        for n in names:
            home.setdefault(n, set()).add(layer_of(f))
    by_prefix = {v[0]: k for k, v in LAYERS.items()}
    for f, names in sorted(decls.items()):
        lay = layer_of(f)
        c = strip_c(text[f])
        for n in sorted(names):
            own = by_prefix.get(n.split('_')[0].lower())
            if own != lay and own not in home.get(n, ()):  # a use of another layer's name is fine
                bad.append('%s: %s should start with %s_ (declared in the %s layer)' % (f, n, LAYERS[lay][0], lay))
        for n in sorted(set(TOKEN.findall(c))):
            bad.append('%s: %s uses an old internal prefix' % (f, n))
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)

declared = {}  # name -> set of layers
used_in = {}   # name -> set of layers it appears in
for f, s in text.items():
    lay = layer_of(f)
    if not f.endswith(('.c', '.h', '.def')):
        continue
    c = strip_c(s)
    if lay:
        for n in TOKEN.findall(c):
            used_in.setdefault(n, set()).add(lay)
        for n in decl_names(c, OLD):
            declared.setdefault(n, set()).add(lay)

all_tokens = set()
for s in text.values():
    all_tokens.update(TOKEN.findall(s))

def new_name(n, lay):
    pre = LAYERS[lay][0]
    rest = n.split('_', 1)[1]
    return (pre.upper() if n[:3].isupper() else pre) + '_' + rest

mapping, problems, undeclared = {}, [], []
for n in sorted(all_tokens):
    lays = declared.get(n) or used_in.get(n)  # rule: the declaring layer; else the layer using it
    if not lays:
        undeclared.append(n)  # only outside the layers (tests, docs): left as is
        continue
    low = min(LAYERS[l][1] for l in lays)
    best = sorted(l for l in lays if LAYERS[l][1] == low)
    if len(best) > 1:
        problems.append('%s is declared in both %s: rename one of them first' % (n, ' and '.join(best)))
        continue
    mapping[n] = new_name(n, best[0])

# file renames: nbi_*.h (and other old prefixes) inside a layer
frename = {}
for f in files:
    base = os.path.basename(f)
    lay = layer_of(f)
    if lay and re.match(OLD, base) and base.endswith('.h'):
        frename[f] = os.path.join(os.path.dirname(f), new_name(base, lay))

# collisions: two old names to one new name, or a new name that already exists
inv = {}
for o, nn in mapping.items():
    inv.setdefault(nn, []).append(o)
existing = set()
for s in text.values():
    existing.update(re.findall(r'\b(?:nbt|nba|nbo|nbn|nbd|NBT|NBA|NBO|NBN|NBD)_\w*', s))
for nn, olds in sorted(inv.items()):
    if len(olds) > 1:
        problems.append('collision: %s all map to %s' % (', '.join(olds), nn))
    elif nn in existing:
        problems.append('collision: %s maps to %s, which already exists' % (olds[0], nn))
for f, g in frename.items():
    if os.path.exists(g):
        problems.append('collision: %s would move to %s, which exists' % (f, g))

if dry:
    for o in sorted(mapping):
        print('%s -> %s' % (o, mapping[o]))
    for f, g in sorted(frename.items()):
        print('file %s -> %s' % (f, g))
    for n in undeclared:
        print('kept (not in a layer): %s' % n)
for p in problems:
    print('rename_internal: ' + p, file=sys.stderr)
if problems:
    print('rename_internal: refused, nothing changed (%d problems)' % len(problems), file=sys.stderr)
    sys.exit(1)
if dry:
    sys.exit(0)

# include lines and meson lists name the moved headers by file name
fmap = {os.path.basename(f): os.path.basename(g) for f, g in frename.items()}
paste = re.compile(r'\b(' + OLD + r')##')
changed = 0
for f, s in text.items():
    t = TOKEN.sub(lambda m: mapping.get(m.group(0), m.group(0)), s)
    lay = layer_of(f)
    if lay:  # a token-pasted prefix (NBK_##k) belongs to the layer of its file
        t = paste.sub(lambda m: new_name(m.group(1), lay) + '##', t)
    for a, b in fmap.items():
        t = re.sub(r'\b' + re.escape(a), b, t)
    if t != s:
        open(f, 'w', encoding='utf-8').write(t)
        changed += 1
for f, g in sorted(frename.items()):
    subprocess.run(['git', 'mv', f, g], check=True)
pc = 'tools/prefix_check.sh'
if os.path.exists(pc):
    s = open(pc).read()
    open(pc, 'w').write(s.replace('\nENABLED=0\n', '\nENABLED=1\n'))
print('rename_internal: %d names renamed in %d files, %d files moved; prefix_check enabled'
      % (len(mapping), changed, len(frename)))
EOF
