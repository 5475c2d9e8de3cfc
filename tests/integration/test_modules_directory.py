# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""skupper_ca / skupper_cert through ansible-playbook, writing manifests to a directory."""

from __future__ import annotations

import base64
import os
import stat

import yaml

from ansible_collections.skupper.tls.plugins.module_utils import pki


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def data_of(path):
    return dict((k, base64.b64decode(v)) for k, v in load(path)["data"].items())


def ca_task(out, **kw):
    args = dict(name="skupper-site-ca", namespace="west", site_name="west", target="directory", directory=str(out))
    args.update(kw)
    return {"name": "ca", "skupper.tls.skupper_ca": args, "register": "ca"}


def cert_task(out, **kw):
    args = dict(name="skupper-site-server", namespace="west", ca_secret="skupper-site-ca", common_name="skupper-router",
                hosts=["skupper-router", "skupper-router.west", "west.example.com", "203.0.113.7"], usage="server",
                target="directory", directory=str(out))
    args.update(kw)
    return {"name": "cert", "skupper.tls.skupper_cert": args, "register": "cert"}


def test_create_idempotent_and_files(playbook, tmp_path):
    out = tmp_path / "out"
    first = playbook([ca_task(out), cert_task(out)])
    ca, cert = first.result("ca"), first.result("cert")
    assert (ca["action"], cert["action"]) == ("created", "created")
    assert ca["certificate"]["common_name"] == "west site CA"
    assert cert["certificate"]["sans"] == ["DNS:skupper-router", "DNS:skupper-router.west", "DNS:west.example.com", "DNS:203.0.113.7",
                                           "IP:203.0.113.7"]
    ca_file, cert_file = out / "west" / "skupper-site-ca.yaml", out / "west" / "skupper-site-server.yaml"
    assert stat.S_IMODE(os.stat(ca_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(out / "west").st_mode) == 0o700
    manifest = load(cert_file)
    assert manifest["type"] == "kubernetes.io/tls" and manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "skupper.tls"
    assert "internal.skupper.io/controlled" not in (manifest["metadata"].get("annotations") or {})
    ca_data, leaf_data = data_of(ca_file), data_of(cert_file)
    assert ca_data["ca.crt"] == ca_data["tls.crt"]
    assert leaf_data["ca.crt"] == ca_data["ca.crt"]
    assert pki.pem_key_label(leaf_data["tls.key"]) == "RSA PRIVATE KEY"
    leaf = pki.load_certificates(leaf_data["tls.crt"])[0]
    root = pki.load_certificates(ca_data["tls.crt"])[0]
    for host in ("west.example.com", "skupper-router", "203.0.113.7"):
        pki.verify_chain(leaf, [root], usage="server", host=host)
    before = (os.stat(ca_file).st_mtime_ns, os.stat(cert_file).st_mtime_ns)

    again = playbook([ca_task(out), cert_task(out)])
    assert again.changed() == 0
    assert (again.result("ca")["action"], again.result("cert")["action"]) == ("unchanged", "unchanged")
    assert again.result("cert")["certificate"]["serial"] == cert["certificate"]["serial"]
    assert (os.stat(ca_file).st_mtime_ns, os.stat(cert_file).st_mtime_ns) == before


def test_check_mode_writes_nothing_and_predicts(playbook, tmp_path):
    out = tmp_path / "out"
    run = playbook([ca_task(out), cert_task(out)], check=True)
    # The CA does not exist yet in check mode: the leaf is predicted, signed by the CA the run would create.
    assert run.result("ca")["action"] == "created" and run.result("ca")["changed"]
    assert run.result("cert")["action"] == "created" and run.result("cert")["changed"]
    assert any("skupper-site-ca" in r and "does not exist yet" in r for r in run.result("cert")["reasons"])
    assert not out.exists() or not any(out.rglob("*.yaml"))
    playbook([ca_task(out), cert_task(out)])
    drift = playbook([ca_task(out), cert_task(out, hosts=["skupper-router"])], check=True)
    assert drift.result("cert")["action"] == "reissued"
    assert any(r.startswith("sans:") for r in drift.result("cert")["reasons"])
    assert drift.result("cert")["certificate"].get("planned") is True
    assert playbook([ca_task(out), cert_task(out)]).changed() == 0


def test_drift_reissues_with_reason(playbook, tmp_path):
    out = tmp_path / "out"
    playbook([ca_task(out), cert_task(out)])
    cases = [
        (dict(hosts=["skupper-router"]), "sans:"),
        (dict(common_name="other"), "subject:"),
        (dict(usage="both"), "usage:"),
        (dict(key_type="ecdsa"), "key_type:"),
        (dict(renew_before_days=2000, validity_days=3000), "expiry:"),
        (dict(force=True), "force:"),
    ]
    for change, reason in cases:
        run = playbook([cert_task(out, **change)])
        res = run.result("cert")
        assert res["action"] == "reissued", (change, res)
        assert any(r.startswith(reason) for r in res["reasons"]), (change, res["reasons"])
        assert res["previous"]["serial"] != res["certificate"]["serial"]
        playbook([cert_task(out)])     # back to the spec


def test_ca_replaced_reissues_leaf_and_trust_only_update(playbook, tmp_path):
    out = tmp_path / "out"
    playbook([ca_task(out), cert_task(out)])
    # A new CA with the same subject but a new key: the leaf is no longer signed by it.
    run = playbook([ca_task(out, force=True), cert_task(out)])
    assert run.result("ca")["action"] == "reissued"
    assert run.result("cert")["action"] == "reissued"
    assert any(r.startswith("issuer:") for r in run.result("cert")["reasons"])
    # Only the trust bundle changes (a pending CA appears in the CA Secret's ca.crt): ca.crt is rewritten, nothing reissued.
    ca_file = out / "west" / "skupper-site-ca.yaml"
    manifest = load(ca_file)
    other, _key = pki.issue(pki.CertSpec(common_name="pending CA", is_ca=True))
    manifest["data"]["ca.crt"] = base64.b64encode(base64.b64decode(manifest["data"]["ca.crt"]) + pki.certs_to_pem([other])).decode()
    with open(ca_file, "w", encoding="utf-8") as handle:
        yaml.safe_dump(manifest, handle)
    serial = data_of(out / "west" / "skupper-site-server.yaml")["tls.crt"]
    run = playbook([cert_task(out)])
    res = run.result("cert")
    assert res["action"] == "updated_trust" and any(r.startswith("trust_bundle:") for r in res["reasons"])
    assert data_of(out / "west" / "skupper-site-server.yaml")["tls.crt"] == serial
    assert len(res["trust_bundle"]) == 2


def test_foreign_secret_left_alone(playbook, tmp_path):
    out = tmp_path / "out"
    playbook([ca_task(out)])
    (out / "west").mkdir(exist_ok=True)
    foreign = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
               "metadata": {"name": "skupper-site-server", "namespace": "west", "annotations": {"internal.skupper.io/controlled": "true"}},
               "data": {"tls.crt": base64.b64encode(b"junk").decode(), "tls.key": base64.b64encode(b"junk").decode()}}
    path = out / "west" / "skupper-site-server.yaml"
    path.write_text(yaml.safe_dump(foreign))
    os.chmod(path, 0o600)
    original = path.read_bytes()
    run = playbook([cert_task(out)], expect_rc=2)
    msg = run.result("cert")["msg"]
    assert "west/skupper-site-server" in msg and "not managed by skupper.tls" in msg and "unparseable" in msg
    assert path.read_bytes() == original
    absent = playbook([cert_task(out, state="absent")])
    assert absent.result("cert")["action"] == "foreign" and path.read_bytes() == original
    adopted = playbook([cert_task(out, adopt=True)])
    res = adopted.result("cert")
    assert res["action"] == "adopted"
    meta = load(path)["metadata"]
    assert "internal.skupper.io/controlled" not in (meta.get("annotations") or {})
    assert playbook([cert_task(out)]).changed() == 0


