# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/policy.py: each check alone, ordering, early stop, trust-only decisions."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.skupper.tls.plugins.module_utils import pki, policy

UTC = datetime.timezone.utc
ISSUED = datetime.datetime(2026, 11, 22, 15, 0, 0, tzinfo=UTC)
NOW = ISSUED + datetime.timedelta(days=1)
EC256 = pki.KeySpec("ecdsa", 256)
LEAF_SPEC = pki.CertSpec("skupper-router", hosts=("a.example", "10.0.0.1"), usage="both", key=EC256)
CA_SPEC = pki.CertSpec("west site CA", is_ca=True, key=EC256)


@pytest.fixture(scope="module")
def ca():
    cert, key = pki.issue(CA_SPEC, now=ISSUED)
    return pki.Issuer(cert, key)


@pytest.fixture(scope="module")
def other_ca():
    cert, key = pki.issue(pki.CertSpec("east site CA", is_ca=True, key=EC256), now=ISSUED)
    return pki.Issuer(cert, key)


@pytest.fixture(scope="module")
def leaf(ca):
    return pki.issue(LEAF_SPEC, issuer=ca, now=ISSUED)


@pytest.fixture(scope="module")
def spare_key():
    return pki.generate_key(EC256)


def pem(cert):
    return pki.certs_to_pem([cert])


def stored(cert, key, bundle=None):
    return policy.Stored(pem(cert), pki.key_to_pem(key), bundle)


def decide(stored_, spec=LEAF_SPEC, issuer=None, bundle_pem=None, fixed=None, now=NOW, checks=policy.CHECKS):
    return policy.evaluate(stored_, policy.Desired(spec=spec, issuer=issuer, bundle_pem=bundle_pem, fixed=fixed, now=now), checks=checks)


def only(decision, name):
    """The decision failed exactly ``name``; return its single reason."""
    assert decision.failed == [name], decision.reasons
    assert len(decision.reasons) == 1
    assert decision.reasons[0].startswith(name + ": ")
    return decision.reasons[0]


def craft(issuer_cert, issuer_key, key, subject=None, sans=None, ku=None, eku=(ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH),
          ca=False, not_before=ISSUED, days=1825):
    """A certificate outside our own profile (for foreign / legacy material)."""
    subject = subject or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "skupper-router")])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_cert.subject if issuer_cert else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_before + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ku is not None:
        builder = builder.add_extension(ku, critical=True)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def key_usage(cert_sign=False, key_enc=True):
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=key_enc, data_encipherment=False,
                         key_agreement=False, key_cert_sign=cert_sign, crl_sign=False, encipher_only=False, decipher_only=False)


LEAF_SANS = [x509.DNSName("a.example"), x509.DNSName("10.0.0.1"), x509.IPAddress(ipaddress.ip_address("10.0.0.1"))]


# --------------------------------------------------------------------------- satisfied


def test_check_chain_order():
    assert [c.name for c in policy.CHECKS] == [
        "missing", "unparseable", "content", "key_mismatch", "key_type", "ca", "subject", "sans", "usage", "issuer", "expiry", "trust_bundle"]
    assert [c.group for c in policy.CHECKS] == ["reissue"] * 11 + ["trust"]


def test_satisfied_leaf(ca, leaf):
    decision = decide(stored(*leaf, bundle=ca.bundle_pem()), issuer=ca, bundle_pem=ca.bundle_pem())
    assert (decision.action, decision.reasons, decision.failed) == ("none", [], [])


def test_satisfied_ca(ca):
    decision = decide(stored(ca.cert, ca.key), spec=CA_SPEC)
    assert (decision.action, decision.reasons, decision.failed) == ("none", [], [])


def test_host_order_and_duplicates_do_not_matter(ca, leaf):
    spec = dataclasses.replace(LEAF_SPEC, hosts=("a.example", "10.0.0.1", "a.example"))
    assert decide(stored(*leaf), spec=spec, issuer=ca).action == "none"
    spec = dataclasses.replace(LEAF_SPEC, hosts=("10.0.0.1", "a.example"))
    assert decide(stored(*leaf), spec=spec, issuer=ca).action == "none"


