# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PKI core: keys, certificates with Skupper's profile, facts and chain verification.

Pure Python on ``cryptography``; imports nothing from Ansible or Kubernetes.

Certificates follow Skupper's ``GenerateSecret`` (internal/certs/certs.go): subject CN
only, random serial in [1, 2^128), ``not_before`` = now (no backdating), KeyUsage
digitalSignature + keyEncipherment (+ keyCertSign on CAs, critical), ExtKeyUsage
serverAuth + clientAuth unless narrowed, BasicConstraints (critical, no pathlen),
SubjectKeyIdentifier on every certificate, AuthorityKeyIdentifier on issued ones, every
IP host written both as a DNS SAN and as an IP SAN (all DNS names first, then the IPs),
no SAN extension when there are no hosts, SHA-256 signatures.

Errors are ``PkiError(field, message)`` so that modules can name the offending option.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import secrets
import traceback

from ansible_collections.skupper.tls.plugins.module_utils import validate
from ansible_collections.skupper.tls.plugins.module_utils.validate import ip_of  # the one "is this an IP" rule

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None


RSA_SIZES = (2048, 3072, 4096)
ECDSA_SIZES = (256, 384)
KEY_TYPES = ("rsa", "ecdsa")
USAGES = ("both", "server", "client")
DEFAULT_VALIDITY = datetime.timedelta(days=1825)
DEFAULT_RENEW_BEFORE = datetime.timedelta(days=30)
MAX_CN_LENGTH = 64
# Names of the ExtendedKeyUsage purposes each usage wants, in the order Skupper writes them.
USAGE_EKUS = {
    "both": ("serverAuth", "clientAuth"),
    "server": ("serverAuth",),
    "client": ("clientAuth",),
}

_CURVE_SIZES = {"secp256r1": 256, "secp384r1": 384, "secp521r1": 521}
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class PkiError(validate.ValidationError):
    """A problem with PKI input, tied to the option (``field``) it came from (a ValidationError: every boundary
    reports it as bad input). Messages never quote PEM or key text."""

    def __init__(self, field, message):
        ValueError.__init__(self, "%s: %s" % (field, message))  # pylint: disable=non-parent-init-called
        self.field = field
        self.message = self.problem = message
        self.value, self.allowed, self.secret = None, None, False

    @classmethod
    def of(cls, exc):
        """A ValidationError from validate.py as a PkiError (same field and message; the value is never shown)."""
        return cls(exc.field, exc.message)


def _require_cryptography():
    if not HAS_CRYPTOGRAPHY:
        raise PkiError("cryptography", "the Python 'cryptography' library is required:\n%s" % CRYPTOGRAPHY_IMPORT_ERROR)


def _choices(values):
    return ", ".join(str(v) for v in values)


# --------------------------------------------------------------------------- keys


@dataclasses.dataclass(frozen=True)
class KeySpec:
    """Key algorithm and size: ``rsa`` 2048/3072/4096 or ``ecdsa`` 256 (P-256)/384 (P-384)."""

    type: str = "rsa"
    size: int = 2048

    def validate(self):
        """Raise PkiError when the type or size is not supported; return self."""
        if self.type not in KEY_TYPES:
            raise PkiError("key_type", "unsupported key type; got '%s'; expected one of %s" % (self.type, _choices(KEY_TYPES)))
        sizes = RSA_SIZES if self.type == "rsa" else ECDSA_SIZES
        if isinstance(self.size, bool) or self.size not in sizes:
            raise PkiError("key_size", "unsupported size for %s keys; got '%s'; expected one of %s" % (self.type, self.size, _choices(sizes)))
        return self

    def describe(self):
        """``RSA-2048``, ``ECDSA-P256``."""
        if self.type == "rsa":
            return "RSA-%s" % self.size
        if self.type == "ecdsa":
            return "ECDSA-P%s" % self.size
        return "%s-%s" % (str(self.type).upper(), self.size)


def generate_key(spec):
    """A new private key for a (validated) KeySpec."""
    _require_cryptography()
    spec.validate()
    if spec.type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=spec.size)
    curve = ec.SECP256R1() if spec.size == 256 else ec.SECP384R1()
    return ec.generate_private_key(curve)


