# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper_ca / skupper_cert through ansible-playbook against the test Kubernetes API server."""

from __future__ import annotations

import base64
import re

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import pki

NS = "west"


def auth(cluster):
    return {"kubeconfig": cluster.kubeconfig, "context": cluster.context}


def ca_task(cluster, **kw):
    args = dict(name="skupper-site-ca", namespace=NS, site_name="west", **auth(cluster))
    args.update(kw)
    return {"name": kw.pop("task_name", "ca"), "skupper.tls.skupper_ca": args, "register": "ca"}


def cert_task(cluster, task_name="cert", **kw):
    args = dict(name="skupper-site-server", namespace=NS, ca_secret="skupper-site-ca", common_name="skupper-router",
                hosts=["skupper-router", "skupper-router.west", "west.example.com"], usage="server", **auth(cluster))
    args.update(kw)
    return {"name": task_name, "skupper.tls.skupper_cert": args, "register": "cert"}


def secret_data(cluster, name, namespace=NS):
    obj = cluster.get("Secret", namespace, name)
    return dict((k, base64.b64decode(v)) for k, v in obj["data"].items())


@pytest.fixture
def west(kube_cluster):
    kube_cluster.create_namespace(NS)
    return kube_cluster


def test_create_rerun_zero_writes_check_mode(playbook, west):
    check = playbook([ca_task(west), cert_task(west)], check=True)
    assert [r["action"] for r in check.results()] == ["created", "created"]
    assert west.writes() == 0
    run = playbook([ca_task(west), cert_task(west)])
    assert [r["action"] for r in run.results()] == ["created", "created"]
    assert west.writes() == 2
    ca = secret_data(west, "skupper-site-ca")
    leaf = secret_data(west, "skupper-site-server")
    pki.verify_chain(pki.load_certificates(leaf["tls.crt"])[0], pki.load_certificates(ca["ca.crt"]), usage="server", host="west.example.com")
    west.clear_log()
    again = playbook([ca_task(west), cert_task(west)])
    assert again.changed() == 0 and [r["action"] for r in again.results()] == ["unchanged", "unchanged"]
    assert west.writes() == 0
    check_again = playbook([ca_task(west), cert_task(west)], check=True)
    assert check_again.changed() == 0 and west.writes() == 0


def test_drift_and_skupper_annotations_kept(playbook, west):
    playbook([ca_task(west), cert_task(west)])
    # Skupper adds its sslProfile annotation to Secrets it uses; a reissue must keep it.
    obj = west.get("Secret", NS, "skupper-site-server")
    obj["metadata"].setdefault("annotations", {})["internal.skupper.io/tls-profile-context"] = '[{"profileName":"skupper-site-server","ordinal":1}]'
    obj["metadata"]["labels"]["team"] = "net"
    west.put(obj)
    run = playbook([cert_task(west, hosts=["skupper-router"])])
    res = run.result("cert")
    assert res["action"] == "reissued" and any(r.startswith("sans:") for r in res["reasons"])
    meta = west.get("Secret", NS, "skupper-site-server")["metadata"]
    assert meta["annotations"]["internal.skupper.io/tls-profile-context"].startswith("[{")
    assert meta["labels"]["team"] == "net"
    assert "internal.skupper.io/controlled" not in meta["annotations"]


def test_transient_errors_are_retried(playbook, west):
    west.inject("GET", r"/secrets/skupper-site-ca$", 503, count=2)
    west.inject("POST", r"/namespaces/west/secrets$", 429, count=1)
    west.inject("POST", r"/namespaces/west/secrets$", "drop", count=1)
    run = playbook([ca_task(west)])
    assert run.result("ca")["action"] == "created"
    assert playbook([ca_task(west)]).changed() == 0


def test_conflict_rereads_and_decides_again(playbook, west):
    playbook([ca_task(west), cert_task(west)])
    west.inject("PUT", r"/secrets/skupper-site-server$", 409, count=1)
    run = playbook([cert_task(west, force=True)])
    assert run.result("cert")["action"] == "reissued"
    puts = west.requests(method="PUT", path_contains="skupper-site-server")
    assert [r["status"] for r in puts][-2:] == [409, 200]


