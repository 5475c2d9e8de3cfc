# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input validation: one function per kind of value, used by every layer.

Pure Python (standard library only; ``cryptography`` is imported lazily by the few checks that parse
a certificate), so pki, layout, the stores, the inventory filter and the modules all share one rule per
kind of value. Every validator:

* takes the value and the ``field`` it came from (an option or variable name such as ``endpoints[0].port``);
* returns the value **unchanged** (no stripping, no case folding, no canonicalisation, no defaulting)
  or the documented parsed form (``integer`` parses ASCII digit strings when ``allow_str`` is set);
* raises ``ValidationError`` naming the field, the value (never for secrets, and never when the value
  looks like key material) and what is allowed.

Regular expressions are applied with ``fullmatch`` and ASCII-only classes (``[0-9]``, never ``\\d``):
``$`` accepts a trailing newline and ``\\d`` accepts Unicode digits, so neither is used.

Decisions (documented here so that every caller agrees):

* DNS names: ASCII only. Internationalised names must be given as A-labels (``xn--...``); an ``xn--``
  label must be valid Punycode that decodes to non-ASCII text without control characters and encodes back to
  the same label (the IDNA2008 code point tables are not checked: that needs the third-party ``idna`` library).
  Other labels with ``--`` in positions 3-4 are refused (reserved by RFC 5891). Case is kept as given (DNS is case-insensitive; nothing is lower-cased).
  A leading ``*.`` wildcard is allowed where the caller allows it. No trailing dot, no empty label, no
  all-numeric top-level label (``1.2.3`` is neither a name nor an address).
* IP addresses: one rule (``ip_of``): a ``str`` that Python's ``ipaddress`` parses. Where an address is
  accepted it must be written in canonical form (``fe80::1``, not ``FE80:0::1``), because it is written
  exactly as given; IPv6 zone identifiers (``%eth0``) are refused.
* Ports: ASCII digits without a leading zero, 1-65535.
* Days: integers (never ``bool`` or ``float``), bounded so that ``now + days`` stays within
  ``datetime.max`` (year 9999, which X.509 GeneralizedTime can also carry).
* Path components: no ``/``, ``\\``, NUL or control characters, not ``.``/``..``, no leading ``.``
  (hidden names are reserved for the stores' temporary files), at most 255 bytes of UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import re

# --------------------------------------------------------------------------- the error


class ValidationError(ValueError):
    """Bad input. ``str()`` is ``"<field>: <message>"``; ``field`` and ``message`` are also attributes (as on PkiError)."""

    def __init__(self, field, value, problem, allowed=None, secret=False):
        self.field = field
        self.secret = bool(secret) or looks_secret(value)
        self.value = None if self.secret else value
        self.problem = problem
        self.allowed = allowed
        shown = "(value hidden)" if self.secret else show(value)
        self.message = "%s %s" % (shown, problem) + ("; allowed: %s" % allowed if allowed else "")
        super().__init__("%s: %s" % (field, self.message))


_SHOW_LIMIT = 80


def show(value):
    """How a (non-secret) value appears in a message: ``repr``, so newlines and spaces are visible; long ones cut."""
    text = repr(value)
    if len(text) > _SHOW_LIMIT:
        text = text[:_SHOW_LIMIT - 3] + "..."
    if not isinstance(value, (str, int, float, type(None))) or isinstance(value, bool):
        text = "%s (%s)" % (text, type(value).__name__)
    return text


# Key material that must never reach a message: PEM private keys, or long base64 runs (DER keys, Secret data).
_SECRET_MARKERS = re.compile(r"PRIVATE KEY|-----BEGIN |[A-Za-z0-9+/]{64,}={0,2}", re.ASCII)


def looks_secret(value):
    """True when ``value`` (a string, bytes, or a collection holding them) looks like key material or Secret data."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("latin-1")
    if isinstance(value, str):
        return bool(_SECRET_MARKERS.search(value))
    if isinstance(value, dict):
        return any(looks_secret(k) or looks_secret(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(looks_secret(item) for item in value)
    return False


_PEM_ANY_BLOCK = re.compile(r"-----BEGIN ([^\r\n-]{0,40})-----.*?(?:-----END [^\r\n-]{0,40}-----|\Z)", re.S)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{64,}={0,2}", re.ASCII)


def scrub(text):
    """``text`` with every PEM block (complete or cut off) and every long base64 run replaced by a placeholder.

    For exception texts from libraries (YAML, HTTP, OpenSSL) that may quote their input.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    text = _PEM_ANY_BLOCK.sub(lambda m: "<%s PEM block hidden>" % m.group(1).strip(), str(text))
    return _BASE64_RUN.sub("<base64 hidden>", text)


# --------------------------------------------------------------------------- small helpers


def _require_str(value, field, what):
    if not isinstance(value, str):
        raise ValidationError(field, value, "is not a string", what)
    return value


def _control_char(value):
    """The first control, separator-like or surrogate character in ``value`` (repr-ready), or None."""
    for char in value:
        code = ord(char)
        if code < 0x20 or 0x7F <= code < 0xA0 or 0xD800 <= code < 0xE000 or char in "\u2028\u2029\u0085":
            return char
    return None


def _whitespace_problem(value):
    """Why ``value`` has unwanted whitespace or control characters (``\\n`` named), or None."""
    char = _control_char(value)
    if char is not None:
        return "contains the control character %r" % char
    if value != value.strip():
        return "has leading or trailing whitespace"
    return None


# --------------------------------------------------------------------------- Kubernetes names

_DNS1123_LABEL = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL, re.ASCII)
DNS1123_SUBDOMAIN_RE = re.compile(r"%s(?:\.%s)*" % (_DNS1123_LABEL, _DNS1123_LABEL), re.ASCII)
_QUALIFIED_NAME_RE = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?", re.ASCII)
_LABEL_VALUE_RE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?", re.ASCII)
_DATA_KEY_RE = re.compile(r"[-._a-zA-Z0-9]+", re.ASCII)

