#!/usr/bin/env bash
# Run `ansible-test sanity --venv` on a copy of the collection.
#
# ansible-test requires the collection to live at .../ansible_collections/<ns>/<name>
# and resolves the real path of the working directory, so a symlink farm is not
# enough: this script copies the files git knows about (tracked, plus untracked
# files that are not ignored - the same set ansible-test itself would test) into
# tests/output/sanity/ansible_collections/skupper/tls and runs ansible-test there.
# Working on a copy also keeps ansible-test away from the .ansible/ directory that
# ansible-lint writes in the repository root (the two clash when run together).
#
# ansible-test --venv downloads a get-pip script from a host this project cannot
# reach; hack/get_pip_standin.py is installed in its cache instead.
#
# Usage: hack/sanity.sh [extra ansible-test sanity arguments, e.g. --test pep8]
# Environment: VENV (default .venv), SANITY_PYTHON (default 3.11).
set -euo pipefail

cd "$(dirname "$0")/.."
repo_root=$PWD
venv=${VENV:-.venv}
python_version=${SANITY_PYTHON:-3.11}
ansible_test="$repo_root/$venv/bin/ansible-test"
venv_python="$repo_root/$venv/bin/python"
namespace=skupper
name=tls
sanity_root="$repo_root/tests/output/sanity"
dest="$sanity_root/ansible_collections/$namespace/$name"

if [ ! -x "$ansible_test" ]; then
    echo "sanity: $ansible_test not found; run 'make .venv' first" >&2
    exit 2
fi

# 1. Install the get-pip stand-in under the file name this ansible-test expects.
pip_version=$("$venv_python" - <<'PY'
import pathlib, re
import ansible_test
src = pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py'
match = re.search(r"default_packages = dict\(\s*pip='([^']+)'", src.read_text())
if not match:
    raise SystemExit('sanity: cannot find the pip version ansible-test bootstraps in %s' % src)
print(match.group(1))
PY
)
cache_dir="$HOME/.ansible/test/cache"
standin="$cache_dir/get_pip_${pip_version//./_}.py"
if ! cmp -s hack/get_pip_standin.py "$standin"; then
    mkdir -p "$cache_dir"
    cp hack/get_pip_standin.py "$standin"
    echo "sanity: installed get-pip stand-in $standin"
fi

# 2. Copy the collection (files known to git, minus deleted ones) into the sanity tree.
#    Keep the copy's tests/output/: it holds ansible-test's delegation virtualenv
#    (the sanity tool virtualenvs are cached in ~/.ansible/test/venv).
keep="$sanity_root/.output-keep"
rm -rf "$keep"
if [ -d "$dest/tests/output" ]; then
    mv "$dest/tests/output" "$keep"
fi
rm -rf "$sanity_root/ansible_collections"
mkdir -p "$dest"
list=$(mktemp)
trap 'rm -f "$list"' EXIT
git ls-files -z --cached --others --exclude-standard >"$list"
# Drop entries whose file is gone (deleted in the working tree, not yet staged).
"$venv_python" - "$list" <<'PY'
import os, sys
path = sys.argv[1]
with open(path, 'rb') as f:
    names = [n for n in f.read().split(b'\0') if n]
keep = [n for n in names if os.path.lexists(n)]
with open(path, 'wb') as f:
    f.write(b''.join(n + b'\0' for n in keep))
PY
tar --null -T "$list" -cf - | tar -xf - -C "$dest"
# ansible-test lists content with git when the collection root holds a .git; the
# copy lives in an ignored directory of this repository, so give it its own repo.
git -C "$dest" init -q
if [ -d "$keep" ]; then
    mkdir -p "$dest/tests"
    mv "$keep" "$dest/tests/output"
fi
echo "sanity: copied $(tr -cd '\0' <"$list" | wc -c) files to ${dest#"$repo_root"/}"

# 3. Run the sanity tests (no ignore files; see docs for why).
cd "$dest"
set -x
"$ansible_test" sanity --venv --python "$python_version" --color no "$@"
