#!/usr/bin/env bash
# Debian's chromium, for the test that opens the audit page in a real headless browser
# (tests/integration/test_audit.py). Idempotent: does nothing when chromium is there; installs it with
# apt-get when it is missing and apt-get can run (root, or password-less sudo); otherwise says why and
# exits 0 - the browser test then skips with that reason.
set -euo pipefail

if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: chromium is missing and there is no apt-get here: the audit page browser test will be skipped" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "ensure-chromium: chromium is missing and apt-get needs root: the audit page browser test will be skipped" >&2
    exit 0
fi
echo "+ apt-get install chromium (for the audit page browser test)"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium
