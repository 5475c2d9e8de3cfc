# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's operation inside the controller, with everything a module guarantees.

Each of our action plugins names an argument spec, its rules and an operation from ``module_utils/ops.py`` (the
same ones the module file uses). ``ControllerAction.run`` validates the task's arguments with Ansible's
``ArgumentSpecValidator``, runs the operation through ``runtime.run`` (the one place our errors become failures),
and returns what the module would have: check mode, diff, warnings, ``invocation``, and every value of a ``no_log``
option or a dict kubeconfig's credentials replaced by ``********`` in the result.

Why in the controller: a module is a new Python process per task and host that imports ``cryptography`` and
``kubernetes`` again (about 0.3 s of CPU before any work). The strategy loads an action plugin's class in the
main process before forking its workers (``action_loader.get(..., class_only=True)`` in the linear and free
strategies), so the imports made when this file is loaded are paid once and inherited by every worker.

When the task cannot run in the controller - a connection other than ``local`` (``delegate_to`` another host),
``become``, ``async``, or the controller's Python lacking ``kubernetes``/``cryptography`` - the action runs the
module the ordinary way, with the same arguments and the same result.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
import traceback

from ansible.errors import AnsibleError
from ansible.module_utils.basic import remove_values
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.skupper.tls.plugins.module_utils import kube, pki, runtime, validate

# Loaded here, in the controller's main process, so that forked workers inherit them (see the module docstring).
CONTROLLER_READY = pki.HAS_CRYPTOGRAPHY and kube.HAS_KUBERNETES
if kube.HAS_KUBERNETES:
    import kubernetes.client  # noqa: F401  pylint: disable=unused-import


class _Exit(Exception):
    def __init__(self, result):
        super(_Exit, self).__init__()
        self.result = result


def _plain(value):
    """Task arguments as a module process gets them (plain JSON types): the controller's are tagged subclasses
    (and vault values), which serializers such as YAML's safe dumper refuse."""
    if isinstance(value, Mapping):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool):
        return value if value is None else bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


class ControllerModule(object):
    """What our operations use of ``AnsibleModule``, for a task run inside the controller."""

    def __init__(self, action, task_args, argument_spec, rules, environment):
        self._name = action._task.action
        self.check_mode = bool(action._play_context.check_mode)
        self._diff = bool(action._play_context.diff)
        self.environment = environment
        self.no_log_values = set()
        self._warnings = []
        raw = _plain(task_args)
        self.params = raw
        # Credentials inside a dict kubeconfig are secret before any validation can fail (a failure prints the invocation).
        self.no_log_values.update(validate.argument_secrets(raw))
        result = ArgumentSpecValidator(argument_spec, **rules).validate(raw)
        self.no_log_values.update(result._no_log_values)  # pylint: disable=protected-access
        for warning in result._warnings:  # pylint: disable=protected-access
            self.warn("Both option %s and its alias %s are set." % (warning["option"], warning["alias"]))
        if result.error_messages:
            error = result.errors[0]
            msg = result.errors.msg
            if isinstance(error, UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (self._name, msg)
            self.fail_json(msg=msg)
        self.params = result.validated_parameters

    def warn(self, warning):
        self._warnings.append(warning)

    def exit_json(self, **kwargs):
        self._finish(dict(kwargs, failed=False) if "failed" not in kwargs else kwargs)

    def fail_json(self, msg, **kwargs):
        self._finish(dict(kwargs, failed=True, msg=msg))

    def _finish(self, result):
        result.setdefault("invocation", {"module_args": self.params})
        if self._warnings:
            result["warnings"] = list(result.get("warnings") or []) + self._warnings
        raise _Exit(remove_values(result, self.no_log_values))


class ControllerAction(ActionBase):
    """Base of our action plugins. Subclasses set ``argument_spec`` (a function), ``rules`` and ``operation``."""

    argument_spec = None
    rules = {}
    operation = None
    _supports_check_mode = True
    _supports_async = True  # async runs the module process (see _runs_in_controller)

    def task_args(self, task_vars):
        """The module arguments of this task; an action may complete them from the inventory (``inventory_host``)."""
        return self._task.args

    def run(self, tmp=None, task_vars=None):
        result = super(ControllerAction, self).run(tmp, task_vars)
        del tmp
        try:
            task_args = self.task_args(task_vars or {})
        except AnsibleError as exc:
            secrets = validate.argument_secrets(_plain(self._task.args))
            result.update(remove_values({"failed": True, "changed": False, "msg": "Invalid input: %s. Nothing was written." % exc}, secrets))
            return result
        if not self._runs_in_controller():
            result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                               module_args=task_args, task_vars=task_vars, wrap_async=self._task.async_val))
            return result
        environment = dict(os.environ)
        task_environment = {}
        self._compute_environment_string(task_environment)
        environment.update((str(k), str(v)) for k, v in task_environment.items())
        module = None
        try:
            module = ControllerModule(self, task_args, type(self).argument_spec(), type(self).rules, environment)
            runtime.run(module, type(self).operation)
            raise RuntimeError("the operation did not exit")
        except _Exit as done:
            result.update(done.result)
        except Exception as exc:  # pylint: disable=broad-except
            # as a module process would: a failed result, never a traceback through the strategy; secrets scrubbed
            secrets = module.no_log_values if module is not None else validate.argument_secrets(_plain(self._task.args))
            result.update(remove_values({
                "failed": True,
                "msg": "MODULE FAILURE: unexpected error in %s: %s: %s" % (self._task.action, type(exc).__name__, validate.scrub(str(exc))),
                "exception": validate.scrub(traceback.format_exc())}, secrets))
        return result

    def _runs_in_controller(self):
        if not CONTROLLER_READY or self._task.async_val or self._play_context.become:
            return False
        return getattr(self._connection, "transport", None) in ("local", "ansible.builtin.local")
