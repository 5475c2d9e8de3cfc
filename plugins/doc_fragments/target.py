# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  target:
    description:
      - Where objects are read and written.
      - V(kubernetes) talks to the API server chosen by the connection options.
      - V(directory) keeps the manifests as YAML files below O(directory), for GitOps or offline use, and ignores the connection options.
        Secrets are C(<directory>/<namespace>/<name>.yaml), other kinds C(<directory>/<namespace>/<plural>/<name>.yaml)
        (for example C(links/)). Files are written atomically with mode C(0600), in directories with mode C(0700), and
        are checked as the API server would check them (names, C(kubernetes.io/tls) keys, base64 data, Secret type).
    type: str
    choices: [kubernetes, directory]
    default: kubernetes
  directory:
    description:
      - Root directory of the manifests when O(target=directory); created (mode C(0700)) when missing.
      - Required when O(target=directory).
    type: path
"""