def test_empty_dns_san_ignored(spare_key):
    """Skupper CAs before 2.1.2 carry a single empty 'DNS:' SAN; they must not be reissued for it (GH-2277)."""
    cert = craft(None, spare_key, spare_key, subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "west site CA")]),
                 sans=[x509.DNSName("")], ku=key_usage(cert_sign=True), ca=True)
    decision = decide(stored(cert, spare_key), spec=CA_SPEC)
    assert (decision.action, decision.failed) == ("none", [])


# --------------------------------------------------------------------------- missing / unparseable (early stop)


@pytest.mark.parametrize("has_crt, has_key, words", [
    (False, True, "missing: no tls.crt in the Secret"),
    (True, False, "missing: no tls.key in the Secret"),
    (False, False, "missing: no tls.crt and no tls.key in the Secret"),
])
def test_missing(ca, leaf, has_crt, has_key, words):
    s = policy.Stored(pem(leaf[0]) if has_crt else None, pki.key_to_pem(leaf[1]) if has_key else b"", None)
    # Also stale everything else (wrong CN, bundle missing): the chain stops at missing.
    decision = decide(s, spec=dataclasses.replace(LEAF_SPEC, common_name="other"), issuer=ca, bundle_pem=ca.bundle_pem())
    assert decision.action == "issue"
    assert only(decision, "missing") == words