K8S_NAME_ALLOWED = "a lower-case RFC 1123 subdomain: [a-z0-9]([-a-z0-9]*[a-z0-9])? separated by '.', at most 253 characters"
NAMESPACE_ALLOWED = "a lower-case RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters"
LABEL_VALUE_ALLOWED = "empty, or at most 63 characters [A-Za-z0-9_.-] starting and ending with a letter or digit"
QUALIFIED_NAME_ALLOWED = ("an optional lower-case DNS subdomain prefix and '/', then a name of at most 63 characters "
                          "[A-Za-z0-9_.-] starting and ending with a letter or digit")
DATA_KEY_ALLOWED = "at most 253 characters [-._a-zA-Z0-9], not '.' or '..' and not starting with '..'"
MAX_ANNOTATIONS_BYTES = 256 * 1024  # the API server's limit on the total size of a object's annotations


def _pattern_problem(value, regex, limit, punctuation="-."):
    problem = _whitespace_problem(value)
    if problem:
        return problem
    if not value:
        return "is empty"
    if len(value) > limit:
        return "is %d characters long" % len(value)
    if not regex.fullmatch(value):
        return _shape_hint(value, punctuation)
    return None


def _shape_hint(value, punctuation):
    """A more precise reason than "does not match" for the usual mistakes."""
    if any("A" <= char <= "Z" for char in value):
        return "has upper-case letters"
    if not value[0].isalnum() or not value[-1].isalnum():
        return "does not start and end with a letter or digit"
    if ".." in value and "." in punctuation:
        return "has an empty part between dots"
    bad = sorted(set(char for char in value if not (char.isascii() and (char.isalnum() or char in punctuation))))
    if bad:
        return "has the characters %s" % ", ".join(repr(char) for char in bad[:5])
    return "has a shape that is not allowed"


def is_k8s_name(value):
    """True when ``value`` is a valid object name (DNS-1123 subdomain, at most 253 characters)."""
    return isinstance(value, str) and len(value) <= 253 and bool(DNS1123_SUBDOMAIN_RE.fullmatch(value))


def is_namespace(value):
    """True when ``value`` is a valid namespace name (DNS-1123 label, at most 63 characters)."""
    return isinstance(value, str) and len(value) <= 63 and bool(DNS1123_LABEL_RE.fullmatch(value))


def k8s_name(value, field="name", what="Kubernetes object name"):
    """An object name (Secret, Link, Site): a DNS-1123 subdomain of at most 253 characters."""
    _require_str(value, field, K8S_NAME_ALLOWED)
    problem = _pattern_problem(value, DNS1123_SUBDOMAIN_RE, 253)
    if problem:
        raise ValidationError(field, value, "is not a valid %s: %s" % (what, problem), K8S_NAME_ALLOWED)
    return value


