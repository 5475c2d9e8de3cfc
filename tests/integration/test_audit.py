# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit playbook on a 3-site mesh made by the site playbook, in a directory and on real kube-apiservers.

Healthy: rc 0, all green, JSON + HTML written. Then every problem of issue 12 is injected by hand (through the
collection's own Store, so the same code works on a directory and on real clusters) and each one must come
back with its check, severity and a message naming site, Secret and reason; the run fails (critical findings).
The HTML page is opened in headless Debian chromium: the DOM must hold the findings and the graph; screenshots go
to tests/output/.

The cluster variant runs on three real kube-apiservers (tests/realkube's ``real_fleet``), each site in a new namespace.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import yaml

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki, runtime
from ansible_collections.skupper.tls.plugins.module_utils.store import ObjRef

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(ROOT, "playbooks")
SITE, AUDIT = os.path.join(PLAYBOOKS, "site.yml"), os.path.join(PLAYBOOKS, "audit.yml")
OUTPUT = os.path.join(ROOT, "tests", "output")
AUDIT_TASK = "Audit every site (once, from the controller)"
SITES = ("west", "east", "north")
LINKS = {"west": ["east", "north"], "east": ["north"], "north": []}
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def write_inventory(tmp_path, per_site, common, namespaces=None):
    hosts = {}
    for name in SITES:
        hosts[name] = dict({"skupper_namespace": (namespaces or {}).get(name, name), "skupper_external_hosts": ["%s.example.com" % name],
                            "skupper_links": [{"to": t} for t in LINKS[name]]}, **per_site(name))
    data = {"all": {"vars": dict({"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                                  "skupper_services": [{"name": "backend", "hosts": ["backend", "backend.example.com"]}],
                                  "skupper_service_tls_mode": "shared", "skupper_tls_key_type": "ecdsa"}, **common),
                    "hosts": hosts}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return path


class _Quiet(object):
    """The little of a module a Runtime needs, to open stores from a test."""
    check_mode = False
    no_log_values = set()

    def warn(self, message):
        pass


@pytest.fixture(params=["directory", "real-clusters"])
def fleet(request, tmp_path):
    """(where, inventory path, {site: Store}, {site: namespace}) of a provisioned 3-site mesh: in a manifest directory, or
    on three real kube-apiservers (tests/realkube; new namespaces per test)."""
    if request.param == "directory":
        out = tmp_path / "manifests"
        namespaces = dict((n, n) for n in SITES)
        inv = write_inventory(tmp_path, lambda n: {}, {"skupper_target": "directory", "skupper_output_dir": str(out)})
        connections = dict((n, {"target": "directory", "directory": str(out / n)}) for n in SITES)
    else:
        real = request.getfixturevalue("real_fleet")(SITES)
        namespaces = dict((n, real[n].namespace) for n in SITES)
        connections = dict((n, {"kubeconfig": real.kubeconfig, "context": real[n].context}) for n in SITES)
        inv = write_inventory(tmp_path, lambda n: {"skupper_cluster": connections[n]}, {}, namespaces)
    rt = runtime.Runtime(_Quiet())
    stores = dict((n, rt.store(c, use_env=False)) for n, c in connections.items())
    return request.param, inv, stores, namespaces


def audit_run(playbook, inv, tmp_path, expect_rc=0, check=False, extra=None):
    run = playbook(AUDIT, inventory=inv, expect_rc=expect_rc, check=check,
                   extravars=dict({"audit_output_dir": str(tmp_path / "audit")}, **(extra or {})))
    return run, run.result(AUDIT_TASK)


# --------------------------------------------------------------------------- injecting problems by hand


def secret_ref(ns, name):
    return ObjRef("v1", "Secret", ns, name)


def rewrite(store, ns, name, data=None, labels_drop=(), annotations=None, kind="Secret", spec=None):
    ref = secret_ref(ns, name) if kind == "Secret" else ObjRef("skupper.io/v2alpha1", kind, ns, name)
    obj = store.get(ref)
    assert obj, ref
    meta = obj["metadata"]
    if data is not None:
        merged = layout.decode_data(obj)
        merged.update(data)
        obj["data"] = layout.encode_data(merged)
    for label in labels_drop:
        (meta.get("labels") or {}).pop(label, None)
    if annotations:
        meta["annotations"] = dict(meta.get("annotations") or {}, **annotations)
    if spec:
        obj["spec"] = dict(obj["spec"], **spec)
    store.replace(obj)


def issuer_of(store, ns, name):
    data = layout.decode_data(store.get(secret_ref(ns, name)))
    return pki.Issuer.load(data["tls.crt"], data["tls.key"])


def reissue(store, ns, name, issuer, cn, hosts=(), usage="both", days=1825, is_ca=False, key=None):
    spec = pki.CertSpec(common_name=cn, hosts=tuple(hosts), usage=usage, is_ca=is_ca, validity=datetime.timedelta(days=days),
                        renew_before=datetime.timedelta(0), key=pki.KeySpec("ecdsa", 256))
    cert, new_key = pki.issue(spec, issuer=issuer, key=key)
    return {"tls.crt": pki.certs_to_pem([cert]), "tls.key": pki.key_to_pem(new_key)}


def inject_everything(stores, ns):
    """Each problem of issue 12 on its own object; returns the expected (check, severity, site, object, words)."""
    w, e, n = stores["west"], stores["east"], stores["north"]
    # expiring leaf: west's local server certificate, 3 days left
    local = issuer_of(w, ns["west"], "skupper-local-ca")
    local_hosts = ["skupper-router-local", "skupper-router-local.%s" % ns["west"], "skupper-router-local.%s.svc.cluster.local" % ns["west"]]
    rewrite(w, ns["west"], "skupper-local-server", reissue(w, ns["west"], "skupper-local-server", local, "skupper-router-local", local_hosts,
                                                           days=3))
    # expiring CA: north's local CA re-signed with its own key for 20 days (leaves still chain to it)
    north_local = issuer_of(n, ns["north"], "skupper-local-ca")
    spec = pki.CertSpec(common_name="north local CA", is_ca=True, validity=datetime.timedelta(days=20), renew_before=datetime.timedelta(0),
                        key=pki.KeySpec("ecdsa", 256))
    short_ca, _key = pki.issue(spec, key=north_local.key)
    rewrite(n, ns["north"], "skupper-local-ca", {"tls.crt": pki.certs_to_pem([short_ca]), "ca.crt": pki.certs_to_pem([short_ca])})
    # foreign Secret that does not satisfy the spec: east's service client, someone else's CN, no managed-by label
    service = issuer_of(e, ns["east"], "skupper-service-ca")
    rewrite(e, ns["east"], "skupper-service-client", reissue(e, ns["east"], "skupper-service-client", service, "someone-else", usage="client"),
            labels_drop=[layout.MANAGED_BY])
    # Skupper-controlled Secret: north's server certificate carries Skupper's controlled annotation
    rewrite(n, ns["north"], "skupper-site-server", annotations={"internal.skupper.io/controlled": "true"})
    # endpoint host not covered: west's Link to east dials a host east's server certificate does not name
    rewrite(w, ns["west"], "link-east", kind="Link", spec={"endpoints": [{"name": "inter-router", "host": "east-lb.example.net", "port": "55671"}]})
    # link credential signed by a CA the peer no longer trusts: east's credential for north, from a retired north CA
    retired = pki.Issuer(*pki.issue(pki.CertSpec(common_name="north site CA", is_ca=True, key=pki.KeySpec("ecdsa", 256))))
    rewrite(e, ns["east"], "link-north", reissue(e, ns["east"], "link-north", retired, "east", usage="client"))
    # half-finished rotation: west's site CA has a pending CA (prepare done, activate not)
    pending = pki.issue(pki.CertSpec(common_name="west site CA", is_ca=True, key=pki.KeySpec("ecdsa", 256)))
    current = layout.decode_data(w.get(secret_ref(ns["west"], "skupper-site-ca")))["tls.crt"]
    rewrite(w, ns["west"], "skupper-site-ca", {"next.crt": pki.certs_to_pem([pending[0]]), "next.key": pki.key_to_pem(pending[1]),
                                               "ca.crt": current + pki.certs_to_pem([pending[0]])})
    return [
        ("expiry", "critical", "west", "skupper-local-server", ["expires in 2 days", "audit_fail_days=7"]),
        ("ca_expiry", "warning", "north", "skupper-local-ca", ["CA 'north local CA'", "expires in 19 days", "audit_warn_days=30"]),
        ("spec", "warning", "east", "skupper-service-client", ["foreign", "CN 'someone-else', wanted 'skupper-service-client'", "adopt: true"]),
        ("ownership", "warning", "north", "skupper-site-server", ["controlled by Skupper", "regenerates its data"]),
        ("sans", "critical", "east", "skupper-site-server", ["does not cover host east-lb.example.net", "west's Link link-east"]),
        ("link_server", "critical", "west", "link-east", ["east's skupper-site-server", "does not cover host east-lb.example.net"]),
        ("link_trust", "critical", "east", "link-north", ["not trusted by north's skupper-site-server", "rejects this link"]),
        ("rotation", "warning", "west", "skupper-site-ca", ["half-finished CA rotation", "rotate_phase=activate"]),
    ]


# --------------------------------------------------------------------------- headless chromium


def chromium(page, screenshot=None):
    """The DOM chromium rendered for ``page`` (and a screenshot); skip with a reason when chromium is missing."""
    if not CHROMIUM:
        pytest.skip("chromium not installed (hack/ensure-chromium.sh installs Debian's chromium; set CHROMIUM=/path to use another)")
    with tempfile.TemporaryDirectory(prefix="audit-chromium-") as profile:
        base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=%s" % profile, "--window-size=1400,1800"]
        url = "file://%s" % page
        dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
        if screenshot:
            os.makedirs(os.path.dirname(screenshot), exist_ok=True)
            if os.path.exists(screenshot):
                os.unlink(screenshot)
            subprocess.run(base + ["--screenshot=%s" % screenshot, url], capture_output=True, text=True, timeout=120, check=True)
            assert os.path.getsize(screenshot) > 10000
    return dom


# --------------------------------------------------------------------------- tests


def test_audit_healthy_then_every_injected_problem(playbook, fleet, tmp_path):
    where, inv, stores, namespaces = fleet
    playbook(SITE, inventory=inv)

    run, healthy = audit_run(playbook, inv, tmp_path)
    assert healthy["status"] == "ok", healthy["findings"]
    assert healthy["findings"] == []
    assert healthy["summary"]["sites"] == 3 and healthy["summary"]["links"] == 3
    assert [link["health"] for link in healthy["links"]] == ["ok", "ok", "ok"]
    assert healthy["summary"]["next_expiry"]["days_left"] > 1800
    assert "## Skupper TLS audit: OK" in run.stdout
    report = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert report["schema_version"] == 1 and report["summary"] == healthy["summary"]
    expected_store = "directory" if where == "directory" else "cluster"
    assert all(s["store"].startswith(expected_store) for s in report["sites"])
    if where == "directory":
        dom = chromium(str(tmp_path / "audit" / "audit.html"), os.path.join(OUTPUT, "audit-healthy.png"))
        assert 'id="no-findings"' in dom and dom.count('class="site"') == 3

    writes_before = sum(len(os.listdir(os.path.dirname(s.root))) for s in stores.values() if hasattr(s, "root"))
    expected = inject_everything(stores, namespaces)
    run, broken = audit_run(playbook, inv, tmp_path, expect_rc=2)
    assert "critical finding" in run.stdout or "critical" in run.stdout
    for check, severity, site, name, words in expected:
        hits = [f for f in broken["findings"] if f["check"] == check and f["site"] == site and f["object"]["name"] == name]
        assert hits, "%s on %s/%s not reported; got %s" % (check, site, name, [(f["check"], f["site"], f["object"]["name"]) for f in broken["findings"]])
        assert hits[0]["severity"] == severity, hits[0]
        assert hits[0]["message"].startswith("site %s: " % site) and name in hits[0]["message"]
        for word in words:
            assert word in hits[0]["message"], (word, hits[0]["message"])
    assert broken["status"] == "critical"
    health = dict((link["id"], link["health"]) for link in broken["links"])
    assert health == {"west->east": "critical", "west->north": "warning", "east->north": "critical"}, health
    # read-only, also in check mode: nothing was written by the audit
    if where == "directory":
        assert sum(len(os.listdir(os.path.dirname(s.root))) for s in stores.values() if hasattr(s, "root")) == writes_before
    _run, checked = audit_run(playbook, inv, tmp_path, expect_rc=2, check=True)
    assert checked["summary"]["counts"] == broken["summary"]["counts"]

    page = tmp_path / "audit" / "audit.html"
    text = page.read_text()
    assert "PRIVATE KEY" not in text and "BEGIN" not in text
    if where == "directory":
        dom = chromium(str(page), os.path.join(OUTPUT, "audit.png"))
        assert dom.count('class="finding"') == len(broken["findings"])
        assert 'id="link-graph"' in dom and 'data-link="east-&gt;north" data-health="critical"' in dom
        assert 'id="expiry-timeline"' in dom and dom.count('class="cert"') == broken["summary"]["certificates"]
        assert "does not cover host east-lb.example.net" in dom


def test_audit_live_handshakes_and_thresholds(playbook, tmp_path):
    out = tmp_path / "manifests"
    inv = write_inventory(tmp_path, lambda n: {}, {"skupper_target": "directory", "skupper_output_dir": str(out)})
    playbook(SITE, inventory=inv)
    _run, live = audit_run(playbook, inv, tmp_path, extra={"audit_handshakes": True, "skupper_verify_methods": ["python"]})
    rows = [h for link in live["links"] for h in link.get("handshakes", [])]
    assert len(rows) == 3 and all(h["ok"] for h in rows)
    # every certificate is 5 years: thresholds beyond that make every one of them critical
    _run, strict = audit_run(playbook, inv, tmp_path, expect_rc=2, extra={"audit_warn_days": 4000, "audit_fail_days": 3000})
    assert strict["summary"]["counts"]["critical"] == strict["summary"]["certificates"]
    assert set(f["check"] for f in strict["findings"]) == {"expiry", "ca_expiry"}