def key_to_pem(key, generated=False):
    """Unencrypted PEM: RSA as PKCS#1 ``RSA PRIVATE KEY`` (what Skupper parses), EC as PKCS#8.

    ``generated=True``: a key this process made, remembered as checked, so that reading it back in the same task (a
    new CA that then signs) does not parse it again. Never for a key read from elsewhere: one parsed without the RSA
    check must not become "checked" by being serialized."""
    _require_cryptography()
    if isinstance(key, rsa.RSAPrivateKey):
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        fmt = serialization.PrivateFormat.PKCS8
    pem = key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
    if generated:
        _remember_key(pem, key, True)
    return pem


def _to_bytes(data, field, what):
    if data is None:
        raise PkiError(field, "no %s given" % what)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise PkiError(field, "%s must be PEM text, got %s" % (what, type(data).__name__))
    if not bytes(data).strip():
        raise PkiError(field, "%s is empty" % what)
    return bytes(data)


def pem_key_label(pem):
    """The label of the first PEM private key block (``RSA PRIVATE KEY``, ``PRIVATE KEY``, ...), or None."""
    if isinstance(pem, str):
        pem = pem.encode("utf-8")
    match = re.search(rb"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----", pem or b"")
    return match.group(1).decode("ascii") if match else None


# Parsed private keys by their PEM bytes: one task reads the same key more than once (a CA Secret checked, then
# loaded as the issuer) and loading an RSA key checks it (primality of p and q: about 20-50 ms for RSA-2048).
# Key objects are immutable; failures are not cached. Bounded: a task holds a few tens of keys at most.
_LOADED_KEYS = {}
_LOADED_KEYS_MAX = 64


def load_private_key(pem, field="private_key", cert_field=None, check=True):
    """Parse an unencrypted PEM RSA or EC private key (bytes or str): exactly one key block and nothing else.

    ``check=False`` skips cryptography's RSA consistency check (the primality of p and q, 20-50 ms per RSA-2048 key,
    the largest cost of a re-run): only for a key read back to compare its public key with its certificate
    (policy ``key_mismatch``) and for a CA's key until it signs (``Issuer.signing_key`` checks it then), never for
    a key that signs. A key whose public numbers match its certificate but whose private numbers are inconsistent
    is thus never used to sign; ``skupper.tls.audit`` reports it (a handshake may still succeed with it: OpenSSL
    falls back from a faulty CRT result).
    """
    _require_cryptography()
    data = _to_bytes(pem, field, "private key")
    cached = _LOADED_KEYS.get(data)
    if cached is not None and (cached[1] or not check):
        return cached[0]
    try:
        validate.pem_private_key(data, field, cert_field=cert_field)
    except validate.ValidationError as exc:
        raise PkiError.of(exc) from None
    key = _parse_private_key(data, field, check)
    _remember_key(data, key, check)
    return key


def _remember_key(data, key, checked):
    if len(_LOADED_KEYS) >= _LOADED_KEYS_MAX:
        _LOADED_KEYS.clear()
    _LOADED_KEYS[data] = (key, checked)


def _parse_private_key(data, field, check=True):
    if pem_key_label(data) == "ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in data:
        raise PkiError(field, "the private key is encrypted; an unencrypted PEM key is required")
    try:
        key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=not check)
    except TypeError:
        raise PkiError(field, "the private key is encrypted; an unencrypted PEM key is required")
    except UnsupportedAlgorithm as exc:
        raise PkiError(field, "unsupported private key algorithm: %s" % exc)
    except ValueError as exc:
        if check and _parses_unchecked(data):
            raise PkiError(field, "the RSA private key is corrupt: it fails cryptography's RSA consistency check (p, q, CRT values); "
                                  "it cannot sign") from None
        raise PkiError(field, "not a valid PEM private key (%s)" % _first_line(exc))
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise PkiError(field, "unsupported private key type %s; expected RSA or ECDSA" % type(key).__name__)
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name not in _CURVE_SIZES:
        raise PkiError(field, "unsupported elliptic curve %s; expected P-256, P-384 or P-521" % key.curve.name)
    return key


def _parses_unchecked(data):
    try:
        serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=True)
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
    return True


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def key_spec_of(key):
    """KeySpec describing a private or public RSA/EC key (the size is not validated)."""
    _require_cryptography()
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return KeySpec("rsa", key.key_size)
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return KeySpec("ecdsa", _CURVE_SIZES.get(key.curve.name, key.curve.key_size))
    raise PkiError("key_type", "unsupported key type %s; expected RSA or ECDSA" % type(key).__name__)


