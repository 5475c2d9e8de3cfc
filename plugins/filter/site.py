# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: site
short_description: Normalize one inventory host's Skupper site variables
version_added: 1.0.0
author:
  - skupper.tls contributors (@skupper-tls)
description:
  - Reads the C(skupper_*) variables of one inventory host (one Skupper site), applies the defaults of the
    inventory model (docs/INVENTORY.md), and returns everything the roles need, so that roles hold no logic.
  - Raises a clear error naming the host and the variable when one is malformed.
options:
  _input:
    description: The host's variables, for example C(hostvars[inventory_hostname]) or C(hostvars[peer]).
    type: dict
    required: true
  playbook_dir:
    description: Base for the default C(skupper_output_dir) (C(<playbook_dir>/manifests)).
    type: str
    required: false
"""

EXAMPLES = r"""
- name: What the roles see of this site
  ansible.builtin.debug:
    msg: "{{ hostvars[inventory_hostname] | skupper.tls.site(playbook_dir) }}"
"""

RETURN = r"""
_value:
  description: >-
    The site: C(host), C(name), C(namespace), C(version), C(target), C(connection) (the modules' connection options),
    C(external_hosts), C(endpoints), C(server_hosts), C(local_server_hosts), C(links), C(services), C(service_tls_mode),
    C(certificate_options) and C(connect_json).
  type: dict
"""

from ansible_collections.skupper.tls.plugins.plugin_utils.inventory import site


class FilterModule(object):
    def filters(self):
        return {"site": site}