def dns_label(value, field, what="RFC 1123 label"):
    """A DNS-1123 label of at most 63 characters (namespaces, Service names)."""
    _require_str(value, field, NAMESPACE_ALLOWED)
    problem = _pattern_problem(value, DNS1123_LABEL_RE, 63, "-")
    if problem:
        raise ValidationError(field, value, "is not a valid %s: %s" % (what, problem), NAMESPACE_ALLOWED)
    return value


def namespace(value, field="namespace"):
    """A namespace name: a DNS-1123 label of at most 63 characters."""
    return dns_label(value, field, "namespace name")


# Derived names must stay valid: ``link-<site>`` is a Secret name, and Skupper v2 names its CAs
# ``<site> site CA`` / ``<site> local CA`` (reference skupper-tls.md), which must fit the 64-character CN limit.
SITE_NAME_MAX = 64 - len(" local CA")


def site_name(value, field="site_name"):
    """A Skupper site name: a DNS-1123 subdomain of at most 55 characters (also used as a directory name)."""
    k8s_name(value, field, "site name")
    if len(value) > SITE_NAME_MAX:
        raise ValidationError(field, value, "is %d characters long" % len(value),
                              "at most %d characters, so that the CA subject '<site> local CA' fits in 64 characters" % SITE_NAME_MAX)
    return value


def data_key(value, field="data key"):
    """A Secret/ConfigMap data key as the API server accepts it."""
    _require_str(value, field, DATA_KEY_ALLOWED)
    problem = _pattern_problem(value, _DATA_KEY_RE, 253, "-._")
    if not problem and (value in (".", "..") or value.startswith("..")):
        problem = "is or starts with '..'" if value != "." else "is '.'"
    if problem:
        raise ValidationError(field, value, "is not a valid data key: %s" % problem, DATA_KEY_ALLOWED)
    return value


def qualified_name(value, field, what="key"):
    """A label or annotation key: ``[prefix/]name`` (prefix a DNS subdomain of at most 253, name at most 63)."""
    _require_str(value, field, QUALIFIED_NAME_ALLOWED)
    problem = _whitespace_problem(value)
    if not problem:
        prefix, _sep, name = value.rpartition("/")
        if not name:
            problem = "has an empty name part"
        elif len(name) > 63:
            problem = "has a name part of %d characters" % len(name)
        elif not _QUALIFIED_NAME_RE.fullmatch(name):
            problem = "has a name part with characters or a shape that are not allowed"
        elif _sep and (len(prefix) > 253 or not DNS1123_SUBDOMAIN_RE.fullmatch(prefix)):
            problem = "has a prefix that is not a lower-case DNS subdomain of at most 253 characters"
    if problem:
        raise ValidationError(field, value, "is not a valid %s: %s" % (what, problem), QUALIFIED_NAME_ALLOWED)
    return value


def label_key(value, field="labels"):
    return qualified_name(value, field, "label key")


def annotation_key(value, field="annotations"):
    return qualified_name(value, field, "annotation key")


def label_value(value, field="labels"):
    _require_str(value, field, LABEL_VALUE_ALLOWED)
    problem = _whitespace_problem(value)
    if not problem and len(value) > 63:
        problem = "is %d characters long" % len(value)
    if not problem and not _LABEL_VALUE_RE.fullmatch(value):
        problem = "has characters or a shape that are not allowed"
    if problem:
        raise ValidationError(field, value, "is not a valid label value: %s" % problem, LABEL_VALUE_ALLOWED)
    return value


def _mapping(value, field):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(field, value, "is not a mapping", "a mapping of strings to strings")
    return value


def labels(value, field="labels"):
    """A label mapping; returns it unchanged (``None`` is an empty mapping)."""
    for key, item in _mapping(value, field).items():
        label_key(key, field)
        label_value(item, "%s[%s]" % (field, key))
    return value if value is not None else {}


