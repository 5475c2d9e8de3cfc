# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit.build_report on an in-memory 3-site mesh: healthy is all green; each injected problem -> check, severity, message.

Also the renderers: Markdown and HTML hold the findings and the graph, no URL, no script, no key material.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import re

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import audit, audit_render, layout, pki
from ansible_collections.skupper.tls.plugins.plugin_utils import inventory

KEY = pki.KeySpec("ecdsa", 256)
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)
SITES = ("west", "east", "north")
LINKS = {"west": ["east", "north"], "east": ["north"], "north": []}
SKUPPER_ANNOTATION = {"internal.skupper.io/controlled": "true"}


def issue(cn, hosts=(), usage="both", is_ca=False, issuer=None, days=1825, start=None):
    spec = pki.CertSpec(common_name=cn, hosts=tuple(hosts), usage=usage, is_ca=is_ca, validity=datetime.timedelta(days=days),
                        renew_before=datetime.timedelta(0), key=KEY)
    cert, key = pki.issue(spec, issuer=issuer, now=start or NOW - datetime.timedelta(days=1))
    return pki.Issuer(cert, key) if is_ca else (cert, key)


def pem(*certs):
    return pki.certs_to_pem(list(certs))


def secret(ns, name, data, ours=True, annotations=None):
    obj = layout.build_secret(None, ns, name, layout.TYPE_TLS, data)
    if annotations:
        obj["metadata"]["annotations"] = dict(annotations)   # as Skupper has them: build_secret never writes its controlled marker
    if not ours:
        obj["metadata"]["labels"].pop(layout.MANAGED_BY)
    return obj


def ca_secret(ns, name, ca):
    return secret(ns, name, {"tls.crt": pem(ca.cert), "tls.key": pki.key_to_pem(ca.key), "ca.crt": pem(ca.cert)})


def leaf_secret(ns, name, cert_key, ca, ours=True, annotations=None):
    cert, key = cert_key
    return secret(ns, name, {"tls.crt": pem(cert), "tls.key": pki.key_to_pem(key), "ca.crt": pem(ca.cert)}, ours=ours, annotations=annotations)


class Mesh(object):
    """The inventory models of a 3-site v2 full mesh and every object the collection would have written."""

    def __init__(self, version=2):
        hostvars = {}
        for name in SITES:
            hostvars[name] = {"inventory_hostname": name, "skupper_namespace": name, "skupper_version": version,
                              "skupper_external_hosts": ["%s.example.com" % name], "skupper_links": [{"to": t} for t in LINKS[name]],
                              "skupper_services": [{"name": "backend", "hosts": ["backend"]}], "skupper_service_tls_mode": "shared"}
        self.sites = [inventory.site(hostvars[n]) for n in SITES]
        self.model = dict((s["name"], s) for s in self.sites)
        self.cas = {}
        self.objects = dict((n, {}) for n in SITES)
        service_ca = issue("skupper-service-ca", is_ca=True)
        service = issue("backend", ["backend"], issuer=service_ca)
        service_client = issue("skupper-service-client", usage="client", issuer=service_ca)
        for s in self.sites:
            n, ns = s["name"], s["namespace"]
            site_ca = self.cas[n] = issue("%s site CA" % n if version == 2 else "skupper-site-ca", is_ca=True)
            local_ca = issue("%s local CA" % n if version == 2 else "skupper-local-ca", is_ca=True)
            self.put(n, ca_secret(ns, "skupper-site-ca", site_ca))
            self.put(n, ca_secret(ns, "skupper-local-ca", local_ca))
            self.put(n, leaf_secret(ns, "skupper-site-server", issue("skupper-router", s["server_hosts"], issuer=site_ca), site_ca))
            self.put(n, leaf_secret(ns, "skupper-local-server", issue("skupper-router-local", s["local_server_hosts"], issuer=local_ca), local_ca))
            if version == 1:
                client = leaf_secret(ns, "skupper-local-client", issue("skupper-router-local", usage="client", issuer=local_ca), local_ca)
                client["data"]["connect.json"] = base64.b64encode(layout.v1_connect_json(ns)).decode()
                self.put(n, client)
            self.put(n, ca_secret(ns, "skupper-service-ca", service_ca))
            self.put(n, leaf_secret(ns, s["services"][0]["secret"], service, service_ca))
            self.put(n, leaf_secret(ns, "skupper-service-client", service_client, service_ca))
        for s in self.sites:
            for to in LINKS[s["name"]]:
                self.link(s["name"], to)

    def link(self, src, to, signer=None, hosts=None):
        ns = self.model[src]["namespace"]
        ca = self.cas[to]
        creds = leaf_secret(ns, "link-%s" % to, issue(src, usage="client", issuer=signer or ca), ca)
        if self.model[src]["version"] == 1:
            creds["metadata"]["labels"]["skupper.io/type"] = "connection-token"
            creds["metadata"]["annotations"] = {"inter-router-host": (hosts or ["%s.example.com" % to])[0], "inter-router-port": "55671"}
        self.put(src, creds)
        if self.model[src]["version"] == 2:
            self.put(src, {"apiVersion": "skupper.io/v2alpha1", "kind": "Link", "metadata": {"name": "link-%s" % to, "namespace": ns},
                           "spec": {"tlsCredentials": "link-%s" % to, "cost": 1,
                                    "endpoints": [{"name": "inter-router", "host": h, "port": "55671"} for h in hosts or ["%s.example.com" % to]]}})

    def put(self, site, obj):
        self.objects[site][(obj["kind"], obj["metadata"]["name"])] = obj

    def get(self, site, name, kind="Secret"):
        return self.objects[site][(kind, name)]

    def report(self, **kw):
        objects = dict((s["host"], dict(self.objects[s["name"]])) for s in self.sites)
        return audit.build_report(self.sites, objects, now=NOW, **kw)


