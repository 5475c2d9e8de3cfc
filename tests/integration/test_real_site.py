# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks on real API servers (kube-apiserver v1.28 + etcd, tests/realkube): write counts from the audit log.

Written against the playbooks and the inventory model (docs/INVENTORY.md) only, not module internals.
"""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import pki
from realkube.inventory import SITE, SITE_SECRETS, SITES, mesh_hosts, secret_data, verified, write_inventory


def test_site_mesh_on_three_real_clusters(playbook, real_fleet, tmp_path):
    fleet = real_fleet(SITES)
    inv = write_inventory(tmp_path, mesh_hosts(fleet))

    marks = fleet.mark()
    check = playbook(SITE, inventory=inv, check=True)
    assert check.changed() > 0
    assert fleet.writes(marks) == 0, fleet.requests(marks)
    predicted = check.changed()

    run = playbook(SITE, inventory=inv)
    assert run.changed() == predicted
    for name, site in fleet.items():
        for secret_name in SITE_SECRETS:
            assert site.get("Secret", secret_name) is not None, (name, secret_name)
    for src, dst in (("west", "east"), ("west", "north"), ("east", "north")):
        creds = secret_data(fleet[src], "link-%s" % dst)
        pki.verify_chain(pki.load_certificates(creds["tls.crt"])[0],
                         pki.load_certificates(secret_data(fleet[dst], "skupper-site-ca")["ca.crt"]), usage="client")
        link = fleet[src].get("Link", "link-%s" % dst)
        assert link["spec"]["endpoints"][0]["host"] == "%s.example.com" % dst
        assert link["metadata"]["generation"] == 1
    assert len({secret_data(s, "skupper-tls-backend")["tls.crt"] for s in fleet.values()}) == 1
    server = pki.load_certificates(secret_data(fleet["east"], "skupper-site-server")["tls.crt"])[0]
    assert pki.host_set(server) == {"skupper-router", "skupper-router.%s" % fleet["east"].namespace, "east.example.com"}

    marks = fleet.mark()
    assert playbook(SITE, inventory=inv).changed() == 0
    assert fleet.writes(marks) == 0, [r for r in fleet.requests(marks) if r[1] in ("create", "update", "patch", "delete")]
    assert playbook(SITE, inventory=inv, check=True).changed() == 0
    assert len(verified(playbook, inv)) >= 2 * (3 + 3 * 3 + 3 * 2)
    assert fleet.writes(marks) == 0
    assert fleet.requests(marks, verb="get"), "the audit log saw the reads"


def test_awx_style_environment_only_on_a_real_cluster(playbook, real_fleet, tmp_path):
    """AWX injects one cluster's credential as K8S_AUTH_*; no kubeconfig anywhere; the sites are namespaces of that cluster."""
    fleet = real_fleet(SITES, clusters=1)
    cluster = fleet["west"].cluster
    inv = write_inventory(tmp_path, mesh_hosts(fleet, connection=lambda site: {}))
    env = {"K8S_AUTH_HOST": cluster.url, "K8S_AUTH_API_KEY": cluster.token, "K8S_AUTH_SSL_CA_CERT": cluster.ca_file,
           "KUBECONFIG": str(tmp_path / "no-such-kubeconfig")}
    marks = fleet.mark()
    run = playbook(SITE, inventory=inv, env=env)
    assert run.changed() > 0
    assert fleet.writes(marks) > 0
    assert fleet["west"].get("Link", "link-north") is not None
    assert {e["user"]["username"] for e in cluster.events(marks[cluster.name], namespace=fleet["west"].namespace)} == {"admin"}
    marks = fleet.mark()
    assert playbook(SITE, inventory=inv, env=env).changed() == 0
    assert fleet.writes(marks) == 0
    verified(playbook, inv, env=env)
