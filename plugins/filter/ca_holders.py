# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ca_holders
short_description: List every Secret that trusts, or is signed by, one site's CA
version_added: 1.0.0
author:
  - skupper.tls contributors (@skupper-tls)
description:
  - For the V(site) CA of a host, its C(skupper-site-server) and, on every other site of the play, the credential of each link to that host.
  - For the V(local) CA, C(skupper-local-server) (and C(skupper-local-client) for Skupper v1).
  - For the V(service) CA, C(skupper-service-client) and every C(skupper-tls-<service>); in shared mode on every site, plus the other sites'
    copies of the service CA.
  - Each entry carries the connection options of the site that holds it, ready for M(skupper.tls.skupper_trust_info).
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  host:
    description: The inventory host whose CA it is.
    type: str
    required: true
  ca:
    description: Which CA.
    type: str
    choices: [site, local, service]
    required: true
  play_hosts:
    description: The sites to look for holders in, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  playbook_dir:
    description: Base of the default manifest directory.
    type: str
    required: false
"""

EXAMPLES = r"""
- name: Who holds the site CA of this site
  ansible.builtin.debug:
    msg: "{{ hostvars | skupper.tls.ca_holders(inventory_hostname, 'site', ansible_play_hosts_all, playbook_dir) }}"
"""

RETURN = r"""
_value:
  description: One dict per holder Secret, with C(name), C(namespace) and the holder site's connection options.
  type: list
  elements: dict
"""

from ansible_collections.skupper.tls.plugins.plugin_utils.inventory import ca_holders


class FilterModule(object):
    def filters(self):
        return {"ca_holders": ca_holders}
