# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one task shares, whether it runs as a module process or inside the controller (action plugin).

A ``Runtime`` wraps the module object (``AnsibleModule``, or the controller's stand-in from
``plugin_utils/controller.py``): check mode, warnings, the values to scrub from results, the environment that
``K8S_AUTH_*`` come from, and one store per cluster or directory for the whole task (the client pool: no second
API client for the same cluster, as kubernetes.core's ``module_utils/k8s/client.py``).

``run(module, operation)`` is the one boundary where our exceptions become ``fail_json``.
"""

from __future__ import annotations

import json
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.skupper.tls.plugins.module_utils import args, engine, pki, validate
from ansible_collections.skupper.tls.plugins.module_utils.store import DirectoryStore, StoreError


class Runtime(object):
    """Check mode, warnings, environment and the store pool of one task."""

    def __init__(self, module, env=None):
        self.module = module
        self.check_mode = bool(module.check_mode)
        self.env = env if env is not None else getattr(module, "environment", None)
        self._stores = {}

    def warn(self, message):
        self.module.warn(message)

    def store(self, params, prefix="", use_env=True):
        """The Store that ``params`` (target, directory and the auth options) select; one per cluster per task.

        ``prefix`` goes before option names in messages (``"remote."``); ``use_env=False`` ignores K8S_AUTH_*
        (they describe the main cluster only). Raises StoreError.
        """
        target = params.get("target") or "kubernetes"
        if target not in args.TARGETS:
            raise StoreError("%starget must be one of %s, got %r" % (prefix, ", ".join(args.TARGETS), target))
        if target == "directory":
            if not params.get("directory"):
                raise StoreError("%sdirectory is required when %starget=directory" % (prefix, prefix))
            key = ("directory", os.path.abspath(params["directory"]))
            if key not in self._stores:
                self._stores[key] = DirectoryStore(params["directory"], check_mode=self.check_mode)
            return self._stores[key]
        # Imported here so that directory mode never pays for loading the kubernetes client.
        from ansible_collections.skupper.tls.plugins.module_utils import kube

        self.module.no_log_values.update(kube.sensitive_values(params))
        if not kube.HAS_KUBERNETES:
            raise MissingLibrary("kubernetes", kube.KUBERNETES_IMPORT_ERROR)
        auth = kube.validate_auth(kube.resolve_auth(params, use_env=use_env, env=self.env), prefix)
        key = ("kubernetes", json.dumps(auth, sort_keys=True, default=str))
        if key not in self._stores:
            self._stores[key] = kube.KubeStore.from_params(params, auth=auth)
        return self._stores[key]

    def add_store(self, key, store):
        """Keep a store opened elsewhere (a ``dest`` file) so its repairs and warnings are reported with the task's."""
        self._stores[key] = store
        return store

    def report(self, result):
        """Add what the stores repaired on the way (file modes, stale temporary files) and their warnings to ``result``.

        A repair is a change: a 0644 key file made 0600 makes the task ``changed`` even when no Secret changed."""
        repairs = [r for store in self._stores.values() for r in getattr(store, "repairs", [])]
        for store in self._stores.values():
            for warning in getattr(store, "warnings", []):
                self.warn(warning)
        if repairs:
            result["repairs"] = repairs
            result["changed"] = True
        return result

    def for_side(self, side):
        """The runtime for an operation run against ``side`` (another site's connection options): the same pool and
        module, but when the side sets connection options of its own, K8S_AUTH_* no longer fill in the others."""
        if not args.own_connection(side):
            return self
        child = Runtime(self.module, env={})
        child._stores = self._stores
        return child

    def side_store(self, params, side, prefix):
        """The store of a nested dict (``remote``, ``ca_cluster``, ``copy_from``): its own connection options if it
        sets any, else the task's own connection (K8S_AUTH_* included), so "same cluster" needs no repetition."""
        if args.own_connection(side):
            return self.store(side, prefix=prefix, use_env=False)
        return self.store(params)


class SkupperModule(AnsibleModule):
    """``AnsibleModule`` that knows every secret of its arguments before it logs or reports anything.

    ``AnsibleModule`` writes the invocation to syslog/journald when it starts and puts it in every failure, removing
    only the values of ``no_log`` options. A kubeconfig given as a dict is not ``no_log`` (a path must stay readable
    in messages), so its credentials (``validate.kubeconfig_secrets``) are added to ``no_log_values`` as soon as the
    parameters are loaded: before validation can fail and before the invocation is logged.
    """

    def _load_params(self):
        super(SkupperModule, self)._load_params()
        self.no_log_values.update(validate.argument_secrets(self.params))

    def _log_invocation(self):
        # A nested option's value is logged as part of its parent dict's str(), where a secret with a newline or a
        # quote appears escaped ('tok\n') and no longer matches the raw no_log value: add the escaped spellings.
        self.no_log_values.update(validate.escaped_forms(self.no_log_values))
        super(SkupperModule, self)._log_invocation()


class MissingLibrary(Exception):
    def __init__(self, name, trace):
        super(MissingLibrary, self).__init__(name)
        self.name = name
        self.trace = trace


def run(module, operation, env=None):
    """Call ``operation(runtime, module.params)`` and exit the module with its result.

    The one boundary where exceptions become ``fail_json``: bad input (every ``validate.ValidationError``, which
    ``PkiError`` and ``LayoutError`` are) as ``Invalid input: <field>: ... Nothing was written.``, store and engine
    errors with their message, anything else as an unexpected error. Every message and traceback is scrubbed of PEM
    blocks and long base64 runs (``validate.scrub``) before it leaves; ``no_log`` values are removed by the module.
    """
    if not pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=pki.CRYPTOGRAPHY_IMPORT_ERROR)
    runtime = Runtime(module, env=env)
    failure = None
    try:
        result = operation(runtime, module.params)
    except MissingLibrary as exc:
        failure = dict(msg=missing_required_lib(exc.name), exception=exc.trace)
    except validate.ValidationError as exc:
        failure = dict(msg="Invalid input: %s. Nothing was written." % validate.scrub(str(exc)), changed=False)
    except engine.EngineError as exc:
        failure = dict({"changed": False}, **exc.result)
        failure["msg"] = validate.scrub(str(exc))
    except StoreError as exc:
        failure = dict(msg=validate.scrub(str(exc)), changed=False)
    except Exception as exc:  # pylint: disable=broad-except
        # A bug or a library's surprise: a failed result naming it, never a raw traceback with input in it.
        failure = dict(msg="MODULE FAILURE: unexpected error: %s: %s" % (type(exc).__name__, validate.scrub(str(exc))),
                       exception=validate.scrub(traceback.format_exc()))
    if failure is not None:
        module.fail_json(**failure)
    runtime.report(result)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