def test_foreign_secret_that_satisfies_is_used(playbook, tmp_path):
    out = tmp_path / "out"
    playbook([ca_task(out), cert_task(out)])
    path = out / "west" / "skupper-site-server.yaml"
    manifest = load(path)
    del manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    path.write_text(yaml.safe_dump(manifest))
    run = playbook([cert_task(out)])
    assert run.result("cert")["action"] == "foreign" and not run.result("cert")["changed"]


def test_v1_layouts(playbook, tmp_path):
    out = tmp_path / "out"
    run = playbook([
        ca_task(out, name="skupper-service-ca", skupper_version=1, site_name=None),
        cert_task(out, name="skupper-service-client", ca_secret="skupper-service-ca", ca_only=True, skupper_version=1, hosts=[]),
        ca_task(out, name="skupper-local-ca", skupper_version=1, site_name=None),
        cert_task(out, name="skupper-local-client", ca_secret="skupper-local-ca", common_name="skupper-router-local", hosts=[],
                  usage="both", skupper_version=1, extra_data={"connect.json": '{"scheme":"amqps"}'}),
    ])
    assert run.changed() == 4
    ca = data_of(out / "west" / "skupper-service-ca.yaml")
    assert sorted(ca) == ["tls.crt", "tls.key"]
    assert pki.facts(pki.load_certificates(ca["tls.crt"])[0])["common_name"] == "skupper-service-ca"
    client = load(out / "west" / "skupper-service-client.yaml")
    assert client["type"] == "Opaque" and sorted(client["data"]) == ["ca.crt"]
    assert base64.b64decode(client["data"]["ca.crt"]) == ca["tls.crt"]
    local = data_of(out / "west" / "skupper-local-client.yaml")
    assert local["connect.json"] == b'{"scheme":"amqps"}' and sorted(local) == ["ca.crt", "connect.json", "tls.crt", "tls.key"]
    assert playbook([
        ca_task(out, name="skupper-service-ca", skupper_version=1, site_name=None),
        cert_task(out, name="skupper-service-client", ca_secret="skupper-service-ca", ca_only=True, skupper_version=1, hosts=[]),
    ]).changed() == 0


