# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Skupper's own rules (layout.py, section "Skupper rules"), table-driven against the values read in Skupper's source."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import layout

# A Site status as Skupper 2.x writes it for an HA site with LoadBalancers (RouterAccess.Resolve sets group).
HA_STATUS = {"status": {"endpoints": [
    {"name": "inter-router", "host": "172.18.255.193", "port": "55671", "group": "skupper-router"},
    {"name": "edge", "host": "172.18.255.193", "port": "45671", "group": "skupper-router"},
    {"name": "inter-router", "host": "172.18.255.194", "port": "55671", "group": "skupper-router-2"},
    {"name": "edge", "host": "172.18.255.194", "port": "45671", "group": "skupper-router-2"},
    {"name": "inter-router", "host": "", "port": "55671", "group": "skupper-router"},
]}}


@pytest.mark.parametrize("status,groups,expected", [
    (HA_STATUS, None, ["172.18.255.193", "172.18.255.194"]),
    (HA_STATUS["status"], None, ["172.18.255.193", "172.18.255.194"]),
    (HA_STATUS, ["skupper-router-2"], ["172.18.255.194"]),
    ({"status": {}}, None, []),
    ({}, None, []),
    (None, None, []),
])
def test_endpoint_hosts(status, groups, expected):
    assert layout.endpoint_hosts(status, groups) == expected


def test_endpoint_hosts_bad_entry_names_field():
    with pytest.raises(layout.LayoutError, match=r"status.endpoints\[0\]"):
        layout.endpoint_hosts({"endpoints": ["1.2.3.4"]})


@pytest.mark.parametrize("hosts,version,ha,expected", [
    # v2: sorted union of endpoint hosts and <sa>, <sa>.<ns> per SecuredAccess (getHosts + CombinedHosts)
    (["west.example.com"], 2, False, ["skupper-router", "skupper-router.west", "west.example.com"]),
    (["1.2.3.4", "1.2.3.4", " b.example "], 2, False, ["1.2.3.4", "b.example", "skupper-router", "skupper-router.west"]),
    # local access type: the endpoint host is the Service name itself, no duplicate
    (["skupper-router.west"], 2, False, ["skupper-router", "skupper-router.west"]),
    # HA: the second SecuredAccess skupper-router-2 adds its names
    (["172.18.255.193", "172.18.255.194"], 2, True,
     ["172.18.255.193", "172.18.255.194", "skupper-router", "skupper-router-2", "skupper-router-2.west", "skupper-router.west"]),
    # v1: fixed names first (router_create.go), then resolved hosts in order
    (["w.example", "1.2.3.4", "w.example"], 1, False,
     ["skupper-router.west", "skupper-router.west.svc.cluster.local", "w.example", "1.2.3.4"]),
])
def test_site_server_hosts(hosts, version, ha, expected):
    assert layout.site_server_hosts("west", hosts, version, ha=ha) == expected


def test_site_server_hosts_other_router_access():
    assert layout.site_server_hosts("ns", ["h"], ha=True, router_access="ra") == ["h", "ra", "ra-2", "ra-2.ns", "ra.ns"]


@pytest.mark.parametrize("hosts", [[], None, ["", "  "]])
def test_site_server_hosts_without_endpoints_says_so(hosts):
    with pytest.raises(layout.EndpointsUnknown, match="skupper-site-server in west: no endpoint host is known"):
        layout.site_server_hosts("west", hosts)
    assert layout.site_server_hosts("west", hosts, require_endpoints=False) == ["skupper-router", "skupper-router.west"]


def test_site_server_hosts_bad_input():
    with pytest.raises(layout.LayoutError, match="namespace"):
        layout.site_server_hosts("West", ["h"])
    with pytest.raises(layout.LayoutError, match="skupper_version"):
        layout.site_server_hosts("west", ["h"], version=3)


@pytest.mark.parametrize("dns,ips,spec,exact,expected", [
    (["skupper-router", "skupper-router.w", "1.2.3.4"], ["1.2.3.4"], ["1.2.3.4", "skupper-router", "skupper-router.w"], True, ([], [])),
    # an IP counts once, whether written as DNS, IP or both
    (["skupper-router"], ["1.2.3.4"], ["1.2.3.4", "skupper-router"], True, ([], [])),
    # 2.2.0+: an extra name makes the Certificate not Ready
    (["skupper-router", "extra.example"], [], ["skupper-router"], True, ([], ["extra.example"])),
    # 2.0.0-2.1.4: superset is fine
    (["skupper-router", "extra.example"], [], ["skupper-router"], False, ([], [])),
    # empty DNS entry (GH-2277) is ignored
    ([""], [], [], True, ([], [])),
    (["skupper-router"], [], ["skupper-router", "lb.example"], True, (["lb.example"], [])),
])
def test_skupper_hosts_correct(dns, ips, spec, exact, expected):
    assert layout.skupper_hosts_correct(dns, ips, spec, exact) == expected


