# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of plugins/module_utils/validate.py: every kind of value, accepted and refused."""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.skupper.tls.plugins.module_utils import validate as v

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
DAY = datetime.timedelta(days=1)
MAX_DAYS = v.max_days(NOW)


def block(label, body=b"\x30\x03\x02\x01\x01"):
    """A PEM block built at run time (no key header is spelled out in this file)."""
    b64 = base64.encodebytes(body).decode("ascii")
    return "-----BEGIN %s-----\n%s-----END %s-----\n" % (label, b64, label)


KEY_LABEL = "RSA " + "PRIVATE KEY"
PKCS8_LABEL = "PRIVATE " + "KEY"

# --------------------------------------------------------------------------- accepted values: (function, args, kwargs, result)

ACCEPTED = [
    (v.k8s_name, ("skupper-site-ca",), {}, "skupper-site-ca"),
    (v.k8s_name, ("a.b-c.d1",), {}, "a.b-c.d1"),
    (v.k8s_name, ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61,), {}, None),
    (v.namespace, ("west",), {}, "west"),
    (v.namespace, ("0abc-9",), {}, "0abc-9"),
    (v.namespace, ("a" * 63,), {}, None),
    (v.site_name, ("east.example",), {}, "east.example"),
    (v.site_name, ("s" * v.SITE_NAME_MAX,), {}, None),
    (v.label_key, ("app.kubernetes.io/name",), {}, "app.kubernetes.io/name"),
    (v.label_key, ("Simple_Key.x",), {}, "Simple_Key.x"),
    (v.annotation_key, ("internal.skupper.io/tls-profile-context",), {}, None),
    (v.label_value, ("",), {}, ""),
    (v.label_value, ("v1.2_3-A",), {}, "v1.2_3-A"),
    (v.labels, ({"a": "b", "x.io/y": ""},), {}, {"a": "b", "x.io/y": ""}),
    (v.labels, (None,), {}, {}),
    (v.annotations, ({"a.io/b": "any text\nwith newlines is fine"},), {}, None),
    (v.data_key, ("tls.crt",), {}, "tls.crt"),
    (v.data_key, (".hidden",), {}, ".hidden"),
    (v.dns_name, ("east.example.com",), {}, "east.example.com"),
    (v.dns_name, ("*.apps.example.com",), {}, "*.apps.example.com"),
    (v.dns_name, ("skupper-router",), {}, "skupper-router"),
    (v.dns_name, ("Mixed.Case.Example",), {}, "Mixed.Case.Example"),
    (v.dns_name, ("xn--bcher-kva.example",), {}, "xn--bcher-kva.example"),
    (v.dns_name, ("a1.b2.c3d",), {}, None),
    (v.host, ("10.0.0.1",), {}, "10.0.0.1"),
    (v.host, ("2001:db8::1",), {}, "2001:db8::1"),
    (v.host, ("::ffff:192.0.2.1",), {}, "::ffff:192.0.2.1"),
    (v.host, ("router.west.svc.cluster.local",), {}, None),
    (v.ip_address, ("192.0.2.10",), {}, "192.0.2.10"),
    (v.hosts, (["a.example", "10.0.0.1", "a.example"],), {}, ("a.example", "10.0.0.1")),
    (v.hosts, (None,), {}, ()),
    (v.port, ("55671",), {}, "55671"),
    (v.port, ("1",), {}, "1"),
    (v.port, ("65535",), {}, "65535"),
    (v.port, (45671,), {"allow_int": True}, "45671"),
    (v.integer, (5, "cost"), {"minimum": 1}, 5),
    (v.integer, ("30", "x"), {"allow_str": True}, 30),
    (v.integer, ("-3", "x"), {"allow_str": True}, -3),
    (v.days, (1825, "validity_days"), {"now": NOW}, 1825),
    (v.days, (MAX_DAYS, "validity_days"), {"now": NOW}, MAX_DAYS),
    (v.days, (0, "renew_before_days"), {"now": NOW}, 0),
    (v.choice, (2, "skupper_version", (1, 2)), {}, 2),
    (v.choice, ("edge", "name", ("inter-router", "edge")), {}, "edge"),
    (v.string, ("West site CA", "common_name"), {}, None),
    (v.common_name, ("c" * 64,), {}, None),
    (v.path_component, ("manifests", "dest"), {}, "manifests"),
    (v.path_component, ("link-east.yaml", "dest"), {}, None),
    (v.path_component, ("ünïcode.yaml", "dest"), {}, None),
    (v.url, ("http://proxy.example:3128", "proxy"), {}, None),
    (v.file_path, ("/srv/links/link-east.yaml", "dest"), {}, None),
    (v.file_path, ("link.yaml", "dest"), {}, None),
    (v.token, ("eyJhbGciOi.x-y_z", "api_key"), {}, None),
    (v.url, ("https://user:pw@proxy.example", "proxy"), {}, None),
    (v.pem_certificates, (block("CERTIFICATE") + block("CERTIFICATE"), "ca_cert"), {}, None),
    (v.pem_certificates, (("subject=CN=x\n" + block("CERTIFICATE")).encode("ascii"), "ca_cert"), {}, None),
    (v.pem_certificates, (block("CERTIFICATE").replace("\n", "\r\n"), "ca_cert"), {}, None),
    (v.pem_private_key, (block(KEY_LABEL), "private_key_content"), {}, None),
    (v.pem_private_key, (block(PKCS8_LABEL), "private_key_content"), {}, None),
    (v.pem_private_key, (block("EC " + PKCS8_LABEL), "k"), {}, None),
]


