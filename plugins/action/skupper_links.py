# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper.tls.skupper_links in the controller (see plugin_utils/controller.py); the module file holds its documentation.

With ``inventory_host`` the options come from that host's and its peers' ``skupper_*`` variables (evaluated once here).
"""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import args, ops
from ansible_collections.skupper.tls.plugins.plugin_utils import inventory
from ansible_collections.skupper.tls.plugins.plugin_utils.controller import ControllerAction


class ActionModule(ControllerAction):
    argument_spec = staticmethod(args.links_argument_spec)
    rules = args.LINKS_RULES
    operation = staticmethod(ops.ensure_links)

    def task_args(self, task_vars):
        given = dict(self._task.args)
        host = given.pop("inventory_host", None)
        if not host:
            return self._task.args
        return inventory.links_task_from_vars(task_vars, host, given)
