# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper.tls.skupper_ca in the controller (see plugin_utils/controller.py); the module file holds its documentation."""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import args, ops
from ansible_collections.skupper.tls.plugins.plugin_utils.controller import ControllerAction


class ActionModule(ControllerAction):
    argument_spec = staticmethod(args.ca_argument_spec)
    rules = args.CA_RULES
    operation = staticmethod(ops.ensure_ca)
