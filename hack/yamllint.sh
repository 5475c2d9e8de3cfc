#!/usr/bin/env bash
# yamllint --strict on the YAML files git knows about (tracked, plus untracked
# files that are not ignored), minus the `ignore:` list of .yamllint. Linting
# `.` instead would also walk nested virtualenvs and benchmark work directories.
set -euo pipefail

cd "$(dirname "$0")/.."
venv=${VENV:-.venv}

git ls-files -z --cached --others --exclude-standard -- '*.yml' '*.yaml' .yamllint .ansible-lint |
    "$venv/bin/python" -c '
import os
import sys

from yamllint.config import YamlLintConfig

conf = YamlLintConfig(file=".yamllint")
names = [n for n in sys.stdin.buffer.read().decode().split("\0") if n]
keep = [n for n in names if os.path.isfile(n) and not conf.is_file_ignored(n)]
print("yamllint: %d files" % len(keep), file=sys.stderr)
sys.stdout.write("".join(n + "\0" for n in keep))
' |
    xargs -0 -r "$venv/bin/yamllint" --strict