@pytest.mark.parametrize("func, args, kwargs, result", ACCEPTED, ids=["%s-%d" % (c[0].__name__, i) for i, c in enumerate(ACCEPTED)])
def test_accepted(func, args, kwargs, result):
    got = func(*args, **kwargs)
    expected = args[0] if result is None else result
    assert got == expected
    if isinstance(args[0], str) and isinstance(got, str):
        assert got is args[0] or got == args[0]  # returned unchanged: no strip, no case folding


# --------------------------------------------------------------------------- refused values: (function, args, kwargs, field, fragment)

NUL = "\0"
REFUSED = [
    # Kubernetes names: $ would accept the trailing newline, fullmatch does not
    (v.k8s_name, ("ca\n", "name"), {}, "name", r"control character '\n'"),
    (v.k8s_name, ("ca\n.yaml", "name"), {}, "name", "control character"),
    (v.k8s_name, ("../etc", "name"), {}, "name", "does not start and end"),
    (v.k8s_name, ("a/b", "name"), {}, "name", "'/'"),
    (v.k8s_name, ("Upper", "name"), {}, "name", "upper-case"),
    (v.k8s_name, ("a..b", "name"), {}, "name", "empty part"),
    (v.k8s_name, ("", "name"), {}, "name", "is empty"),
    (v.k8s_name, (" ca", "name"), {}, "name", "whitespace"),
    (v.k8s_name, ("a" * 254, "name"), {}, "name", "254 characters"),
    (v.k8s_name, (None, "name"), {}, "name", "not a string"),
    (v.k8s_name, (["x"], "name"), {}, "name", "not a string"),
    (v.k8s_name, ("caf\u00e9", "name"), {}, "name", "\u00e9"),
    (v.k8s_name, ("ca" + NUL, "name"), {}, "name", "control character"),
    (v.namespace, ("west\n",), {}, "namespace", "control character"),
    (v.namespace, ("a.b",), {}, "namespace", "'.'"),
    (v.namespace, ("a" * 64,), {}, "namespace", "64 characters"),
    (v.namespace, ("-west",), {}, "namespace", "does not start and end"),
    (v.namespace, (7,), {}, "namespace", "not a string"),
    (v.site_name, ("east\n",), {}, "site_name", "control character"),
    (v.site_name, ("../east",), {}, "site_name", "site name"),
    (v.site_name, ("s" * (v.SITE_NAME_MAX + 1),), {}, "site_name", "local CA"),
    (v.data_key, ("..data",), {}, "data key", "'..'"),
    (v.data_key, ("a b",), {}, "data key", "' '"),
    (v.data_key, ("tls.crt\n",), {}, "data key", "control character"),
    # labels and annotations
    (v.label_key, ("app\n",), {}, "labels", "control character"),
    (v.label_key, ("a/b/c",), {}, "labels", "prefix"),
    (v.label_key, ("Example.com/x",), {}, "labels", "prefix"),
    (v.label_key, ("x/" + "n" * 64,), {}, "labels", "64"),
    (v.label_key, ("x/",), {}, "labels", "empty name"),
    (v.label_key, ("-x",), {}, "labels", "name part"),
    (v.label_value, ("v\n",), {}, "labels", "control character"),
    (v.label_value, ("-v",), {}, "labels", "shape"),
    (v.label_value, ("v" * 64,), {}, "labels", "64 characters"),
    (v.label_value, (1,), {}, "labels", "not a string"),
    (v.labels, ({"ok": "bad value"},), {}, "labels[ok]", "not a valid label value"),
    (v.labels, (["a"],), {}, "labels", "not a mapping"),
    (v.annotations, ({"a": 1},), {}, "annotations[a]", "not a string"),
    (v.annotations, ({"a": "x" * (v.MAX_ANNOTATIONS_BYTES + 1)},), {}, "annotations", "too large"),
    (v.annotation_key, ("bad key",), {}, "annotations", "name part"),
    # DNS names and hosts
    (v.host, ("foo\n.example.com",), {}, "host", "control character"),
    (v.host, ("east.example.com\n",), {}, "host", "control character"),
    (v.host, (" east.example.com",), {}, "host", "whitespace"),
    (v.host, ("east.example.com ",), {}, "host", "whitespace"),
    (v.host, ("east example",), {}, "host", "letters, digits"),
    (v.host, ("east.example.com.",), {}, "host", "empty label"),
    (v.host, (".east",), {}, "host", "empty label"),
    (v.host, ("a..b",), {}, "host", "empty label"),
    (v.host, ("-east.example",), {}, "host", "'-east'"),
    (v.host, ("east_1.example",), {}, "host", "east_1"),
    (v.host, ("l" * 64 + ".example",), {}, "host", "64 characters"),
    (v.host, (".".join(["a" * 63] * 4) + "x",), {}, "host", "at most 253"),
    (v.host, ("b\u00fccher.example",), {}, "host", "xn--bcher-kva"),
    (v.host, ("xn--zz\u00e9.example",), {}, "host", "non-ASCII"),
    (v.host, ("xn--9999999999a.example",), {}, "host", "Punycode"),
    (v.host, ("xn--zz.example",), {}, "host", "Punycode"),
    (v.host, ("ab--cd.example",), {}, "host", "positions 3-4"),
    (v.host, ("1.2.3",), {}, "host", "all-numeric"),
    (v.host, ("1.2.3.256",), {}, "host", "all-numeric"),
    (v.host, ("\u0661.example.\u0662",), {}, "host", "non-ASCII"),
    (v.host, ("a.*.example",), {}, "host", "wildcard"),
    (v.host, ("*",), {}, "host", "wildcard"),
    (v.host, ("xn--a.example",), {}, "host", "Punycode"),
    (v.host, ("FE80::1",), {}, "host", "'fe80::1'"),
    (v.host, ("2001:0db8::1",), {}, "host", "'2001:db8::1'"),
    (v.host, ("fe80::1%eth0",), {}, "host", "zone"),
    (v.host, ("",), {}, "host", "is empty"),
    (v.host, (12,), {}, "host", "not a string"),
    (v.dns_name, ("*.example.com",), {"wildcard": False}, "host", "wildcard"),
    (v.dns_name, ("10.0.0.1",), {}, "host", "all-numeric"),
    (v.ip_address, ("east",), {}, "ip", "not an IP address"),
    (v.ip_address, ("010.0.0.1",), {}, "ip", "not an IP address"),
    (v.ip_address, ("10.0.0.1\n",), {}, "ip", "not an IP address"),
    (v.hosts, ("a.example",), {}, "hosts", "not a list"),
    (v.hosts, (["ok.example", "bad\n"],), {}, "hosts[1]", "control character"),
    # ports
    (v.port, ("\uff15\uff15\uff16\uff17\uff11",), {}, "port", "not a port number"),
    (v.port, ("\u0665\u0665\u0666\u0667\u0661",), {}, "port", "not a port number"),
    (v.port, ("55671\n",), {}, "port", "not a port number"),
    (v.port, (" 55671",), {}, "port", "not a port number"),
    (v.port, ("055671",), {}, "port", "not a port number"),
    (v.port, ("0",), {}, "port", "not a port number"),
    (v.port, ("65536",), {}, "port", "not a port number"),
    (v.port, ("99999999999999999999999",), {}, "port", "not a port number"),
    (v.port, ("+443",), {}, "port", "not a port number"),
    (v.port, ("",), {}, "port", "not a port number"),
    (v.port, (55671,), {}, "port", "not a string"),
    (v.port, (True,), {"allow_int": True}, "port", "not a string"),
    (v.port, (0,), {"allow_int": True}, "port", "out of range"),
    (v.port, (70000,), {"allow_int": True}, "port", "out of range"),
    (v.port, (443.0,), {"allow_int": True}, "port", "not a string"),
    # integers and durations: no coercion, no overflow
    (v.integer, (True, "cost"), {}, "cost", "not an integer"),
    (v.integer, (1.0, "cost"), {}, "cost", "not an integer"),
    (v.integer, ("1", "cost"), {}, "cost", "not an integer"),
    (v.integer, (0, "cost"), {"minimum": 1}, "cost", "out of range"),
    (v.integer, (2 ** 31, "cost"), {"minimum": 1, "maximum": v.INT32_MAX}, "cost", "out of range"),
    (v.integer, ("\u0663\u0660", "x"), {"allow_str": True}, "x", "not a decimal"),
    (v.integer, ("30\n", "x"), {"allow_str": True}, "x", "not a decimal"),
    (v.integer, ("030", "x"), {"allow_str": True}, "x", "not a decimal"),
    (v.integer, ("1" * 30, "x"), {"allow_str": True}, "x", "not a decimal"),
    (v.days, (0, "validity_days"), {"minimum": 1, "now": NOW}, "validity_days", "out of range"),
    (v.days, (-1, "renew_before_days"), {"now": NOW}, "renew_before_days", "out of range"),
    (v.days, (MAX_DAYS + 1, "validity_days"), {"now": NOW}, "validity_days", "9999-12-31"),
    (v.days, (10 ** 30, "validity_days"), {"now": NOW}, "validity_days", "out of range"),
    (v.days, (999999999, "renew_before_days"), {"now": NOW}, "renew_before_days", "out of range"),
    (v.days, (None, "validity_days"), {"now": NOW}, "validity_days", "not an integer"),
    (v.days, (False, "validity_days"), {"now": NOW}, "validity_days", "not an integer"),
    (v.lifetime, (30, 30), {"now": NOW}, "renew_before_days", "not less than validity_days"),
    (v.lifetime, (10 ** 12, 30), {"now": NOW}, "validity_days", "out of range"),
    (v.lifetime, (365, 10 ** 12), {"now": NOW}, "renew_before_days", "out of range"),
    (v.lifetime, ("0", "30"), {"now": NOW, "allow_str": True}, "validity_days", "out of range"),
    (v.choice, ("2", "skupper_version", (1, 2)), {}, "skupper_version", "one of 1, 2"),
    (v.choice, (True, "skupper_version", (1, 2)), {}, "skupper_version", "one of"),
    (v.choice, ("Edge", "name", ("inter-router", "edge")), {}, "name", "one of"),
    # strings and path components
    (v.common_name, ("West CA\n",), {}, "common_name", "control character"),
    (v.common_name, ("c" * 65,), {}, "common_name", "65 characters"),
    (v.common_name, ("",), {}, "common_name", "is empty"),
    (v.common_name, (" West",), {}, "common_name", "whitespace"),
    (v.string, ("a\u2028b", "x"), {}, "x", "control character"),
    (v.path_component, ("../east", "dest"), {}, "dest", "path separator"),
    (v.path_component, ("..", "dest"), {}, "dest", "relative"),
    (v.path_component, (".", "dest"), {}, "dest", "relative"),
    (v.path_component, (".hidden.yaml", "dest"), {}, "dest", "starts with '.'"),
    (v.path_component, ("a\nb", "dest"), {}, "dest", r"'\n'"),
    (v.path_component, ("a" + NUL, "dest"), {}, "dest", r"'\x00'"),
    (v.path_component, ("a\\b", "dest"), {}, "dest", "path separator"),
    (v.path_component, ("x" * 256, "dest"), {}, "dest", "255 bytes"),
    (v.path_component, ("\u00e9" * 128, "dest"), {}, "dest", "255 bytes"),
    (v.path_component, ("bad\udcff", "dest"), {}, "dest", "character"),
    (v.path_component, ("", "dest"), {}, "dest", "is empty"),
    (v.file_path, ("", "dest"), {}, "dest", "is empty"),
    (v.file_path, ("/srv/", "dest"), {}, "dest", "is empty"),
    (v.file_path, ("/srv/..", "dest"), {}, "dest", "relative"),
    (v.file_path, ("/srv/links\n/x.yaml", "dest"), {}, "dest", r"'\n'"),
    (v.file_path, ("/srv/x.yaml\0", "dest"), {}, "dest", r"'\x00'"),
    (v.file_path, (None, "dest"), {}, "dest", "not a string"),
    (v.url, ("http://proxy:99999", "proxy"), {}, "proxy", "Port out of range"),
    (v.url, ("http://proxy:port", "proxy"), {}, "proxy", "not a valid URL"),
    (v.url, ("ftp://proxy", "proxy"), {}, "proxy", "scheme"),
    (v.url, ("http://", "proxy"), {}, "proxy", "no host"),
    (v.url, ("http://proxy\n", "proxy"), {}, "proxy", "control character"),
    (v.url, ("http://[::1", "proxy"), {}, "proxy", "not a valid URL"),
]