def test_failure_then_rerun_converges(playbook, west):
    """Retries are bounded: a server that keeps failing fails the task clearly; once it recovers a re-run converges."""
    west.inject("POST", r"/namespaces/west/secrets$", 500, count=1000)
    failed = playbook([ca_task(west), cert_task(west)], expect_rc=2)
    msg = failed.result("ca")["msg"]
    assert "attempt" in msg and "500" in msg, msg
    assert west.get("Secret", NS, "skupper-site-ca") is None
    west.clear_faults()
    run = playbook([ca_task(west), cert_task(west)])
    assert [r["action"] for r in run.results()] == ["created", "created"]
    assert playbook([ca_task(west), cert_task(west)]).changed() == 0


def test_ca_on_another_cluster_and_namespace(playbook, kube_cluster_factory):
    pki_cluster, site = kube_cluster_factory("pki"), kube_cluster_factory("site")
    pki_cluster.create_namespace("shared-pki")
    site.create_namespace(NS)
    run = playbook([
        ca_task(pki_cluster, name="skupper-service-ca", namespace="shared-pki", site_name=None),
        cert_task(site, name="skupper-tls-backend", common_name="backend", hosts=["backend"], usage="both", ca_secret="skupper-service-ca",
                  ca_namespace="shared-pki", ca_cluster=auth(pki_cluster)),
    ])
    assert [r["action"] for r in run.results()] == ["created", "created"]
    assert site.get("Secret", NS, "skupper-service-ca") is None
    assert secret_data(site, "skupper-tls-backend")["ca.crt"] == secret_data(pki_cluster, "skupper-service-ca", "shared-pki")["ca.crt"]


def test_awx_style_environment_auth(playbook, west):
    env = {"K8S_AUTH_HOST": west.url, "K8S_AUTH_API_KEY": west.token, "K8S_AUTH_SSL_CA_CERT": west.ca_file, "K8S_AUTH_VERIFY_SSL": "true"}
    task = {"name": "ca", "skupper.tls.skupper_ca": {"name": "skupper-site-ca", "namespace": NS, "site_name": "west"}}
    run = playbook([task], env=env)
    assert run.result("ca")["action"] == "created"
    assert playbook([task], env=env).changed() == 0


def test_forbidden_is_clear(playbook, west):
    west.create_namespace("rbac-test")
    task = {"name": "ca", "skupper.tls.skupper_ca": {"name": "skupper-site-ca", "namespace": "rbac-test", "site_name": "west",
                                                     "host": west.url, "api_key": west.limited_token, "ca_cert": west.ca_file}}
    run = playbook([task], expect_rc=2)
    msg = run.result("ca")["msg"]
    assert "create" in msg and "secrets" in msg and "rbac-test" in msg


def test_missing_namespace_is_clear(playbook, kube_cluster):
    run = playbook([ca_task(kube_cluster, namespace="nope")], expect_rc=2)
    assert "nope" in run.result("ca")["msg"] and "namespace" in run.result("ca")["msg"]


