# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/handshake.py: real handshakes with Python ssl and the openssl binaries."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import handshake, pki

HAS_OPENSSL = shutil.which("openssl") is not None
METHODS = [
    "python",
    pytest.param("openssl", marks=pytest.mark.skipif(not HAS_OPENSSL, reason="the openssl binary is not installed")),
]
EC = pki.KeySpec("ecdsa", 256)
SERVER_HOSTS = ("skupper-router", "skupper-router.east", "east.example.com", "192.0.2.10", "2001:db8::10")


def make_ca(name, key=EC):
    cert, ca_key = pki.issue(pki.CertSpec(common_name=name, is_ca=True, key=key))
    return pki.Issuer(cert=cert, key=ca_key)


def leaf(issuer, name, hosts=(), usage="both", key=EC):
    cert, leaf_key = pki.issue(pki.CertSpec(common_name=name, hosts=hosts, usage=usage, key=key), issuer=issuer)
    return pki.certs_to_pem([cert]), pki.key_to_pem(leaf_key)


class Site(object):
    """Skupper site material: a site CA, the site server certificate, and link client certificates it signs."""

    def __init__(self, name, key=EC):
        self.ca = make_ca("%s site CA" % name, key=key)
        cert, server_key = leaf(self.ca, "skupper-router", hosts=SERVER_HOSTS, key=key)
        self.server = {"cert": cert, "key": server_key, "ca": self.ca.bundle_pem()}

    def link_client(self, name):
        """What a link Secret of another site holds: a client certificate without SAN signed by this CA, and this CA as ca.crt."""
        cert, key = leaf(self.ca, name, usage="client")
        return {"cert": cert, "key": key, "ca": self.ca.bundle_pem()}


@pytest.fixture(scope="module")
def east():
    return Site("east")


@pytest.fixture(scope="module")
def other():
    return Site("other")


def assert_ok(result, method, host):
    assert result["ok"], result
    assert result["error"] is None
    assert result["method"] == method and result["host"] == host
    assert result["server_subject"] == "CN=skupper-router"
    assert result["tls_version"] and result["tls_version"].startswith("TLSv1.")


def assert_failed(result, *words):
    assert result["ok"] is False, result
    assert result["error"]
    for word in words:
        assert word.lower() in result["error"].lower(), (word, result["error"])


@pytest.mark.parametrize("method", METHODS)
def test_good_pair(method, east):
    result = handshake.handshake(east.server, east.link_client("west"), "east.example.com", method)
    assert_ok(result, method, "east.example.com")
    assert result["client_subject"] == "CN=west"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("host", ["skupper-router", "skupper-router.east", "192.0.2.10", "2001:db8::10"])
def test_every_san_and_ip_hosts(method, host, east):
    assert_ok(handshake.handshake(east.server, east.link_client("west"), host, method), method, host)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("host,words", [
    ("bogus.example.com", ["client:", "mismatch"]),
    ("east.example.org", ["client:", "mismatch"]),
    ("skupper-router.west", ["client:", "mismatch"]),
    ("192.0.2.11", ["client:", "IP address mismatch"]),
])
def test_wrong_host_fails(method, host, words, east):
    result = handshake.handshake(east.server, east.link_client("west"), host, method)
    assert_failed(result, *words)
    assert result["client_subject"] is None


@pytest.mark.parametrize("method", METHODS)
def test_client_certificate_from_another_ca_fails(method, east, other):
    """The server must reject it even with TLS 1.3, where the client's own handshake completes first."""
    client = other.link_client("west")
    client["ca"] = east.ca.bundle_pem()  # the client trusts the right server; only its certificate is wrong
    result = handshake.handshake(east.server, client, "east.example.com", method)
    assert_failed(result, "server:")
    assert "unable to get local issuer certificate" in result["error"] or "unknown ca" in result["error"].lower()


@pytest.mark.parametrize("method", METHODS)
def test_server_from_another_ca_fails(method, east, other):
    client = east.link_client("west")
    result = handshake.handshake(other.server, client, "east.example.com", method)
    assert_failed(result, "client:")
    # s_server sends its CA along (built from its -CAfile), so openssl may name the untrusted root instead
    assert "unable to get local issuer certificate" in result["error"] or "self-signed certificate in certificate chain" in result["error"]
    assert result["client_subject"] is None