@pytest.mark.parametrize("func, args, kwargs, field, fragment", REFUSED, ids=["%s-%d" % (c[0].__name__, i) for i, c in enumerate(REFUSED)])
def test_refused(func, args, kwargs, field, fragment):
    with pytest.raises(v.ValidationError) as err:
        func(*args, **kwargs)
    message = str(err.value)
    assert message.startswith(field + ": "), message
    assert err.value.field == field
    assert fragment in message, message
    assert "allowed: " in message, message
    assert len(message) < 600


@pytest.mark.parametrize("value, fragment", [
    ("s3cr3t-token\n", "a trailing newline"),
    (" s3cr3t-token", "spaces"),
    ("s3cr3t token", "whitespace"),
    ("s3cr3t\x00token", "control"),
    ("", "is empty"),
    (None, "not a string"),
])
def test_token_refused_without_showing_it(value, fragment):
    with pytest.raises(v.ValidationError) as err:
        v.token(value, "api_key")
    assert str(err.value).startswith("api_key: (value hidden)") and fragment in str(err.value)
    assert "s3cr3t" not in str(err.value) and err.value.value is None


def test_url_credentials_never_shown():
    with pytest.raises(v.ValidationError) as err:
        v.url("http://admin:s3cr3t-pw@proxy:99999", "proxy")
    assert "s3cr3t-pw" not in str(err.value) and "admin" not in str(err.value) and "***@proxy" in str(err.value)


