# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operations in-process on directories: site-level results, Skupper's naming rules, status-derived SANs."""

from __future__ import annotations

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import args, layout, ops, pki, runtime
from ansible_collections.skupper.tls.plugins.module_utils.layout import ObjRef


class Module(object):
    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.no_log_values = set()
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def site_params(tmp_path, **extra):
    params = {"name": "east", "namespace": "east", "target": "directory", "directory": str(tmp_path / "east"), "parts": ["site"]}
    params.update(extra)
    return args.validated(args.site_argument_spec(), args.SITE_RULES, params, "test")


def link_params(tmp_path, **extra):
    params = {"namespace": "west", "site_name": "west", "target": "directory", "directory": str(tmp_path / "west"),
              "remote": {"namespace": "east", "site_name": "east", "target": "directory", "directory": str(tmp_path / "east")},
              "endpoints": [{"name": "inter-router", "host": "east.example.com", "port": "55671"}]}
    params.update(extra)
    return args.validated(args.link_argument_spec(), args.LINK_RULES, params, "test")


@pytest.fixture
def east(tmp_path):
    rt = runtime.Runtime(Module())
    result = ops.ensure_site(rt, site_params(tmp_path, server_hosts=["skupper-router", "skupper-router.east", "east.example.com"]))
    assert result["actions"] == {"created": 2}
    return tmp_path


@pytest.mark.parametrize("extra, field, words", [
    ({"name": "skupper-router"}, "name", "HA inter-group router connector"),
    ({"name": "skupper-router-2"}, "name", "HA inter-group router connector"),
    ({"tls_credentials": "skupper-site-server"}, "tls_credentials", "Certificate Skupper creates"),
    ({"tls_credentials": "east-profile"}, "tls_credentials", "sslProfile"),
])
def test_link_names_that_collide_with_skupper_are_refused(east, extra, field, words):
    rt = runtime.Runtime(Module())
    with pytest.raises(pki.PkiError) as info:
        ops.ensure_link(rt, link_params(east, **extra))
    assert info.value.field == field and words in str(info.value)
    assert not (east / "west").exists()


def test_link_refused_when_a_dialed_host_is_not_covered(east):
    rt = runtime.Runtime(Module())
    endpoints = [{"name": "inter-router", "host": "elsewhere.example.com", "port": "55671"}]
    with pytest.raises(pki.PkiError, match="elsewhere.example.com.*DNS:east.example.com"):
        ops.ensure_link(rt, link_params(east, endpoints=endpoints))
    assert ops.ensure_link(rt, link_params(east))["action"] == "created"


def test_server_hosts_from_router_access_status(tmp_path):
    rt = runtime.Runtime(Module())
    store = rt.store({"target": "directory", "directory": str(tmp_path / "east")})
    store.create({"apiVersion": "skupper.io/v2alpha1", "kind": "RouterAccess", "metadata": {"name": "skupper-router", "namespace": "east"},
                  "spec": {"roles": [{"name": "inter-router", "port": 55671}]},
                  "status": {"endpoints": [{"name": "inter-router", "host": "203.0.113.9", "port": "55671", "group": "skupper-router"}]}})
    assert ops.status_server_hosts(rt, site_params(tmp_path)) == ["203.0.113.9", "skupper-router", "skupper-router.east"]
    ha = site_params(tmp_path, ha=True)
    assert ops.status_server_hosts(rt, ha) == ["203.0.113.9", "skupper-router", "skupper-router-2", "skupper-router-2.east",
                                               "skupper-router.east"]


def test_site_without_any_endpoint_is_pending_and_writes_no_server(tmp_path):
    module = Module()
    result = ops.ensure_site(runtime.Runtime(module), site_params(tmp_path))
    assert [(r["object"], r["action"]) for r in result["results"]] == [("east/skupper-site-ca", "created"),
                                                                       ("east/skupper-site-server", "pending")]
    assert module.warnings and "no endpoint host is known" in module.warnings[0]
    store = runtime.Runtime(Module()).store({"target": "directory", "directory": str(tmp_path / "east")})
    assert store.get(layout.secret_ref("east", layout.SITE_SERVER)) is None
    assert store.get(ObjRef("v1", "Secret", "east", "skupper-site-ca")) is not None


