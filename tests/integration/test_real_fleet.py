# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real API servers (tests/realkube): an HA site reached only through its Site status in a 3-site mesh, a Skupper v1
fleet, and three AWX job slices at once. Every claim is checked by TLS handshakes with hostname verification."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki
from realkube.inventory import SITE, SITE_SECRETS, SITES, handshake_matrix, mesh_hosts, secret_data, verified, write_inventory

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(os.path.dirname(HERE), "output", "collections")
LINKS = [("west", "east"), ("west", "north"), ("east", "north")]


def site_status(site, endpoints):
    """A Site with status.endpoints, as Skupper's controller publishes it (written through the status subresource)."""
    site.cluster.put({"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": site.name, "namespace": site.namespace},
                      "spec": {"ha": True}, "status": {"endpoints": endpoints}})


def test_ha_site_reached_only_through_its_status_in_a_three_site_mesh(playbook, real_fleet, tmp_path):
    fleet = real_fleet(SITES)
    north = fleet["north"]
    hosts = mesh_hosts(fleet)
    del hosts["north"]["skupper_external_hosts"]
    hosts["north"]["skupper_ha"] = True
    site_status(north, [{"name": role, "host": host, "port": port, "group": group}
                        for group, host in (("skupper-router", "north-a.lb.example.net"), ("skupper-router-2", "north-b.lb.example.net"))
                        for role, port in (("inter-router", "55671"), ("edge", "45671"))])
    inv = write_inventory(tmp_path, hosts)
    playbook(SITE, inventory=inv)

    server = pki.load_certificates(secret_data(north, "skupper-site-server")["tls.crt"])[0]
    ns = north.namespace
    # Skupper's own set (docs/SKUPPER.md F1, F2): both router groups' names and every endpoint host, nothing else
    assert pki.host_set(server) == {"skupper-router", "skupper-router.%s" % ns, "skupper-router-2", "skupper-router-2.%s" % ns,
                                    "north-a.lb.example.net", "north-b.lb.example.net"}
    for src in ("west", "east"):
        dialed = {ep["host"] for ep in fleet[src].get("Link", "link-north")["spec"]["endpoints"]}
        assert dialed == {"north-a.lb.example.net", "north-b.lb.example.net"}
    found = verified(playbook, inv)
    assert {"north-a.lb.example.net", "north-b.lb.example.net"} <= {h["host"] for h in found}
    assert handshake_matrix(fleet, LINKS, methods=("python", "openssl")) == []
    marks = fleet.mark()
    assert playbook(SITE, inventory=inv).changed() == 0
    assert fleet.writes(marks) == 0


def v1_site(site, version="1.9.6"):
    """ConfigMaps Skupper v1 keeps in a site namespace; a v1 token's origin and version come from them (F5)."""
    cm = site.cluster.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "skupper-site", "namespace": site.namespace},
                           "data": {"name": site.name}})
    router = [["router", {"id": site.name, "mode": "interior", "metadata": json.dumps({"id": cm["metadata"]["uid"], "version": version})}]]
    site.cluster.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "skupper-internal", "namespace": site.namespace},
                      "data": {"skrouterd.json": json.dumps(router)}})
    return cm["metadata"]["uid"]


def test_skupper_v1_fleet_on_real_clusters(playbook, real_fleet, tmp_path):
    fleet = real_fleet(SITES)
    uids = dict((name, v1_site(site)) for name, site in fleet.items())
    inv = write_inventory(tmp_path, mesh_hosts(fleet), {"skupper_version": 1, "skupper_service_tls_mode": "per_site"})
    playbook(SITE, inventory=inv)
    for src, dst in LINKS:
        token = fleet[src].get("Secret", "link-%s" % dst)
        others = [fleet[src].get("Secret", "link-%s" % o) for s, o in LINKS if s == src and o != dst]
        assert layout.v1_token_problems(token, local_site_id=uids[src], other_tokens=others) == [], (src, dst)
        assert token["metadata"]["annotations"]["skupper.io/generated-by"] == uids[dst]
    for name, site in fleet.items():
        assert secret_data(site, "skupper-local-client")["connect.json"] == layout.v1_connect_json(site.namespace)
        assert secret_data(site, "skupper-service-tls-backend") is not None     # the name v1 loads (F7)
        assert secret_data(site, "skupper-tls-backend") is None
    assert len(verified(playbook, inv)) > 0
    marks = fleet.mark()
    assert playbook(SITE, inventory=inv).changed() == 0
    assert fleet.writes(marks) == 0


def _slice(inventory, limit, tmp_path):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("K8S_AUTH_"))
    env.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTIONS, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_LOCAL_TEMP": str(tmp_path / ("tmp-" + limit))})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory), SITE, "--limit", limit]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_three_concurrent_job_slices_converge_on_real_clusters(playbook, real_fleet, tmp_path):
    """AWX job slicing: the site playbook split in three --limit runs at the same time. A slice may need a peer's CA or
    the shared service material before the peer's own slice made it; one pass converges with one CA per site."""
    fleet = real_fleet(SITES)
    inv = write_inventory(tmp_path, mesh_hosts(fleet))
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda name: _slice(inv, name, tmp_path), ["north", "east", "west"]))
    for proc in runs:
        assert proc.returncode == 0, (proc.stdout[-4000:], proc.stderr[-2000:])
    for name, site in fleet.items():
        for secret_name in SITE_SECRETS:
            assert secret_data(site, secret_name) is not None, (name, secret_name)
    assert len({secret_data(s, "skupper-service-ca")["tls.crt"] for s in fleet.values()}) == 1
    assert handshake_matrix(fleet, LINKS) == []
    marks = fleet.mark()
    assert playbook(SITE, inventory=inv).changed() == 0
    assert fleet.writes(marks) == 0
    assert len(verified(playbook, inv)) > 0