def annotations(value, field="annotations"):
    """An annotation mapping: qualified keys, string values, at most 256 KiB in total."""
    total = 0
    for key, item in _mapping(value, field).items():
        annotation_key(key, field)
        _require_str(item, "%s[%s]" % (field, key), "a string")
        total += len(key.encode("utf-8", "surrogatepass")) + len(item.encode("utf-8", "surrogatepass"))
    if total > MAX_ANNOTATIONS_BYTES:
        raise ValidationError(field, "(%d bytes)" % total, "is too large", "at most %d bytes in total" % MAX_ANNOTATIONS_BYTES)
    return value if value is not None else {}


# --------------------------------------------------------------------------- hosts

_HOST_LABEL_RE = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?", re.ASCII)
DNS_NAME_ALLOWED = ("an ASCII DNS name (labels of letters, digits and '-', at most 63 characters each, 253 in total; "
                    "internationalised names as xn-- A-labels)")
HOST_ALLOWED = "an IP address in canonical form or " + DNS_NAME_ALLOWED


def ip_of(value):
    """The one "is this an IP address" rule: the ``ipaddress`` object for a ``str`` Python parses as one, else None."""
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_ip(value):
    return ip_of(value) is not None


def ip_address(value, field="ip"):
    """An IPv4/IPv6 address in canonical form, no zone identifier."""
    _require_str(value, field, "an IP address")
    addr = ip_of(value)
    if addr is None:
        raise ValidationError(field, value, "is not an IP address", "an IPv4 or IPv6 address in canonical form")
    _check_ip(addr, value, field)
    return value


def _check_ip(addr, value, field):
    if getattr(addr, "scope_id", None):
        raise ValidationError(field, value, "has an IPv6 zone identifier", "an IP address without '%zone'")
    mapped = getattr(addr, "ipv4_mapped", None)
    if str(addr) != value and not (mapped is not None and value == "::ffff:%s" % mapped):
        raise ValidationError(field, value, "is not in canonical form", "the same address written as %r" % str(addr))


def _idna_hint(label):
    try:
        return " (the A-label of %r is %r)" % (label, label.encode("idna").decode("ascii"))
    except UnicodeError:
        return ""


def _dns_problem(name, wildcard):
    """Why ``name`` is not an acceptable DNS name, or None."""
    problem = _whitespace_problem(name)
    if problem:
        return problem
    if wildcard and name.startswith("*."):
        name = name[2:]
    if not name:
        return "is empty"
    if len(name) > 253:
        return "is %d characters long (at most 253)" % len(name)
    labels_ = name.split(".")
    for label in labels_:
        if not label:
            return "has an empty label (a leading, trailing or doubled '.')"
        if len(label) > 63:
            return "has a label of %d characters (at most 63)" % len(label)
        if not label.isascii():
            return "has the non-ASCII label %r%s" % (label, _idna_hint(label))
        if label == "*":
            return "has a '*' that is not a leading '*.' wildcard" if wildcard else "has a wildcard, which is not allowed here"
        if not _HOST_LABEL_RE.fullmatch(label):
            return "has the label %r with characters other than letters, digits and '-', or starting or ending with '-'" % label
        if label[2:4] == "--":
            if label[:4].lower() != "xn--":
                return "has the label %r with '--' in positions 3-4, reserved for xn-- A-labels" % label
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                decoded = None
            if not decoded or decoded.isascii() or _control_char(decoded) is not None or \
                    decoded.encode("punycode").decode("ascii") != label[4:].lower():
                return "has the label %r that is not a valid Punycode A-label" % label
    if labels_[-1].isascii() and labels_[-1].isdigit():
        return "ends in the all-numeric label %r (and is not a valid IP address)" % labels_[-1]
    return None


def dns_name(value, field="host", wildcard=True):
    """A DNS name (see the module doc for the rules); returned unchanged."""
    _require_str(value, field, DNS_NAME_ALLOWED)
    problem = _dns_problem(value, wildcard)
    if problem:
        raise ValidationError(field, value, "is not a valid DNS name: %s" % problem, DNS_NAME_ALLOWED)
    return value


def host(value, field="host", wildcard=True):
    """An IP address (canonical form) or a DNS name; returned unchanged, so what is checked is what is written."""
    _require_str(value, field, HOST_ALLOWED)
    addr = ip_of(value)
    if addr is not None:
        _check_ip(addr, value, field)
        return value
    problem = _dns_problem(value, wildcard)
    if problem:
        raise ValidationError(field, value, "is neither an IP address nor a valid DNS name: %s" % problem, HOST_ALLOWED)
    return value