def ca_params(tmp_path, **extra):
    params = {"name": "skupper-site-ca", "namespace": "east", "site_name": "east", "target": "directory", "directory": str(tmp_path / "east")}
    params.update(extra)
    return args.validated(args.ca_argument_spec(), args.CA_RULES, params, "test")


def test_a_new_ca_subject_or_key_type_is_deferred_then_carried_by_rotation(tmp_path):
    """Never re-keyed silently: a changed site name or key type is reported (deferred, warned); the rotation phases
    issue the new CA with the new subject and key, after which the normal run is satisfied."""
    ops.ensure_ca(runtime.Runtime(Module()), ca_params(tmp_path))
    wanted = dict(site_name="east-renamed", key_type="rsa", key_size=3072)
    module = Module()
    result = ops.ensure_ca(runtime.Runtime(module), ca_params(tmp_path, **wanted))
    assert result["action"] == "unchanged" and not result["changed"]
    assert sorted(r.split(":")[0] for r in result["deferred"]) == ["key_type", "subject"]
    assert any("Rotate it" in w for w in module.warnings)
    for phase in ("prepare", "activate", "finalize"):
        assert ops.ensure_ca(runtime.Runtime(Module()), ca_params(tmp_path, rotation=phase, **wanted))["changed"]
    after = ops.ensure_ca(runtime.Runtime(Module()), ca_params(tmp_path, **wanted))
    assert after["action"] == "unchanged" and not after.get("deferred")
    assert after["certificate"]["common_name"] == "east-renamed site CA" and after["certificate"]["key"] == "RSA-3072"


def links_params(directory, **link):
    one = {"remote": {"namespace": "east", "site_name": "east"}, "peer_ca": {"site_name": "east"},
           "endpoints": [{"name": "inter-router", "host": "east.example.com", "port": "55671"}]}
    one.update(link)
    params = {"namespace": "west", "site_name": "west", "target": "directory", "directory": str(directory), "links": [one]}
    return args.validated(args.links_argument_spec(), args.LINKS_RULES, params, "test")


def counting_gets(monkeypatch):
    """The refs every DirectoryStore.get of the test reads, in order."""
    from ansible_collections.skupper.tls.plugins.module_utils import store as store_module
    real, reads = store_module.DirectoryStore.get, []

    def get(self, ref):
        reads.append((ref.kind, ref.namespace, ref.name))
        return real(self, ref)
    monkeypatch.setattr(store_module.DirectoryStore, "get", get)
    return reads


def test_a_peer_without_connection_options_is_on_the_sites_own_cluster_and_its_ca_is_read_once(tmp_path, monkeypatch):
    """peer_ca with a remote that sets no connection: the peer CA is looked for (and created) where the link reaches
    the peer, the site's own store, never the default cluster; the link's signer reuses that read (one GET of the
    peer CA per link, on the first run and on a re-run)."""
    shared = tmp_path / "shared"
    ops.ensure_site(runtime.Runtime(Module()), site_params(tmp_path, directory=str(shared), server_hosts=["east.example.com"]))
    reads = counting_gets(monkeypatch)
    result = ops.ensure_links(runtime.Runtime(Module()), links_params(shared))
    assert [(r["object"], r["action"]) for r in result["results"]] == [("west -> east", "created")]
    assert reads.count(("Secret", "east", "skupper-site-ca")) == 1
    del reads[:]
    again = ops.ensure_links(runtime.Runtime(Module()), links_params(shared))
    assert not again["changed"] and reads.count(("Secret", "east", "skupper-site-ca")) == 1