def test_message_shows_value_with_newline_visible():
    with pytest.raises(v.ValidationError) as err:
        v.namespace("west\n")
    assert "'west\\n'" in str(err.value) and err.value.value == "west\n"


def test_long_values_are_cut():
    with pytest.raises(v.ValidationError) as err:
        v.namespace("a-" * 500)
    assert "..." in str(err.value) and len(str(err.value)) < 400


@pytest.mark.parametrize("value", [
    block(KEY_LABEL),
    "x" + "A" * 100,
    "name-" + "Zm9v" * 20,
])
def test_key_material_in_a_name_is_never_echoed(value):
    with pytest.raises(v.ValidationError) as err:
        v.k8s_name(value, "name")
    assert "(value hidden)" in str(err.value) and err.value.value is None
    assert "AAAA" not in str(err.value) and "Zm9v" not in str(err.value) and "BEGIN" not in str(err.value)


def test_scrub_removes_pem_and_base64():
    key = block(KEY_LABEL, b"\x01" * 200)
    text = "failed: %s and %s tail" % (key, "Q" * 80)
    scrubbed = v.scrub(text)
    assert "PRIVATE KEY PEM block hidden" in scrubbed and "<base64 hidden>" in scrubbed and scrubbed.endswith("tail")
    assert "AQEB" not in scrubbed and "QQQQ" not in scrubbed
    cut = v.scrub("oops " + key[:120])  # a block cut off before its END line
    assert "AQEB" not in cut and "hidden" in cut


