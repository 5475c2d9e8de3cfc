# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper_link across two and three test clusters."""

from __future__ import annotations

import base64
import os
import stat

import yaml

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki
from support import v1_site

ENDPOINTS = [{"name": "inter-router", "host": "east.example.com", "port": "55671", "group": "skupper-router"},
             {"name": "edge", "host": "east.example.com", "port": "45671", "group": "skupper-router"}]


def auth(cluster):
    return {"kubeconfig": cluster.kubeconfig, "context": cluster.context}


def site_ca(cluster, site, name="skupper-site-ca", **kw):
    args = dict(name=name, namespace=site, site_name=site, **auth(cluster))
    args.update(kw)
    return {"name": "ca-%s" % site, "skupper.tls.skupper_ca": args}


def link(a, b, task="link", local_ns="west", remote_ns="east", **kw):
    args = dict(namespace=local_ns, site_name=local_ns, remote=dict(namespace=remote_ns, site_name=remote_ns, **auth(b)), **auth(a))
    args.update(kw)
    return {"name": task, "skupper.tls.skupper_link": args}


def data(cluster, ns, name):
    return dict((k, base64.b64decode(v)) for k, v in cluster.get("Secret", ns, name)["data"].items())


def test_link_create_idempotent_verify(playbook, pair):
    west, east = pair
    playbook([site_ca(east, "east")])
    run = playbook([link(west, east, endpoints=ENDPOINTS)])
    res = run.result("link")
    assert res["action"] == "created" and res["link"]["action"] == "created" and res["secret"]["action"] == "created"
    lnk = west.get("Link", "west", "link-east")
    assert lnk["spec"] == {"endpoints": ENDPOINTS, "tlsCredentials": "link-east", "cost": 1}
    creds = data(west, "west", "link-east")
    east_ca = data(east, "east", "skupper-site-ca")
    assert creds["ca.crt"] == east_ca["ca.crt"]
    client = pki.load_certificates(creds["tls.crt"])[0]
    pki.verify_chain(client, pki.load_certificates(east_ca["tls.crt"]), usage="client")
    assert pki.usage_of(client) in ("client", "both")
    assert east.get("Secret", "east", "link-east") is None      # nothing written on B
    west.clear_log()
    east.clear_log()
    again = playbook([link(west, east, endpoints=ENDPOINTS)])
    assert again.changed() == 0 and again.result("link")["action"] == "unchanged"
    assert west.writes() == 0 and east.writes() == 0


def test_endpoints_from_site_status_and_updates(playbook, pair):
    west, east = pair
    playbook([site_ca(east, "east")])
    east.put({"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "east", "namespace": "east"},
              "spec": {"linkAccess": "default"}, "status": {"endpoints": ENDPOINTS}})
    run = playbook([link(west, east)])
    assert run.result("link")["endpoints"] == ENDPOINTS
    # cost and endpoint changes update the Link in place, the credential stays
    serial = data(west, "west", "link-east")["tls.crt"]
    moved = [dict(e, host="east2.example.com") for e in ENDPOINTS]
    run = playbook([link(west, east, endpoints=moved, cost=5)])
    res = run.result("link")
    assert res["action"] == "updated" and res["secret"]["action"] == "unchanged"
    assert any("spec.cost" in r for r in res["reasons"]) and any("spec.endpoints" in r for r in res["reasons"])
    assert west.get("Link", "west", "link-east")["spec"]["cost"] == 5
    assert data(west, "west", "link-east")["tls.crt"] == serial


def test_remote_trust_rotation_and_ca_replacement(playbook, pair):
    west, east = pair
    playbook([site_ca(east, "east"), link(west, east, endpoints=ENDPOINTS)])
    before = data(west, "west", "link-east")
    # B's CA Secret gains a pending CA in its trust bundle: only ca.crt of the credential changes.
    ca = east.get("Secret", "east", "skupper-site-ca")
    pending, _k = pki.issue(pki.CertSpec(common_name="east site CA next", is_ca=True, key=pki.KeySpec("ecdsa", 256)))
    ca["data"]["ca.crt"] = base64.b64encode(base64.b64decode(ca["data"]["ca.crt"]) + pki.certs_to_pem([pending])).decode()
    east.put(ca)
    res = playbook([link(west, east, endpoints=ENDPOINTS)]).result("link")
    assert res["action"] == "updated_trust"
    after = data(west, "west", "link-east")
    assert after["tls.crt"] == before["tls.crt"] and after["tls.key"] == before["tls.key"]
    assert len(pki.load_certificates(after["ca.crt"])) == 2
    # B's CA replaced by a new key: the credential is reissued by the new CA.
    playbook([site_ca(east, "east", force=True)])
    res = playbook([link(west, east, endpoints=ENDPOINTS)]).result("link")
    assert res["action"] == "reissued" and any("issuer" in r for r in res["reasons"])
    new_ca = data(east, "east", "skupper-site-ca")
    pki.verify_chain(pki.load_certificates(data(west, "west", "link-east")["tls.crt"])[0], pki.load_certificates(new_ca["tls.crt"]),
                     usage="client")


def test_absent(playbook, pair):
    west, east = pair
    playbook([site_ca(east, "east"), link(west, east, endpoints=ENDPOINTS)])
    res = playbook([link(west, east, endpoints=ENDPOINTS, state="absent")]).result("link")
    assert res["action"] == "deleted"
    assert west.get("Link", "west", "link-east") is None and west.get("Secret", "west", "link-east") is None