def test_unparseable_cert(ca, leaf):
    s = policy.Stored(b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n", pki.key_to_pem(leaf[1]), None)
    decision = decide(s, issuer=ca, bundle_pem=ca.bundle_pem())
    reason = only(decision, "unparseable")
    assert reason.startswith("unparseable: tls.crt: ")
    assert decision.action == "issue"


def test_unparseable_key(ca, leaf):
    encrypted = leaf[1].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    decision = decide(policy.Stored(pem(leaf[0]), encrypted, None), issuer=ca, bundle_pem=ca.bundle_pem())
    reason = only(decision, "unparseable")
    assert "tls.key" in reason and "encrypted" in reason


def test_unparseable_both(ca):
    decision = decide(policy.Stored(b"junk", b"junk", None), issuer=ca)
    reason = only(decision, "unparseable")
    assert "tls.crt" in reason and "tls.key" in reason


# --------------------------------------------------------------------------- each reissue check alone


def test_content(ca, other_ca):
    spec = CA_SPEC
    reason = only(decide(stored(other_ca.cert, other_ca.key), spec=spec, fixed=(ca.cert, ca.key)), "content")
    assert "'east site CA'" in reason and "'west site CA'" in reason
    assert "%x" % ca.cert.serial_number in reason
    assert "tls.key is not the given key" in reason
    # Same cert, other key: only the key is named.
    reason = only(decide(stored(ca.cert, other_ca.key), spec=spec, fixed=(ca.cert, ca.key)), "content")
    assert reason == "content: tls.key is not the given key"
    assert decide(stored(ca.cert, ca.key), spec=spec, fixed=(ca.cert, ca.key)).action == "none"


def test_content_skips_profile_checks(spare_key):
    """An imported CA outside our profile (no EKU, extra subject attributes, expired soon) is taken as is."""
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme"), x509.NameAttribute(NameOID.COMMON_NAME, "Acme CA")])
    cert = craft(None, spare_key, spare_key, subject=subject, ku=key_usage(cert_sign=True, key_enc=False), eku=None, ca=True, days=2)
    spec = pki.CertSpec("Acme CA", is_ca=True, key=pki.KeySpec("ecdsa", 521), renew_before=datetime.timedelta(0))  # would not validate
    decision = decide(stored(cert, spare_key), spec=spec, fixed=(cert, spare_key))
    assert (decision.action, decision.failed) == ("none", [])


def test_content_wants_pkcs1_for_rsa_ca():
    cert, key = pki.issue(pki.CertSpec("rsa CA", is_ca=True), now=ISSUED)
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    spec = pki.CertSpec("rsa CA", is_ca=True)
    reason = only(decide(policy.Stored(pem(cert), pkcs8, None), spec=spec, fixed=(cert, key)), "content")
    assert "'PRIVATE KEY'" in reason and "'RSA PRIVATE KEY'" in reason
    # Not fixed: the same problem is a key_type one.
    reason = only(decide(policy.Stored(pem(cert), pkcs8, None), spec=spec), "key_type")
    assert "PKCS#1" in reason
    assert decide(policy.Stored(pem(cert), pki.key_to_pem(key), None), spec=spec).action == "none"


def test_key_mismatch(ca, leaf, spare_key):
    decision = decide(stored(leaf[0], spare_key), issuer=ca)
    reason = only(decision, "key_mismatch")
    assert "'skupper-router'" in reason and "ECDSA-P256" in reason
    assert decision.action == "issue"


def test_key_type(ca, leaf):
    reason = only(decide(stored(*leaf), spec=dataclasses.replace(LEAF_SPEC, key=pki.KeySpec("ecdsa", 384)), issuer=ca), "key_type")
    assert reason == "key_type: key is ECDSA-P256, wanted ECDSA-P384"
    reason = only(decide(stored(*leaf), spec=dataclasses.replace(LEAF_SPEC, key=pki.KeySpec("rsa", 3072)), issuer=ca), "key_type")
    assert reason == "key_type: key is ECDSA-P256, wanted RSA-3072"


def test_ca_flag(ca):
    """An intermediate (CA:TRUE) where a leaf is wanted: only the CA flag differs."""
    cert, key = pki.issue(dataclasses.replace(LEAF_SPEC, is_ca=True), issuer=ca, now=ISSUED)
    reason = only(decide(stored(cert, key), issuer=ca), "ca")
    assert reason == "ca: certificate is a CA (CA:TRUE), wanted not a CA (CA:FALSE)"


def test_subject_common_name(ca, leaf):
    reason = only(decide(stored(*leaf), spec=dataclasses.replace(LEAF_SPEC, common_name="skupper-router.west"), issuer=ca), "subject")
    assert reason == "subject: common name is 'skupper-router', wanted 'skupper-router.west'"


def test_subject_extra_attributes(ca, spare_key):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "skupper-router"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme")])
    cert = craft(ca.cert, ca.key, spare_key, subject=subject, sans=LEAF_SANS, ku=key_usage())
    reason = only(decide(stored(cert, spare_key), issuer=ca), "subject")
    assert "O=Acme" in reason and "only CN=skupper-router" in reason


def test_sans(ca, leaf):
    spec = dataclasses.replace(LEAF_SPEC, hosts=("a.example", "b.example", "10.0.0.1"))
    reason = only(decide(stored(*leaf), spec=spec, issuer=ca), "sans")
    assert reason == ("sans: certificate has [DNS:a.example, DNS:10.0.0.1, IP:10.0.0.1], "
                      "wanted [DNS:a.example, DNS:b.example, DNS:10.0.0.1, IP:10.0.0.1]")
    # Fewer hosts wanted is also a difference (exact set, as Skupper 2.2+ compares).
    reason = only(decide(stored(*leaf), spec=dataclasses.replace(LEAF_SPEC, hosts=("a.example",)), issuer=ca), "sans")
    assert reason.endswith("wanted [DNS:a.example]")


def test_usage_eku(ca, leaf):
    reason = only(decide(stored(*leaf), spec=dataclasses.replace(LEAF_SPEC, usage="server"), issuer=ca), "usage")
    assert reason == "usage: extended key usage is [serverAuth, clientAuth], wanted [serverAuth]"


def test_usage_eku_absent_and_key_usage(ca, spare_key):
    cert = craft(ca.cert, ca.key, spare_key, sans=LEAF_SANS, ku=key_usage(key_enc=False), eku=None)
    reason = only(decide(stored(cert, spare_key), issuer=ca), "usage")
    assert reason == "usage: extended key usage is absent, wanted [serverAuth, clientAuth]; key usage lacks [keyEncipherment]"
    cert = craft(ca.cert, ca.key, spare_key, sans=LEAF_SANS, ku=None)
    reason = only(decide(stored(cert, spare_key), issuer=ca), "usage")
    assert reason == "usage: key usage is absent, wanted [digitalSignature, keyEncipherment]"


def test_usage_ca_needs_cert_sign(spare_key):
    cert = craft(None, spare_key, spare_key, subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "west site CA")]),
                 ku=key_usage(cert_sign=False), ca=True)
    reason = only(decide(stored(cert, spare_key), spec=CA_SPEC), "usage")
    assert reason == "usage: key usage lacks [keyCertSign]"