@pytest.fixture(scope="module")
def healthy():
    return Mesh()


@pytest.fixture
def mesh(healthy):
    return copy.deepcopy(healthy)


def found(report, check, site=None, name=None):
    return [f for f in report["findings"] if f["check"] == check and (site is None or f["site"] == site)
            and (name is None or f["object"]["name"] == name)]


def test_healthy_mesh_is_all_green(healthy):
    report = healthy.report()
    assert report["findings"] == []
    assert report["summary"]["status"] == "ok"
    assert [link["id"] for link in report["links"]] == ["west->east", "west->north", "east->north"]
    assert all(link["health"] == "ok" and link["credential_trusted"] for link in report["links"])
    assert report["links"][0]["server_verified"] == {"east.example.com": True}
    assert report["summary"]["certificates"] == 3 * 7 + 3
    assert report["summary"]["next_expiry"]["days_left"] >= 1800
    verdicts = dict(((o["site"], o["name"]), o["skupper"]["verdict"]) for o in report["objects"] if o.get("skupper"))
    assert verdicts[("east", "skupper-site-server")] == "accept"
    assert verdicts[("west", "link-east")] == "use"
    assert all(s["ca_phases"] == {"skupper-site-ca": "steady", "skupper-local-ca": "steady", "skupper-service-ca": "steady"} for s in report["sites"])
    assert report["schema_version"] == audit.SCHEMA_VERSION


def expiring_leaf(m, days):
    site_ca = m.cas["east"]
    m.put("east", leaf_secret("east", "skupper-site-server", issue("skupper-router", m.model["east"]["server_hosts"], issuer=site_ca, days=days + 1),
                              site_ca))


def expiring_ca(m, days):
    ca = issue("north site CA", is_ca=True, days=days + 1)
    m.cas["north"] = ca
    m.put("north", ca_secret("north", "skupper-site-ca", ca))
    m.put("north", leaf_secret("north", "skupper-site-server", issue("skupper-router", m.model["north"]["server_hosts"], issuer=ca), ca))
    for src in ("west", "east"):
        m.link(src, "north")


def foreign_off_spec(m):
    ca = m.cas["west"]
    m.put("west", leaf_secret("west", "skupper-site-server", issue("my-router", ["skupper-router", "skupper-router.west", "west.example.com"],
                                                                   issuer=ca), ca, ours=False))


def foreign_ok(m):
    ca = m.cas["west"]
    m.put("west", leaf_secret("west", "skupper-site-server", issue("skupper-router", m.model["west"]["server_hosts"], issuer=ca), ca, ours=False))


def skupper_controlled_wrong(m):
    ca = m.cas["east"]
    obj = leaf_secret("east", "skupper-site-server", issue("skupper-router", ["skupper-router", "skupper-router.east"], issuer=ca), ca,
                      ours=False, annotations=SKUPPER_ANNOTATION)
    m.put("east", obj)


