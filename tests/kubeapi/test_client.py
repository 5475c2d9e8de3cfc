"""The `kubernetes` client's own calls, unmodified, against the test server; faults; several clusters; process mode."""

import base64
import json
import os
import socket
import ssl
import time

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

SKUPPER = ("skupper.io", "v2alpha1")


def b64(text):
    return base64.b64encode(text.encode()).decode()


def secret_body(name, labels=None, **data):
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name, labels=labels), type="Opaque",
                           data={k: b64(v) for k, v in data.items()})


def message(excinfo):
    return json.loads(excinfo.value.body)["message"]


def core(cluster, context=None):
    return client.CoreV1Api(cluster.api_client(context))


def test_core_v1_with_load_kube_config(kube_cluster):
    config.load_kube_config(config_file=kube_cluster.kubeconfig)
    api = client.CoreV1Api()
    assert client.VersionApi().get_code().git_version == "v1.25.16"
    namespace = api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="west")))
    assert namespace.status.phase == "Active"
    assert "west" in [n.metadata.name for n in api.list_namespace().items]

    created = api.create_namespaced_secret("west", secret_body("s1", {"app": "x"}, a="1", b="2"))
    read = api.read_namespaced_secret("s1", "west")
    assert read.metadata.resource_version == created.metadata.resource_version and read.data == {"a": b64("1"), "b": b64("2")}

    read.data = {"a": b64("3")}
    read.metadata.labels = None
    replaced = api.replace_namespaced_secret("s1", "west", read)
    assert replaced.data == {"a": b64("3")} and not replaced.metadata.labels  # PUT replaces the whole object
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    with pytest.raises(ApiException) as stale:
        api.replace_namespaced_secret("s1", "west", read)  # read's resourceVersion is now stale
    assert stale.value.status == 409 and "the object has been modified" in stale.value.body

    patched = api.patch_namespaced_secret("s1", "west", {"metadata": {"labels": {"tier": "ca"}}, "data": {"c": b64("4")}})
    assert patched.metadata.labels == {"tier": "ca"} and set(patched.data) == {"a", "c"}
    api.create_namespaced_secret("west", secret_body("s2", {"tier": "leaf"}))
    assert [s.metadata.name for s in api.list_namespaced_secret("west", label_selector="tier=ca").items] == ["s1"]
    assert [s.metadata.name for s in api.list_namespaced_secret("west", label_selector="tier,tier!=ca").items] == ["s2"]

    assert api.delete_namespaced_secret("s1", "west")["status"] == "Success"  # this client returns delete answers as dicts
    with pytest.raises(ApiException) as missing:
        api.read_namespaced_secret("s1", "west")
    assert missing.value.status == 404
    deleted = api.delete_namespace("west")
    assert deleted["status"]["phase"] == "Terminating" and deleted["metadata"]["deletionTimestamp"]
    with pytest.raises(ApiException) as gone:
        api.read_namespace("west")
    assert gone.value.status == 404


def test_secret_validation_and_dry_run(kube_cluster):
    api = core(kube_cluster)
    with pytest.raises(ApiException) as invalid:
        api.create_namespaced_secret("default", {"metadata": {"name": "t"}, "type": "kubernetes.io/tls", "data": {}})
    assert invalid.value.status == 422 and "[data[tls.crt]: Required value, data[tls.key]: Required value]" in invalid.value.body
    kube_cluster.clear_log()
    api.create_namespaced_secret("default", secret_body("dry", a="1"), dry_run="All")
    assert kube_cluster.get("Secret", "default", "dry") is None
    assert [r["dry_run"] for r in kube_cluster.requests(method="POST")] == [True] and kube_cluster.writes() == 0
    api.create_namespaced_config_map("default", {"metadata": {"name": "cm"}, "data": {"k": "v"}})
    assert kube_cluster.get("ConfigMap", "default", "cm")["data"] == {"k": "v"} and kube_cluster.writes() == 1
    with pytest.raises(ApiException) as with_version:
        api.create_namespaced_config_map("default", {"metadata": {"name": "cm2", "resourceVersion": "1"}})
    assert with_version.value.status == 500 and "resourceVersion should not be set on objects to be created" in message(with_version)


def test_dynamic_client_discovery(kube_cluster):
    dynamic = DynamicClient(kube_cluster.api_client())
    links = dynamic.resources.get(api_version="skupper.io/v2alpha1", kind="Link")
    secrets = dynamic.resources.get(api_version="v1", kind="Secret")
    assert (links.namespaced, links.name, secrets.name) == (True, "links", "secrets")
    secrets.create(body={"metadata": {"name": "s"}, "stringData": {"k": "v"}}, namespace="default")
    assert secrets.get(name="s", namespace="default").data.k == b64("v")