@pytest.mark.parametrize("pattern,host,ok", [
    ("west.example.com", "WEST.example.com", True),
    ("*.example.com", "west.example.com", True),
    ("*.example.com", "a.west.example.com", False),
    ("w*.example.com", "west.example.com", True),
    ("w*t.example.com", "wt.example.com", True),
    ("w*x.example.com", "west.example.com", False),
    ("ab*ba.example", "aba.example", True),          # Proton checks prefix and suffix independently
    ("*", "west", True),
    ("*", "west.example", False),
    ("1.2.3.4", "1.2.3.4", True),
    ("", "x", False),
])
def test_proton_name_matches(pattern, host, ok):
    assert layout.proton_name_matches(pattern, host) is ok


@pytest.mark.parametrize("sans,cn,host,ok", [
    (["DNS:skupper-router", "DNS:1.2.3.4", "IP:1.2.3.4"], "skupper-router", "1.2.3.4", True),
    # IP SANs are never read by Proton: an IP host needs DNS:<ip> (or the CN)
    (["DNS:skupper-router", "IP:1.2.3.4"], "skupper-router", "1.2.3.4", False),
    # CN fallback runs even when DNS SANs exist
    (["DNS:other"], "lb.example", "lb.example", True),
    (["DNS:"], "skupper-router", "skupper-router.west", False),
    ([], None, "x", False),
])
def test_router_verifies(sans, cn, host, ok):
    assert layout.router_verifies(sans, cn, host) is ok


def test_uncovered_hosts_names_each_missing_host_once():
    sans = ["DNS:skupper-router", "DNS:skupper-router.west"]
    assert layout.uncovered_hosts(sans, "skupper-router", ["lb.example", "skupper-router.west", "lb.example", "10.0.0.1"]) == \
        ["lb.example", "10.0.0.1"]


def test_link_dialed_hosts():
    eps = HA_STATUS["status"]["endpoints"]
    assert layout.link_dialed_hosts(eps, "inter-router") == ["172.18.255.193", "172.18.255.194"]
    assert layout.link_dialed_hosts([{"name": "edge", "host": "e"}, {"name": "inter-router", "host": "i"}], "edge") == ["e"]
    assert layout.link_dialed_hosts([{"name": "edge", "host": "e"}, {"name": "inter-router", "host": "i"}]) == ["e", "i"]


@pytest.mark.parametrize("ha,expected", [
    (False, ["skupper-router"]),
    (True, ["skupper-router", "skupper-router-2"]),
])
def test_router_groups(ha, expected):
    assert layout.router_groups(ha) == expected
    assert layout.secured_access_names(ha) == expected


@pytest.mark.parametrize("link,secret,ha,words", [
    ("skupper-router", "link-east", True, ["HA inter-group"]),
    ("skupper-router-2", "link-east", True, ["HA inter-group"]),
    ("skupper-router", "link-east", False, []),
    ("link-east", "skupper-site-server", True, ["Certificate Skupper creates"]),
    ("link-east", "link-east-profile", True, ["ends in -profile"]),
    ("link-east", "link-east", True, []),
])
def test_link_name_problems(link, secret, ha, words):
    problems = layout.link_name_problems(link, secret, ha)
    assert len(problems) == len(words) and all(w in p for w, p in zip(words, problems))


def test_certificate_deletion_risk():
    site_owned = {"metadata": {"name": "skupper-site-ca", "namespace": "w", "ownerReferences": [{"kind": "Site", "name": "west"}]}}
    orphan = {"metadata": {"name": "link-west", "namespace": "w"}}
    assert "when Site/west is deleted" in layout.certificate_deletion_risk("skupper-site-ca", [site_owned, orphan])
    assert "no owner" in layout.certificate_deletion_risk("link-west", [site_owned, orphan])
    assert layout.certificate_deletion_risk("link-east", [site_owned, orphan]) is None
    assert layout.certificate_deletion_risk("x", None) is None


