"""The real-cluster fixtures themselves: audit-log counting, identities, kubeconfig, the fault proxy, clean stop."""

import json
import os
import socket

import pytest
from kubernetes import client, config

from realkube.cluster import Unavailable, find_binaries, start_many, write_kubeconfig
from realkube.fixtures import unavailable

ROLE = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "read-secrets"},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}


def secret(ns, name="s"):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "stringData": {"k": "v"}}


def test_audit_log_counts_writes_by_namespace_user_and_dry_run(real_clusters, real_namespace):
    cluster = real_clusters(1)[0]
    ns = real_namespace(cluster, "audit")
    mark = cluster.mark()
    assert cluster.writes(mark) == 0
    cluster.request("POST", cluster.path_of("secret", ns), secret(ns), query={"dryRun": "All"})
    assert cluster.writes(mark) == 0 and len(cluster.events(mark, verb="create", dry_run=True)) == 1
    cluster.put(secret(ns))                                     # GET 404 + POST
    cluster.put(secret(ns))                                     # GET + PUT
    assert cluster.writes(mark, namespace=ns) == 2
    assert cluster.writes(mark, namespace="elsewhere") == 0
    assert [r[:5] for r in cluster.requests(mark, namespace=ns, dry_run=False)] == [
        ("get", "secrets", ns, "s", 404), ("create", "secrets", ns, "s", 201), ("get", "secrets", ns, "s", 200),
        ("update", "secrets", ns, "s", 200)]
    assert {r[5] for r in cluster.requests(mark, namespace=ns)} == {"admin"}
    later = cluster.mark()
    assert cluster.writes(later) == 0


def test_limited_identities_kubeconfig_and_rbac(real_clusters, real_namespace, tmp_path):
    cluster = real_clusters(1)[0]
    ns = real_namespace(cluster, "rbac")
    cluster.put(secret(ns))
    token = cluster.service_account_token(ns, "reader")
    status, body, _headers = cluster.request("GET", cluster.path_of("secret", ns, "s"), token=token)
    assert status == 403 and 'cannot get resource "secrets"' in body["message"] and ns in body["message"]
    cluster.apply_manifest([ROLE, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reader"},
                                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-secrets"},
                                   "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": ns}]}], namespace=ns)
    path = write_kubeconfig(str(tmp_path / "kc"), [cluster], users={"reader": (cluster, token, ns)})
    api = client.CoreV1Api(config.new_client_from_config(config_file=path, context="reader"))
    assert api.read_namespaced_secret("s", ns).data == {"k": "dg=="}
    with pytest.raises(client.exceptions.ApiException) as err:
        api.create_namespaced_secret(ns, secret(ns, "t"))
    assert err.value.status == 403
    admin = client.CoreV1Api(config.new_client_from_config(config_file=path, context=cluster.name))
    assert admin.read_namespace(ns).metadata.name == ns
    assert cluster.request("GET", "/api/v1/namespaces", token=cluster.limited_token)[0] == 403
    assert cluster.request("GET", "/api/v1/namespaces", token="wrong")[0] == 401


def test_fault_proxy_passes_through_and_injects(real_clusters, real_namespace, real_fault_proxy, tmp_path):
    cluster = real_clusters(1)[0]
    ns = real_namespace(cluster, "proxy")
    proxy = real_fault_proxy(cluster)
    api = client.CoreV1Api(config.new_client_from_config(config_file=proxy.kubeconfig, context=proxy.context))
    mark = cluster.mark()
    api.create_namespaced_secret(ns, secret(ns))
    assert cluster.writes(mark, namespace=ns) == 1
    proxy.inject("GET", r"/secrets/s$", 503, count=1)
    with pytest.raises(client.exceptions.ApiException) as err:
        api.read_namespaced_secret("s", ns)
    assert err.value.status == 503 and "unable to handle" in err.value.body
    assert api.read_namespaced_secret("s", ns).metadata.name == "s"
    proxy.inject("POST", r"/secrets$", 429, count=1, retry_after=2)
    with pytest.raises(client.exceptions.ApiException) as err:
        api.create_namespaced_secret(ns, secret(ns, "t"))
    assert err.value.status == 429 and err.value.headers["Retry-After"] == "2"
    assert cluster.writes(mark, namespace=ns) == 1, "a faulted request never reaches the server"
    proxy.inject(None, r"/secrets/s$", "drop", count=4)  # urllib3 retries GET three times on a dropped connection
    with pytest.raises(Exception) as dropped:
        api.read_namespaced_secret("s", ns, _request_timeout=5)
    assert "RemoteDisconnected" in repr(dropped.value) or "ProtocolError" in repr(dropped.value) or "Max retries" in str(dropped.value)
    proxy.inject("GET", r"/secrets/s$", "hang", count=4, seconds=2)  # read timeouts are retried too
    with pytest.raises(Exception):
        api.read_namespaced_secret("s", ns, _request_timeout=1)
    proxy.clear_faults()
    assert api.read_namespaced_secret("s", ns).metadata.name == "s"
    # the client's own credentials go through: a limited token is refused by the real server
    assert proxy.faulted[0] == ("GET", "/api/v1/namespaces/%s/secrets/s" % ns, 503)
    limited = client.CoreV1Api(config.new_client_from_config(config_file=write_kubeconfig(
        str(tmp_path / "kc-limited"), [], users={"limited": (proxy, cluster.limited_token, ns)}), context="limited"))
    with pytest.raises(client.exceptions.ApiException) as err:
        limited.read_namespaced_secret("s", ns)
    assert err.value.status == 403 and json.loads(err.value.body)["message"].startswith('secrets "s" is forbidden: User "limited" cannot get')


def test_start_and_stop_cleanly(tmp_path):
    try:
        find_binaries()
    except Unavailable as err:
        unavailable(str(err))
    (cluster,) = start_many(["solo"], base_dir=str(tmp_path))
    assert cluster.request("GET", "/apis/skupper.io/v2alpha1")[0] == 200
    pids = [p.pid for p in cluster.processes]
    directory, port = cluster.directory, cluster.port
    cluster.stop()
    assert not os.path.exists(directory)
    for pid in pids:
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