def test_custom_objects_site_and_link(kube_cluster):
    kube_cluster.create_namespace("east")
    api = client.CustomObjectsApi(kube_cluster.api_client())
    site = api.create_namespaced_custom_object(*SKUPPER, "east", "sites", {
        "apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "east"},
        "spec": {"linkAccess": "default"}, "status": {"status": "Ready"}})
    assert "status" not in site and site["metadata"]["generation"] == 1  # status only through the subresource
    endpoints = [{"name": "inter-router", "host": "east.example.com", "port": "55671", "group": "skupper-router"}]
    patched = api.patch_namespaced_custom_object_status(*SKUPPER, "east", "sites", "east", {"status": {"endpoints": endpoints}})
    assert patched["status"]["endpoints"] == endpoints and patched["metadata"]["generation"] == 1
    assert api.get_namespaced_custom_object(*SKUPPER, "east", "sites", "east")["status"]["endpoints"] == endpoints
    spec_changed = api.patch_namespaced_custom_object(*SKUPPER, "east", "sites", "east", {"spec": {"ha": True}})
    assert spec_changed["metadata"]["generation"] == 2 and spec_changed["status"]["endpoints"] == endpoints

    link = {"apiVersion": "skupper.io/v2alpha1", "kind": "Link", "metadata": {"name": "to-west"},
            "spec": {"endpoints": endpoints, "tlsCredentials": "to-west", "cost": 1}}
    assert api.create_namespaced_custom_object(*SKUPPER, "east", "links", link)["spec"] == link["spec"]
    assert kube_cluster.get("Link", "east", "to-west")["spec"]["cost"] == 1
    with pytest.raises(ApiException) as unconditional:
        api.replace_namespaced_custom_object(*SKUPPER, "east", "links", "to-west", link)
    assert unconditional.value.status == 422 and "metadata.resourceVersion: Invalid value: 0x0" in unconditional.value.body
    bad = dict(link, metadata={"name": "bad"}, spec={"endpoints": [{"name": "x", "port": 1}], "cost": "1"})
    with pytest.raises(ApiException) as invalid:
        api.create_namespaced_custom_object(*SKUPPER, "east", "links", bad)
    assert invalid.value.status == 422 and "spec.cost in body must be of type integer" in invalid.value.body


def test_seeded_status_is_visible(kube_cluster):
    kube_cluster.put({"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "w", "namespace": "seeded"},
                      "spec": {}, "status": {"endpoints": [{"name": "edge", "host": "h", "port": "45671"}]}})
    site = client.CustomObjectsApi(kube_cluster.api_client()).get_namespaced_custom_object(*SKUPPER, "seeded", "sites", "w")
    assert site["status"]["endpoints"][0]["port"] == "45671"
    assert kube_cluster.requests() == [dict(kube_cluster.requests()[0], method="GET", status=200, user="admin")]


def test_client_certificate_authenticates_as_admin(kube_cluster):
    api = core(kube_cluster, kube_cluster.context + "-cert")
    assert "default" in [n.metadata.name for n in api.list_namespace().items]
    assert kube_cluster.requests()[-1]["user"] == "admin"


def test_limited_identity_is_forbidden(kube_cluster):
    kube_cluster.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "rbac-test"}, "data": {"a": b64("1")}})
    api = core(kube_cluster, kube_cluster.context + "-limited")
    assert api.read_namespaced_secret("s", "rbac-test").data == {"a": b64("1")}
    with pytest.raises(ApiException) as create:
        api.create_namespaced_secret("rbac-test", secret_body("x"))
    assert create.value.status == 403
    assert message(create) == ('secrets is forbidden: User "system:serviceaccount:rbac-test:limited" cannot create resource "secrets" '
                               'in API group "" in the namespace "rbac-test"')
    with pytest.raises(ApiException) as other:
        client.CustomObjectsApi(api.api_client).get_namespaced_custom_object(*SKUPPER, "rbac-test", "links", "l")
    assert other.value.status == 403 and message(other) == ('links.skupper.io "l" is forbidden: User "system:serviceaccount:rbac-test:limited" '
                                                            'cannot get resource "links" in API group "skupper.io" in the namespace "rbac-test"')
    http = urllib3.PoolManager(ca_certs=kube_cluster.ca_file)
    control = http.request("GET", kube_cluster.url + "/_kubeapi/log", headers={"Authorization": "Bearer " + kube_cluster.limited_token})
    assert control.status == 403


def test_bad_or_missing_token_is_unauthorized(kube_cluster):
    configuration = client.Configuration(host=kube_cluster.url, api_key={"authorization": "Bearer nope"})
    configuration.ssl_ca_cert = kube_cluster.ca_file
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(client.ApiClient(configuration)).list_namespace()
    assert err.value.status == 401 and '"reason": "Unauthorized"' in err.value.body
    anonymous = urllib3.PoolManager(ca_certs=kube_cluster.ca_file).request("GET", kube_cluster.url + "/api/v1/namespaces")
    assert anonymous.status == 401
    assert [r["status"] for r in kube_cluster.requests()] == [401, 401]


def test_unknown_group_is_plain_404(kube_cluster):
    response = urllib3.PoolManager(ca_certs=kube_cluster.ca_file).request(
        "GET", kube_cluster.url + "/apis/example.com/v1/things", headers={"Authorization": "Bearer " + kube_cluster.token})
    assert (response.status, response.data) == (404, b"404 page not found\n")