def test_a_missing_peer_ca_is_created_on_the_sites_own_cluster_then_signs(tmp_path, monkeypatch):
    """Job slicing with a same-cluster peer: the peer's site CA does not exist yet; this site's links task creates it
    in the site's own store with the peer's parameters, then signs with it (read again after its creation)."""
    shared = tmp_path / "shared"
    reads = counting_gets(monkeypatch)
    result = ops.ensure_links(runtime.Runtime(Module()), links_params(shared, peer_ca={"site_name": "east", "key_type": "rsa"}))
    assert [(r["object"], r["action"]) for r in result["results"]] == [("east/skupper-site-ca", "created"), ("west -> east", "created")]
    store = runtime.Runtime(Module()).store({"target": "directory", "directory": str(shared)})
    ca = store.get(layout.secret_ref("east", "skupper-site-ca"))
    link = store.get(layout.secret_ref("west", "link-east"))
    issuer = pki.Issuer.load(layout.decode_data(ca)["tls.crt"], layout.decode_data(ca)["tls.key"])
    leaf = pki.load_certificates(layout.decode_data(link)["tls.crt"])[0]
    assert pki.signed_by(leaf, issuer.cert) and pki.facts(issuer.cert)["common_name"] == "east site CA"
    assert reads.count(("Secret", "east", "skupper-site-ca")) >= 2


def test_a_corrupt_ca_key_signs_nothing_but_a_rerun_that_signs_nothing_passes(tmp_path):
    """The site CA's key matches its certificate but fails cryptography's RSA check: a run that only compares
    (the server certificate is current) is unchanged; one that must issue (the server certificate was deleted)
    fails naming the CA Secret, in check mode too, and writes nothing."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    params = site_params(tmp_path, server_hosts=["east.example.com"])
    ops.ensure_site(runtime.Runtime(Module()), params)
    store = runtime.Runtime(Module()).store({"target": "directory", "directory": str(tmp_path / "east")})
    ca = store.get(layout.secret_ref("east", "skupper-site-ca"))
    data = layout.decode_data(ca)
    numbers = pki.load_private_key(data["tls.key"]).private_numbers()
    bad = rsa.RSAPrivateNumbers(numbers.p, numbers.q, numbers.d, numbers.dmp1 + 2, numbers.dmq1, numbers.iqmp, numbers.public_numbers)
    data["tls.key"] = bad.private_key(unsafe_skip_rsa_key_validation=True).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    ca["data"] = layout.encode_data(data)
    store.replace(ca)
    pki._LOADED_KEYS.clear()  # pylint: disable=protected-access

    again = ops.ensure_site(runtime.Runtime(Module()), params)
    assert not again["changed"] and again["actions"] == {"unchanged": 2}
    store.delete(layout.secret_ref("east", layout.SITE_SERVER))
    for check_mode in (True, False):
        with pytest.raises(pki.PkiError) as err:
            ops.ensure_site(runtime.Runtime(Module(check_mode=check_mode)), params)
        assert "east/skupper-site-ca" in str(err.value) and "RSA private key is corrupt" in str(err.value)
        assert "PRIVATE KEY" not in str(err.value)
        assert store.get(layout.secret_ref("east", layout.SITE_SERVER)) is None


def test_a_peer_with_its_own_connection_has_its_ca_looked_for_and_created_there(tmp_path, monkeypatch):
    """peer_ca with a remote that sets its own connection (another directory here, another cluster in a fleet): the
    peer CA is created there, not in the site's store, and on a re-run read once per link, from there."""
    peer_dir, site_dir = tmp_path / "east", tmp_path / "west"
    remote = {"namespace": "east", "site_name": "east", "target": "directory", "directory": str(peer_dir)}
    reads = counting_gets(monkeypatch)
    result = ops.ensure_links(runtime.Runtime(Module()), links_params(site_dir, remote=remote))
    assert [(r["object"], r["action"]) for r in result["results"]] == [("east/skupper-site-ca", "created"), ("west -> east", "created")]
    peer = runtime.Runtime(Module()).store({"target": "directory", "directory": str(peer_dir)})
    site = runtime.Runtime(Module()).store({"target": "directory", "directory": str(site_dir)})
    assert peer.get(layout.secret_ref("east", "skupper-site-ca")) is not None
    assert site.get(layout.secret_ref("east", "skupper-site-ca")) is None
    del reads[:]
    again = ops.ensure_links(runtime.Runtime(Module()), links_params(site_dir, remote=remote))
    assert not again["changed"] and reads.count(("Secret", "east", "skupper-site-ca")) == 1
