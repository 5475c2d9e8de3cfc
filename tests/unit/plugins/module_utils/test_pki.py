# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/pki.py: Skupper's certificate profile, keys, hosts, issuers, verification."""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.skupper.tls.plugins.module_utils import pki


def pem_header(label):
    return ("-----BEGIN %s-----\n" % label).encode()


def pem_footer(label):
    return ("-----END %s-----\n" % label).encode()


UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 11, 22, 15, 0, 0, tzinfo=UTC)
EC256 = pki.KeySpec("ecdsa", 256)


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls)


def has_ext(cert, cls):
    try:
        ext(cert, cls)
    except x509.ExtensionNotFound:
        return False
    return True


# --------------------------------------------------------------------------- fixtures (module scope: keys are slow)


@pytest.fixture(scope="module")
def rsa_ca():
    """Skupper's default: a self-signed RSA-2048 CA."""
    cert, key = pki.issue(pki.CertSpec("west site CA", is_ca=True), now=NOW)
    return pki.Issuer(cert, key)


@pytest.fixture(scope="module")
def ec_ca():
    cert, key = pki.issue(pki.CertSpec("east site CA", is_ca=True, key=EC256), now=NOW)
    return pki.Issuer(cert, key)


@pytest.fixture(scope="module")
def other_ca():
    cert, key = pki.issue(pki.CertSpec("other CA", is_ca=True, key=EC256), now=NOW)
    return pki.Issuer(cert, key)


@pytest.fixture(scope="module")
def intermediate(ec_ca):
    """An intermediate CA under ec_ca, loaded through Issuer.load with the root as chain."""
    cert, key = pki.issue(pki.CertSpec("east intermediate CA", is_ca=True, key=EC256), issuer=ec_ca, now=NOW)
    return pki.Issuer.load(pki.certs_to_pem([cert]), pki.key_to_pem(key), pki.certs_to_pem([ec_ca.cert]))


@pytest.fixture(scope="module")
def server_leaf(rsa_ca):
    spec = pki.CertSpec("skupper-router", hosts=("skupper-router.west", "10.0.0.5", "skupper.example.com", "fd00::5"),
                        usage="server", key=EC256)
    return pki.issue(spec, issuer=rsa_ca, now=NOW)


@pytest.fixture(scope="module")
def client_leaf(ec_ca):
    return pki.issue(pki.CertSpec("west-link", usage="client", key=EC256), issuer=ec_ca, now=NOW)


@pytest.fixture(scope="module")
def big_rsa_keys():
    """RSA-3072/4096 generation is slow: once per module."""
    return {size: pki.generate_key(pki.KeySpec("rsa", size)) for size in (3072, 4096)}


# --------------------------------------------------------------------------- certificate profile


def test_ca_profile(rsa_ca):
    cert = rsa_ca.cert
    assert cert.version == x509.Version.v3
    assert [(a.oid, a.value) for a in cert.subject] == [(NameOID.COMMON_NAME, "west site CA")]
    assert cert.issuer == cert.subject
    assert 0 < cert.serial_number < 2 ** 128

    ku = ext(cert, x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature and ku.value.key_encipherment and ku.value.key_cert_sign
    assert not (ku.value.content_commitment or ku.value.data_encipherment or ku.value.key_agreement or ku.value.crl_sign)

    eku = ext(cert, x509.ExtendedKeyUsage)
    assert not eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]

    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical and bc.value.ca is True and bc.value.path_length is None

    ski = ext(cert, x509.SubjectKeyIdentifier)
    assert not ski.critical
    assert ski.value.digest == x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    assert len(ski.value.digest) == 20  # SHA-1
    assert not has_ext(cert, x509.AuthorityKeyIdentifier)
    assert not has_ext(cert, x509.SubjectAlternativeName)
    assert len(cert.extensions) == 4

    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    assert cert.not_valid_before_utc == NOW
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == datetime.timedelta(days=1825)
    assert isinstance(rsa_ca.key, rsa.RSAPrivateKey) and rsa_ca.key.key_size == 2048
    assert pki.signed_by(cert, cert)


