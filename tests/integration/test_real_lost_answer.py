# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A write the real API server applied but whose answer never arrived (the proxy's "lost" fault): the client
retries, the retry conflicts with the first attempt itself, and the result still says what happened - created or
reissued, with the certificate that is stored - not "unchanged"."""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import args, engine, layout, ops, pki, runtime


class Module(object):
    check_mode = False

    def __init__(self):
        self.no_log_values = set()
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def ca_params(proxy, namespace, **extra):
    params = dict(name="skupper-site-ca", namespace=namespace, site_name="west", kubeconfig=proxy.kubeconfig, context=proxy.context)
    params.update(extra)
    return args.validated(args.ca_argument_spec(), args.CA_RULES, params, "test")


def stored_fingerprint(cluster, namespace, name):
    data = layout.decode_data(cluster.get("Secret", namespace, name))
    return pki.facts(pki.load_certificates(data["tls.crt"])[0])["fingerprint_sha256"]


def test_a_lost_answer_to_a_create_or_replace_is_reported_as_the_write_it_was(real_clusters, real_namespace, real_fault_proxy):
    cluster = real_clusters(1)[0]
    ns = real_namespace(cluster, "lost")
    proxy = real_fault_proxy(cluster)

    proxy.inject("POST", r"/secrets$", "lost", count=1)
    mark = cluster.mark()
    created = ops.ensure_ca(runtime.Runtime(Module(), env={}), ca_params(proxy, ns))
    assert proxy.faulted and proxy.faulted[0][2] == "lost"
    assert created["changed"] and created["action"] == "created", created
    assert any(r.startswith("retried: an earlier attempt of this create") for r in created["reasons"]), created["reasons"]
    assert created["certificate"]["fingerprint_sha256"] == stored_fingerprint(cluster, ns, "skupper-site-ca")
    creates = [e for e in cluster.events(mark, verb="create", namespace=ns) if e["objectRef"].get("resource") == "secrets"]
    assert [e["responseStatus"]["code"] for e in creates] == [201, 409], "the first create applied, the retry conflicted with it"

    proxy.inject("PUT", r"/secrets/skupper-site-ca$", "lost", count=1)
    reissued = ops.ensure_ca(runtime.Runtime(Module(), env={}), ca_params(proxy, ns, force=True))
    assert reissued["changed"] and reissued["action"] == "reissued", reissued
    assert any(r.startswith("retried: an earlier attempt of this replace") for r in reissued["reasons"]), reissued["reasons"]
    assert reissued["certificate"]["fingerprint_sha256"] == stored_fingerprint(cluster, ns, "skupper-site-ca")
    assert reissued["certificate"]["fingerprint_sha256"] != created["certificate"]["fingerprint_sha256"]

    again = ops.ensure_ca(runtime.Runtime(Module(), env={}), ca_params(proxy, ns))
    assert not again["changed"] and again["action"] == "unchanged"


def test_a_lost_answer_to_a_link_create_is_reported_as_created(real_clusters, real_namespace, real_fault_proxy):
    cluster = real_clusters(1)[0]
    ns = real_namespace(cluster, "lostlink")
    proxy = real_fault_proxy(cluster)
    rt = runtime.Runtime(Module(), env={})
    store = rt.store({"kubeconfig": proxy.kubeconfig, "context": proxy.context})
    link = {"apiVersion": "skupper.io/v2alpha1", "kind": "Link", "metadata": {"name": "link-east", "namespace": ns, "labels": {}},
            "spec": {"endpoints": [{"name": "inter-router", "host": "east.example.com", "port": "55671"}], "tlsCredentials": "link-east",
                     "cost": 1}}
    proxy.inject("POST", r"/links$", "lost", count=1)
    result = engine.ensure_object(store, link)
    assert result["changed"] and result["action"] == "created", result
    assert cluster.get("Link", ns, "link-east")["spec"]["tlsCredentials"] == "link-east"
    assert not engine.ensure_object(store, link)["changed"]