@pytest.mark.parametrize("method", METHODS)
def test_client_trusting_another_ca_fails(method, east, other):
    client = dict(east.link_client("west"), ca=other.ca.bundle_pem())
    assert_failed(handshake.handshake(east.server, client, "east.example.com", method), "client:")


@pytest.mark.parametrize("method", METHODS)
def test_trust_only_client(method, east, other):
    """A trust-only Secret (v1 skupper-service-client): server authentication only, no client certificate asked."""
    result = handshake.handshake(east.server, {"ca": east.ca.bundle_pem()}, "east.example.com", method)
    assert_ok(result, method, "east.example.com")
    assert result["client_subject"] is None
    assert_failed(handshake.handshake(east.server, {"ca": other.ca.bundle_pem()}, "east.example.com", method), "client:")
    assert_failed(handshake.handshake(east.server, {"ca": east.ca.bundle_pem()}, "nope.example.com", method), "mismatch")


@pytest.mark.parametrize("method", METHODS)
def test_server_only_certificate_as_client_fails(method, east):
    """A certificate with ExtendedKeyUsage serverAuth only is no client certificate."""
    cert, key = leaf(east.ca, "west", usage="server")
    result = handshake.handshake(east.server, {"cert": cert, "key": key, "ca": east.ca.bundle_pem()}, "east.example.com", method)
    assert_failed(result, "server:")


@pytest.mark.parametrize("method", METHODS)
def test_rsa_pkcs1_keys_and_intermediate_ca(method):
    """RSA keys in PKCS#1 (as Skupper stores them), and a site CA that is an intermediate below a root (ca.crt holds the chain)."""
    rsa = pki.KeySpec("rsa", 2048)
    root = make_ca("root", key=rsa)
    cert, key = pki.issue(pki.CertSpec(common_name="east site CA", is_ca=True, key=rsa), issuer=root)
    site_ca = pki.Issuer(cert=cert, key=key, chain=[cert, root.cert])
    server_cert, server_key = leaf(site_ca, "skupper-router", hosts=["east.example.com"], key=rsa)
    assert pki.pem_key_label(server_key) == "RSA PRIVATE KEY"
    client_cert, client_key = leaf(site_ca, "west", usage="client", key=rsa)
    bundle = site_ca.bundle_pem()
    result = handshake.handshake({"cert": server_cert, "key": server_key, "ca": bundle},
                                 {"cert": client_cert, "key": client_key, "ca": bundle}, "east.example.com", method)
    assert_ok(result, method, "east.example.com")


@pytest.mark.parametrize("method", METHODS)
def test_expired_server_certificate_fails(method, east):
    past = pki.utcnow() - datetime.timedelta(days=400)
    cert, key = pki.issue(pki.CertSpec(common_name="skupper-router", hosts=["east.example.com"], validity=datetime.timedelta(days=10),
                                       renew_before=datetime.timedelta(days=1), key=EC), issuer=east.ca, now=past)
    server = {"cert": pki.certs_to_pem([cert]), "key": pki.key_to_pem(key), "ca": east.ca.bundle_pem()}
    assert_failed(handshake.handshake(server, east.link_client("west"), "east.example.com", method), "client:", "expired")


@pytest.mark.parametrize("method", METHODS)
def test_mismatched_server_key(method, east):
    _cert, wrong_key = leaf(east.ca, "skupper-router")
    server = dict(east.server, key=wrong_key)
    result = handshake.handshake(server, east.link_client("west"), "east.example.com", method)
    assert result["ok"] is False and result["error"]


@pytest.mark.parametrize("server,client,words", [
    ({}, {"ca": b"x"}, ["server certificate"]),
    ({"cert": b"c"}, {"ca": b"x"}, ["server key"]),
    ({"cert": b"c", "key": b"k"}, {}, ["client trust bundle"]),
    ({"cert": b"c", "key": b"k"}, {"ca": b"x", "cert": b"c"}, ["without a key"]),
])
def test_missing_material(server, client, words):
    result = handshake.handshake(server, client, "east.example.com", "python")
    assert_failed(result, *words)


