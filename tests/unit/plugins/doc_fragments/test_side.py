# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nested connection suboptions in doc_fragments/side.py are the auth + target fragments, and match the argument specs."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.skupper.tls.plugins.doc_fragments import audit, auth, side, target
from ansible_collections.skupper.tls.plugins.module_utils import args

ENV_NOTE = "Read from E(K8S_AUTH_"


def connection_docs():
    options = {}
    for fragment in (auth.ModuleDocFragment.DOCUMENTATION, target.ModuleDocFragment.DOCUMENTATION):
        options.update(yaml.safe_load(fragment)["options"])
    for doc in options.values():
        doc["description"] = [line for line in doc["description"] if not line.startswith(ENV_NOTE)]
    return options


@pytest.mark.parametrize("attr,option", [("COPY_FROM", "copy_from"), ("CA_CLUSTER", "ca_cluster"), ("REMOTE", "remote"), ("CA", "ca"),
                                         ("HOLDERS", "holders")])
def test_connection_suboptions_are_the_auth_and_target_fragments(attr, option):
    doc = yaml.safe_load(getattr(side.ModuleDocFragment, attr))["options"][option]
    subs = doc["suboptions"]
    for name, expected in connection_docs().items():
        assert subs[name] == expected, "%s.%s drifted from the auth/target fragments" % (option, name)
    assert set(args.side_argument_spec()) <= set(subs)


def test_audit_connections_suboptions_are_the_auth_and_target_fragments():
    # skupper_audit has no top-level connection options: its references read O(connections[].<name>)
    doc = yaml.safe_load(audit.ModuleDocFragment.CONNECTIONS.replace("O(connections[].", "O("))["options"]["connections"]
    subs = doc["suboptions"]
    for name, expected in connection_docs().items():
        assert subs[name] == expected, "connections.%s drifted from the auth/target fragments" % name
    assert set(subs) == set(args.side_argument_spec())
    assert doc["type"] == "list" and doc["elements"] == "dict" and doc["required"] is True


def _module_doc(name):
    import importlib  # pylint: disable=import-outside-toplevel
    return yaml.safe_load(importlib.import_module("ansible_collections.skupper.tls.plugins.modules." + name).DOCUMENTATION)["options"]


@pytest.mark.parametrize("module, path", [("skupper_links", ("links", "remote")), ("skupper_site", ("service_source",))])
def test_nested_connection_docs_of_the_site_modules_are_the_fragments(module, path):
    """skupper_links and skupper_site nest connection options where no fragment can go (inside a list, next to other
    suboptions): their literal copies must stay the auth + target fragments."""
    doc = _module_doc(module)
    for key in path:
        doc = doc[key] if key == path[0] else doc["suboptions"][key]
    subs = doc["suboptions"]
    for name, expected in connection_docs().items():
        assert subs[name] == expected, "%s %s.%s drifted from the auth/target fragments" % (module, ".".join(path), name)
