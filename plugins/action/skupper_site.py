# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper.tls.skupper_site in the controller (see plugin_utils/controller.py); the module file holds its documentation.

With ``inventory_host`` the options come from that host's ``skupper_*`` variables (the inventory model, evaluated
once here), so a role passes one option instead of templating thirty.
"""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import args, ops
from ansible_collections.skupper.tls.plugins.plugin_utils import inventory
from ansible_collections.skupper.tls.plugins.plugin_utils.controller import ControllerAction


class ActionModule(ControllerAction):
    argument_spec = staticmethod(args.site_argument_spec)
    rules = args.SITE_RULES
    operation = staticmethod(ops.ensure_site)

    def task_args(self, task_vars):
        given = dict(self._task.args)
        host = given.pop("inventory_host", None)
        source = given.pop("service_source_host", None)
        if not host:
            return self._task.args
        return inventory.site_task_from_vars(task_vars, host, given, source)