BAD_INPUTS = [
    ("bad hostname", "cert", dict(hosts=["bad_host"]), ["hosts", "bad_host"]),
    ("host with space", "cert", dict(hosts=["a b"]), ["hosts", "a b"]),
    ("host label too long", "cert", dict(hosts=["a" * 64 + ".com"]), ["hosts"]),
    ("url as host", "cert", dict(hosts=["https://west.example.com"]), ["hosts", "https://west.example.com"]),
    ("unknown key type", "cert", dict(key_type="dsa"), ["key_type", "dsa"]),
    ("bad rsa size", "cert", dict(key_size=1024), ["key_size", "1024"]),
    ("bad ecdsa size", "cert", dict(key_type="ecdsa", key_size=521), ["key_size", "521"]),
    ("validity <= renew_before", "cert", dict(validity_days=20, renew_before_days=30), ["validity_days", "20", "30"]),
    ("negative renew_before", "cert", dict(renew_before_days=-1), ["renew_before_days", "-1"]),
    ("empty name", "cert", dict(name=""), ["name"]),
    ("upper-case name", "cert", dict(name="Bad_Name"), ["name", "Bad_Name"]),
    ("bad namespace", "cert", dict(namespace="West.ns"), ["namespace", "West.ns"]),
    ("bad usage", "cert", dict(usage="signing"), ["usage", "signing"]),
    ("ca_only with tls type", "cert", dict(ca_only=True, secret_type="kubernetes.io/tls"), ["secret_type"]),
    ("reserved extra_data key", "cert", dict(extra_data={"tls.key": "x"}), ["extra_data", "tls.key"]),
    ("controlled annotation", "cert", dict(annotations={"internal.skupper.io/controlled": "true"}), ["internal.skupper.io/controlled"]),
    ("malformed CA PEM", "cert", dict(ca_secret=None, ca_certificate_content="-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n",
                                      ca_private_key_content="x"), ["ca_certificate_content"]),
    ("CA without CA:TRUE", "cert", dict(ca_secret=None, ca_certificate_content="LEAF", ca_private_key_content="LEAFKEY"),
     ["ca_certificate_content", "CA"]),
    ("CA key not matching", "cert", dict(ca_secret=None, ca_certificate_content="CA", ca_private_key_content="OTHERKEY"),
     ["ca_certificate_content", "match"]),
    ("missing CA secret", "cert", dict(ca_secret="no-such-ca"), ["no-such-ca", "not found"]),
    ("imported CA without key", "ca", dict(certificate_content="CA"), ["private_key_content"]),
    ("v2 site CA without site_name", "ca", dict(site_name=None), ["site_name"]),
    ("malformed key PEM", "ca", dict(certificate_content="CA", private_key_content="-----BEGIN %s-----\nAAAA\n-----END %s-----\n" % (("RSA PRIVATE KEY",) * 2)),
     ["private_key_content"]),
]


def test_bad_input_fails_clearly_and_writes_nothing(playbook, west):
    playbook([ca_task(west)])
    ca = secret_data(west, "skupper-site-ca")
    leaf, leaf_key = pki.issue(pki.CertSpec(common_name="leaf"), issuer=pki.Issuer.load(ca["tls.crt"], ca["tls.key"]))
    _other_cert, other_key = pki.issue(pki.CertSpec(common_name="other", is_ca=True, key=pki.KeySpec("ecdsa", 256)))
    subst = {"CA": ca["tls.crt"].decode(), "LEAF": pki.certs_to_pem([leaf]).decode(), "LEAFKEY": pki.key_to_pem(leaf_key).decode(),
             "OTHERKEY": pki.key_to_pem(other_key).decode()}
    tasks = []
    for title, module, change, _words in BAD_INPUTS:
        change = dict((k, subst.get(v, v) if isinstance(v, str) else v) for k, v in change.items())
        task = ca_task(west, name="other-ca", site_name="west") if module == "ca" else cert_task(west, name="bad-cert")
        key = "skupper.tls.skupper_ca" if module == "ca" else "skupper.tls.skupper_cert"
        if module == "ca":
            task[key]["name"] = "skupper-site-ca" if "site_name" in change else "other-ca"
        task[key].update(change)
        task[key] = dict((k, v) for k, v in task[key].items() if v is not None)
        task.update(name=title, ignore_errors=True)
        tasks.append(task)
    west.clear_log()
    run = playbook(tasks)
    assert len(BAD_INPUTS) >= 15
    for title, _module, _change, words in BAD_INPUTS:
        res = run.result(title)
        assert res.get("failed"), (title, res)
        for word in words:
            assert word in res["msg"], (title, word, res["msg"])
    assert west.writes() == 0


KEY_LINE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def test_no_key_material_in_output_at_vvvv_diff(playbook, west):
    run = playbook([ca_task(west), cert_task(west), cert_task(west, task_name="reissue", force=True),
                    {"name": "show", "ansible.builtin.debug": {"var": "cert"}}], diff=True, verbosity=4)
    text = run.stdout + run.stderr
    assert "reissued" in text and "fingerprint_sha256" in text
    assert not KEY_LINE.search(text)
    for name in ("skupper-site-ca", "skupper-site-server"):
        obj = west.get("Secret", NS, name)
        key_b64 = obj["data"]["tls.key"]
        key_pem = base64.b64decode(key_b64).decode()
        body = [line for line in key_pem.splitlines() if line and not line.startswith("-----")]
        assert key_b64[:40] not in text
        assert not any(line in text for line in body)
