# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: links_task
short_description: The skupper_links options of one inventory host
version_added: 1.1.0
author:
  - skupper.tls contributors (@skupper-tls)
description:
  - The M(skupper.tls.skupper_links) options for every link in the host's C(skupper_links), each peer read through
    its own inventory variables (connection, namespace, endpoints, site CA parameters), in one evaluation.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  host:
    description: The inventory host (site A).
    type: str
    required: true
  playbook_dir:
    description: Base for the default C(skupper_output_dir).
    type: str
"""

EXAMPLES = r"""
- name: Every link of this site, in one task
  skupper.tls.skupper_links: "{{ hostvars | skupper.tls.links_task(inventory_hostname, playbook_dir) }}"
"""

RETURN = r"""
_value:
  description: The options of M(skupper.tls.skupper_links).
  type: dict
"""

from ansible_collections.skupper.tls.plugins.plugin_utils.inventory import links_task_of


class FilterModule(object):
    def filters(self):
        return {"links_task": links_task_of}