def test_issuer_same_subject_new_key(ca, leaf):
    recreated, new_key = pki.issue(CA_SPEC, now=ISSUED)
    assert recreated.subject == ca.cert.subject
    decision = decide(stored(*leaf), issuer=pki.Issuer(recreated, new_key))
    assert decision.action == "issue"
    assert only(decision, "issuer") == "issuer: not signed by the current CA 'west site CA' (signature does not verify)"


def test_issuer_other_ca(other_ca, leaf):
    reason = only(decide(stored(*leaf), issuer=other_ca), "issuer")
    assert reason == "issuer: not signed by the current CA 'east site CA' (issued by 'CN=west site CA')"


def test_issuer_ca_must_be_self_signed(other_ca):
    cert, key = pki.issue(CA_SPEC, issuer=other_ca, now=ISSUED)
    reason = only(decide(stored(cert, key), spec=CA_SPEC), "issuer")
    assert reason == "issuer: CA is not self-signed (issued by 'CN=east site CA')"


def test_expiry_inside_window(ca, leaf):
    end = leaf[0].not_valid_after_utc
    decision = decide(stored(*leaf), issuer=ca, now=end - datetime.timedelta(days=8))
    assert decision.action == "issue"
    assert only(decision, "expiry") == "expiry: expires %s (in 8 days), inside renew_before of 30 days" % end.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert end.strftime("%Y-%m-%dT%H:%M:%SZ") == "2031-11-21T15:00:00Z"
    # The boundary is inside the window.
    assert decide(stored(*leaf), issuer=ca, now=end - datetime.timedelta(days=30)).failed == ["expiry"]


def test_expiry_expired(ca, leaf):
    end = leaf[0].not_valid_after_utc
    reason = only(decide(stored(*leaf), issuer=ca, now=end + datetime.timedelta(days=3, hours=2)), "expiry")
    assert reason == "expiry: expired 2031-11-21T15:00:00Z (3 days ago)"


def test_expiry_outside_window_passes(ca, leaf):
    end = leaf[0].not_valid_after_utc
    assert decide(stored(*leaf), issuer=ca, now=end - datetime.timedelta(days=30, seconds=1)).action == "none"
    spec = dataclasses.replace(LEAF_SPEC, renew_before=datetime.timedelta(0))
    assert decide(stored(*leaf), spec=spec, issuer=ca, now=end - datetime.timedelta(seconds=1)).action == "none"
    # A naive datetime is taken as UTC.
    assert decide(stored(*leaf), issuer=ca, now=(end - datetime.timedelta(days=31)).replace(tzinfo=None)).action == "none"


def test_expiry_uses_current_time_by_default(ca):
    spec = dataclasses.replace(LEAF_SPEC, validity=datetime.timedelta(days=100), renew_before=datetime.timedelta(days=95))
    real_now = datetime.datetime.now(UTC)
    fresh = pki.issue(spec, issuer=ca)
    old = pki.issue(spec, issuer=ca, now=real_now - datetime.timedelta(days=10))  # 90 days left: inside 95
    assert decide(stored(*fresh), spec=spec, issuer=ca, now=None).action == "none"
    assert decide(stored(*old), spec=spec, issuer=ca, now=None).failed == ["expiry"]


# --------------------------------------------------------------------------- trust bundle


def test_trust_bundle_missing(ca, leaf):
    decision = decide(stored(*leaf, bundle=None), issuer=ca, bundle_pem=ca.bundle_pem())
    assert decision.action == "trust"
    reason = only(decision, "trust_bundle")
    assert reason.startswith("trust_bundle: no ca.crt in the Secret, wanted ['west site CA' ")