def hosts(values, field="hosts", wildcard=True):
    """A list of hosts (``host``); returns a tuple without duplicates, in the given order. ``None`` is no hosts."""
    if values is None:
        return ()
    if not isinstance(values, (list, tuple)):
        raise ValidationError(field, values, "is not a list", "a list of host names or IP addresses")
    result = []
    for index, item in enumerate(values):
        host(item, "%s[%d]" % (field, index), wildcard)
        if item not in result:
            result.append(item)
    return tuple(result)


# --------------------------------------------------------------------------- numbers

_DIGITS_RE = re.compile(r"0|-?[1-9][0-9]*", re.ASCII)
_PORT_RE = re.compile(r"[1-9][0-9]{0,4}", re.ASCII)
PORT_ALLOWED = "a port number 1-65535 written in ASCII digits, without a leading zero"
INT32_MAX = 2 ** 31 - 1


def integer(value, field, minimum=None, maximum=None, allow_str=False):
    """An ``int`` (never ``bool`` or ``float``) within [minimum, maximum]; with ``allow_str`` also a decimal ASCII string."""
    bounds = _bounds(minimum, maximum)
    if isinstance(value, str) and allow_str:
        if not _DIGITS_RE.fullmatch(value) or len(value) > 20:
            raise ValidationError(field, value, "is not a decimal integer", bounds)
        value = int(value)
    elif isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, value, "is not an integer", bounds)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValidationError(field, value, "is out of range", bounds)
    return value


def _bounds(minimum, maximum):
    if minimum is not None and maximum is not None:
        return "an integer from %d to %d" % (minimum, maximum)
    if minimum is not None:
        return "an integer of at least %d" % minimum
    if maximum is not None:
        return "an integer of at most %d" % maximum
    return "an integer"


def port(value, field="port", allow_int=False):
    """A port as the string the Link CRD stores (``"55671"``). An ``int`` is accepted (and returned as its string) only with ``allow_int``."""
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        if not 0 < value < 65536:
            raise ValidationError(field, value, "is out of range", PORT_ALLOWED)
        return str(value)
    if not isinstance(value, str):
        raise ValidationError(field, value, "is not a string such as \"55671\"" + (" or an integer" if allow_int else ""), PORT_ALLOWED)
    if not _PORT_RE.fullmatch(value) or int(value) > 65535:
        raise ValidationError(field, value, "is not a port number", PORT_ALLOWED)
    return value


def choice(value, field, choices):
    """One of ``choices``, compared exactly (``"2"`` is not ``2``)."""
    if isinstance(value, bool) or value not in choices or type(value) not in {type(c) for c in choices}:
        raise ValidationError(field, value, "is not one of the choices", "one of %s" % ", ".join(repr(c) for c in choices))
    return value


# --------------------------------------------------------------------------- durations

LATEST = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)


def _now(now):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=datetime.timezone.utc)


def max_days(now=None):
    """The most days that can be added to ``now`` without leaving ``datetime`` (and X.509 GeneralizedTime): until 9999-12-31."""
    return (LATEST - _now(now)).days


def days(value, field, minimum=0, now=None, allow_str=False):
    """A number of days from ``minimum`` up to ``max_days(now)``; returns the ``int``."""
    try:
        return integer(value, field, minimum, max_days(now), allow_str=allow_str)
    except ValidationError as exc:
        raise ValidationError(field, value, exc.problem, exc.allowed + " (the last day a certificate can end is 9999-12-31)") from None


def lifetime(validity_days, renew_before_days, fields=("validity_days", "renew_before_days"), now=None, allow_str=False):
    """``(validity, renew_before)`` as ``timedelta``: validity 1..max_days, renew_before 0..validity-1."""
    validity = days(validity_days, fields[0], 1, now, allow_str)
    renew = days(renew_before_days, fields[1], 0, now, allow_str)
    if renew >= validity:
        raise ValidationError(fields[1], renew, "is not less than %s (%d): the certificate would be due for renewal as soon as it is issued"
                              % (fields[0], validity), "0 to %d" % (validity - 1))
    return datetime.timedelta(days=validity), datetime.timedelta(days=renew)


# --------------------------------------------------------------------------- strings and paths

