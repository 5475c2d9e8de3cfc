# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KubeStore and kubernetes.core-compatible auth, against the test API server of tests/kubeapi."""

from __future__ import annotations

import os
import time

import pytest
import yaml
from kubernetes.config import incluster_config, kube_config

from ansible_collections.skupper.tls.plugins.module_utils.kube import KubeStore, new_api_client, resolve_auth, sensitive_values
from ansible_collections.skupper.tls.plugins.module_utils.store import (
    KINDS,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ObjRef,
    StoreError,
    Unauthorized,
)

FAST = dict(backoff=0.01, backoff_cap=0.05)


def secret(name="skupper-site-ca", namespace="ns", type_="kubernetes.io/tls", **data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}, "type": type_,
            "data": data or {"tls.crt": "Q0VSVA==", "tls.key": "S0VZ"}}


def ref(name="skupper-site-ca", namespace="ns", kind="Secret"):
    return ObjRef("v1", kind, namespace, name)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No K8S_AUTH_*, no in-cluster service account, and no ~/.kube/config of whoever runs the tests."""
    for name in list(os.environ):
        if name.startswith("K8S_AUTH_") or name.startswith("KUBERNETES_SERVICE_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(tmp_path / "no-kubeconfig"))
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(tmp_path / "no-token"))


@pytest.fixture(name="cluster")
def fixture_cluster(kube_cluster):
    kube_cluster.create_namespace("ns")
    return kube_cluster


def store_for(cluster, **kwargs):
    options = dict(FAST)
    options.update(kwargs)
    return KubeStore.from_params({"kubeconfig": cluster.kubeconfig}, use_env=False, **options)


def users(cluster):
    return [entry["user"] for entry in cluster.requests()]


# --- auth -----------------------------------------------------------------------------------------------------------


def test_kubeconfig_path(cluster):
    store = KubeStore.from_params({"kubeconfig": cluster.kubeconfig})
    assert store.description == "cluster %s (context %s)" % (cluster.url, cluster.context)
    store.create(secret())
    assert store.get(ref())["data"]["tls.key"] == "S0VZ"
    assert users(cluster) == ["admin", "admin"]


def test_kubeconfig_dict_and_its_secrets(cluster):
    with open(cluster.kubeconfig) as handle:
        config = yaml.safe_load(handle)
    params = {"kubeconfig": config, "context": cluster.context + "-limited"}
    store = KubeStore.from_params(params)
    assert store.get(ObjRef("v1", "Secret", "rbac-test", "x")) is None
    assert users(cluster) == ["system:serviceaccount:rbac-test:limited"]
    assert sensitive_values(params) == sorted([cluster.token, cluster.limited_token])
    assert sensitive_values({"kubeconfig": cluster.kubeconfig}) == []


def test_context_selects_one_of_two_clusters_in_a_merged_kubeconfig(kube_cluster_factory, monkeypatch):
    first, second = kube_cluster_factory("c1"), kube_cluster_factory("c2")
    merged = first.kubeconfig + os.pathsep + second.kubeconfig
    store = KubeStore.from_params({"kubeconfig": merged, "context": "c2"})
    assert store.description == "cluster %s (context c2)" % second.url
    assert store.get(ref(namespace="default")) is None
    assert len(second.requests()) == 1 and not first.requests()
    # without a context, current-context of the merge decides (first file in older clients, last in newer); the description tells which
    assert KubeStore.from_params({"kubeconfig": merged}).description in ("cluster %s (context c1)" % first.url, "cluster %s (context c2)" % second.url)
    assert KubeStore.from_params({"kubeconfig": merged, "context": "c1"}).description == "cluster %s (context c1)" % first.url
    # a context alone selects from the default kubeconfig location (KUBECONFIG, ~/.kube/config)
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", merged)
    assert KubeStore.from_params({"context": "c2-cert"}).host == second.url


def test_host_and_api_key(cluster):
    store = KubeStore.from_params({"host": cluster.url + "/", "api_key": cluster.token, "ca_cert": cluster.ca_file}, **FAST)
    assert store.description == "cluster %s" % cluster.url
    store.create(secret())
    assert users(cluster) == ["admin"]


def test_host_and_client_certificate(cluster):
    store = KubeStore.from_params({"host": cluster.url, "client_cert": cluster.client_cert_file, "client_key": cluster.client_key_file,
                                   "ca_cert": cluster.ca_file})
    assert store.get(ref()) is None
    assert users(cluster) == ["admin"]


def test_environment_as_awx_injects_it(cluster, monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", cluster.url)
    monkeypatch.setenv("K8S_AUTH_API_KEY", cluster.token)
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "True")
    monkeypatch.setenv("K8S_AUTH_SSL_CA_CERT", cluster.ca_file)
    store = KubeStore.from_params({})
    assert store.api_client.configuration.verify_ssl is True
    store.create(secret())
    assert users(cluster) == ["admin"]
    # a nested dict of options for a second cluster does not see the main cluster's environment
    with pytest.raises(StoreError, match="no Kubernetes credentials: not running in a pod"):
        KubeStore.from_params({}, use_env=False)


def test_parameter_beats_environment(cluster, monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://127.0.0.1:9")
    monkeypatch.setenv("K8S_AUTH_API_KEY", cluster.limited_token)
    monkeypatch.setenv("K8S_AUTH_CA_CERT", cluster.ca_file)
    store = KubeStore.from_params({"host": cluster.url, "api_key": cluster.token})
    store.get(ref())
    assert users(cluster) == ["admin"]


def test_in_cluster_service_account(cluster, monkeypatch, tmp_path):
    """The library sends the service account token as "bearer <token>"; KubeStore sends the canonical "Bearer"."""
    token = tmp_path / "token"
    token.write_text(cluster.token)
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(token))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", cluster.ca_file)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", cluster.url.rsplit(":", 1)[1])
    store = KubeStore.from_params({})
    assert store.description == "cluster %s" % cluster.url
    store.get(ref())
    assert users(cluster) == ["admin"]


def test_resolve_auth_environment_rules(monkeypatch):
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "no")
    monkeypatch.setenv("K8S_AUTH_PERSIST_CONFIG", "yes please")
    monkeypatch.setenv("K8S_AUTH_CERT_FILE", "/c.pem")
    monkeypatch.setenv("K8S_AUTH_KEY_FILE", "/k.pem")
    monkeypatch.setenv("K8S_AUTH_CONTEXT", "")
    monkeypatch.setenv("K8S_AUTH_IMPERSONATE_GROUPS", "a,,b")
    monkeypatch.setenv("K8S_AUTH_PROXY_HEADERS_USER_AGENT", "ua")
    auth = resolve_auth({"client_key": "/param.pem"})
    assert auth["validate_certs"] is False and auth["persist_config"] is True
    assert auth["client_cert"] == "/c.pem" and auth["client_key"] == "/param.pem"
    assert auth["context"] is None  # empty variables count as unset, as in kubernetes.core
    assert auth["impersonate_groups"] == ["a", "b"]
    assert auth["proxy_headers"] == {"user_agent": "ua"}
    assert resolve_auth({"proxy_headers": {"basic_auth": "u:p", "user_agent": None}})["proxy_headers"] == {"basic_auth": "u:p"}
    monkeypatch.setenv("K8S_AUTH_VALIDATE_CERTS", "0")
    monkeypatch.setenv("K8S_AUTH_VERIFY_SSL", "1")
    assert resolve_auth({})["validate_certs"] is False  # the option's own name first
    assert all(value is None for value in resolve_auth({}, use_env=False).values())


def test_request_headers(cluster):
    api_client, _context = new_api_client({"host": cluster.url, "username": "u", "password": "p", "impersonate_user": "alice",
                                           "impersonate_groups": ["g1", "g2"], "validate_certs": False})
    headers = KubeStore(api_client)._headers()  # pylint: disable=protected-access
    assert headers["Impersonate-User"] == "alice"
    assert headers.getlist("Impersonate-Group") == ["g1", "g2"]
    assert headers["authorization"].startswith("Basic ")
    api_client, _context = new_api_client({"host": cluster.url, "api_key": "t", "proxy": "http://proxy.example:3128",
                                           "proxy_headers": {"proxy_basic_auth": "u:p"}})
    assert api_client.rest_client.pool_manager.proxy.host == "proxy.example"
    assert api_client.configuration.proxy_headers["proxy-authorization"].startswith("Basic ")
    assert KubeStore(api_client)._headers()["authorization"] == "Bearer t"  # pylint: disable=protected-access


def test_bad_credentials_and_files(cluster, tmp_path):
    with pytest.raises(Unauthorized, match="credentials rejected by %s" % cluster.url):
        KubeStore.from_params({"host": cluster.url, "api_key": "wrong", "ca_cert": cluster.ca_file}).get(ref())
    with pytest.raises(StoreError, match="ca_cert %s does not exist" % (tmp_path / "nope")):
        KubeStore.from_params({"host": cluster.url, "api_key": "x", "ca_cert": str(tmp_path / "nope")})
    with pytest.raises(StoreError, match="cannot load kubeconfig %s" % (tmp_path / "nope")):
        KubeStore.from_params({"kubeconfig": str(tmp_path / "nope")})
    with pytest.raises(StoreError, match="cannot load kubeconfig"):
        KubeStore.from_params({"kubeconfig": cluster.kubeconfig, "context": "nope"})


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_untrusted_server_certificate_is_not_retried(cluster):
    store = KubeStore.from_params({"host": cluster.url, "api_key": cluster.token})
    with pytest.raises(StoreError, match="TLS failure talking to cluster %s: .*CERTIFICATE_VERIFY_FAILED" % cluster.url):
        store.get(ref())
    assert store.last_attempts == 1
    assert KubeStore.from_params({"host": cluster.url, "api_key": cluster.token, "validate_certs": False}).get(ref()) is None


# --- CRUD -----------------------------------------------------------------------------------------------------------


def test_crud(cluster):
    store = store_for(cluster)
    assert store.get(ref()) is None
    created = store.create(secret())
    version = created["metadata"]["resourceVersion"]
    with pytest.raises(Conflict, match='secrets "skupper-site-ca" already exists'):
        store.create(secret())
    replaced = store.replace(dict(secret(**{"tls.crt": "Qw==", "tls.key": "Qw=="}), metadata=dict(created["metadata"])))
    assert replaced["data"]["tls.crt"] == "Qw==" and cluster.get("Secret", "ns", "skupper-site-ca")["data"]["tls.crt"] == "Qw=="
    with pytest.raises(Conflict, match="the object has been modified"):
        store.replace(dict(secret(), metadata=dict(created["metadata"])))  # stale resourceVersion
    with pytest.raises(Conflict):
        store.delete(ref(), resource_version=version)
    assert store.delete(ref(), resource_version=replaced["metadata"]["resourceVersion"]) is True
    assert store.delete(ref()) is False
    assert cluster.get("Secret", "ns", "skupper-site-ca") is None


def test_links_through_kinds(cluster):
    store = store_for(cluster)
    link = {"apiVersion": "skupper.io/v2alpha1", "kind": "Link", "metadata": {"name": "link-east", "namespace": "ns"},
            "spec": {"cost": 1, "tlsCredentials": "link-east", "endpoints": [{"host": "east.example.com", "name": "inter-router", "port": "55671"}]}}
    store.create(link)
    link_ref = ObjRef("skupper.io/v2alpha1", "Link", "ns", "link-east")
    assert store.get(link_ref)["spec"]["tlsCredentials"] == "link-east"
    assert store.delete(link_ref) is True
    assert [entry["path"] for entry in cluster.requests()] == ["/apis/skupper.io/v2alpha1/namespaces/ns/links"] + \
        ["/apis/skupper.io/v2alpha1/namespaces/ns/links/link-east"] * 2


def test_invalid_objects_carry_the_server_message(cluster):
    store = store_for(cluster)
    with pytest.raises(Invalid) as err:
        store.create(secret(name="bad-tls", **{"tls.crt": "Qw=="}))
    assert str(err.value) == 'Secret "bad-tls" is invalid: data[tls.key]: Required value' and err.value.status == 422
    with pytest.raises(Invalid) as err:
        store.create(secret(name="notb64", type_="Opaque", x="***"))
    assert "illegal base64 data at input byte 0" in str(err.value) and err.value.status == 400
    assert store.last_attempts == 1


def test_missing_namespace(cluster):
    store = store_for(cluster)
    with pytest.raises(NotFound) as err:
        store.create(secret(namespace="nope"))
    assert str(err.value) == "namespace 'nope' does not exist on %s" % store.description
    assert store.get(ref(namespace="nope")) is None


def test_forbidden_names_verb_resource_and_namespace(cluster):
    store = KubeStore.from_params({"kubeconfig": cluster.kubeconfig, "context": cluster.context + "-limited"}, **FAST)
    with pytest.raises(Forbidden) as err:
        store.create(secret(name="x", namespace="rbac-test"))
    message = str(err.value)
    assert message.startswith("cannot create Secret rbac-test/x on cluster %s (context %s-limited): " % (cluster.url, cluster.context))
    assert 'User "system:serviceaccount:rbac-test:limited" cannot create resource "secrets" in API group "" in the namespace "rbac-test"' in message
    assert store.last_attempts == 1


def test_skupper_crds_missing(cluster, monkeypatch):
    monkeypatch.setitem(KINDS, "Link", ("/apis/skupper.io/v1alpha9", "links"))  # a version the server does not serve: plain-text 404
    with pytest.raises(StoreError) as err:
        store_for(cluster).get(ObjRef("skupper.io/v1alpha9", "Link", "ns", "x"))
    assert "the Skupper CRDs (skupper.io/v1alpha9) are not installed on cluster %s" % cluster.url in str(err.value)
    assert "404 page not found" in str(err.value)


# --- retries --------------------------------------------------------------------------------------------------------


def faults(cluster, method):
    return [entry["fault"] for entry in cluster.requests(method=method)]


@pytest.mark.parametrize("fault", [503, 500, "drop"])
def test_get_retried_until_it_works(cluster, fault):
    store = store_for(cluster)
    cluster.inject("GET", "/secrets/", fault, count=2)
    assert store.get(ref()) is None
    assert store.last_attempts == 3
    assert faults(cluster, "GET") == [fault, fault, None]


def test_retry_after_is_honoured_up_to_the_cap(cluster):
    store = store_for(cluster, backoff_cap=0.4)
    cluster.inject("POST", "/secrets$", 429, count=1, retry_after=5)
    started = time.monotonic()
    store.create(secret())
    assert 0.35 < time.monotonic() - started < 3
    assert faults(cluster, "POST") == [429, None]


def test_dropped_create_is_retried(cluster):
    store = store_for(cluster)
    cluster.inject("POST", "/secrets$", "drop")
    assert store.create(secret())["metadata"]["name"] == "skupper-site-ca"
    assert faults(cluster, "POST") == ["drop", None]


def test_hanging_replace_times_out_and_is_retried(cluster):
    store = store_for(cluster, timeout=(2, 0.5))
    created = store.create(secret())
    cluster.inject("PUT", "/secrets/", "hang", seconds=5)
    started = time.monotonic()
    store.replace(dict(secret(**{"tls.crt": "Qw==", "tls.key": "Qw=="}), metadata=created["metadata"]))
    assert time.monotonic() - started < 3
    assert faults(cluster, "PUT") == ["hang", None]


def test_conflicts_are_not_retried(cluster):
    store = store_for(cluster)
    cluster.inject("POST", "/secrets$", 409)
    with pytest.raises(Conflict):
        store.create(secret())
    assert store.last_attempts == 1


def test_delete_retried_after_server_error(cluster):
    store = store_for(cluster)
    store.create(secret())
    cluster.inject("DELETE", "/secrets/", 500)
    assert store.delete(ref()) is True
    assert faults(cluster, "DELETE") == [500, None]


def test_retries_are_bounded(cluster):
    store = store_for(cluster, retries=3)
    cluster.inject("GET", "/secrets/", 503, count=10)
    with pytest.raises(StoreError) as err:
        store.get(ref())
    message = str(err.value)
    assert message.startswith("GET /api/v1/namespaces/ns/secrets/skupper-site-ca on %s failed after 4 attempts over " % store.description)
    assert message.endswith("last error: 503 the server is currently unable to handle the request")
    assert faults(cluster, "GET") == [503] * 4


def test_default_retry_budget():
    """6 attempts, 0.2 s doubling, capped at 3 s: under 7 s of sleeping, 15 s with Retry-After at the cap."""
    store = KubeStore.__new__(KubeStore)
    KubeStore.__init__(store, type("Client", (), {"configuration": type("Configuration", (), {"host": "https://h"})()})())
    assert store.retries + 1 == 6 and store.timeout == (5, 30)
    delays = [min(store.backoff_cap, store.backoff * 2 ** n) for n in range(store.retries)]
    assert sum(delays) < 7 and store.backoff_cap * store.retries <= 15


def test_unreachable_cluster(kube_cluster):
    store = store_for(kube_cluster, retries=2)
    kube_cluster.stop()
    with pytest.raises(StoreError, match="failed after 3 attempts over .* last error: .*(refused|Connection)"):
        store.get(ref())