def test_trust_bundle_differs(ca, other_ca, leaf):
    decision = decide(stored(*leaf, bundle=other_ca.bundle_pem()), issuer=ca, bundle_pem=ca.bundle_pem())
    assert decision.action == "trust"
    reason = only(decision, "trust_bundle")
    assert "has ['east site CA' %s]" % pki.fingerprint(other_ca.cert)[:16] in reason
    assert "wanted ['west site CA' %s]" % pki.fingerprint(ca.cert)[:16] in reason


def test_trust_bundle_extra_cert_differs(ca, other_ca, leaf):
    both = pki.certs_to_pem([ca.cert, other_ca.cert])
    assert decide(stored(*leaf, bundle=both), issuer=ca, bundle_pem=ca.bundle_pem()).failed == ["trust_bundle"]
    assert decide(stored(*leaf, bundle=ca.bundle_pem()), issuer=ca, bundle_pem=both).failed == ["trust_bundle"]


def test_trust_bundle_unparseable(ca, leaf):
    decision = decide(stored(*leaf, bundle=b"garbage"), issuer=ca, bundle_pem=ca.bundle_pem())
    assert decision.action == "trust"
    assert only(decision, "trust_bundle").startswith("trust_bundle: ca.crt: ")


def test_trust_bundle_order_insensitive(ca, other_ca, leaf):
    have = pki.certs_to_pem([other_ca.cert, ca.cert])
    want = pki.certs_to_pem([ca.cert, other_ca.cert])
    assert decide(stored(*leaf, bundle=have), issuer=ca, bundle_pem=want).action == "none"


def test_trust_bundle_not_checked_without_desired_bundle(ca, leaf):
    assert decide(stored(*leaf, bundle=b"garbage"), issuer=ca, bundle_pem=None).action == "none"


def test_trust_only_evaluation_without_spec(ca, other_ca):
    trust_checks = tuple(c for c in policy.CHECKS if c.group == "trust")
    decision = decide(policy.Stored(None, None, other_ca.bundle_pem()), spec=None, bundle_pem=ca.bundle_pem(), checks=trust_checks)
    assert (decision.action, decision.failed) == ("trust", ["trust_bundle"])
    decision = decide(policy.Stored(None, None, ca.bundle_pem()), spec=None, bundle_pem=ca.bundle_pem(), checks=trust_checks)
    assert decision.action == "none"


def test_reissue_hides_trust_bundle(ca, leaf, spare_key):
    decision = decide(stored(leaf[0], spare_key, bundle=None), issuer=ca, bundle_pem=ca.bundle_pem())
    assert decision.action == "issue"
    assert decision.failed == ["key_mismatch"]
    assert not any(r.startswith("trust_bundle") for r in decision.reasons)


# --------------------------------------------------------------------------- ordering and the chain as data


def test_reasons_follow_check_order(ca, leaf):
    spec = dataclasses.replace(LEAF_SPEC, common_name="renamed", hosts=("z.example",), usage="client", key=pki.KeySpec("ecdsa", 384))
    end = leaf[0].not_valid_after_utc
    decision = decide(stored(*leaf), spec=spec, issuer=ca, now=end - datetime.timedelta(days=1))
    assert decision.failed == ["key_type", "subject", "sans", "usage", "expiry"]
    assert [r.split(":", 1)[0] for r in decision.reasons] == decision.failed
    order = [c.name for c in policy.CHECKS]
    assert decision.failed == sorted(decision.failed, key=order.index)


def test_custom_chain(ca, leaf):
    def always(ctx):
        return "cn is %s" % pki.common_name(ctx.cert)
    checks = (policy.Check("mine", "reissue", always),) + policy.CHECKS
    decision = decide(stored(*leaf), issuer=ca, checks=checks)
    assert (decision.action, decision.reasons) == ("issue", ["mine: cn is skupper-router"])
    stop = (policy.Check("gate", "reissue", always, stop=True), policy.Check("never", "reissue", always))
    assert decide(stored(*leaf), issuer=ca, checks=stop).failed == ["gate"]
    trust = (policy.Check("t", "trust", always),)
    assert decide(stored(*leaf), issuer=ca, checks=trust).action == "trust"
