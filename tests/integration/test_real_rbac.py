# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Least privilege on real API servers: site, verify and rotate with tokens bound only to meta/rbac/site-role.yaml;
a 403 names verb, resource, namespace and cluster; a site reached only through its Site status.endpoints."""

from __future__ import annotations

import os

import pytest
import yaml

from realkube.cluster import write_kubeconfig
from realkube.inventory import ROOT, ROTATE, SITE, SITES, handshake_matrix, handshakes, mesh_hosts, verified, write_inventory, VERIFY

SITE_ROLE = os.path.join(ROOT, "meta", "rbac", "site-role.yaml")
PEER_CA_READER = os.path.join(ROOT, "meta", "rbac", "peer-ca-reader.yaml")
# Granted but not used by this test's runs: Sites and RouterAccesses are read for a site without
# skupper_external_hosts (see test_site_reached_through_site_status_endpoints); a Link is updated when its
# peer's endpoints change.
NOT_EXERCISED_HERE = {("sites", "get"), ("routeraccesses", "get"), ("links", "update")}


def role_rules():
    """{(apiGroup, resource): verbs} of the shipped Role."""
    with open(SITE_ROLE) as f:
        role = next(item for item in yaml.safe_load(f)["items"] if item["kind"] == "Role")
    rules = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                rules.setdefault((group, resource), set()).update(rule["verbs"])
    return rules


def bind_site_role(fleet, tmp_path):
    """Apply the shipped Role to every site namespace; a kubeconfig whose context per site is that namespace's
    ServiceAccount skupper-tls (token from the TokenRequest API). Returns (kubeconfig, {site: context}, {site: user})."""
    users, contexts, names = {}, {}, {}
    for name, site in fleet.items():
        site.cluster.apply_manifest(SITE_ROLE, substitutions={"NAMESPACE": site.namespace})
        token = site.cluster.service_account_token(site.namespace, "skupper-tls")
        contexts[name] = "%s-limited" % name
        users[contexts[name]] = (site.cluster, token, site.namespace)
        names[name] = "system:serviceaccount:%s:skupper-tls" % site.namespace
    kubeconfig = write_kubeconfig(str(tmp_path / "kubeconfig-limited"), [], users=users)
    return kubeconfig, contexts, names


def limited_requests(fleet, marks, users):
    return [r for c in fleet.clusters for r in c.requests(marks[c.name], user=tuple(users.values()))]


def test_site_verify_rotate_with_only_the_shipped_role(playbook, real_fleet, tmp_path):
    fleet = real_fleet(SITES)
    kubeconfig, contexts, users = bind_site_role(fleet, tmp_path)
    inv = write_inventory(tmp_path, mesh_hosts(fleet, full=True, connection=lambda s: {"kubeconfig": kubeconfig, "context": contexts[s.name]}))
    marks = fleet.mark()
    assert playbook(SITE, inventory=inv).changed() > 0
    verified(playbook, inv)
    for phase in ("prepare", "activate", "finalize"):
        playbook(ROTATE, inventory=inv, extravars={"rotate_phase": phase})
    assert handshake_matrix(fleet, [(a, b) for a in SITES for b in SITES if a != b]) == []

    seen = limited_requests(fleet, marks, users)
    assert seen and all(r[4] != 403 for r in seen), [r for r in seen if r[4] == 403]
    # every request was made by the site's own identity in its own namespace
    for name, site in fleet.items():
        assert {r[2] for r in seen if r[5] == users[name]} == {site.namespace}
    # and the Role is no wider than what the runs used, apart from NOT_EXERCISED_HERE
    used = set((r[1], r[0]) for r in seen)
    granted = set((resource, verb) for (_group, resource), verbs in role_rules().items() for verb in verbs)
    assert used <= granted
    assert granted - used == NOT_EXERCISED_HERE, sorted(used)


@pytest.mark.parametrize("answer", [403, 401])
def test_refusal_names_verb_resource_namespace_and_cluster(playbook, real_fleet, tmp_path, answer):
    fleet = real_fleet(["west"])
    site = fleet["west"]
    # 403: the tokens.csv user "limited" exists but is bound to nothing; 401: a token the server does not know
    token = site.cluster.limited_token if answer == 403 else "not-a-token-" + site.namespace
    kubeconfig = write_kubeconfig(str(tmp_path / "kubeconfig-none"), [], users={"nobody": (site.cluster, token, site.namespace)})
    inv = write_inventory(tmp_path, mesh_hosts(fleet, connection=lambda s: {"kubeconfig": kubeconfig, "context": "nobody"}))
    run = playbook(SITE, inventory=inv, expect_rc=2)
    failed = [r for r in run.records if r["status"] == "failed"]
    assert failed, repr(run)
    message = failed[0]["result"].get("msg", "")
    assert str(answer) in message or ("forbidden" if answer == 403 else "unauthorized") in message.lower(), message
    assert "get" in message or "read" in message, message
    assert "secret" in message.lower(), message
    assert site.namespace in message, message
    assert site.cluster.url in message or "nobody" in message, message
    assert site.cluster.token not in run.stdout + run.stderr and token not in run.stdout + run.stderr


def test_peer_ca_reader_grants_only_the_peer_ca(real_fleet):
    fleet = real_fleet(["west", "east"], clusters=1)
    west, east = fleet["west"], fleet["east"]
    cluster = west.cluster
    for site in (west, east):
        cluster.apply_manifest(SITE_ROLE, substitutions={"NAMESPACE": site.namespace})
        cluster.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "skupper-site-ca", "namespace": site.namespace},
                     "stringData": {"ca.crt": "x"}})
        cluster.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "skupper-site-server", "namespace": site.namespace},
                     "stringData": {"ca.crt": "x"}})
    token = cluster.service_account_token(west.namespace, "skupper-tls")

    def can_get(kind, site, name):
        return cluster.request("GET", cluster.path_of(kind, site.namespace, name), token=token)[0]
    assert can_get("Secret", west, "skupper-site-server") == 200
    assert can_get("Secret", east, "skupper-site-ca") == 403
    cluster.apply_manifest(PEER_CA_READER, substitutions={"NAMESPACE": east.namespace, "PEER_NAMESPACE": west.namespace})
    assert can_get("Secret", east, "skupper-site-ca") == 200
    assert can_get("Site", east, "east") == 404  # allowed; there is none
    assert can_get("Secret", east, "skupper-site-server") == 403
    assert can_get("Link", east, "link-west") == 403


def status_only_fleet(playbook, real_fleet, tmp_path):
    """west links to north, with limited tokens; north has no skupper_external_hosts and publishes its endpoints
    only in its Site status (set as admin through the status subresource, as the Skupper controller would)."""
    fleet = real_fleet(["west", "north"])
    kubeconfig, contexts, users = bind_site_role(fleet, tmp_path)
    hosts = mesh_hosts(fleet, connection=lambda s: {"kubeconfig": kubeconfig, "context": contexts[s.name]})
    del hosts["north"]["skupper_external_hosts"]
    north = fleet["north"]
    north.cluster.put({"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "north", "namespace": north.namespace},
                       "spec": {}, "status": {"endpoints": [{"name": "inter-router", "host": "north.status.example.com", "port": "55671",
                                                             "group": "skupper-router"},
                                                            {"name": "edge", "host": "north.status.example.com", "port": "45671",
                                                             "group": "skupper-router"}]}})
    inv = write_inventory(tmp_path, hosts)
    marks = fleet.mark()
    playbook(SITE, inventory=inv)
    return fleet, inv, marks, users


def test_site_reached_through_site_status_endpoints(playbook, real_fleet, tmp_path):
    fleet, _inv, marks, users = status_only_fleet(playbook, real_fleet, tmp_path)
    link = fleet["west"].get("Link", "link-north")
    assert {ep["host"] for ep in link["spec"]["endpoints"]} == {"north.status.example.com"}, link["spec"]
    seen = limited_requests(fleet, marks, users)
    assert any(r[1] == "sites" and r[0] == "get" and r[2] == fleet["north"].namespace and r[4] == 200 for r in seen), seen
    assert all(r[4] != 403 for r in seen)


STATUS_SANS_BUG = ("plugins: skupper-site-server of a site without skupper_external_hosts gets SANs skupper-router and "
                   "skupper-router.<ns> only, not the host of its Site status.endpoints, so the TLS handshake of every link "
                   "to it fails host name verification")


class HandshakeFailed(AssertionError):
    """Raised only by the verify step, so that nothing else can make the xfail below pass as expected."""


@pytest.mark.xfail(strict=True, raises=HandshakeFailed, reason=STATUS_SANS_BUG)
def test_links_to_a_site_reached_through_site_status_verify(playbook, real_fleet, tmp_path):
    fleet, inv, _marks, _users = status_only_fleet(playbook, real_fleet, tmp_path)
    run = playbook(VERIFY, inventory=inv, expect_rc=None)
    found = handshakes(run)
    assert found
    failed = [h for h in found if not h["ok"]]
    if failed or run.rc != 0:
        assert all(h["host"] == "north.status.example.com" and "mismatch" in (h["error"] or "").lower() for h in failed), failed
        raise HandshakeFailed(failed)
    assert handshake_matrix(fleet, [("west", "north")]) == []