def test_client_certificate_without_server_bundle(east):
    server = dict(east.server, ca=None)
    assert_failed(handshake.handshake(server, east.link_client("west"), "east.example.com", "python"), "server trust bundle")


def test_garbage_certificate_and_bad_inputs(east):
    assert_failed(handshake.handshake(dict(east.server, cert=b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
                                      {"ca": east.ca.bundle_pem()}, "east.example.com", "python"), "server.crt")
    assert_failed(handshake.handshake(east.server, {"ca": east.ca.bundle_pem()}, "bad host", "python"), "host")
    assert_failed(handshake.handshake(east.server, {"ca": east.ca.bundle_pem()}, "east.example.com", "gnutls"), "unknown method")


def test_str_material_accepted(east):
    server = dict((k, v.decode()) for k, v in east.server.items())
    result = handshake.handshake(server, {"ca": east.ca.bundle_pem().decode()}, "east.example.com", "python")
    assert result["ok"], result


def test_openssl_missing(monkeypatch, east):
    monkeypatch.setattr(handshake.shutil, "which", lambda name: None)
    result = handshake.handshake(east.server, east.link_client("west"), "east.example.com", "openssl")
    assert_failed(result, "openssl binary is not installed")


def test_key_files_removed_and_private(monkeypatch, east):
    """Key material lives only in a 0700 directory of 0600 files, removed afterwards, whatever the outcome."""
    made, modes = [], {}
    real_mkdtemp, real_run = tempfile.mkdtemp, handshake._python_handshake

    def mkdtemp(*args, **kwargs):
        path = real_mkdtemp(*args, **kwargs)
        made.append(path)
        return path

    def spy(files, host, timeout):
        modes["dir"] = os.stat(os.path.dirname(files["server.key"])).st_mode & 0o777
        for name, path in files.items():
            modes[name] = os.stat(path).st_mode & 0o777
        return real_run(files, host, timeout)

    monkeypatch.setattr(handshake.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(handshake, "_python_handshake", spy)
    handshake.handshake(east.server, east.link_client("west"), "east.example.com", "python")
    handshake.handshake(east.server, east.link_client("west"), "bogus.example.com", "python")
    assert len(made) == 2 and not any(os.path.exists(p) for p in made)
    assert modes["dir"] == 0o700
    assert all(mode == 0o600 for name, mode in modes.items() if name != "dir"), modes


@pytest.mark.skipif(not HAS_OPENSSL, reason="the openssl binary is not installed")
def test_openssl_server_killed_when_client_never_connects(monkeypatch, east):
    """A client that never connects leaves s_server waiting: it is killed once the time is up, and the directory is removed."""
    started = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    def no_client(*_args, **kwargs):
        raise subprocess.TimeoutExpired("openssl s_client", kwargs.get("timeout"))

    monkeypatch.setattr(handshake.subprocess, "Popen", popen)
    monkeypatch.setattr(handshake.subprocess, "run", no_client)
    result = handshake.handshake(east.server, east.link_client("west"), "east.example.com", "openssl", timeout=1)
    assert_failed(result, "did not finish")
    assert started and all(proc.poll() is not None for proc in started)


def test_openssl_errors_never_echo_other_output():
    text = "\n".join([
        "-----BEGIN SSL SESSION PARAMETERS-----", "MIIDLAIBAQICAwQEAhMCBCAS", "-----END SSL SESSION PARAMETERS-----",
        "    Master-Key: 0123456789ABCDEF", "verify error:num=20:unable to get local issuer certificate",
        "80AB00EC887F0000:error:0A000086:SSL routines:tls_process_client_certificate:certificate verify failed:../ssl/statem/statem_srvr.c:3530:",
    ])
    assert handshake.openssl_errors(text) == "verify error:num=20:unable to get local issuer certificate"
    assert handshake.openssl_errors(text.split("verify error", maxsplit=1)[0]) == ""
    assert handshake.openssl_errors("8000:error:0A000086:SSL routines:f:certificate verify failed:x.c:1:") == "f: certificate verify failed"