CN_MAX = 64
PATH_COMPONENT_ALLOWED = ("a single file or directory name: no '/', '\\', NUL or control characters, not '.' or '..', "
                          "not starting with '.', at most 255 bytes")


def string(value, field, max_length=None, allow_empty=False, what="a string"):
    """A string without control characters (``\\n`` included) or leading/trailing whitespace."""
    allowed = what + ("" if max_length is None else " of at most %d characters" % max_length) + \
        ", without control characters or leading/trailing whitespace"
    _require_str(value, field, allowed)
    problem = _whitespace_problem(value)
    if not problem and not value and not allow_empty:
        problem = "is empty"
    if not problem and max_length is not None and len(value) > max_length:
        problem = "is %d characters long" % len(value)
    if problem:
        raise ValidationError(field, value, problem, allowed)
    return value


def common_name(value, field="common_name"):
    """A certificate subject CN (X.509 ub-common-name: 64 characters)."""
    return string(value, field, CN_MAX, what="a common name")


def path_component(value, field):
    """One name inside a directory (never a path): see PATH_COMPONENT_ALLOWED."""
    _require_str(value, field, PATH_COMPONENT_ALLOWED)
    problem = None
    char = _control_char(value)
    if not value:
        problem = "is empty"
    elif char is not None:
        problem = "contains the character %r" % char
    elif "/" in value or "\\" in value:
        problem = "contains a path separator"
    elif value in (".", ".."):
        problem = "is a relative directory reference"
    elif value.startswith("."):
        problem = "starts with '.' (hidden names are reserved for temporary files)"
    elif len(value.encode("utf-8")) > 255:
        problem = "is longer than 255 bytes"
    if problem:
        raise ValidationError(field, value, problem, PATH_COMPONENT_ALLOWED)
    return value


def file_path(value, field):
    """A path to a file to write (``dest``): a non-empty string without NUL or control characters whose last part is a
    valid ``path_component``. Returned unchanged; where it points is the caller's business (resolve the directory once)."""
    allowed = "a file path without NUL or control characters, ending in a file name (%s)" % PATH_COMPONENT_ALLOWED
    _require_str(value, field, allowed)
    char = _control_char(value)
    if not value or char is not None:
        raise ValidationError(field, value, "is empty" if not value else "contains the character %r" % char, allowed)
    try:
        path_component(value.rsplit("/", 1)[-1], field)
    except ValidationError as exc:
        raise ValidationError(field, value, "does not end in a file name: its last part %s" % exc.problem, allowed) from None
    return value


def token(value, field):
    """A bearer token or password: a non-empty string without whitespace or control characters. Never shown in a message
    (a trailing newline from ``lookup('file')`` is the usual mistake, and the message says so without the value)."""
    allowed = "a non-empty string without whitespace (a trailing newline from a file lookup must be stripped)"
    if not isinstance(value, str):
        raise ValidationError(field, None, "is not a string", allowed, secret=True)
    if not value:
        raise ValidationError(field, None, "is empty", allowed, secret=True)
    if value != value.strip():
        raise ValidationError(field, None, "has leading or trailing whitespace (%s)" % ("a trailing newline" if value.endswith("\n") else "spaces"),
                              allowed, secret=True)
    if _control_char(value) is not None or any(char.isspace() for char in value):
        raise ValidationError(field, None, "contains whitespace or control characters", allowed, secret=True)
    return value


def url(value, field, schemes=("http", "https")):
    """A URL such as a proxy: one of ``schemes``, a host, an optional port 1-65535, no whitespace."""
    from urllib.parse import urlsplit  # pylint: disable=import-outside-toplevel

    allowed = "a URL %s://host[:port]" % "|".join(schemes)
    string(_redact_url(value) if isinstance(value, str) else value, field, 2048, what="a URL")
    try:
        parts = urlsplit(value)
        port_ = parts.port
        hostname = parts.hostname
    except ValueError as exc:
        raise ValidationError(field, _redact_url(value), "is not a valid URL (%s)" % str(exc).splitlines()[0][:80], allowed) from None
    if parts.scheme not in schemes:
        raise ValidationError(field, _redact_url(value), "has the scheme %r" % parts.scheme, allowed)
    if not hostname:
        raise ValidationError(field, _redact_url(value), "has no host", allowed)
    if port_ == 0:
        raise ValidationError(field, _redact_url(value), "has port 0", allowed)
    return value


