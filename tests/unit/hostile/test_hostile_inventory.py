# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile inventory variables against the ``site``, ``site_task`` and ``links_task`` filters.

Each case: the filter raises AnsibleFilterError naming the host and the variable; nothing is coerced silently (a
0 is not replaced by a default, a string is not stripped); a site name can never leave ``skupper_output_dir``.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.skupper.tls.plugins.plugin_utils.inventory import links_task_of, site, site_task_of

FULLWIDTH = "\uff15\uff15\uff16\uff17\uff11"


def west(**kw):
    base = {"inventory_hostname": "west", "skupper_external_hosts": ["west.example.com"], "skupper_links": [{"to": "east"}]}
    base.update(kw)
    return base


CASES = [
    ("skupper_site_name", "../west", "skupper_site_name"),
    ("skupper_site_name", "west/../../etc", "skupper_site_name"),
    ("skupper_site_name", "west\n", "skupper_site_name"),
    ("skupper_site_name", "..", "skupper_site_name"),
    ("skupper_site_name", "West", "skupper_site_name"),
    ("skupper_site_name", "w" * 60, "skupper_site_name"),
    ("skupper_site_name", 7, "skupper_site_name"),
    ("skupper_namespace", "west\n", "skupper_namespace"),
    ("skupper_namespace", "a.b", "skupper_namespace"),
    ("skupper_namespace", "../ns", "skupper_namespace"),
    ("skupper_version", "two", "skupper_version"),
    ("skupper_version", 3, "skupper_version"),
    ("skupper_version", True, "skupper_version"),
    ("skupper_version", 2.0, "skupper_version"),
    ("skupper_version", "\u0662", "skupper_version"),
    ("skupper_target", "s3", "skupper_target"),
    ("skupper_output_dir", "/out\n", "skupper_output_dir"),
    ("skupper_output_dir", 5, "skupper_output_dir"),
    ("skupper_cluster", "ctx", "skupper_cluster"),
    ("skupper_ha", "yes", "skupper_ha"),
    ("skupper_external_hosts", ["west.example.com\n"], "skupper_external_hosts[0]"),
    ("skupper_external_hosts", ["ok.example", " west.example.com"], "skupper_external_hosts[1]"),
    ("skupper_external_hosts", ["foo\n.example.com"], "skupper_external_hosts[0]"),
    ("skupper_external_hosts", ["*.example.com"], "skupper_external_hosts[0]"),
    ("skupper_external_hosts", [5], "skupper_external_hosts[0]"),
    ("skupper_external_hosts", "west.example.com", "skupper_external_hosts"),
    ("skupper_endpoints", [{"host": "a\n"}], "skupper_endpoints[0].host"),
    ("skupper_endpoints", [{"host": "a.example", "port": FULLWIDTH}], "skupper_endpoints[0].port"),
    ("skupper_endpoints", [{"host": "a.example", "port": "0"}], "skupper_endpoints[0].port"),
    ("skupper_endpoints", [{"host": "a.example", "port": 70000}], "skupper_endpoints[0].port"),
    ("skupper_endpoints", [{"host": "a.example", "port": True}], "skupper_endpoints[0].port"),
    ("skupper_endpoints", [{"host": "a.example", "name": "claims"}], "skupper_endpoints[0].name"),
    ("skupper_endpoints", [{"host": "a.example", "group": "G"}], "skupper_endpoints[0].group"),
    ("skupper_endpoints", [{"name": "edge"}], "skupper_endpoints[0]"),
    ("skupper_links", [{"to": "east", "cost": 0}], "skupper_links[0].cost"),
    ("skupper_links", [{"to": "east", "cost": "1.5"}], "skupper_links[0].cost"),
    ("skupper_links", [{"to": "east", "cost": 2 ** 40}], "skupper_links[0].cost"),
    ("skupper_links", [{"to": "east\n"}], "skupper_links[0].to"),
    ("skupper_links", [{"cost": 1}], "skupper_links[0]"),
    ("skupper_services", [{"name": "../db"}], "skupper_services[0].name"),
    ("skupper_services", [{"name": "db\n"}], "skupper_services[0].name"),
    ("skupper_services", [{"name": "db", "hosts": ["db\n.example"]}], "skupper_services[0].hosts[0]"),
    ("skupper_services", [{"name": "db", "hosts": "db"}], "skupper_services[0].hosts"),
    ("skupper_service_tls_mode", "global", "skupper_service_tls_mode"),
    ("skupper_tls_key_type", "dsa", "skupper_tls_key_type"),
    ("skupper_tls_key_size", 1024, "skupper_tls_key_size"),
    ("skupper_tls_key_size", "big", "skupper_tls_key_size"),
    ("skupper_tls_validity_days", 0, "skupper_tls_validity_days"),
    ("skupper_tls_validity_days", -1, "skupper_tls_validity_days"),
    ("skupper_tls_validity_days", 10 ** 9, "skupper_tls_validity_days"),
    ("skupper_tls_validity_days", "365d", "skupper_tls_validity_days"),
    ("skupper_tls_validity_days", 365.5, "skupper_tls_validity_days"),
    ("skupper_tls_renew_before_days", -1, "skupper_tls_renew_before_days"),
    ("skupper_tls_renew_before_days", 2000, "skupper_tls_renew_before_days"),
    ("skupper_tls_renew_before_days", 10 ** 12, "skupper_tls_renew_before_days"),
]


@pytest.mark.parametrize("var, value, field", CASES, ids=["%s=%r" % (c[0], c[1]) for c in CASES])
def test_bad_variable_is_named(var, value, field):
    with pytest.raises(AnsibleFilterError) as err:
        site(west(**{var: value}), "/pb")
    message = str(err.value)
    assert message.startswith("skupper.tls.site: host west: "), message
    assert field in message, message


@pytest.mark.parametrize("name", ["../west", "west/..", ".west", "a/b"])
def test_site_name_never_escapes_the_output_dir(name):
    with pytest.raises(AnsibleFilterError):
        site(west(skupper_site_name=name, skupper_target="directory", skupper_output_dir="/out"))


def test_defaults_apply_only_when_unset():
    """Nothing is coerced: absent means the default, any given value is checked as given."""
    one = site(west(), "/pb")
    assert one["certificate_options"] == {"skupper_version": 2, "key_type": "rsa", "validity_days": 1825, "renew_before_days": 30}
    # ASCII digit strings (INI inventories) are the documented parsed form
    two = site(west(skupper_tls_validity_days="365", skupper_tls_renew_before_days="10", skupper_version="2"), "/pb")
    assert two["certificate_options"]["validity_days"] == 365 and two["version"] == 2
    # a host is written exactly as given
    assert site(west(skupper_external_hosts=["West.Example.com"]))["external_hosts"] == ["West.Example.com"]


def test_site_task_and_links_task_name_the_host():
    hostvars = {"west": west(), "east": {"inventory_hostname": "east", "skupper_external_hosts": ["east\n.example"]}}
    with pytest.raises(AnsibleFilterError, match=r"host east: skupper_external_hosts\[0\]"):
        links_task_of(hostvars, "west")
    with pytest.raises(AnsibleFilterError, match=r"host east: skupper_external_hosts\[0\]"):
        site_task_of(hostvars, "east")
    with pytest.raises(AnsibleFilterError, match="skupper_links names 'north'"):
        links_task_of({"west": west(skupper_links=[{"to": "north"}])}, "west")
