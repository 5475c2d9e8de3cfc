# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nested options that point at a Secret or site elsewhere (``remote``, ``ca_cluster``, ``copy_from``, ``server``, ``client``).

Each takes the module's connection options (auth + target) as suboptions. Their documentation is built here
from the ``auth`` and ``target`` fragments, so it is written once and cannot drift from the top-level options.
"""

from __future__ import annotations

import yaml

from ansible_collections.skupper.tls.plugins.doc_fragments.auth import ModuleDocFragment as _Auth
from ansible_collections.skupper.tls.plugins.doc_fragments.target import ModuleDocFragment as _Target

_ENV_NOTE = "Read from E(K8S_AUTH_"


def _connection():
    options = {}
    for fragment in (_Auth.DOCUMENTATION, _Target.DOCUMENTATION):
        options.update(yaml.safe_load(fragment)["options"])
    for doc in options.values():
        # K8S_AUTH_* describe the module's own cluster only; option references O(x) become relative to the dict.
        doc["description"] = [line for line in doc["description"] if not line.startswith(_ENV_NOTE)]
    return options


def _option(name, description, own, required=False, elements=None):
    suboptions = dict(own)
    suboptions.update(_connection())
    doc = {"description": description, "type": "dict", "suboptions": suboptions}
    if elements:
        doc.update(type="list", elements=elements, default=[])
    if required:
        doc["required"] = True
    return yaml.safe_dump({"options": {name: doc}}, sort_keys=False, default_flow_style=False, width=1000)


_ELSEWHERE = ("Connection options (the same as this module's, without the C(K8S_AUTH_*) environment variables) select where it is; "
              "without any, it is read through this module's own connection.")
_SOURCE = {
    "name": {"description": ["Name of the source Secret."], "type": "str", "required": True},
    "namespace": {"description": ["Namespace of the source Secret. Defaults to the module's O(namespace)."], "type": "str"},
}


class ModuleDocFragment(object):

    COPY_FROM = _option("copy_from", [
        "Make this Secret hold exactly what another Secret holds (same certificate, key and C(ca.crt)) instead of issuing one, for example "
        "one service CA or server certificate shared by every site. Keys go from Secret to Secret inside the module, never through Ansible variables.",
        _ELSEWHERE], _SOURCE)

    CA_CLUSTER = _option("ca_cluster", [
        "Where O(ca_secret) is, when it is not on the same cluster or directory as this Secret.", _ELSEWHERE], {})

    REMOTE = _option("remote", [
        "The remote site B that accepts the link. Its CA Secret is read only to sign; its endpoints may come from its C(Site).", _ELSEWHERE], {
        "namespace": {"description": ["Namespace of site B."], "type": "str", "required": True},
        "site_name": {"description": ["Name of site B (its C(Site) resource); default names are C(link-<site_name>)."], "type": "str", "required": True},
        "ca_secret": {"description": ["B's CA Secret that signs link credentials."], "type": "str", "default": "skupper-site-ca"},
    }, required=True)

    CA = _option("ca", ["The CA Secret.", _ELSEWHERE], {
        "name": {"description": ["Name of the CA Secret."], "type": "str", "required": True},
        "namespace": {"description": ["Namespace of the CA Secret."], "type": "str", "required": True},
    }, required=True)

    HOLDERS = _option("holders", ["Secrets that trust or are signed by the CA (leaves, link credentials on other clusters, copies).", _ELSEWHERE], {
        "name": {"description": ["Name of the Secret."], "type": "str", "required": True},
        "namespace": {"description": ["Namespace of the Secret."], "type": "str", "required": True},
    }, elements="dict")