def test_faults_503_and_429_then_success(kube_cluster):
    api = core(kube_cluster)
    kube_cluster.inject("GET", r"/secrets$", 503)
    kube_cluster.inject("POST", r"/namespaces/default/secrets$", 429, retry_after=3)
    with pytest.raises(ApiException) as unavailable:
        api.list_namespaced_secret("default")
    assert unavailable.value.status == 503
    assert api.list_namespaced_secret("default").items == []
    with pytest.raises(ApiException) as throttled:
        api.create_namespaced_secret("default", secret_body("s"))
    assert throttled.value.status == 429 and throttled.value.headers["Retry-After"] == "3"
    api.create_namespaced_secret("default", secret_body("s"))
    assert [(r["method"], r["status"], r["fault"]) for r in kube_cluster.requests()] == [
        ("GET", 503, 503), ("GET", 200, None), ("POST", 429, 429), ("POST", 201, None)]
    assert kube_cluster.writes() == 2


def test_fault_409_and_500(kube_cluster):
    api = core(kube_cluster)
    api.create_namespaced_secret("default", secret_body("s"))
    kube_cluster.inject("PATCH", "/secrets/s$", 409)
    kube_cluster.inject(None, "/secrets/s$", 500)
    with pytest.raises(ApiException) as conflict:
        api.patch_namespaced_secret("s", "default", {"metadata": {"labels": {"a": "b"}}})
    assert conflict.value.status == 409 and message(conflict).startswith('Operation cannot be fulfilled on secrets "s"')
    with pytest.raises(ApiException) as internal:
        api.read_namespaced_secret("s", "default")
    assert internal.value.status == 500


def test_hang_trips_the_client_timeout(kube_cluster):
    api = core(kube_cluster)
    kube_cluster.inject("POST", "/secrets$", "hang", seconds=5)
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        api.create_namespaced_secret("default", secret_body("s"), _request_timeout=0.3)
    assert time.monotonic() - started < 3
    assert kube_cluster.get("Secret", "default", "s") is None
    assert kube_cluster.requests()[-1]["fault"] == "hang"


def test_drop_gives_a_connection_error(kube_cluster):
    api = core(kube_cluster)
    kube_cluster.inject("POST", "/secrets$", "drop")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.create_namespaced_secret("default", secret_body("s"))
    # urllib3 retries idempotent requests by itself (3 times): a GET gets through a single drop, not four
    kube_cluster.inject("GET", "/secrets$", "drop")
    assert api.list_namespaced_secret("default").items == []
    kube_cluster.inject("GET", "/secrets$", "drop", count=4)
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        api.list_namespaced_secret("default")


def test_lost_applies_the_write_and_drops_the_answer(kube_cluster):
    api = core(kube_cluster)
    kube_cluster.inject("POST", "/secrets$", "lost")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.create_namespaced_secret("default", secret_body("s"))
    assert kube_cluster.get("Secret", "default", "s") is not None, "the server applied the write"
    assert kube_cluster.requests()[-1]["fault"] == "lost" and kube_cluster.writes() == 1


def test_two_clusters_are_independent(kube_cluster_factory):
    c1, c2 = kube_cluster_factory("c1"), kube_cluster_factory("c2")
    assert c1.url != c2.url and c1.token != c2.token and c2.context == "c2"
    core(c1).create_namespaced_secret("default", secret_body("only-in-c1"))
    assert c1.get("Secret", "default", "only-in-c1") and c2.get("Secret", "default", "only-in-c1") is None
    assert c2.requests() == []
    with socket.create_connection(("127.0.0.1", c1.info["port"])) as sock, pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context(cafile=c2.ca_file).wrap_socket(sock, server_hostname="127.0.0.1")
    wrong_token = client.Configuration(host=c2.url, api_key={"authorization": "Bearer " + c1.token})
    wrong_token.ssl_ca_cert = c2.ca_file
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(client.ApiClient(wrong_token)).list_namespace()
    assert err.value.status == 401


def test_process_mode(kube_cluster_factory):
    cluster = kube_cluster_factory("p1", process=True)
    assert os.path.exists(os.path.join(os.path.dirname(cluster.kubeconfig), "server.json"))
    api = core(cluster)
    cluster.create_namespace("west")
    api.create_namespaced_secret("west", secret_body("s", a="1"))
    assert cluster.get("Secret", "west", "s")["data"] == {"a": b64("1")} and cluster.get("Secret", "west", "nope") is None
    cluster.inject("GET", "/secrets/s$", 503)
    with pytest.raises(ApiException) as err:
        api.read_namespaced_secret("s", "west")
    assert err.value.status == 503 and api.read_namespaced_secret("s", "west").data
    assert [r["status"] for r in cluster.requests(path_contains="/secrets/s")] == [503, 200] and cluster.writes() == 1
    cluster.clear_log()
    assert cluster.requests() == []
    cluster.stop()
    assert cluster.info["pid"] and not os.path.exists(os.path.join(os.path.dirname(cluster.kubeconfig), "server.json"))
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        api.list_namespace(_request_timeout=1)
