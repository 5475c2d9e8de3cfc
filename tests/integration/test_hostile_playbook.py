# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile tasks in a real ansible-playbook run at -vvvv, with the junit and tree callbacks and JSON-formatted output:
every task fails naming its option, nothing is written, and no key, token or kubeconfig credential appears in
stdout, stderr, the junit reports, the tree files or the recorded results."""

from __future__ import annotations

import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "unit", "hostile"))

from hostile_support import material  # noqa: E402  pylint: disable=wrong-import-position


def _tasks(out, kubeconfig):
    m = material()
    target = {"target": "directory", "directory": str(out)}
    ca = dict(target, name="custom-ca", namespace="west")
    return [
        ("key-in-certificate_content", "skupper.tls.skupper_ca", dict(ca, certificate_content=m.ca_key_pem, private_key_content=m.ca_key_pem),
         "certificate_content"),
        ("key-in-chain_content", "skupper.tls.skupper_ca", dict(ca, certificate_content=m.ca_pem, private_key_content=m.ca_key_pem,
                                                                chain_content=m.other_key_pem), "chain_content"),
        ("two-keys", "skupper.tls.skupper_ca", dict(ca, certificate_content=m.ca_pem, private_key_content=m.ca_key_pem + m.other_key_pem),
         "private_key_content"),
        ("expired-ca", "skupper.tls.skupper_ca", dict(ca, certificate_content=m.expired_pem, private_key_content=m.expired_key_pem),
         "certificate_content"),
        ("type-error-with-key", "skupper.tls.skupper_ca", dict(ca, certificate_content=m.ca_pem, private_key_content=m.ca_key_pem,
                                                               validity_days="many"), "validity_days"),
        ("dict-kubeconfig-type-error", "skupper.tls.skupper_link", {
            "namespace": "west", "site_name": "west", "remote": {"namespace": "east", "site_name": "east"}, "cost": "many",
            "kubeconfig": kubeconfig}, "cost"),
        ("dict-kubeconfig-bad-port", "skupper.tls.skupper_link", {
            "namespace": "west", "site_name": "west", "remote": {"namespace": "east", "site_name": "east"}, "kubeconfig": kubeconfig,
            "endpoints": [{"name": "edge", "host": "east.example", "port": "\uff14\uff15"}]}, "endpoints[0].port"),
        ("api-key-newline", "skupper.tls.skupper_ca", {"name": "skupper-site-ca", "namespace": "west", "site_name": "west",
                                                       "host": "https://127.0.0.1:9", "api_key": m.token + "\n"}, "api_key"),
        ("site-bad-service-host", "skupper.tls.skupper_site", dict(target, name="west", namespace="west", server_hosts=["west.example"],
                                                                   local_server_hosts=["skupper-router-local"],
                                                                   services=[{"name": "db", "hosts": ["db\n.example"]}]), "services[0].hosts[0]"),
    ]


def test_hostile_tasks_fail_cleanly_and_leak_nothing(playbook, tmp_path):
    m = material()
    out = tmp_path / "out"
    out.mkdir()
    kubeconfig = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
                  "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
                  "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                  "users": [{"name": "u", "user": {"token": m.token, "client-key-data": m.client_key_data}}]}
    cases = _tasks(out, kubeconfig)
    # The values come from extra vars, as secrets do (vault, vars files): Ansible itself prints the playbook lines around
    # a failed task, so a key written literally into a playbook would be shown by Ansible, not by this collection.
    tasks = [{"name": name, module: dict((key, "{{ hostile[%r][%r] }}" % (name, key)) for key in args), "ignore_errors": True}
             for name, module, args, _field in cases]
    junit, tree = tmp_path / "junit", tmp_path / "tree"
    run = playbook(tasks, extravars={"hostile": dict((name, args) for name, _module, args, _field in cases)}, verbosity=4, env={
        "ANSIBLE_CALLBACKS_ENABLED": "record,ansible.builtin.junit,ansible.builtin.tree", "JUNIT_OUTPUT_DIR": str(junit),
        "ANSIBLE_CALLBACK_TREE_DIR": str(tree), "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    for name, _module, _args, field in cases:
        result = run.result(name)
        assert result.get("failed"), (name, result)
        assert field in result["msg"], (name, result["msg"])
        assert "MODULE FAILURE" not in result["msg"] and "Traceback" not in result["msg"], (name, result["msg"])
    assert sorted(os.listdir(str(out))) == [], "something was written"
    texts = {"stdout": run.stdout, "stderr": run.stderr, "records": yaml.safe_dump(run.records)}
    for directory in (junit, tree):
        assert directory.is_dir() and os.listdir(str(directory)), directory
        for path in directory.iterdir():
            texts[str(path)] = path.read_text(errors="replace")
    for where, text in texts.items():
        assert not m.leaks(text), (where, m.leaks(text))