def test_leaf_profile(rsa_ca, server_leaf):
    cert, key = server_leaf
    assert [(a.oid, a.value) for a in cert.subject] == [(NameOID.COMMON_NAME, "skupper-router")]
    assert cert.issuer == rsa_ca.cert.subject
    assert 0 < cert.serial_number < 2 ** 128

    ku = ext(cert, x509.KeyUsage)
    assert ku.critical
    # Skupper's flags even on an ECDSA key.
    assert ku.value.digital_signature and ku.value.key_encipherment and not ku.value.key_cert_sign

    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical and bc.value.ca is False and bc.value.path_length is None

    assert ext(cert, x509.SubjectKeyIdentifier).value.digest == x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest
    aki = ext(cert, x509.AuthorityKeyIdentifier)
    assert not aki.critical
    assert aki.value.key_identifier == ext(rsa_ca.cert, x509.SubjectKeyIdentifier).value.digest

    san = ext(cert, x509.SubjectAlternativeName)
    assert not san.critical
    # Every host as DNS first (as given, IPs canonical), then the IPs, like Go.
    assert list(san.value) == [
        x509.DNSName("skupper-router.west"), x509.DNSName("10.0.0.5"), x509.DNSName("skupper.example.com"), x509.DNSName("fd00::5"),
        x509.IPAddress(ipaddress.ip_address("10.0.0.5")), x509.IPAddress(ipaddress.ip_address("fd00::5")),
    ]
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    cert.verify_directly_issued_by(rsa_ca.cert)
    assert pki.key_matches(cert, key)


