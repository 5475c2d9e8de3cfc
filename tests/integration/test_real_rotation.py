# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA rotation on three real API servers, each reached through a fault-injecting proxy (tests/realkube/proxy.py):
every phase is interrupted on one site, then resumed; every link handshakes after each step."""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import pki
from realkube.inventory import ROTATE, SITE, SITES, handshake_matrix, secret_data, write_inventory, mesh_hosts

LINKS = [(a, b) for a in SITES for b in SITES if a != b]


def site_ca_fingerprints(fleet):
    return {n: pki.fingerprint(pki.load_certificates(secret_data(fleet[n], "skupper-site-ca")["tls.crt"])[0]) for n in SITES}


def test_rotate_every_phase_interrupted_on_real_clusters(playbook, real_fleet, real_fault_proxy, tmp_path):
    fleet = real_fleet(SITES)
    proxies = {name: real_fault_proxy(site.cluster) for name, site in fleet.items()}

    def through_proxy(site):
        return {"kubeconfig": proxies[site.name].kubeconfig, "context": proxies[site.name].context}
    inv = write_inventory(tmp_path, mesh_hosts(fleet, full=True, connection=through_proxy))
    # a transient 503 and a dropped connection on the first writes are retried through
    proxies["west"].inject("POST", r"/secrets$", 503, count=1)
    proxies["east"].inject("PUT", r"/secrets/", "drop", count=1)
    playbook(SITE, inventory=inv)
    assert proxies["west"].faulted and ("POST" in proxies["west"].faulted[0])
    assert handshake_matrix(fleet, LINKS, methods=("python", "openssl")) == []
    old = site_ca_fingerprints(fleet)

    north = proxies["north"]
    for phase in ("prepare", "activate", "finalize"):
        # north's API server refuses every Secret write for the whole run: the phase fails, naming north
        north.inject("PUT", r"/secrets/", 500, count=100000)
        north.inject("POST", r"/secrets$", 500, count=100000)
        marks = fleet.mark()
        run = playbook(ROTATE, inventory=inv, extravars={"rotate_phase": phase}, expect_rc=2)
        assert "north" in run.stdout
        assert fleet["north"].cluster.writes(marks[fleet["north"].cluster.name], namespace=fleet["north"].namespace) == 0
        assert handshake_matrix(fleet, LINKS) == [], "after interrupted %s" % phase
        north.clear_faults()
        playbook(ROTATE, inventory=inv, extravars={"rotate_phase": phase})
        assert handshake_matrix(fleet, LINKS) == [], "after %s" % phase

    marks = fleet.mark()
    assert playbook(ROTATE, inventory=inv, extravars={"rotate_phase": "finalize"}).changed() == 0
    assert fleet.writes(marks) == 0, "finalize again writes nothing (audit log)"
    new = site_ca_fingerprints(fleet)
    assert all(new[n] != old[n] for n in SITES)
    assert handshake_matrix(fleet, LINKS, methods=("python", "openssl")) == []
    for name in SITES:
        for secret in ["skupper-site-ca", "skupper-site-server"] + ["link-%s" % b for b in SITES if b != name]:
            data = secret_data(fleet[name], secret)
            assert "prev.crt" not in data and "next.crt" not in data, (name, secret)
            assert not {pki.fingerprint(c) for c in pki.load_certificates(data["ca.crt"])} & set(old.values()), (name, secret)
