# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: site_task
short_description: The skupper_site options of one inventory host
version_added: 1.1.0
author:
  - skupper.tls contributors (@skupper-tls)
description:
  - Applies the inventory model (the M(skupper.tls.skupper_site) options from the host's C(skupper_*) variables, see docs/INVENTORY.md)
    once, so a role passes all of a site's options to one task with a single template.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  host:
    description: The inventory host (site).
    type: str
    required: true
  parts:
    description: Which groups of Secrets (V(site), V(local), V(service)); all when omitted.
    type: list
    elements: str
  source_host:
    description: In shared service TLS mode, the host whose service CA and certificates every other site copies.
    type: str
  playbook_dir:
    description: Base for the default C(skupper_output_dir).
    type: str
"""

EXAMPLES = r"""
- name: Everything this site owns, in one task
  skupper.tls.skupper_site: "{{ hostvars | skupper.tls.site_task(inventory_hostname, None, ansible_play_hosts_all | first, playbook_dir) }}"
"""

RETURN = r"""
_value:
  description: The options of M(skupper.tls.skupper_site).
  type: dict
"""

from ansible_collections.skupper.tls.plugins.plugin_utils.inventory import site_task_of


class FilterModule(object):
    def filters(self):
        return {"site_task": site_task_of}