def _public_der(key):
    if hasattr(key, "public_key"):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert, key):
    """True when the private (or public) ``key`` is the certificate's key."""
    _require_cryptography()
    try:
        return _public_der(cert.public_key()) == _public_der(key)
    except (TypeError, ValueError, AttributeError, UnsupportedAlgorithm):
        return False


# --------------------------------------------------------------------------- certificates I/O


def load_certificates(pem, field="certificate", key_field=None):
    """All PEM certificates in ``pem`` (bytes or str), in order. Only CERTIFICATE blocks: a private key (or any other
    block) is refused, so a key pasted into a certificate option is never treated, returned or shown as public."""
    _require_cryptography()
    data = _to_bytes(pem, field, "certificate")
    try:
        validate.pem_certificates(data, field, key_field=key_field)
    except validate.ValidationError as exc:
        raise PkiError.of(exc) from None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise PkiError(field, "not a valid PEM certificate (%s)" % _first_line(exc))
    if not certs:
        raise PkiError(field, "no PEM certificate found")
    return list(certs)


def certs_to_pem(certs):
    """Concatenated PEM of certificates."""
    _require_cryptography()
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


# --------------------------------------------------------------------------- hosts


def wanted_sans(hosts):
    """The SAN strings ("DNS:x", "IP:y") ``issue`` writes for validated ``hosts``, in order."""
    dns = ["DNS:%s" % h for h in hosts]
    ips = ["IP:%s" % ip for ip in (ip_of(h) for h in hosts) if ip is not None]
    return dns + ips


# --------------------------------------------------------------------------- specs


@dataclasses.dataclass(frozen=True)
class CertSpec:
    """What a certificate should be (Skupper's profile parameters)."""

    common_name: str
    hosts: tuple = ()
    usage: str = "both"
    is_ca: bool = False
    validity: datetime.timedelta = DEFAULT_VALIDITY
    renew_before: datetime.timedelta = DEFAULT_RENEW_BEFORE
    key: KeySpec = KeySpec()

    def __post_init__(self):
        if isinstance(self.hosts, list):
            object.__setattr__(self, "hosts", tuple(self.hosts))

    def validate(self, fields=None):
        """Raise a ValidationError naming the option (``fields`` maps attribute -> option name) on a bad field; return
        a copy with validated hosts. Lifetimes are bounded by what ``datetime`` and X.509 can carry (9999-12-31)."""
        fields = dict({"common_name": "common_name", "hosts": "hosts", "validity": "validity_days",
                       "renew_before": "renew_before_days"}, **(fields or {}))
        try:
            validate.common_name(self.common_name, fields["common_name"])
            hosts = validate.hosts(self.hosts, fields["hosts"])
        except validate.ValidationError as exc:
            raise PkiError.of(exc) from None
        if self.usage not in USAGES:
            raise PkiError("usage", "got '%s'; expected one of %s" % (self.usage, _choices(USAGES)))
        for name in ("validity", "renew_before"):
            if not isinstance(getattr(self, name), datetime.timedelta):
                raise PkiError(fields[name], "must be a duration (datetime.timedelta), got %s" % type(getattr(self, name)).__name__)
        if self.renew_before < datetime.timedelta(0):
            raise PkiError(fields["renew_before"], "must not be negative, got %s" % format_duration(self.renew_before))
        if self.validity <= self.renew_before:
            raise PkiError(fields["validity"], "validity %s must be longer than renew_before %s"
                           % (format_duration(self.validity), format_duration(self.renew_before)))
        if self.validity > validate.LATEST - utcnow():
            raise PkiError(fields["validity"], "%s would end after 9999-12-31, the last date a certificate can carry; at most %d days"
                           % (format_duration(self.validity), validate.max_days()))
        if not isinstance(self.key, KeySpec):
            raise PkiError("key_type", "key must be a KeySpec")
        self.key.validate()
        return dataclasses.replace(self, hosts=hosts)


