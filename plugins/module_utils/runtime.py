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

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.skupper.tls.plugins.module_utils import args, engine, layout, pki
from ansible_collections.skupper.tls.plugins.module_utils.store import DirectoryStore, StoreError

AUTH_KEYS = frozenset(args.auth_argument_spec()) | {"target", "directory"}


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
        auth = kube.resolve_auth(params, use_env=use_env, env=self.env)
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
        if not (side and (any(side.get(k) is not None for k in AUTH_KEYS - {"target"}) or side.get("target") == "directory")):
            return self
        child = Runtime(self.module, env={})
        child._stores = self._stores
        return child

    def side_store(self, params, side, prefix):
        """The store of a nested dict (``remote``, ``ca_cluster``, ``copy_from``): its own connection options if it
        sets any, else the task's own connection (K8S_AUTH_* included), so "same cluster" needs no repetition."""
        if side and (any(side.get(k) is not None for k in AUTH_KEYS - {"target"}) or side.get("target") == "directory"):
            return self.store(side, prefix=prefix, use_env=False)
        return self.store(params)


class MissingLibrary(Exception):
    def __init__(self, name, trace):
        super(MissingLibrary, self).__init__(name)
        self.name = name
        self.trace = trace


def run(module, operation, env=None):
    """Call ``operation(runtime, module.params)`` and exit the module with its result; known errors fail with their message."""
    if not pki.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=pki.CRYPTOGRAPHY_IMPORT_ERROR)
    runtime = Runtime(module, env=env)
    try:
        result = operation(runtime, module.params)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.trace)
    except (pki.PkiError, layout.LayoutError) as exc:
        module.fail_json(msg="Invalid input: %s. Nothing was written." % exc, changed=False)
    except engine.EngineError as exc:
        module.fail_json(msg=str(exc), **dict({"changed": False}, **exc.result))
    except StoreError as exc:
        module.fail_json(msg=str(exc), changed=False)
    runtime.report(result)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