def test_absent_removes_only_ours(playbook, tmp_path):
    out = tmp_path / "out"
    playbook([ca_task(out), cert_task(out)])
    run = playbook([cert_task(out, state="absent"), ca_task(out, state="absent")])
    assert [r["action"] for r in run.results()] == ["deleted", "deleted"]
    assert not any(out.rglob("*.yaml"))
    assert playbook([cert_task(out, state="absent")]).result("cert")["action"] == "unchanged"


def test_imported_intermediate_ca(playbook, tmp_path):
    out = tmp_path / "out"
    root_cert, root_key = pki.issue(pki.CertSpec(common_name="Corp Root", is_ca=True))
    inter_cert, inter_key = pki.issue(pki.CertSpec(common_name="Corp Skupper Intermediate", is_ca=True), issuer=pki.Issuer.load(
        pki.certs_to_pem([root_cert]), pki.key_to_pem(root_key)))
    imported = dict(certificate_content=pki.certs_to_pem([inter_cert]).decode(), private_key_content=pki.key_to_pem(inter_key).decode(),
                    chain_content=pki.certs_to_pem([root_cert]).decode(), site_name=None)
    run = playbook([ca_task(out, **imported), cert_task(out)])
    assert run.result("ca")["action"] == "created"
    assert [b["common_name"] for b in run.result("ca")["trust_bundle"]] == ["Corp Skupper Intermediate", "Corp Root"]
    leaf_data = data_of(out / "west" / "skupper-site-server.yaml")
    leaf = pki.load_certificates(leaf_data["tls.crt"])[0]
    pki.verify_chain(leaf, [root_cert], intermediates=[inter_cert], usage="server", host="west.example.com")
    assert len(pki.load_certificates(leaf_data["ca.crt"])) == 2
    assert playbook([ca_task(out, **imported), cert_task(out)]).changed() == 0


def test_ca_in_renewal_window_is_not_replaced_but_warned(playbook, tmp_path):
    out = tmp_path / "out"
    playbook([ca_task(out, validity_days=40), cert_task(out, validity_days=40)])
    ca_before = data_of(out / "west" / "skupper-site-ca.yaml")["tls.crt"]
    # Both now expire within renew_before_days=60: the leaf is reissued by the same CA, the CA is kept with a warning.
    run = playbook([ca_task(out, validity_days=100, renew_before_days=60), cert_task(out, validity_days=100, renew_before_days=60)])
    ca, cert = run.result("ca"), run.result("cert")
    assert ca["action"] == "unchanged" and not ca["changed"]
    assert any(r.startswith("expiry:") for r in ca["deferred"])
    printed = " ".join((run.stdout + run.stderr).split())
    assert "[WARNING]: CA west/skupper-site-ca: expiry:" in printed and "Rotate it" in printed, printed[-2000:]
    assert data_of(out / "west" / "skupper-site-ca.yaml")["tls.crt"] == ca_before
    assert cert["action"] == "reissued" and any(r.startswith("expiry:") for r in cert["reasons"])
    leaf = pki.load_certificates(data_of(out / "west" / "skupper-site-server.yaml")["tls.crt"])[0]
    assert pki.signed_by(leaf, pki.load_certificates(ca_before)[0])
    forced = playbook([ca_task(out, validity_days=100, renew_before_days=60, force=True)]).result("ca")
    assert forced["action"] == "reissued"