def _redact_url(value):
    """``value`` with any ``user:password@`` replaced by ``***@`` (a proxy URL may carry credentials)."""
    return re.sub(r"(?<=://)[^/?#]*@", "***@", value)


# --------------------------------------------------------------------------- PEM

MAX_PEM_BYTES = 1024 * 1024  # a Secret holds at most 1 MiB
MAX_KEY_PEM_BYTES = 64 * 1024  # an RSA-4096 key is about 3.3 KB of PEM
CERTIFICATE_LABEL = "CERTIFICATE"
KEY_LABELS = ("RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY")
_BEGIN_RE = re.compile(r"-----BEGIN ([^\r\n]*?)-----")
_BLOCK_RE = re.compile(r"-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----[ \t]*\r?\n(.*?)-----END \1-----", re.S | re.ASCII)
_HEADER_RE = re.compile(r"[A-Za-z-]+:[^\n]*", re.ASCII)


def _pem_text(value, field, limit, what):
    if isinstance(value, (bytes, bytearray)):
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise ValidationError(field, None, "is not ASCII PEM text", what, secret=True) from None
    if not isinstance(value, str):
        raise ValidationError(field, None, "is a %s, not PEM text" % type(value).__name__, what, secret=True)
    if len(value) > limit:
        raise ValidationError(field, None, "is %d bytes long" % len(value), "%s of at most %d bytes" % (what, limit), secret=True)
    if not value.isascii():
        raise ValidationError(field, None, "is not ASCII PEM text", what, secret=True)
    if not value.strip():
        raise ValidationError(field, None, "is empty", what, secret=True)
    return value


def _safe_label(label):
    return re.sub(r"[^A-Z0-9 ]", "?", label[:40])


def pem_blocks(value, field, limit=MAX_PEM_BYTES, what="PEM text"):
    """``[(label, der_bytes, header_lines)]`` of every PEM block in ``value``; refuses a malformed or cut-off block. Never shows the value."""
    text = _pem_text(value, field, limit, what)
    blocks = []
    position = 0
    for match in _BLOCK_RE.finditer(text):
        between = text[position:match.start()]
        if "-----BEGIN" in between or "-----END" in between:
            break
        body_lines = match.group(2).replace("\r", "").split("\n")
        headers = []
        while body_lines and _HEADER_RE.fullmatch(body_lines[0]):
            headers.append(body_lines.pop(0))
        body = "".join(line.strip() for line in body_lines)
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(field, None, "has a %s block %d that is not valid base64" % (_safe_label(match.group(1)), len(blocks) + 1),
                                  what, secret=True) from None
        blocks.append((match.group(1), der, headers))
        position = match.end()
    rest = text[position:]
    if "-----BEGIN" in rest or "-----END" in rest:
        begin = _BEGIN_RE.search(rest)
        label = _safe_label(begin.group(1)) if begin else "?"
        raise ValidationError(field, None, "has a malformed or cut-off PEM block (after %d complete blocks; next begins %r)"
                              % (len(blocks), label), what, secret=True)
    return blocks


def pem_certificates(value, field="certificate", key_field=None, limit=MAX_PEM_BYTES):
    """PEM text holding one or more certificates and nothing else; returned unchanged.

    A private key (any ``PRIVATE KEY`` block, or the words anywhere) is refused: a key pasted into a
    certificate option would otherwise be treated as public. So is any other kind of block.
    """
    what = "PEM text holding only CERTIFICATE blocks"
    text = _pem_text(value, field, limit, what)
    if "PRIVATE KEY" in text:
        raise ValidationError(field, None, "holds a private key; a certificate option must never carry one"
                              + ("; the key belongs in %s" % key_field if key_field else ""), what, secret=True)
    blocks = pem_blocks(text, field, limit, what)
    if not blocks:
        raise ValidationError(field, None, "holds no PEM block (expected a BEGIN CERTIFICATE block)", what, secret=True)
    for index, (label, _der, _headers) in enumerate(blocks):
        if label != CERTIFICATE_LABEL:
            raise ValidationError(field, None, "has a %s block (block %d)" % (_safe_label(label), index + 1), what, secret=True)
    return value