def test_v1_token_refused_without_a_v1_site(playbook, pair):
    west, east = pair
    playbook([site_ca(east, "east", skupper_version=1, site_name=None)])
    west.clear_log()
    res = playbook([dict(link(west, east, endpoints=ENDPOINTS, skupper_version=1), ignore_errors=True)]).result("link")
    assert res["failed"] and "ConfigMap east/skupper-site not found" in res["msg"] and west.writes() == 0


def test_v1_token_shape(playbook, pair):
    west, east = pair
    playbook([site_ca(east, "east", skupper_version=1, site_name=None)])
    uid = v1_site(east, "east")
    res = playbook([link(west, east, endpoints=ENDPOINTS, skupper_version=1, cost=3)]).result("link")
    assert res["action"] == "created" and "link" not in res
    token = west.get("Secret", "west", "link-east")
    assert token["type"] == "kubernetes.io/tls"
    assert token["metadata"]["labels"]["skupper.io/type"] == "connection-token"
    ann = token["metadata"]["annotations"]
    assert (ann["inter-router-host"], ann["inter-router-port"], ann["edge-host"], ann["edge-port"], ann["skupper.io/cost"]) == (
        "east.example.com", "55671", "east.example.com", "45671", "3")
    assert sorted(token["data"]) == ["ca.crt", "tls.crt", "tls.key"]
    assert (ann["skupper.io/generated-by"], ann["skupper.io/site-version"]) == (uid, "1.9.6")
    assert layout.v1_token_problems(token) == []
    assert west.get("Link", "west", "link-east") is None


def test_dest_file_equals_what_would_be_applied(playbook, pair, tmp_path):
    west, east = pair
    playbook([site_ca(east, "east")])
    dest = tmp_path / "link-east.yaml"
    run = playbook([link(west, east, endpoints=ENDPOINTS, dest=str(dest))])
    assert run.result("link")["action"] == "created"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    text = dest.read_text()
    assert not text.startswith("---") and not text.rstrip().endswith("---") and text.count("\n---\n") == 1
    docs = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in docs] == ["Link", "Secret"]
    assert west.writes() == 0 and west.get("Secret", "west", "link-east") is None
    mtime = os.stat(dest).st_mtime_ns
    assert playbook([link(west, east, endpoints=ENDPOINTS, dest=str(dest))]).changed() == 0
    assert os.stat(dest).st_mtime_ns == mtime
    # Applying the file's objects to A gives what the module applies directly (server validates the Link against the CRD).
    for doc in docs:
        doc["metadata"]["namespace"] = "west"
        west.put(doc) if doc["kind"] == "Secret" else None
    applied = playbook([link(west, east, endpoints=ENDPOINTS)])
    assert applied.result("link")["secret"]["action"] == "unchanged"
    assert west.get("Link", "west", "link-east")["spec"] == docs[0]["spec"]


def test_three_clusters_full_mesh(playbook, kube_cluster_factory):
    sites = dict((n, kube_cluster_factory(n)) for n in ("a", "b", "c"))
    for n, cluster in sites.items():
        cluster.create_namespace(n)
    tasks = [site_ca(c, n) for n, c in sites.items()]
    for src in sites:
        for dst in sites:
            if src != dst:
                eps = [dict(e, host="%s.example.com" % dst) for e in ENDPOINTS]
                tasks.append(link(sites[src], sites[dst], task="%s-%s" % (src, dst), local_ns=src, remote_ns=dst, endpoints=eps))
    run = playbook(tasks)
    assert run.changed() == 9
    for src in sites:
        for dst in sites:
            if src != dst:
                creds = data(sites[src], src, "link-%s" % dst)
                pki.verify_chain(pki.load_certificates(creds["tls.crt"])[0], pki.load_certificates(data(sites[dst], dst, "skupper-site-ca")["tls.crt"]),
                                 usage="client")
    assert playbook(tasks).changed() == 0


def test_bad_link_inputs(playbook, pair):
    west, east = pair
    playbook([site_ca(east, "east")])
    east.put({"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "east", "namespace": "east"}, "spec": {}})
    no_ca_remote = dict(namespace="east", site_name="east", ca_secret="nope-ca", **auth(east))
    cases = [
        ("unknown remote context", link(west, east, endpoints=ENDPOINTS, remote=dict(
            namespace="east", site_name="east", kubeconfig=east.kubeconfig, context="no-such-context")), ["no-such-context"]),
        ("site without endpoints", link(west, east), ["status.endpoints", "east/east"]),
        ("integer port", link(west, east, endpoints=[dict(ENDPOINTS[0], port=55671)]), ["endpoints[0].port", "55671", "string"]),
        ("link to itself", link(west, west, endpoints=ENDPOINTS, remote=dict(namespace="west", site_name="west", **auth(west))), ["itself"]),
        ("missing remote CA", link(west, east, endpoints=ENDPOINTS, remote=no_ca_remote), ["nope-ca", "not found"]),
        ("bad endpoint name", link(west, east, endpoints=[dict(ENDPOINTS[0], name="router")]), ["endpoints[0].name", "router"]),
        ("bad endpoint host", link(west, east, endpoints=[dict(ENDPOINTS[0], host="bad host")]), ["endpoints[0].host", "bad host"]),
        ("zero cost", link(west, east, endpoints=ENDPOINTS, cost=0), ["cost"]),
    ]
    tasks = []
    for title, task, _words in cases:
        task.update(name=title, ignore_errors=True)
        tasks.append(task)
    west.clear_log()
    east.clear_log()
    run = playbook(tasks)
    for title, _task, words in cases:
        res = run.result(title)
        assert res.get("failed"), (title, res)
        for word in words:
            assert word in res["msg"], (title, word, res["msg"])
    assert west.writes() == 0 and east.writes() == 0
