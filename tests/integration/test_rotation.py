# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA rotation on three test clusters: one site rotated, activation gated on a holder that is behind.

Every phase interrupted on real API servers (through the fault proxy): test_real_rotation.py.
"""

from __future__ import annotations

import base64
import os

import pytest
import yaml

from ansible_collections.skupper.tls.plugins.module_utils import pki
from realkube.fixtures import Site
from realkube.inventory import handshake_matrix

SITES = ("west", "east", "north")
PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "playbooks")
SITE, ROTATE = os.path.join(PLAYBOOKS, "site.yml"), os.path.join(PLAYBOOKS, "rotate.yml")
LINKS = [(a, b) for a in SITES for b in SITES if a != b]        # both directions


def data(cluster, ns, name):
    obj = cluster.get("Secret", ns, name)
    return dict((k, base64.b64decode(v)) for k, v in obj["data"].items()) if obj else {}


def matrix(clusters, methods=("python",)):
    """Handshake every link A->B (realkube.inventory.handshake_matrix, over the test clusters: one namespace per site)."""
    return handshake_matrix({n: Site(n, clusters[n], n) for n in SITES}, LINKS, methods)


def site_cas(clusters):
    return dict((n, pki.load_certificates(data(clusters[n], n, "skupper-site-ca")["tls.crt"])[0]) for n in SITES)


@pytest.fixture
def fleet(kube_cluster_factory, tmp_path):
    clusters = {}
    hosts = {}
    for name in SITES:
        clusters[name] = kube_cluster_factory(name)
        clusters[name].create_namespace(name)
        hosts[name] = {"skupper_namespace": name, "skupper_external_hosts": ["%s.example.com" % name],
                       "skupper_links": [{"to": other} for other in SITES if other != name],
                       "skupper_cluster": {"kubeconfig": clusters[name].kubeconfig, "context": clusters[name].context}}
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump({"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                                           "hosts": hosts}}))
    return clusters, inv


def rotate(playbook, inv, phase, expect_rc=0, **extra):
    return playbook(ROTATE, inventory=inv, extravars=dict(rotate_phase=phase, **extra), expect_rc=expect_rc)


def interrupt(cluster):
    """Every Secret write on this cluster fails from now on (the API server is down for writes)."""
    cluster.inject("PUT", r"/secrets/", 500, count=100000)
    cluster.inject("POST", r"/secrets$", 500, count=100000)


def test_rotate_one_site_and_gates(playbook, fleet):
    clusters, inv = fleet
    playbook(SITE, inventory=inv)
    old = site_cas(clusters)
    one = {"rotate_sites": ["east"]}
    # prepare, but north cannot receive the new trust bundle: activate must refuse and name the holder that is behind.
    interrupt(clusters["north"])
    rotate(playbook, inv, "prepare", expect_rc=2, **one)
    clusters["north"].clear_faults()
    clusters["north"].inject("PUT", r"/secrets/link-east$", 500, count=100000)
    refused = rotate(playbook, inv, "activate", expect_rc=2, **one)
    assert "not activating skupper-site-ca" in refused.stdout and "north/link-east" in refused.stdout
    assert data(clusters["east"], "east", "skupper-site-ca").get("next.crt"), "east's CA was not activated"
    assert matrix(clusters) == []
    clusters["north"].clear_faults()
    for phase in ("prepare", "activate", "finalize"):
        rotate(playbook, inv, phase, **one)
        assert matrix(clusters) == [], "after %s" % phase
    new = site_cas(clusters)
    assert pki.fingerprint(new["east"]) != pki.fingerprint(old["east"])
    assert pki.fingerprint(new["west"]) == pki.fingerprint(old["west"]) and pki.fingerprint(new["north"]) == pki.fingerprint(old["north"])
    # the links to untouched sites kept their credentials' issuer
    assert pki.signed_by(pki.load_certificates(data(clusters["east"], "east", "link-west")["tls.crt"])[0], old["west"])
