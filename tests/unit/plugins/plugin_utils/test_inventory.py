# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory model: defaults, Skupper's names and SANs per version, CA holders."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.skupper.tls.plugins.plugin_utils.inventory import ca_holders, site


def hostvars():
    return {
        "west": {"inventory_hostname": "west", "skupper_external_hosts": ["west.example.com", "203.0.113.7"],
                 "skupper_links": [{"to": "east"}, {"to": "north", "cost": 3}], "skupper_cluster": {"context": "w"},
                 "skupper_services": [{"name": "db"}], "skupper_service_tls_mode": "shared"},
        "east": {"inventory_hostname": "east", "skupper_namespace": "e-ns", "skupper_links": [{"to": "west"}], "skupper_cluster": {"context": "e"},
                 "skupper_service_tls_mode": "shared"},
        "north": {"inventory_hostname": "north", "skupper_version": 1, "skupper_target": "directory", "skupper_output_dir": "/out"},
    }


def test_v2_defaults_and_sans():
    west = site(hostvars()["west"])
    assert (west["name"], west["namespace"], west["version"], west["connection"]) == ("west", "west", 2, {"context": "w"})
    # Skupper's Certificate spec.hosts: the sorted union (2.2.0+ demands exactly this set)
    assert west["server_hosts"] == ["203.0.113.7", "skupper-router", "skupper-router.west", "west.example.com"]
    assert (west["server_hosts_from"], west["ha"], west["router_groups"]) == ("inventory", False, ["skupper-router"])
    assert west["local_server_hosts"] == ["skupper-router-local", "skupper-router-local.west", "skupper-router-local.west.svc.cluster.local"]
    assert west["endpoints"] == [{"name": "inter-router", "host": "west.example.com", "port": "55671", "group": "skupper-router"},
                                 {"name": "edge", "host": "west.example.com", "port": "45671", "group": "skupper-router"}]
    assert west["links"] == [{"to": "east", "cost": 1}, {"to": "north", "cost": 3}]
    assert west["services"] == [{"name": "db", "secret": "skupper-tls-db", "hosts": ["db"]}]


def test_v1_directory_site():
    north = site(hostvars()["north"], "/pb")
    assert north["connection"] == {"target": "directory", "directory": "/out/north"}
    # no host peers dial is known: no server SANs from the inventory, the action must read the Site status
    assert (north["server_hosts"], north["server_hosts_from"]) == (None, "site_status")
    assert north["endpoints"] == []
    assert json.loads(north["connect_json"])["host"] == "skupper-router-local.north.svc.cluster.local"
    assert north["connect_json"].startswith('\n{\n    "scheme": "amqps",\n') and north["connect_json"].endswith("    }\n}\n")
    assert [s["secret"] for s in site(dict(hostvars()["north"], skupper_services=[{"name": "db"}]))["services"]] == ["skupper-service-tls-db"]


def test_v1_sans_with_external_hosts():
    north = site(dict(hostvars()["north"], skupper_external_hosts=["n.example.com"]))
    assert north["server_hosts"] == ["skupper-router.north", "skupper-router.north.svc.cluster.local", "n.example.com"]


def test_ha_site_server_names_and_endpoints():
    eps = [{"name": "inter-router", "host": "10.0.0.1", "port": 55671, "group": "skupper-router"},
           {"name": "inter-router", "host": "10.0.0.2", "port": 55671, "group": "skupper-router-2"}]
    west = site(dict(hostvars()["west"], skupper_ha=True, skupper_external_hosts=[], skupper_endpoints=eps))
    assert west["router_groups"] == ["skupper-router", "skupper-router-2"]
    assert west["server_hosts"] == ["10.0.0.1", "10.0.0.2", "skupper-router", "skupper-router-2", "skupper-router-2.west", "skupper-router.west"]
    assert west["endpoints"][1]["port"] == "55671"


@pytest.mark.parametrize("var,value,words", [
    ("skupper_version", 3, "skupper_version"),
    ("skupper_target", "s3", "skupper_target"),
    ("skupper_links", [{"cost": 1}], "skupper_links[0]"),
    ("skupper_links", "east", "must be a list"),
    ("skupper_cluster", "ctx", "skupper_cluster"),
    ("skupper_service_tls_mode", "global", "skupper_service_tls_mode"),
    ("skupper_ha", "yes", "skupper_ha"),
    ("skupper_endpoints", [{"name": "edge"}], "skupper_endpoints[0]"),
    ("skupper_namespace", "Bad_NS", "namespace"),
])
def test_bad_variables_name_host_and_variable(var, value, words):
    hv = dict(hostvars()["west"], **{var: value})
    with pytest.raises(AnsibleFilterError, match=r"host west: .*" + words.replace("[", r"\[").replace("]", r"\]")):
        site(hv)


def test_ha_needs_v2():
    with pytest.raises(AnsibleFilterError, match="host north: skupper_ha is a Skupper v2"):
        site(dict(hostvars()["north"], skupper_ha=True))


def test_ca_holders():
    hv = hostvars()
    play = ["west", "east", "north"]
    holders = ca_holders(hv, "west", "site", play)
    assert [(h["namespace"], h["name"], h.get("context")) for h in holders] == [("west", "skupper-site-server", "w"), ("e-ns", "link-west", "e")]
    service = ca_holders(hv, "west", "service", ["west", "east"])
    assert ("e-ns", "skupper-service-ca") in [(h["namespace"], h["name"]) for h in service]
    assert ("e-ns", "skupper-tls-db") in [(h["namespace"], h["name"]) for h in service]
    assert [h["name"] for h in ca_holders(hv, "north", "local", play)] == ["skupper-local-server", "skupper-local-client"]
    with pytest.raises(AnsibleFilterError, match="ca must be one of"):
        ca_holders(hv, "west", "root", play)