def skupper_controlled_ok(m):
    obj = m.get("east", "skupper-local-server")
    obj["metadata"]["labels"].pop(layout.MANAGED_BY)
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "skupper.io/v2alpha1", "kind": "Certificate", "name": "skupper-local-server", "uid": "u"}]


def host_not_covered(m):
    m.link("west", "east", hosts=["east.example.com", "east-lb.example.net"])


def untrusted_link(m):
    old = issue("east site CA", is_ca=True)  # a CA east no longer uses
    m.link("west", "east", signer=old)


def half_rotation_prepared(m):
    obj = m.get("north", "skupper-site-ca")
    nxt = issue("north site CA", is_ca=True)
    obj["data"]["next.crt"] = base64.b64encode(pem(nxt.cert)).decode()
    obj["data"]["next.key"] = base64.b64encode(pki.key_to_pem(nxt.key)).decode()


def half_rotation_activated(m):
    obj = m.get("north", "skupper-site-ca")
    obj["data"]["prev.crt"] = base64.b64encode(pem(issue("north site CA", is_ca=True).cert)).decode()


def missing_secret(m):
    del m.objects["north"][("Secret", "skupper-local-server")]


def missing_link(m):
    del m.objects["west"][("Link", "link-north")]


def key_mismatch(m):
    obj = m.get("west", "skupper-local-server")
    obj["data"]["tls.key"] = base64.b64encode(pki.key_to_pem(pki.generate_key(KEY))).decode()


