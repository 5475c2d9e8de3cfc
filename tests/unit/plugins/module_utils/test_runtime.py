# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runtime: stores from options, one store per cluster per task, the task's environment, and the failure boundary."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.skupper.tls.plugins.module_utils import engine, kube, pki, runtime
from ansible_collections.skupper.tls.plugins.module_utils.kube import KubeStore
from ansible_collections.skupper.tls.plugins.module_utils.store import DirectoryStore, ObjRef, StoreError


class Exit(Exception):
    pass


class FakeModule(object):
    def __init__(self, check_mode=False, diff=False, params=None):
        self.no_log_values = set()
        self.check_mode = check_mode
        self._diff = diff
        self.params = params or {}
        self.warnings = []
        self.exited = None

    def warn(self, message):
        self.warnings.append(message)

    def fail_json(self, **kwargs):
        self.exited = dict(kwargs, failed=True)
        raise Exit()

    def exit_json(self, **kwargs):
        self.exited = kwargs
        raise Exit()


def test_store_directory(tmp_path):
    rt = runtime.Runtime(FakeModule())
    store = rt.store({"target": "directory", "directory": str(tmp_path)})
    assert isinstance(store, DirectoryStore) and store.description == "directory %s" % tmp_path
    assert rt.store({"target": "directory", "directory": str(tmp_path)}) is store
    with pytest.raises(StoreError, match=r"^remote\.directory is required when remote\.target=directory$"):
        rt.store({"target": "directory"}, prefix="remote.")
    with pytest.raises(StoreError, match="target must be one of kubernetes, directory"):
        rt.store({"target": "ftp"})


def test_store_kubernetes_pool_env_and_secrets(kube_cluster, monkeypatch):
    with open(kube_cluster.kubeconfig) as handle:
        config = yaml.safe_load(handle)
    module = FakeModule()
    rt = runtime.Runtime(module)
    store = rt.store({"kubeconfig": config, "context": kube_cluster.context + "-limited"})
    assert isinstance(store, KubeStore)
    assert module.no_log_values == {kube_cluster.token, kube_cluster.limited_token}
    assert store.get(ObjRef("v1", "Secret", "rbac-test", "x")) is None
    # one client per cluster per task: the same options give the same store, other options another
    assert rt.store({"kubeconfig": config, "context": kube_cluster.context + "-limited"}) is store
    assert rt.store({"kubeconfig": config, "context": kube_cluster.context}) is not store
    # the process environment is the main cluster's only
    monkeypatch.setenv("K8S_AUTH_CONTEXT", kube_cluster.context + "-cert")
    assert rt.store({"kubeconfig": kube_cluster.kubeconfig}).context == kube_cluster.context + "-cert"
    assert rt.store({"kubeconfig": kube_cluster.kubeconfig}, use_env=False).context == kube_cluster.context
    # a task's own environment (action plugin) replaces the process's
    task_rt = runtime.Runtime(FakeModule(), env={"K8S_AUTH_KUBECONFIG": kube_cluster.kubeconfig, "K8S_AUTH_CONTEXT": kube_cluster.context})
    assert task_rt.store({}).context == kube_cluster.context
    # a side with options of its own is not completed from the environment
    side = task_rt.for_side({"kubeconfig": kube_cluster.kubeconfig})
    assert side.store({"kubeconfig": kube_cluster.kubeconfig}).context == kube_cluster.context
    assert task_rt.for_side({"namespace": "x"}) is task_rt


def test_missing_kubernetes_library_fails_the_module(monkeypatch, tmp_path):
    monkeypatch.setattr(kube, "HAS_KUBERNETES", False)
    module = FakeModule()
    with pytest.raises(Exit):
        runtime.run(module, lambda rt, params: rt.store({}))
    assert module.exited["failed"] and "kubernetes" in module.exited["msg"]
    assert isinstance(runtime.Runtime(FakeModule()).store({"target": "directory", "directory": str(tmp_path)}), DirectoryStore)


@pytest.mark.parametrize("error, expected", [
    (pki.PkiError("hosts", "bad"), "Invalid input: hosts: bad. Nothing was written."),
    (engine.EngineError("conflict", action="failed", reasons=["conflict"]), "conflict"),
    (engine.EngineError("2 of 2 handshakes failed", changed=False, ok=False), "2 of 2 handshakes failed"),   # skupper_verify's result
    (StoreError("cannot reach"), "cannot reach"),
])
def test_run_turns_known_errors_into_failures(error, expected):
    module = FakeModule()

    def operation(rt, params):
        raise error
    with pytest.raises(Exit):
        runtime.run(module, operation)
    assert module.exited["failed"] and module.exited["msg"] == expected and module.exited["changed"] is False


def test_run_drops_diff_unless_asked():
    for diff in (False, True):
        module = FakeModule(diff=diff)
        with pytest.raises(Exit):
            runtime.run(module, lambda rt, params: {"changed": False, "diff": {"before": {}, "after": {}}})
        assert ("diff" in module.exited) is diff