def pem_private_key(value, field="private_key", cert_field=None, limit=MAX_KEY_PEM_BYTES):
    """PEM text holding exactly one unencrypted private key (RSA, EC or PKCS#8) and nothing else; returned unchanged."""
    what = "PEM text holding exactly one unencrypted RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY block"
    blocks = pem_blocks(value, field, limit, what)
    keys = [block for block in blocks if block[0].endswith("PRIVATE KEY")]
    if not keys:
        raise ValidationError(field, None, "holds no private key", what, secret=True)
    if len(keys) > 1:
        raise ValidationError(field, None, "holds %d private keys; which one is meant is ambiguous" % len(keys), what, secret=True)
    label, _der, headers = keys[0]
    if label == "ENCRYPTED PRIVATE KEY" or any(h.replace(" ", "").startswith("Proc-Type:4,ENCRYPTED") for h in headers):
        raise ValidationError(field, None, "holds an encrypted private key", what, secret=True)
    if label not in KEY_LABELS:
        raise ValidationError(field, None, "holds a %s block" % _safe_label(label), what, secret=True)
    others = [b[0] for b in blocks if not b[0].endswith("PRIVATE KEY")]
    if others:
        raise ValidationError(field, None, "also holds a %s block" % _safe_label(others[0])
                              + ("; certificates belong in %s" % cert_field if cert_field else ""), what, secret=True)
    return value


# --------------------------------------------------------------------------- CA certificates (needs cryptography)

MIN_RSA_BITS = 2048
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")


def _load_first_certificate(value, field):
    from cryptography import x509  # pylint: disable=import-outside-toplevel

    der = next(der for label, der, _h in pem_blocks(value, field) if label == CERTIFICATE_LABEL)
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise ValidationError(field, None, "holds a CERTIFICATE block that is not a valid X.509 certificate",
                              "a PEM X.509 certificate", secret=True) from None


def _describe(cert):
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return "certificate CN=%s" % (cns[0].value if cns else "(none)")


def key_strength(cert, field):
    """Refuse RSA keys under 2048 bits and elliptic curves other than P-256/P-384/P-521 (or other key types)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel

    public = cert.public_key()
    allowed = "an RSA key of at least %d bits or an EC key on P-256, P-384 or P-521" % MIN_RSA_BITS
    if isinstance(public, rsa.RSAPublicKey):
        if public.key_size < MIN_RSA_BITS:
            raise ValidationError(field, _describe(cert), "has a %d-bit RSA key" % public.key_size, allowed)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        if public.curve.name not in EC_CURVES:
            raise ValidationError(field, _describe(cert), "has an EC key on curve %s" % public.curve.name, allowed)
    else:
        raise ValidationError(field, _describe(cert), "has a %s key" % type(public).__name__, allowed)


def ca_certificate(value, field="ca", now=None, key_field=None):
    """PEM (first certificate = the CA) of a CA able to sign now: CA:TRUE, keyCertSign if KeyUsage is present,
    currently valid (not expired, not before its notBefore), strong key. Returns the value unchanged."""
    from cryptography import x509  # pylint: disable=import-outside-toplevel

    pem_certificates(value, field, key_field)
    cert = _load_first_certificate(value, field)
    label = _describe(cert)
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise ValidationError(field, label, "is not a CA (BasicConstraints CA:TRUE missing)", "a CA certificate")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.key_cert_sign:
        raise ValidationError(field, label, "has a KeyUsage without keyCertSign", "a CA certificate allowed to sign certificates")
    when = _now(now)
    if cert.not_valid_after_utc <= when:
        raise ValidationError(field, label, "expired on %s" % cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "a CA that is valid now")
    if cert.not_valid_before_utc > when:
        raise ValidationError(field, label, "is not valid before %s" % cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "a CA that is valid now")
    key_strength(cert, field)
    return value


def within_issuer(validity, issuer_not_after, field="validity_days", now=None):
    """Refuse a leaf lifetime (``timedelta``) that would end after its issuer's ``not_after`` (aware datetime)."""
    end = _now(now) + validity
    if end > issuer_not_after:
        left = (issuer_not_after - _now(now)).days
        raise ValidationError(field, validity.days, "would make the certificate outlive its CA (which expires on %s)"
                              % issuer_not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), "at most %d days" % max(left, 0))
    return validity