def corrupt_ca_key(m):
    """An RSA site CA whose key matches its certificate but fails cryptography's RSA check (a wrong CRT exponent)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    cert, key = pki.issue(pki.CertSpec("north site CA", is_ca=True, key=pki.KeySpec("rsa", 2048)))
    n = key.private_numbers()
    bad = rsa.RSAPrivateNumbers(n.p, n.q, n.d, n.dmp1 + 2, n.dmq1, n.iqmp, n.public_numbers).private_key(unsafe_skip_rsa_key_validation=True)
    obj = m.get("north", "skupper-site-ca")
    obj["data"]["tls.crt"] = base64.b64encode(pem(cert)).decode()
    obj["data"]["tls.key"] = base64.b64encode(bad.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                                                serialization.NoEncryption())).decode()


def wrong_issuer(m):
    other = issue("someone else", is_ca=True)
    m.put("north", leaf_secret("north", "skupper-tls-backend", issue("backend", ["backend"], issuer=other), other))


def stale_trust_bundle(m):
    obj = m.get("east", "skupper-local-server")
    obj["data"]["ca.crt"] = base64.b64encode(pem(m.cas["east"].cert, issue("x", is_ca=True).cert)).decode()


def extra_host_not_ready(m):
    ca = m.cas["north"]
    m.put("north", leaf_secret("north", "skupper-site-server", issue("skupper-router", m.model["north"]["server_hosts"] + ["extra.example.org"],
                                                                     issuer=ca), ca, ours=False))


CASES = [
    # (name, inject, check, severity, site, object name, words in the message)
    ("expiring leaf (warn)", lambda m: expiring_leaf(m, 20), "expiry", "warning", "east", "skupper-site-server", ["expires in 20 days", "audit_warn_days=30"]),
    ("expiring leaf (fail)", lambda m: expiring_leaf(m, 3), "expiry", "critical", "east", "skupper-site-server", ["expires in 3 days", "audit_fail_days=7"]),
    ("expiring CA", lambda m: expiring_ca(m, 5), "ca_expiry", "critical", "north", "skupper-site-ca", ["CA 'north site CA'", "expires in 5 days"]),
    ("foreign off spec", foreign_off_spec, "spec", "warning", "west", "skupper-site-server", ["foreign", "CN 'my-router', wanted 'skupper-router'",
                                                                                              "adopt: true"]),
    ("foreign on spec", foreign_ok, "ownership", "info", "west", "skupper-site-server", ["foreign", "satisfies the spec"]),
    ("skupper-controlled, incorrect", skupper_controlled_wrong, "skupper", "critical", "east", "skupper-site-server",
     ["Skupper controls this Secret", "hosts east.example.com missing", "regenerates"]),
    ("skupper-controlled", skupper_controlled_wrong, "ownership", "warning", "east", "skupper-site-server", ["controlled by Skupper"]),
    ("skupper-controlled by owner ref", skupper_controlled_ok, "ownership", "warning", "east", "skupper-local-server", ["controlled by Skupper"]),
    ("host not covered (sans)", host_not_covered, "sans", "critical", "east", "skupper-site-server",
     ["does not cover host east-lb.example.net", "west's Link link-east"]),
    ("host not covered (link)", host_not_covered, "link_server", "critical", "west", "link-east", ["does not cover host east-lb.example.net"]),
    ("untrusted link credential", untrusted_link, "link_trust", "critical", "west", "link-east",
     ["not trusted by east's skupper-site-server", "rejects this link"]),
    ("half rotation prepared", half_rotation_prepared, "rotation", "warning", "north", "skupper-site-ca", ["half-finished", "rotate_phase=activate"]),
    ("half rotation activated", half_rotation_activated, "rotation", "warning", "north", "skupper-site-ca", ["half-finished", "rotate_phase=finalize"]),
    ("missing Secret", missing_secret, "present", "critical", "north", "skupper-local-server", ["missing"]),
    ("missing Link", missing_link, "present", "critical", "west", "link-north", ["missing", "no connector to north"]),
    ("key mismatch", key_mismatch, "key_pair", "critical", "west", "skupper-local-server", ["tls.key is not the private key"]),
    ("corrupt CA key", corrupt_ca_key, "key_pair", "critical", "north", "skupper-site-ca", ["RSA private key is corrupt", "cannot sign"]),
    ("wrong issuer", wrong_issuer, "issuer", "critical", "north", "skupper-tls-backend", ["not signed by skupper-service-ca"]),
    ("stale trust bundle", stale_trust_bundle, "trust_bundle", "warning", "east", "skupper-local-server", ["does not hold the current signer"]),
    ("skupper 2.2 not ready", extra_host_not_ready, "skupper", "warning", "north", "skupper-site-server",
     ["not ready", "extra hosts extra.example.org"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_injected_problem_is_named(mesh, case):
    _name, inject, check, severity, site, obj, words = case
    inject(mesh)
    report = mesh.report()
    hits = found(report, check, site, obj)
    assert hits, "no %s finding on %s/%s; findings: %s" % (check, site, obj, json.dumps(report["findings"], indent=1))
    finding = hits[0]
    assert finding["severity"] == severity, finding
    assert finding["message"].startswith("site %s: " % site) and "/%s: " % obj in finding["message"], finding["message"]
    for word in words:
        assert word in finding["message"], (word, finding["message"])
    assert report["summary"]["status"] == audit._worst(f["severity"] for f in report["findings"])
    assert RANK_AT_LEAST(report["summary"]["status"], severity)


def RANK_AT_LEAST(status, severity):
    return audit.RANK[status] >= audit.RANK[severity]


def test_problems_colour_the_right_link_and_site(mesh):
    untrusted_link(mesh)
    report = mesh.report()
    health = dict((link["id"], link["health"]) for link in report["links"])
    assert health == {"west->east": "critical", "west->north": "ok", "east->north": "ok"}
    link = report["links"][0]
    assert link["credential_trusted"] is False
    assert dict((s["name"], s["health"]) for s in report["sites"])["west"] == "critical"
    assert report["summary"]["links_unhealthy"] == ["west->east"]


def test_thresholds_move_severity(mesh):
    expiring_leaf(mesh, 20)
    assert found(mesh.report(warn_days=10, fail_days=5), "expiry") == []
    assert found(mesh.report(warn_days=60, fail_days=25), "expiry")[0]["severity"] == "critical"
    with pytest.raises(ValueError, match="audit_warn_days"):
        mesh.report(warn_days=5, fail_days=10)


def test_expired_leaf_is_critical(mesh):
    ca = mesh.cas["east"]
    mesh.put("east", leaf_secret("east", "skupper-local-server", issue("skupper-router-local", mesh.model["east"]["local_server_hosts"], issuer=ca,
                                                                       days=10, start=NOW - datetime.timedelta(days=12)), ca))
    hits = found(mesh.report(), "expiry", "east", "skupper-local-server")
    assert hits[0]["severity"] == "critical" and "expired 2 days ago" in hits[0]["message"]


def test_superset_accepted_before_2_2(mesh):
    extra_host_not_ready(mesh)
    assert found(mesh.report(skupper_release="2.1"), "skupper") == []
    record = [o for o in mesh.report(skupper_release="2.1")["objects"] if o["site"] == "north" and o["name"] == "skupper-site-server"][0]
    assert record["skupper"]["verdict"] == "accept"


def test_site_status_endpoints_are_dialled_hosts(mesh):
    mesh.put("north", {"apiVersion": "skupper.io/v2alpha1", "kind": "Site", "metadata": {"name": "north", "namespace": "north"},
                       "status": {"endpoints": [{"name": "inter-router", "host": "10.0.0.9", "port": "55671"}]}})
    hits = found(mesh.report(), "sans", "north", "skupper-site-server")
    assert hits and "10.0.0.9" in hits[0]["message"] and "Site north status.endpoints" in hits[0]["message"]


def test_handshake_rows_are_attached_and_failures_critical(healthy):
    rows = [{"site": "west", "check": "link to east", "host": "east.example.com", "python": "ok", "openssl": "ok", "ok": True},
            {"site": "west", "check": "link to north", "host": "north.example.com", "python": "ok", "openssl": "certificate verify failed", "ok": False}]
    report = healthy.report(handshakes=rows)
    assert report["links"][0]["handshakes"][0]["ok"] is True
    hits = found(report, "handshake", "west", "link-north")
    assert hits[0]["severity"] == "critical" and "certificate verify failed" in hits[0]["message"]
    assert dict((link["id"], link["health"]) for link in report["links"])["west->north"] == "critical"


def test_read_error_is_one_critical_finding(healthy):
    objects = dict((s["host"], dict(healthy.objects[s["name"]])) for s in healthy.sites)
    report = audit.build_report(healthy.sites, objects, now=NOW, read_errors={"north": "cannot reach cluster https://127.0.0.1:1"})
    hits = found(report, "read")
    assert len(hits) == 1 and hits[0]["site"] == "north" and "cannot reach" in hits[0]["message"]


def test_v1_mesh_and_connect_json(healthy):
    m = Mesh(version=1)
    assert m.report()["findings"] == []
    obj = m.get("west", "skupper-local-client")
    obj["data"]["connect.json"] = base64.b64encode(b'{"scheme":"amqps"}').decode()
    del m.get("east", "link-north")["metadata"]["labels"]["skupper.io/type"]
    report = m.report()
    assert found(report, "skupper", "west", "skupper-local-client")[0]["severity"] == "critical"
    assert "delete and recreate" in found(report, "skupper", "west", "skupper-local-client")[0]["message"]
    assert "connection-token" in found(report, "link", "east", "link-north")[0]["message"]


# --------------------------------------------------------------------------- no secrets, renderers

KEY_B64 = re.compile(r"-----BEGIN|PRIVATE KEY")


def all_key_material(mesh):
    values = []
    for objects in mesh.objects.values():
        for obj in objects.values():
            values += [v for k, v in (obj.get("data") or {}).items()]
            values += [base64.b64decode(v).decode("ascii", "replace") for v in (obj.get("data") or {}).values()]
    return values


def test_no_key_byte_or_secret_data_in_any_output(mesh):
    half_rotation_prepared(mesh)
    key_mismatch(mesh)
    report = mesh.report()
    outputs = [json.dumps(report), audit_render.markdown(report), audit_render.html_page(report)]
    for text in outputs:
        assert not KEY_B64.search(text)
        for value in all_key_material(mesh):
            for line in value.splitlines():
                if len(line) > 20:
                    assert line not in text


def test_html_is_self_contained_and_shows_findings_and_graph(mesh):
    untrusted_link(mesh)
    expiring_leaf(mesh, 20)
    mesh.link("west", "north", hosts=["<script>alert(1)</script>"])
    report = mesh.report()
    page = audit_render.html_page(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert not re.search(r"(?:https?:)?//[a-z0-9]", re.sub(r'xmlns="http://www\.w3\.org/2000/svg"', "", page), re.I), "external URL in the page"
    assert 'id="link-graph"' in page and 'id="expiry-timeline"' in page
    assert page.count('class="finding"') == len(report["findings"])
    assert 'data-link="west-&gt;east" data-health="critical"' in page
    for finding in report["findings"]:
        assert audit_render._e(finding["message"]) in page
    assert 'data-site="west" data-health="critical"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_summary(mesh):
    assert "No findings" in audit_render.markdown(mesh.report())
    untrusted_link(mesh)
    text = audit_render.markdown(mesh.report())
    assert text.startswith("## Skupper TLS audit: CRITICAL")
    assert "| west->east | CRITICAL | NO |" in text
    assert "| CRITICAL | west | Secret west/link-east | link_trust |" in text