@pytest.mark.parametrize("usage, oids", [
    ("both", [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
    ("server", [ExtendedKeyUsageOID.SERVER_AUTH]),
    ("client", [ExtendedKeyUsageOID.CLIENT_AUTH]),
])
def test_eku_per_usage(ec_ca, usage, oids):
    cert, _key = pki.issue(pki.CertSpec("x", hosts=("x.example",), usage=usage, key=EC256), issuer=ec_ca, key=ec_ca.key)
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == oids
    assert pki.usage_of(cert) == usage


def test_no_san_without_hosts(client_leaf):
    cert, _key = client_leaf
    assert not has_ext(cert, x509.SubjectAlternativeName)
    assert pki.host_set(cert) == set()
    assert pki.sans_of(cert) == []


def test_validity_exact_and_not_backdated(ec_ca):
    start = datetime.datetime(2027, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    spec = pki.CertSpec("x", validity=datetime.timedelta(days=10, hours=3), renew_before=datetime.timedelta(days=1), key=EC256)
    cert, _key = pki.issue(spec, issuer=ec_ca, key=ec_ca.key, now=start)
    assert cert.not_valid_before_utc == start.replace(microsecond=0)
    assert cert.not_valid_after_utc == start.replace(microsecond=0) + datetime.timedelta(days=10, hours=3)


def test_default_now_is_current_time(ec_ca):
    before = datetime.datetime.now(UTC).replace(microsecond=0)
    cert, _key = pki.issue(pki.CertSpec("x", key=EC256), issuer=ec_ca, key=ec_ca.key)
    after = datetime.datetime.now(UTC)
    assert before <= cert.not_valid_before_utc <= after


def test_serial_is_random_128_bit_and_never_zero(monkeypatch):
    draws = iter([0, 0, 12345])
    monkeypatch.setattr(pki.secrets, "randbits", lambda bits: next(draws) if bits == 128 else pytest.fail("bits %d" % bits))
    assert pki._random_serial() == 12345


def test_serials_differ(ec_ca):
    spec = pki.CertSpec("x", key=EC256)
    serials = {pki.issue(spec, issuer=ec_ca, key=ec_ca.key)[0].serial_number for dummy in range(5)}
    assert len(serials) == 5
    assert all(0 < s < 2 ** 128 for s in serials)


def test_self_signed_must_be_ca():
    with pytest.raises(pki.PkiError) as err:
        pki.issue(pki.CertSpec("leaf", key=EC256))
    assert err.value.field == "is_ca"


def test_issue_reuses_given_key(ec_ca):
    cert, key = pki.issue(pki.CertSpec("x", key=EC256), issuer=ec_ca, key=ec_ca.key)
    assert key is ec_ca.key
    assert pki.key_matches(cert, ec_ca.key)


def test_issue_validates_spec(ec_ca):
    with pytest.raises(pki.PkiError) as err:
        pki.issue(pki.CertSpec("x", hosts=("bad_host",), key=EC256), issuer=ec_ca)
    assert err.value.field == "hosts[0]"


# --------------------------------------------------------------------------- keys


def test_rsa_key_pem_is_pkcs1(rsa_ca):
    pem = pki.key_to_pem(rsa_ca.key)
    assert pki.pem_key_label(pem) == "RSA PRIVATE KEY" and pem.startswith(pem_header("RSA PRIVATE KEY"))
    assert pki.pem_key_label(pem) == "RSA PRIVATE KEY"
    assert pki.load_private_key(pem).private_numbers() == rsa_ca.key.private_numbers()


def test_ecdsa_key_pem_is_pkcs8(ec_ca):
    pem = pki.key_to_pem(ec_ca.key)
    assert pki.pem_key_label(pem) == "PRIVATE KEY" and pem.startswith(pem_header("PRIVATE KEY"))
    assert b"ENCRYPTED" not in pem
    loaded = pki.load_private_key(pem.decode("ascii"))  # str accepted
    assert loaded.private_numbers() == ec_ca.key.private_numbers()


@pytest.mark.parametrize("size, curve", [(256, ec.SECP256R1), (384, ec.SECP384R1)])
def test_ecdsa_curves(size, curve):
    key = pki.generate_key(pki.KeySpec("ecdsa", size))
    assert isinstance(key.curve, curve)
    assert pki.key_spec_of(key) == pki.KeySpec("ecdsa", size)
    assert pki.key_spec_of(key.public_key()).describe() == "ECDSA-P%d" % size


def test_rsa_sizes(rsa_ca, big_rsa_keys):
    keys = dict(big_rsa_keys)
    keys[2048] = rsa_ca.key
    for size, key in keys.items():
        assert key.key_size == size
        assert pki.key_spec_of(key) == pki.KeySpec("rsa", size)
        assert pki.key_spec_of(key).describe() == "RSA-%d" % size
        assert pki.key_to_pem(key).startswith(pem_header("RSA PRIVATE KEY"))


def test_big_rsa_key_issues(big_rsa_keys):
    cert, key = pki.issue(pki.CertSpec("big CA", is_ca=True, key=pki.KeySpec("rsa", 4096)), key=big_rsa_keys[4096])
    assert pki.facts(cert)["key"] == "RSA-4096"
    assert pki.key_matches(cert, key)


@pytest.mark.parametrize("spec, field, words", [
    (pki.KeySpec("dsa", 2048), "key_type", ["'dsa'", "rsa, ecdsa"]),
    (pki.KeySpec("rsa", 1024), "key_size", ["'1024'", "2048, 3072, 4096"]),
    (pki.KeySpec("rsa", 256), "key_size", ["'256'"]),
    (pki.KeySpec("ecdsa", 521), "key_size", ["'521'", "256, 384"]),
    (pki.KeySpec("ecdsa", 2048), "key_size", ["'2048'"]),
])
def test_keyspec_validate_errors(spec, field, words):
    with pytest.raises(pki.PkiError) as err:
        spec.validate()
    assert err.value.field == field
    assert str(err.value) == "%s: %s" % (field, err.value.message)
    for word in words:
        assert word in err.value.message


def test_keyspec_describe_and_default():
    assert pki.KeySpec() == pki.KeySpec("rsa", 2048)
    assert pki.KeySpec().validate().describe() == "RSA-2048"
    assert pki.KeySpec("ecdsa", 384).describe() == "ECDSA-P384"


def _encrypted_pems():
    key = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.BestAvailableEncryption(b"secret"))
    rsa_key = rsa.generate_private_key(65537, 2048)
    trad = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.BestAvailableEncryption(b"secret"))
    return pkcs8, trad


def test_load_private_key_errors_name_the_field():
    pkcs8, trad = _encrypted_pems()
    ed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    cases = {
        b"": "empty",
        "  \n": "empty",
        None: "no private key",
        b"hello": "holds no private key",
        pem_header("RSA PRIVATE KEY") + b"bm90IGEga2V5\n" + pem_footer("RSA PRIVATE KEY"): "not a valid PEM private key",
        pkcs8: "encrypted",
        trad: "encrypted",
        ed: "unsupported",
    }
    for pem, words in cases.items():
        with pytest.raises(pki.PkiError) as err:
            pki.load_private_key(pem, field="tls.key")
        assert err.value.field == "tls.key", pem
        assert words in err.value.message, (pem, err.value.message)
        assert str(err.value).startswith("tls.key: ")


def test_load_certificates(rsa_ca, ec_ca):
    pem = pki.certs_to_pem([rsa_ca.cert, ec_ca.cert])
    assert pki.load_certificates(pem) == [rsa_ca.cert, ec_ca.cert]
    assert pki.load_certificates(pem.decode("ascii")) == [rsa_ca.cert, ec_ca.cert]
    key_pem = pki.key_to_pem(ec_ca.key)
    bad = [
        (b"", "empty"),
        (b"not pem", "holds no PEM block"),
        (key_pem, "holds a private key"),
        (pem + key_pem, "holds a private key"),
        (b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", "not a valid PEM certificate"),
    ]
    for data, words in bad:
        with pytest.raises(pki.PkiError) as err:
            pki.load_certificates(data, field="tls.crt")
        assert err.value.field == "tls.crt"
        assert words in err.value.message


def test_key_matches(ec_ca, other_ca, rsa_ca):
    assert pki.key_matches(ec_ca.cert, ec_ca.key)
    assert pki.key_matches(ec_ca.cert, ec_ca.key.public_key())
    assert not pki.key_matches(ec_ca.cert, other_ca.key)
    assert not pki.key_matches(ec_ca.cert, rsa_ca.key)


# --------------------------------------------------------------------------- hosts


def test_hosts_are_validate_hosts():
    """CertSpec hosts follow validate.hosts (tested in test_validate.py): exactly as given, never stripped or rewritten."""
    assert pki.CertSpec("x", hosts=["b", "10.0.0.1", "b", "::1"], key=EC256).validate().hosts == ("b", "10.0.0.1", "::1")
    for bad, index in ((["ok", " a "], 1), (["::0001"], 0), (["a\n.example.com"], 0), (["bad_host"], 0)):
        with pytest.raises(pki.PkiError) as err:
            pki.CertSpec("x", hosts=bad, key=EC256).validate()
        assert err.value.field == "hosts[%d]" % index


# --------------------------------------------------------------------------- CertSpec


def test_certspec_validate_returns_normalized_copy():
    spec = pki.CertSpec("x", hosts=["b", "a", "b", "::1"], key=EC256)
    assert spec.hosts == ("b", "a", "b", "::1")  # a list becomes a tuple; frozen and hashable
    hash(spec)
    valid = spec.validate()
    assert valid.hosts == ("b", "a", "::1")
    assert valid.common_name == "x" and valid.key == EC256


@pytest.mark.parametrize("kwargs, field, words", [
    ({"common_name": ""}, "common_name", ["empty"]),
    ({"common_name": "   "}, "common_name", ["whitespace"]),
    ({"common_name": "x\n"}, "common_name", ["control character"]),
    ({"common_name": "c" * 65}, "common_name", ["65", "64"]),
    ({"usage": "peer"}, "usage", ["'peer'", "both, server, client"]),
    ({"renew_before": datetime.timedelta(days=-1)}, "renew_before_days", ["-1 day"]),
    ({"validity": datetime.timedelta(days=10)}, "validity_days", ["10 days", "30 days"]),
    ({"validity": datetime.timedelta(days=30)}, "validity_days", ["30 days"]),
    ({"validity": 365}, "validity_days", ["duration"]),
    ({"validity": datetime.timedelta(days=3000000)}, "validity_days", ["9999-12-31"]),
    ({"key": pki.KeySpec("rsa", 1000)}, "key_size", ["1000"]),
    ({"hosts": ("ok", "no way")}, "hosts[1]", ["'no way'"]),
])
def test_certspec_validate_errors(kwargs, field, words):
    base = {"common_name": "c", "key": EC256}
    base.update(kwargs)
    with pytest.raises(pki.PkiError) as err:
        pki.CertSpec(**base).validate()
    assert err.value.field == field
    for word in words:
        assert word in err.value.message, err.value.message


def test_certspec_64_char_cn_ok():
    assert pki.CertSpec("c" * 64, key=EC256).validate().common_name == "c" * 64


def test_certspec_defaults():
    spec = pki.CertSpec("x")
    assert (spec.usage, spec.is_ca, spec.hosts, spec.key) == ("both", False, (), pki.KeySpec("rsa", 2048))
    assert spec.validity == datetime.timedelta(days=1825)
    assert spec.renew_before == datetime.timedelta(days=30)


# --------------------------------------------------------------------------- Issuer


def test_issuer_load_self_signed(rsa_ca):
    issuer = pki.Issuer.load(pki.certs_to_pem([rsa_ca.cert]), pki.key_to_pem(rsa_ca.key))
    assert issuer.chain == [rsa_ca.cert]
    assert issuer.bundle_pem() == pki.certs_to_pem([rsa_ca.cert])
    assert pki.Issuer(rsa_ca.cert, rsa_ca.key).chain == [rsa_ca.cert]


def test_issuer_load_intermediate_with_chain(intermediate, ec_ca):
    assert intermediate.chain == [intermediate.cert, ec_ca.cert]
    assert pki.load_certificates(intermediate.bundle_pem()) == [intermediate.cert, ec_ca.cert]


def test_issuer_load_chain_in_tls_crt(intermediate, ec_ca):
    # tls.crt holding cert + chain; the chain argument repeating certificates is tolerated.
    both = pki.certs_to_pem([intermediate.cert, ec_ca.cert])
    issuer = pki.Issuer.load(both, pki.key_to_pem(intermediate.key), chain_pem=both)
    assert issuer.chain == [intermediate.cert, ec_ca.cert]


def test_issuer_load_rejects_leaf(ec_ca, client_leaf):
    cert, key = client_leaf
    with pytest.raises(pki.PkiError) as err:
        pki.Issuer.load(pki.certs_to_pem([cert]), pki.key_to_pem(key), field="ca_secret")
    assert err.value.field == "ca_secret"
    assert "not a CA" in err.value.message and "west-link" in err.value.message


def test_issuer_load_rejects_mismatched_key(ec_ca, other_ca):
    with pytest.raises(pki.PkiError) as err:
        pki.Issuer.load(pki.certs_to_pem([ec_ca.cert]), pki.key_to_pem(other_ca.key))
    assert err.value.field == "ca"
    assert "does not match" in err.value.message and "east site CA" in err.value.message


def test_issuer_load_rejects_broken_chain(intermediate, other_ca):
    with pytest.raises(pki.PkiError) as err:
        pki.Issuer.load(pki.certs_to_pem([intermediate.cert]), pki.key_to_pem(intermediate.key), pki.certs_to_pem([other_ca.cert]))
    assert "did not sign" in err.value.message and "other CA" in err.value.message


def test_issuer_load_rejects_same_name_forged_root(intermediate, ec_ca):
    # Same subject as the real root, different key: names match, the signature does not.
    forged, _key = pki.issue(pki.CertSpec("east site CA", is_ca=True, key=EC256))
    assert forged.subject == ec_ca.cert.subject
    with pytest.raises(pki.PkiError) as err:
        pki.Issuer.load(pki.certs_to_pem([intermediate.cert]), pki.key_to_pem(intermediate.key), pki.certs_to_pem([forged]))
    assert "did not sign" in err.value.message


def test_issuer_load_rejects_certs_after_root(ec_ca, other_ca):
    with pytest.raises(pki.PkiError) as err:
        pki.Issuer.load(pki.certs_to_pem([ec_ca.cert, other_ca.cert]), pki.key_to_pem(ec_ca.key))
    assert "self-signed root" in err.value.message


def _ca_without_cert_sign():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "no signing")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(7)
            .not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def test_issuer_load_rejects_ku_without_cert_sign():
    cert, key = _ca_without_cert_sign()
    with pytest.raises(pki.PkiError) as err:
        pki.Issuer.load(pki.certs_to_pem([cert]), pki.key_to_pem(key))
    assert "keyCertSign" in err.value.message


def test_issuer_load_bad_pem_names_field():
    with pytest.raises(pki.PkiError) as err:
        pki.Issuer.load(b"junk", b"junk", field="certificate_content")
    assert err.value.field == "certificate_content"


# --------------------------------------------------------------------------- signatures and verification


def test_signed_by(ec_ca, client_leaf, other_ca):
    cert, _key = client_leaf
    assert pki.signed_by(cert, ec_ca.cert)
    assert not pki.signed_by(cert, other_ca.cert)
    # A CA re-created with the same subject but a new key must not count.
    recreated, _key = pki.issue(pki.CertSpec("east site CA", is_ca=True, key=EC256))
    assert recreated.subject == ec_ca.cert.subject
    assert not pki.signed_by(cert, recreated)
    assert pki.is_self_signed(ec_ca.cert) and not pki.is_self_signed(cert)


def test_verify_server_by_name_and_ip(rsa_ca, server_leaf):
    cert, _key = server_leaf
    when = NOW + datetime.timedelta(days=1)
    for host in ("skupper-router.west", "skupper.example.com", "10.0.0.5", "fd00::5"):
        chain = pki.verify_chain(cert, [rsa_ca.cert], host=host, now=when)
        assert chain == [cert, rsa_ca.cert]


def test_verify_client_without_san(ec_ca, client_leaf):
    cert, _key = client_leaf
    chain = pki.verify_chain(cert, [ec_ca.cert], usage="client", now=NOW + datetime.timedelta(days=1))
    assert chain == [cert, ec_ca.cert]


def test_verify_server_cert_is_not_a_client_cert(rsa_ca, server_leaf):
    cert, _key = server_leaf
    with pytest.raises(pki.PkiError) as err:
        pki.verify_chain(cert, [rsa_ca.cert], usage="client", now=NOW + datetime.timedelta(days=1))
    assert err.value.field == "certificate"


def test_verify_wrong_host_fails(rsa_ca, server_leaf):
    cert, _key = server_leaf
    for host in ("other.example.com", "10.0.0.6"):
        with pytest.raises(pki.PkiError) as err:
            pki.verify_chain(cert, [rsa_ca.cert], host=host, now=NOW + datetime.timedelta(days=1))
        assert err.value.field == "certificate"
        assert "skupper-router" in err.value.message and "subjectAltName" in err.value.message


def test_verify_other_ca_fails(other_ca, server_leaf):
    cert, _key = server_leaf
    with pytest.raises(pki.PkiError) as err:
        pki.verify_chain(cert, [other_ca.cert], host="skupper-router.west", now=NOW + datetime.timedelta(days=1))
    assert err.value.field == "certificate"


def test_verify_expired_fails(rsa_ca, server_leaf):
    cert, _key = server_leaf
    with pytest.raises(pki.PkiError):
        pki.verify_chain(cert, [rsa_ca.cert], host="skupper-router.west", now=NOW + datetime.timedelta(days=1826))


def test_verify_through_intermediate(intermediate, ec_ca):
    leaf, _key = pki.issue(pki.CertSpec("svc", hosts=("svc.example",), key=EC256), issuer=intermediate, now=NOW)
    assert ext(leaf, x509.AuthorityKeyIdentifier).value.key_identifier == ext(intermediate.cert, x509.SubjectKeyIdentifier).value.digest
    when = NOW + datetime.timedelta(hours=1)
    chain = pki.verify_chain(leaf, [ec_ca.cert], intermediates=[intermediate.cert], host="svc.example", now=when)
    assert chain == [leaf, intermediate.cert, ec_ca.cert]
    assert pki.verify_chain(leaf, ec_ca.cert, [intermediate.cert], usage="both", host="svc.example", now=when)[-1] == ec_ca.cert
    with pytest.raises(pki.PkiError):
        pki.verify_chain(leaf, [ec_ca.cert], host="svc.example", now=when)  # intermediate missing


def test_verify_argument_errors(rsa_ca, server_leaf):
    cert, _key = server_leaf
    with pytest.raises(pki.PkiError) as err:
        pki.verify_chain(cert, [rsa_ca.cert], usage="server")
    assert err.value.field == "host"
    with pytest.raises(pki.PkiError) as err:
        pki.verify_chain(cert, [rsa_ca.cert], usage="peer", host="x")
    assert err.value.field == "usage"
    with pytest.raises(pki.PkiError) as err:
        pki.verify_chain(cert, [], host="x")
    assert err.value.field == "trust"


# --------------------------------------------------------------------------- facts


def test_facts(rsa_ca, server_leaf):
    cert, _key = server_leaf
    info = pki.facts(cert)
    assert info == {
        "common_name": "skupper-router",
        "subject": "CN=skupper-router",
        "issuer": "CN=west site CA",
        "sans": ["DNS:skupper-router.west", "DNS:10.0.0.5", "DNS:skupper.example.com", "DNS:fd00::5", "IP:10.0.0.5", "IP:fd00::5"],
        "serial": "%x" % cert.serial_number,
        "not_before": "2026-11-22T15:00:00Z",
        "not_after": "2031-11-21T15:00:00Z",
        "fingerprint_sha256": cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        "is_ca": False,
        "usage": "server",
        "key": "ECDSA-P256",
    }
    assert len(info["fingerprint_sha256"]) == 32 * 3 - 1
    ca_info = pki.facts(rsa_ca.cert)
    assert (ca_info["is_ca"], ca_info["usage"], ca_info["key"], ca_info["sans"]) == (True, "both", "RSA-2048", [])
    assert ca_info["serial"] == ca_info["serial"].lower() and ":" not in ca_info["serial"]


def test_facts_and_host_set_on_foreign_cert():
    """A cert-manager style certificate: extra subject attributes, empty DNS SAN, no EKU."""
    key = ec.generate_private_key(ec.SECP384R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme"), x509.NameAttribute(NameOID.COMMON_NAME, "foreign")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key()).serial_number(0xABC)
            .not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(""), x509.DNSName("a.example"),
                                                        x509.IPAddress(ipaddress.ip_address("192.0.2.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    info = pki.facts(cert)
    assert info["common_name"] == "foreign"
    assert info["subject"] == "CN=foreign,O=Acme"
    assert info["sans"] == ["DNS:", "DNS:a.example", "IP:192.0.2.1"]
    assert info["serial"] == "abc"
    assert info["usage"] is None and info["is_ca"] is False and info["key"] == "ECDSA-P384"
    assert pki.host_set(cert) == {"a.example", "192.0.2.1"}
    assert pki.eku_names(cert) is None and pki.key_usage_names(cert) is None


def test_format_helpers():
    assert pki.format_time(datetime.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert pki.format_time(datetime.datetime(2026, 1, 2, 4, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))) == "2026-01-02T03:04:05Z"
    assert pki.format_duration(datetime.timedelta(days=8, hours=5)) == "8 days"
    assert pki.format_duration(datetime.timedelta(days=1)) == "1 day"
    assert pki.format_duration(datetime.timedelta(hours=5, minutes=3)) == "5 hours"
    assert pki.format_duration(datetime.timedelta(seconds=42)) == "42 seconds"
    assert pki.wanted_sans(("a", "10.0.0.1", "b")) == ["DNS:a", "DNS:10.0.0.1", "DNS:b", "IP:10.0.0.1"]


# --------------------------------------------------------------------------- import guard


def test_imports_without_cryptography():
    """ansible-test's import sanity test loads module_utils without third-party packages."""
    code = (
        "import sys\n"
        "sys.modules['cryptography'] = None\n"
        "from ansible_collections.skupper.tls.plugins.module_utils import pki, policy\n"
        "assert pki.HAS_CRYPTOGRAPHY is False\n"
        "assert 'cryptography' in pki.CRYPTOGRAPHY_IMPORT_ERROR\n"
        "assert pki.KeySpec('ecdsa', 256).validate().describe() == 'ECDSA-P256'\n"
        "assert pki.CertSpec('x', hosts=['a', '::1']).validate().hosts == ('a', '::1')\n"
        "try:\n"
        "    pki.generate_key(pki.KeySpec())\n"
        "except pki.PkiError as exc:\n"
        "    assert exc.field == 'cryptography'\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_load_private_key_parses_each_pem_once(monkeypatch):
    """A task reads the same key more than once (a CA Secret checked, then loaded as the issuer); RSA parsing checks the
    key (tens of milliseconds), so the parsed key is reused. Failures are not cached; a key just serialized is known."""
    real = serialization.load_pem_private_key
    calls = []

    def counting(data, password=None, **kw):
        if not kw.get("unsafe_skip_rsa_key_validation"):   # a failed checked parse is parsed again unchecked, to name it
            calls.append(data)
        return real(data, password=password, **kw)

    monkeypatch.setattr(serialization, "load_pem_private_key", counting)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    first = pki.load_private_key(pem)
    assert pki.load_private_key(pem.decode("ascii")) is first and len(calls) == 1
    assert first.private_numbers() == key.private_numbers()
    broken = pem_header("RSA PRIVATE KEY") + b"bm90IGEga2V5\n" + pem_footer("RSA PRIVATE KEY")
    for _attempt in range(2):
        with pytest.raises(pki.PkiError):
            pki.load_private_key(broken, field="tls.key")
    assert len(calls) == 3
    fresh = ec.generate_private_key(ec.SECP256R1())
    assert pki.load_private_key(pki.key_to_pem(fresh, generated=True)) is fresh and len(calls) == 3


@pytest.fixture
def calls(monkeypatch):
    """One entry per PEM private-key parse: its ``unsafe_skip_rsa_key_validation`` (True: the RSA check was skipped)."""
    real, parses = serialization.load_pem_private_key, []

    def counting(data, password=None, **kw):
        parses.append(kw.get("unsafe_skip_rsa_key_validation", False))
        return real(data, password=password, **kw)

    monkeypatch.setattr(serialization, "load_pem_private_key", counting)
    return parses


def test_a_key_read_only_to_compare_skips_the_rsa_check_but_a_signing_key_does_not(calls, rsa_ca):
    """check=False (policy's key_mismatch) skips cryptography's RSA consistency check; a later checked load (an
    issuer) parses again with the check, and a checked key serves unchecked readers."""
    pem = rsa_ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption())
    pki._LOADED_KEYS.clear()  # pylint: disable=protected-access
    unchecked = pki.load_private_key(pem, check=False)
    assert calls == [True] and pki.load_private_key(pem, check=False) is unchecked
    checked = pki.load_private_key(pem)
    assert calls == [True, False] and checked.private_numbers() == rsa_ca.key.private_numbers()
    assert pki.load_private_key(pem, check=False) is checked and len(calls) == 2


def _corrupt_rsa_pem(key):
    """The PEM of ``key`` with a wrong CRT exponent: same public key, fails cryptography's RSA check."""
    numbers = key.private_numbers()
    bad = rsa.RSAPrivateNumbers(numbers.p, numbers.q, numbers.d, numbers.dmp1 + 2, numbers.dmq1, numbers.iqmp, numbers.public_numbers)
    return bad.private_key(unsafe_skip_rsa_key_validation=True).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())


def test_a_ca_read_to_compare_defers_its_rsa_check_until_it_signs(calls, rsa_ca):
    """Issuer.load(check_key=False) (a CA read from its Secret) checks everything but the RSA key consistency; the
    first signature checks the key, once; a CA that never signs never pays for the check."""
    pki._LOADED_KEYS.clear()  # pylint: disable=protected-access
    pem = rsa_ca.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption())
    issuer = pki.Issuer.load(pki.certs_to_pem([rsa_ca.cert]), pem, check_key=False)
    assert calls == [True]
    assert "unchecked_key_pem" not in repr(issuer) and "PRIVATE" not in repr(issuer)
    leaf = pki.issue(pki.CertSpec("leaf", key=pki.KeySpec("ecdsa", 256)), issuer=issuer)[0]
    assert calls == [True, False] and pki.signed_by(leaf, rsa_ca.cert)
    pki.issue(pki.CertSpec("leaf 2", key=pki.KeySpec("ecdsa", 256)), issuer=issuer)
    assert calls == [True, False]


def test_a_corrupt_ca_key_is_refused_when_it_would_sign(rsa_ca):
    """A CA key whose public half matches its certificate but whose private numbers are inconsistent loads for
    comparison, and is refused, naming the CA, before it signs anything."""
    pki._LOADED_KEYS.clear()  # pylint: disable=protected-access
    pem = _corrupt_rsa_pem(rsa_ca.key)
    cert_pem = pki.certs_to_pem([rsa_ca.cert])
    with pytest.raises(pki.PkiError):
        pki.Issuer.load(cert_pem, pem, field="ca_secret ns/site-ca")
    issuer = pki.Issuer.load(cert_pem, pem, field="ca_secret ns/site-ca", check_key=False)
    with pytest.raises(pki.PkiError) as err:
        pki.issue(pki.CertSpec("leaf", key=pki.KeySpec("ecdsa", 256)), issuer=issuer)
    assert "ca_secret ns/site-ca" in str(err.value) and "corrupt" in str(err.value) and "PRIVATE" not in str(err.value)


def test_serializing_an_unchecked_key_does_not_make_it_checked(rsa_ca):
    """policy compares a stored key by serializing it (key_to_pem); that must not mark the PEM as checked, or a
    corrupt CA key read back unchecked would then sign."""
    pki._LOADED_KEYS.clear()  # pylint: disable=protected-access
    pem = _corrupt_rsa_pem(rsa_ca.key)
    unchecked = pki.load_private_key(pem, check=False)
    assert pki.key_to_pem(unchecked) == pem
    issuer = pki.Issuer.load(pki.certs_to_pem([rsa_ca.cert]), pem, check_key=False)
    with pytest.raises(pki.PkiError, match="corrupt"):
        pki.issue(pki.CertSpec("leaf", key=pki.KeySpec("ecdsa", 256)), issuer=issuer)
