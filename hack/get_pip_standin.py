# Copyright: skupper.tls contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the ``get-pip.py`` script that ansible-test downloads.

``ansible-test sanity --venv`` bootstraps pip in every virtual environment it
creates by running ``get-pip-<version>.py`` from ci-files.testing.ansible.com,
a host this project's machines cannot reach. ansible-test first looks for a
cached copy at ``~/.ansible/test/cache/get_pip_<version>.py`` (version with
dots replaced by underscores), so ``hack/sanity.sh`` copies this file there.

It does what get-pip does, with what Python ships and the package index pip is
configured for:

1. ``ensurepip.bootstrap()`` installs the pip wheel bundled with the interpreter
   into the running (virtual) environment;
2. ``python -m pip install <args>`` in a subprocess installs the requested pip
   version (ansible-test passes e.g. ``pip==24.2``) from the configured index.

ensurepip clears ``PIP_*`` variables and sets ``PIP_CONFIG_FILE=/dev/null`` in
``os.environ``, so the subprocess gets a copy of the environment taken before
the bootstrap (otherwise index mirrors, certificates and find-links set in the
user's pip configuration would be ignored). ``--no-setuptools`` and
``--no-wheel`` are get-pip options, not pip options, and are dropped from the
pip command line; since ensurepip on Python < 3.12 also installs setuptools,
``--no-setuptools`` uninstalls it again, so the environment matches what
get-pip would have produced.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY_OPTIONS = frozenset(('--no-setuptools', '--no-wheel', '--no-pip'))


def main(argv: list[str]) -> int:
    """Bootstrap pip, then install the requested packages with it."""
    original_env = dict(os.environ)
    args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]

    ensurepip.bootstrap(upgrade=True, verbosity=0)

    if not args:
        args = ['--upgrade', 'pip']

    command = [sys.executable, '-m', 'pip', 'install'] + args
    rc = subprocess.call(command, env=original_env)

    if rc == 0 and '--no-setuptools' in argv:
        uninstall = [sys.executable, '-m', 'pip', 'uninstall', '--yes', '--quiet', 'setuptools']
        rc = subprocess.call(uninstall, env=original_env)

    return rc


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