def format_duration(delta):
    """Human duration, rounded down to its largest unit: '30 days', '1 day', '5 hours', '40 seconds'."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = seconds // size
            return "%s%d %s%s" % (sign, count, unit, "" if count == 1 else "s")
    return ""  # pragma: no cover


def format_time(value):
    """ISO 8601 UTC with a Z: ``2026-11-22T15:00:00Z``."""
    return to_utc(value).strftime(_TIME_FORMAT)


def to_utc(value):
    """An aware UTC datetime (a naive one is taken as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def utcnow():
    """The current time, timezone-aware UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


# --------------------------------------------------------------------------- certificate properties


def common_name(cert):
    """The first CN of the subject, or '' when there is none."""
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else ""


def _extension(cert, ext_class):
    try:
        return cert.extensions.get_extension_for_class(ext_class)
    except x509.ExtensionNotFound:
        return None


def is_ca(cert):
    """True when BasicConstraints says CA:TRUE."""
    ext = _extension(cert, x509.BasicConstraints)
    return bool(ext and ext.value.ca)


_EKU_NAMES = None


def _eku_names():
    global _EKU_NAMES  # pylint: disable=global-statement
    if _EKU_NAMES is None:
        _EKU_NAMES = {
            ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
            ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
            ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
            ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
            ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
            ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
        }
    return _EKU_NAMES


def _eku_oid(name):
    for oid, known in _eku_names().items():
        if known == name:
            return oid
    raise KeyError(name)


def eku_names(cert):
    """ExtendedKeyUsage purposes as names (``serverAuth``, ``clientAuth``, dotted OID otherwise), in cert order; None when absent."""
    ext = _extension(cert, x509.ExtendedKeyUsage)
    if ext is None:
        return None
    names = _eku_names()
    return [names.get(oid, oid.dotted_string) for oid in ext.value]


_KU_FLAGS = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign",
)


def key_usage_names(cert):
    """KeyUsage flags set, by cryptography attribute name (``digital_signature``, ...); None when absent."""
    ext = _extension(cert, x509.KeyUsage)
    if ext is None:
        return None
    ku = ext.value
    names = [flag for flag in _KU_FLAGS if getattr(ku, flag)]
    if ku.key_agreement:
        names += [flag for flag in ("encipher_only", "decipher_only") if getattr(ku, flag)]
    return names


def usage_of(cert):
    """``both`` | ``server`` | ``client`` from ExtendedKeyUsage, None when absent or neither."""
    names = eku_names(cert)
    if names is None:
        return None
    server, client = "serverAuth" in names, "clientAuth" in names
    if server and client:
        return "both"
    if server:
        return "server"
    if client:
        return "client"
    return None


def sans_of(cert):
    """SANs as strings (``DNS:a``, ``IP:1.2.3.4``, ``email:x``, ``URI:x``) in certificate order."""
    ext = _extension(cert, x509.SubjectAlternativeName)
    if ext is None:
        return []
    result = []
    for name in ext.value:
        if isinstance(name, x509.DNSName):
            result.append("DNS:%s" % name.value)
        elif isinstance(name, x509.IPAddress):
            result.append("IP:%s" % name.value)
        elif isinstance(name, x509.RFC822Name):
            result.append("email:%s" % name.value)
        elif isinstance(name, x509.UniformResourceIdentifier):
            result.append("URI:%s" % name.value)
        else:
            result.append("%s:%s" % (type(name).__name__, name.value))
    return result


def host_set(cert):
    """Non-empty DNS names and IP address strings (Skupper's ``isSecretCorrect`` comparison)."""
    ext = _extension(cert, x509.SubjectAlternativeName)
    if ext is None:
        return set()
    dns = {n for n in ext.value.get_values_for_type(x509.DNSName) if n}
    ips = {str(ip) for ip in ext.value.get_values_for_type(x509.IPAddress)}
    return dns | ips


def fingerprint(cert):
    """SHA-256 fingerprint, upper-case hex with colons."""
    return cert.fingerprint(hashes.SHA256()).hex().upper()


def _colons(hexstr):
    return ":".join(hexstr[i:i + 2] for i in range(0, len(hexstr), 2))


def not_before(cert):
    """not_before as an aware UTC datetime."""
    return to_utc(cert.not_valid_before_utc)   # cryptography >= 42.0, the collection's floor


def not_after(cert):
    """not_after as an aware UTC datetime."""
    return to_utc(cert.not_valid_after_utc)


def describe(cert):
    """Short label for messages: ``'west site CA' (serial 1f2e...)``."""
    return "'%s' (serial %s)" % (common_name(cert) or cert.subject.rfc4514_string(), format(cert.serial_number, "x"))


def facts(cert):
    """What modules return and diff about a certificate; never key bytes."""
    try:
        key = key_spec_of(cert.public_key()).describe()
    except (PkiError, UnsupportedAlgorithm):
        key = type(cert.public_key()).__name__
    return {
        "common_name": common_name(cert),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "sans": sans_of(cert),
        "serial": format(cert.serial_number, "x"),
        "not_before": format_time(not_before(cert)),
        "not_after": format_time(not_after(cert)),
        "fingerprint_sha256": _colons(fingerprint(cert)),
        "is_ca": is_ca(cert),
        "usage": usage_of(cert),
        "key": key,
    }


def signed_by(cert, issuer_cert):
    """True when ``cert``'s issuer name is ``issuer_cert``'s subject and the signature verifies with its key."""
    _require_cryptography()
    if cert.issuer != issuer_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer_cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def is_self_signed(cert):
    """True when the certificate is signed by its own key."""
    return signed_by(cert, cert)


# --------------------------------------------------------------------------- issuer


@dataclasses.dataclass
class Issuer:
    """A CA able to sign: its certificate, key and the chain from it up to the root."""

    cert: object
    key: object
    chain: list = dataclasses.field(default_factory=list)
    # PEM of a key parsed without cryptography's RSA check (``load(check_key=False)``): checked by signing_key()
    unchecked_key_pem: bytes = dataclasses.field(default=None, repr=False, compare=False)
    field: str = dataclasses.field(default="ca", repr=False, compare=False)

    def __post_init__(self):
        if not self.chain:
            self.chain = [self.cert]

    def signing_key(self):
        """The private key, checked before it signs: a key loaded with ``check_key=False`` gets cryptography's RSA
        check here, on the first signature (a re-run that signs nothing never pays for it)."""
        if self.unchecked_key_pem is not None:
            self.key = load_private_key(self.unchecked_key_pem, field=self.field, check=True)
            self.unchecked_key_pem = None
        return self.key

    @classmethod
    def load(cls, cert_pem, key_pem, chain_pem=None, field="ca", check_key=True):
        """Parse and check a CA: cert (plus any chain after it in ``cert_pem``), key, optional chain.

        ``check_key=False`` defers cryptography's RSA consistency check of the key (20-50 ms for RSA-2048, the
        largest CPU cost of a re-run, where a stored CA usually signs nothing) to ``signing_key()``; every other
        check (PEM, key type and size, key matching the certificate, CA constraints, chain) is done here."""
        _require_cryptography()
        certs = load_certificates(cert_pem, field=field)
        cert = certs[0]
        key = load_private_key(key_pem, field=field, check=check_key)
        label = describe(cert)
        if not is_ca(cert):
            raise PkiError(field, "certificate %s is not a CA (BasicConstraints CA:TRUE missing)" % label)
        if not key_matches(cert, key):
            raise PkiError(field, "private key does not match certificate %s" % label)
        ku = key_usage_names(cert)
        if ku is not None and "key_cert_sign" not in ku:
            raise PkiError(field, "certificate %s has KeyUsage without keyCertSign" % label)
        rest = certs[1:]
        if chain_pem is not None and not (isinstance(chain_pem, (bytes, str)) and not chain_pem.strip()):
            rest += load_certificates(chain_pem, field=field)  # an empty chain_pem is no chain
        chain = [cert]
        seen = {fingerprint(cert)}
        for extra in rest:
            fp = fingerprint(extra)
            if fp in seen:
                continue
            seen.add(fp)
            previous = chain[-1]
            if is_self_signed(previous):
                raise PkiError(field, "chain certificate %d %s follows the self-signed root %s"
                               % (len(chain), describe(extra), describe(previous)))
            if not signed_by(previous, extra):
                raise PkiError(field, "chain certificate %d %s did not sign %s (issuer %s)"
                               % (len(chain), describe(extra), describe(previous), previous.issuer.rfc4514_string()))
            if not is_ca(extra):
                raise PkiError(field, "chain certificate %d %s is not a CA" % (len(chain), describe(extra)))
            chain.append(extra)
        unchecked = None if check_key else _to_bytes(key_pem, field, "private key")
        return cls(cert=cert, key=key, chain=chain, unchecked_key_pem=unchecked, field=field)

    def bundle_pem(self):
        """PEM of the chain: the trust bundle a leaf copies into ``ca.crt``."""
        return certs_to_pem(self.chain)


# --------------------------------------------------------------------------- issuing


def _random_serial():
    serial = 0
    while serial == 0:
        serial = secrets.randbits(128)
    return serial


def leaf_end(start, validity, issuer=None):
    """When a certificate issued at ``start`` for ``validity`` ends: never after its issuer (a certificate cannot
    outlive the CA that signed it; verifiers refuse it from then on). Whether the issuer may sign at all (expired,
    not yet valid) is checked where it is loaded (validate.ca_certificate in common.py)."""
    end = start + validity
    return end if issuer is None else min(end, not_after(issuer.cert))


def issue(spec, issuer=None, key=None, now=None):
    """Issue a certificate for ``spec``; return ``(cert, key)``.

    ``issuer`` None means self-signed (then ``spec.is_ca`` must be True). ``key``
    reuses an existing private key instead of generating one. ``now`` is the
    not_before (default: the current time; microseconds are dropped).
    """
    _require_cryptography()
    spec = spec.validate()
    if issuer is None and not spec.is_ca:
        raise PkiError("is_ca", "a self-signed certificate must be a CA; give an issuer for '%s'" % spec.common_name)
    if key is None:
        key = generate_key(spec.key)
    start = to_utc(now or utcnow()).replace(microsecond=0)
    end = leaf_end(start, spec.validity, issuer)
    public = key.public_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(public)

    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec.common_name)]))
        .issuer_name(issuer.cert.subject if issuer else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spec.common_name)]))
        .public_key(public)
        .serial_number(_random_serial())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
                key_agreement=False, key_cert_sign=spec.is_ca, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([_eku_oid(n) for n in USAGE_EKUS[spec.usage]]), critical=False)
        .add_extension(x509.BasicConstraints(ca=spec.is_ca, path_length=None), critical=True)
        .add_extension(ski, critical=False)
    )
    if issuer is not None:
        issuer_ski = _extension(issuer.cert, x509.SubjectKeyIdentifier)
        if issuer_ski is not None:
            aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski.value)
        else:
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())
        builder = builder.add_extension(aki, critical=False)
    if spec.hosts:
        names = [x509.DNSName(h) for h in spec.hosts]
        names += [x509.IPAddress(ip) for ip in (ip_of(h) for h in spec.hosts) if ip is not None]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signer = issuer.signing_key() if issuer is not None else key
    cert = builder.sign(private_key=signer, algorithm=hashes.SHA256())
    return cert, key


