# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site playbook in directory mode, and no key material in -vvvv --diff output (test API server).

On real API servers (3-cluster mesh, re-run and check mode with zero writes, AWX-style env auth): test_real_site.py.
"""

from __future__ import annotations

import base64
import os
import re

import pytest
import yaml


SITES = ("west", "east", "north")
PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "playbooks")
SITE, VERIFY = os.path.join(PLAYBOOKS, "site.yml"), os.path.join(PLAYBOOKS, "verify.yml")


def verified(playbook, inv, env=None):
    """Run the verify playbook; return the number of passed handshakes (it fails the run if any failed)."""
    run = playbook(VERIFY, inventory=inv, env=env)
    handshakes = [h for r in run.results() for h in r.get("results", []) if isinstance(h, dict) and "ok" in h and "method" in h]
    assert handshakes and all(h["ok"] for h in handshakes), [h for h in handshakes if not h["ok"]]
    assert set(h["method"] for h in handshakes) == {"python", "openssl"}
    return len(handshakes)


KEY_LINE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def inventory(tmp_path, hosts, common=None):
    data = {"all": {"vars": dict({"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                                  "skupper_services": [{"name": "backend", "hosts": ["backend", "backend.example.com"]}],
                                  "skupper_service_tls_mode": "shared"}, **(common or {})),
                    "hosts": hosts}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def mesh(extra):
    hosts = {}
    for index, name in enumerate(SITES):
        hosts[name] = dict({"skupper_namespace": name, "skupper_external_hosts": ["%s.example.com" % name],
                            "skupper_links": [{"to": other} for other in SITES[index + 1:]]}, **extra(name))
    return hosts


def secret(cluster, ns, name):
    obj = cluster.get("Secret", ns, name)
    return dict((k, base64.b64decode(v)) for k, v in obj["data"].items()) if obj else None


@pytest.fixture
def clusters(kube_cluster_factory):
    found = {}
    for name in SITES:
        found[name] = kube_cluster_factory(name)
        found[name].create_namespace(name)
    return found


def test_directory_mode_end_to_end(playbook, tmp_path):
    out = tmp_path / "manifests"
    inv = inventory(tmp_path, mesh(lambda n: {}), common={"skupper_target": "directory", "skupper_output_dir": str(out)})
    run = playbook(SITE, inventory=inv)
    assert run.changed() > 0
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert "west/west/link-east.yaml" in files and "west/west/links/link-east.yaml" in files
    assert "north/north/skupper-site-server.yaml" in files
    assert playbook(SITE, inventory=inv).changed() == 0
    assert verified(playbook, inv) > 0


def test_no_private_key_in_vvvv_diff_output(playbook, clusters, tmp_path):
    inv = inventory(tmp_path, mesh(lambda n: {"skupper_cluster": {"kubeconfig": clusters[n].kubeconfig, "context": clusters[n].context}}))
    run = playbook(SITE, inventory=inv, diff=True, verbosity=4)
    text = run.stdout + run.stderr
    assert "skupper-site-server" in text and "fingerprint_sha256" in text
    assert not KEY_LINE.search(text), KEY_LINE.search(text)
    checked = 0
    for name, cluster in clusters.items():
        for secret_name in ("skupper-site-ca", "skupper-site-server", "skupper-local-ca", "skupper-service-ca", "skupper-tls-backend"):
            key_b64 = cluster.get("Secret", name, secret_name)["data"]["tls.key"]
            body = [line for line in base64.b64decode(key_b64).decode().splitlines() if line and not line.startswith("-----")]
            assert key_b64[:32] not in text
            assert not any(line in text for line in body)
            checked += 1
    assert checked == 15