def test_v1_connect_json_is_byte_exact():
    # pkg/utils/configs/config.go ConnectJson at tag 1.9.6; length 267 + len(ns); digest from the reference (section 8)
    text = layout.v1_connect_json("west")
    assert len(text) == 271 and len(layout.v1_connect_json("a")) == 268
    assert hashlib.sha256(text).hexdigest() == "7296ea9915018b663de66cfb347d22238227c61ad2b21fd2de553fccb7b6a0a1"
    assert text.startswith(b'\n{\n    "scheme": "amqps",\n    "host": "skupper-router-local.west.svc.cluster.local",\n    "port": "5671",')
    assert text.endswith(b'"verify": true\n    }\n}\n') and b"\r" not in text and b"\t" not in text
    with pytest.raises(layout.LayoutError, match="namespace"):
        layout.v1_connect_json("a.b")


EPS = [{"name": "inter-router", "host": "east.example", "port": 55671}, {"name": "edge", "host": "east.example", "port": "45671"}]


def test_v1_token_metadata():
    labels, annotations = layout.v1_token_metadata("uid-east", "1.9.6", EPS, cost=2)
    assert labels == {"skupper.io/type": "connection-token"}
    assert annotations == {"skupper.io/generated-by": "uid-east", "skupper.io/site-version": "1.9.6",
                           "inter-router-host": "east.example", "inter-router-port": "55671",
                           "edge-host": "east.example", "edge-port": "45671", "skupper.io/cost": "2"}


@pytest.mark.parametrize("site_id,version,eps,words", [
    ("", "1.9.6", EPS, "A secret has no author"),
    ("uid", "", EPS, "undefined version"),
    ("uid", "1.9.6", EPS[:1], "needs an edge endpoint"),
])
def test_v1_token_metadata_refuses(site_id, version, eps, words):
    with pytest.raises(layout.LayoutError, match=words):
        layout.v1_token_metadata(site_id, version, eps)


def _token(name, annotations, labels=None, keys=("tls.crt", "tls.key", "ca.crt")):
    return {"metadata": {"name": name, "labels": {"skupper.io/type": "connection-token"} if labels is None else labels,
                         "annotations": annotations},
            "data": dict((k, base64.b64encode(b"x").decode()) for k in keys)}


GOOD = {"skupper.io/generated-by": "uid-east", "skupper.io/site-version": "1.9.6"}


@pytest.mark.parametrize("token,others,words", [
    (_token("link-east", GOOD), [], []),
    (_token("link-east", GOOD, labels={}), [], []),                                   # type deduced from tls.crt
    (_token("link-east", GOOD, keys=("tls.crt", "ca.crt")), [], ["Expected tls.key"]),
    (_token("link-east", None), [], ["has not annotations"]),
    (_token("link-east", {"skupper.io/site-version": "1.9.6"}), [], ["secret origin"]),
    (_token("link-east", dict(GOOD, **{"skupper.io/generated-by": "uid-west"})), [], ["to self"]),
    (_token("link-east", GOOD), [_token("link1", {"skupper.io/site-version": "1.9.6"})], ["has no author"]),
    (_token("link-east", GOOD), [_token("link1", GOOD)], ["Already connected"]),
    (_token("link-east", GOOD), [_token("link-east", GOOD)], []),                     # itself (re-run)
    (_token("link-east", {"skupper.io/generated-by": "uid-east"}), [], ["undefined"]),
    (_token("link-east", dict(GOOD, **{"skupper.io/site-version": "0.7.5"})), [], ["minimum version required 0.8.0"]),
    (_token("link-east", dict(GOOD, **{"skupper.io/site-version": "unknown"})), [], []),  # unparseable passes (IsUndefined)
])
def test_v1_token_problems(token, others, words):
    problems = layout.v1_token_problems(token, "uid-west", others)
    assert len(problems) == len(words), problems
    assert all(w in p for w, p in zip(words, problems))


@pytest.mark.parametrize("name,problem", [
    ("skupper-tls-db", True),
    ("skupper-service-tls-db", False),
    ("db-cert", False),
])
def test_v1_service_names(name, problem):
    assert (layout.v1_service_name_problem(name) is not None) is problem
    if problem:
        assert "skupper-service-tls-db" in layout.v1_service_name_problem(name)


def test_v1_service_secret_name():
    assert layout.v1_service_secret_name("db") == "skupper-service-tls-db"
    assert layout.v1_service_name_problem(layout.v1_service_secret_name("db")) is None
    with pytest.raises(layout.LayoutError, match="service name"):
        layout.v1_service_secret_name("Bad Name")