# --------------------------------------------------------------------------- verification


def verify_chain(leaf, trust, intermediates=(), usage="server", host=None, now=None):
    """Verify ``leaf`` up to one of the ``trust`` anchors with cryptography's verifier.

    ``usage="server"`` checks a server certificate for ``host`` (DNS name or IP,
    required); ``"client"`` checks a client certificate (a missing SAN is allowed, as
    on Skupper's link certificates); ``"both"`` runs the client check and, when
    ``host`` is given, the server check. Returns the verified chain (leaf first).

    The modules never call it: it is the tests' independent verifier. It needs cryptography >= 45.0
    (``PolicyBuilder.extension_policies``), above the collection's floor (42.0), so it imports the verifier itself.
    """
    _require_cryptography()
    from cryptography.x509 import verification
    if usage not in USAGES:
        raise PkiError("usage", "got '%s'; expected one of %s" % (usage, _choices(USAGES)))
    if isinstance(trust, x509.Certificate):
        trust = [trust]
    trust = list(trust or [])
    if not trust:
        raise PkiError("trust", "no trust anchors given")
    if usage == "server" and not host:
        raise PkiError("host", "a host name or IP address is required to verify a server certificate")
    when = to_utc(now or utcnow())
    builder = verification.PolicyBuilder().store(verification.Store(trust)).time(when)
    intermediates = list(intermediates or [])
    chain = None
    try:
        if usage in ("client", "both"):
            ee_policy = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
                x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None)
            client = builder.extension_policies(ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy)
            chain = list(client.build_client_verifier().verify(leaf, intermediates).chain)
        if host and usage in ("server", "both"):
            addr = ip_of(host)
            try:
                subject = verification.IPAddress(addr) if addr is not None else verification.DNSName(host)
            except ValueError as exc:
                raise PkiError("host", "'%s' is not a valid DNS name or IP address (%s)" % (host, exc))
            chain = list(builder.build_server_verifier(subject).verify(leaf, intermediates))
    except verification.VerificationError as exc:
        raise PkiError("certificate", "%s does not verify: %s" % (describe(leaf), exc))
    return chain