# --------------------------------------------------------------------------- PEM


PEM_REFUSED = [
    (v.pem_certificates, block(KEY_LABEL), "holds a private key"),
    (v.pem_certificates, block("CERTIFICATE") + block(KEY_LABEL), "holds a private key"),
    (v.pem_certificates, block("CERTIFICATE") + block(PKCS8_LABEL), "holds a private key"),
    (v.pem_certificates, block("CERTIFICATE") + "-----BEGIN " + "ENCRYPTED " + PKCS8_LABEL + "-----\nAAAA\n", "holds a private key"),
    (v.pem_certificates, block("CERTIFICATE") + "junk mentioning " + PKCS8_LABEL, "holds a private key"),
    (v.pem_certificates, block("CERTIFICATE") + block("X509 CRL"), "X509 CRL block"),
    (v.pem_certificates, block("PUBLIC KEY"), "PUBLIC KEY block"),
    (v.pem_certificates, "not a pem", "no PEM block"),
    (v.pem_certificates, "", "is empty"),
    (v.pem_certificates, "   \n", "is empty"),
    (v.pem_certificates, block("CERTIFICATE")[:-30], "cut-off"),
    (v.pem_certificates, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "not valid base64"),
    (v.pem_certificates, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERT-----\n", "cut-off"),
    (v.pem_certificates, block("CERTIFICATE").replace("MAM", "\u00e9"), "not ASCII"),
    (v.pem_certificates, b"\xff\xfe" + block("CERTIFICATE").encode(), "not ASCII"),
    (v.pem_certificates, 42, "not PEM text"),
    (v.pem_certificates, block("CERTIFICATE") * 40000, "bytes long"),
    (v.pem_private_key, block(KEY_LABEL) + block(KEY_LABEL), "2 private keys"),
    (v.pem_private_key, block(PKCS8_LABEL) + block("EC " + PKCS8_LABEL), "2 private keys"),
    (v.pem_private_key, block("ENCRYPTED " + PKCS8_LABEL), "encrypted"),
    (v.pem_private_key, block(KEY_LABEL).replace("\n", "\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n", 1), "encrypted"),
    (v.pem_private_key, block("CERTIFICATE"), "no private key"),
    (v.pem_private_key, block(KEY_LABEL) + block("CERTIFICATE"), "CERTIFICATE block"),
    (v.pem_private_key, block("OPENSSH " + PKCS8_LABEL), "OPENSSH"),
    (v.pem_private_key, "", "is empty"),
    (v.pem_private_key, block(KEY_LABEL, b"\x01" * 70000), "bytes long"),
    (v.pem_private_key, block(KEY_LABEL)[:40], "cut-off"),
]


@pytest.mark.parametrize("func, value, fragment", PEM_REFUSED, ids=["%s-%d" % (c[0].__name__, i) for i, c in enumerate(PEM_REFUSED)])
def test_pem_refused_without_showing_it(func, value, fragment):
    with pytest.raises(v.ValidationError) as err:
        func(value, "certificate_content", key_field="private_key_content") if func is v.pem_certificates else func(value, "private_key_content")
    message = str(err.value)
    assert fragment in message, message
    assert err.value.secret and err.value.value is None and "(value hidden)" in message
    assert "MAMCAQE" not in message and "AQEB" not in message and "-----BEGIN" not in message


def test_key_in_certificate_option_names_where_it_belongs():
    with pytest.raises(v.ValidationError) as err:
        v.pem_certificates(block(KEY_LABEL), "certificate_content", key_field="private_key_content")
    assert str(err.value).startswith("certificate_content: ") and "belongs in private_key_content" in str(err.value)


# --------------------------------------------------------------------------- CA certificates


def make_ca(key, not_before, not_after, ca=True, key_cert_sign=True, cn="Test CA"):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(7)
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=False, encipher_only=False,
                                            decipher_only=False), critical=True))
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.fixture(name="keys", scope="module")
def fixture_keys():
    return {
        "rsa2048": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa1024": rsa.generate_private_key(public_exponent=65537, key_size=1024),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "k256": ec.generate_private_key(ec.SECP256K1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


def test_good_ca_accepted(keys):
    for name in ("rsa2048", "p256"):
        pem = make_ca(keys[name], NOW - DAY, NOW + 365 * DAY)
        assert v.ca_certificate(pem, "ca", now=NOW) == pem


@pytest.mark.parametrize("key, start, end, extra, fragment", [
    ("rsa1024", -1, 365, {}, "1024-bit RSA key"),
    ("k256", -1, 365, {}, "secp256k1"),
    ("ed25519", -1, 365, {}, "Ed25519"),
    ("rsa2048", -400, -1, {}, "expired on"),
    ("rsa2048", -400, 0, {}, "expired on"),
    ("rsa2048", 1, 365, {}, "is not valid before"),
    ("p256", -1, 365, {"ca": False}, "is not a CA"),
    ("p256", -1, 365, {"key_cert_sign": False}, "without keyCertSign"),
])
def test_bad_ca_refused(keys, key, start, end, extra, fragment):
    pem = make_ca(keys[key], NOW + start * DAY, NOW + end * DAY, **extra)
    with pytest.raises(v.ValidationError) as err:
        v.ca_certificate(pem, "ca_cert", now=NOW)
    assert str(err.value).startswith("ca_cert: ") and fragment in str(err.value) and "CN=Test CA" in str(err.value)


def test_ca_option_refuses_key_material(keys):
    pem = make_ca(keys["p256"], NOW - DAY, NOW + DAY)
    key_pem = keys["p256"].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(v.ValidationError, match="holds a private key") as err:
        v.ca_certificate(pem + key_pem, "ca_cert", now=NOW, key_field="ca_key")
    assert key_pem.splitlines()[1] not in str(err.value)


def test_garbage_certificate_block():
    with pytest.raises(v.ValidationError, match="not a valid X.509 certificate"):
        v.ca_certificate(block("CERTIFICATE"), "ca", now=NOW)


def test_leaf_outliving_its_ca():
    ca_end = NOW + 100 * DAY
    assert v.within_issuer(datetime.timedelta(days=100), ca_end, now=NOW)
    with pytest.raises(v.ValidationError) as err:
        v.within_issuer(datetime.timedelta(days=1825), ca_end, now=NOW)
    assert str(err.value).startswith("validity_days: 1825 would make the certificate outlive its CA") and "at most 100 days" in str(err.value)


def test_max_days_keeps_datetime_arithmetic_in_range():
    for now in (NOW, datetime.datetime(9999, 1, 1, tzinfo=UTC), None):
        top = v.max_days(now)
        start = now or datetime.datetime.now(UTC)
        assert start + datetime.timedelta(days=top) <= v.LATEST
        with pytest.raises(OverflowError):
            start + datetime.timedelta(days=top + 2) + datetime.timedelta(days=1)  # what an unchecked value would do
    assert v.max_days(datetime.datetime(2026, 12, 1)) == MAX_DAYS  # naive means UTC
