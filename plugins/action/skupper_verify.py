# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper.tls.skupper_verify in the controller (see plugin_utils/controller.py); the module file holds its documentation."""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.modules import skupper_verify
from ansible_collections.skupper.tls.plugins.plugin_utils.controller import ControllerAction


class ActionModule(ControllerAction):
    argument_spec = staticmethod(skupper_verify.argument_spec)
    rules = {}
    operation = staticmethod(skupper_verify.execute)
