# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reissue policy: an ordered chain of small named checks turned into a Decision.

Each check is ``Check(name, group, fn)``; ``fn(ctx)`` returns ``None`` when the stored
Secret satisfies it, or a human reason with concrete values. ``evaluate()`` runs the
chain in order and returns ``Decision(action, reasons, failed)``:

- ``issue``: a check of the *reissue* group failed: new key and certificate;
- ``trust``: only the *trust* group failed: rewrite ``ca.crt``;
- ``none``: nothing to do.

Reasons read ``"<check>: <why>"``. A failing ``stop`` check (``missing``,
``unparseable``) ends the chain: there is nothing to compare. When
``Desired.fixed`` is set (an imported CA), ``content`` is authoritative and the
profile checks (marked ``profile``) are skipped: the given material is used as is.
They are skipped too when ``Desired.spec`` is None (a trust-bundle-only evaluation).

Pure Python: uses only ``pki`` (never Ansible or Kubernetes).
"""

from __future__ import annotations

import dataclasses

from ansible_collections.skupper.tls.plugins.module_utils import pki

REISSUE = "reissue"
TRUST = "trust"


@dataclasses.dataclass
class Stored:
    """Decoded Secret data as found: ``tls.crt``, ``tls.key``, ``ca.crt`` (None when absent)."""

    cert_pem: bytes | None = None
    key_pem: bytes | None = None
    bundle_pem: bytes | None = None


@dataclasses.dataclass
class Desired:
    """What the Secret should hold."""

    spec: pki.CertSpec | None             # None => only the trust group can be evaluated
    issuer: pki.Issuer | None = None      # None => self-signed CA
    bundle_pem: bytes | None = None       # the ca.crt wanted; None => ca.crt is not checked
    fixed: tuple | None = None            # (cert, key) of an imported CA: stored must equal it
    now: object = None                    # datetime; None => current time


@dataclasses.dataclass
class Found:
    """The Secret as read, decoded by the engine (plain values, no Kubernetes types); ``exists`` False when absent."""

    exists: bool = False
    type: str | None = None
    labels: dict = dataclasses.field(default_factory=dict)
    annotations: dict = dataclasses.field(default_factory=dict)
    data: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Wanted:
    """What was asked of the Secret besides its material: type, metadata, extra data keys, force, deferrable checks."""

    type: str = "kubernetes.io/tls"
    labels: dict = dataclasses.field(default_factory=dict)
    annotations: dict = dataclasses.field(default_factory=dict)
    extra_data: dict = dataclasses.field(default_factory=dict)
    force: bool = False
    defer: tuple = ()


@dataclasses.dataclass(frozen=True)
class Check:
    """One named link of the chain. ``stop``: skip the rest when it fails; ``profile``: skipped when Desired.fixed."""

    name: str
    group: str
    fn: object
    stop: bool = False
    profile: bool = False


@dataclasses.dataclass
class Decision:
    """The outcome: ``action`` (issue | trust | none), ``reasons`` ("<check>: <why>"), ``failed`` (check names)."""

    action: str
    reasons: list = dataclasses.field(default_factory=list)
    failed: list = dataclasses.field(default_factory=list)


class Context:
    """What the checks look at: the stored material parsed once, the desired state, the time."""

    def __init__(self, stored, desired, found=None, wanted=None):
        self.stored = stored
        self.desired = desired
        self.found = found if found is not None else Found()
        self.wanted = wanted if wanted is not None else Wanted()
        # An imported CA's spec is derived from the given certificate and may fall outside what we
        # would issue (RSA-1024, P-521, a long CN): only content is compared then, so do not validate.
        if desired.spec is None or desired.fixed:
            self.spec = desired.spec
        else:
            self.spec = desired.spec.validate()
        self.now = pki.utcnow() if desired.now is None else pki.to_utc(desired.now)
        self.certs = None
        self.cert = None
        self.key = None
        self.cert_error = None
        self.key_error = None
        if _present(stored.cert_pem):
            try:
                self.certs = pki.load_certificates(stored.cert_pem, field="tls.crt")
                self.cert = self.certs[0]
            except pki.PkiError as exc:
                self.cert_error = str(exc)
        if _present(stored.key_pem):
            try:
                self.key = pki.load_private_key(stored.key_pem, field="tls.key", check=False)
            except pki.PkiError as exc:
                self.key_error = str(exc)

    @property
    def parsed(self):
        """True when both tls.crt and tls.key were parsed."""
        return self.cert is not None and self.key is not None

    @property
    def trust_only(self):
        """A Secret that holds only ``ca.crt`` (v1 ``skupper-service-client``): no certificate of its own."""
        return self.desired.spec is None and not self.desired.fixed


def _present(data):
    return data is not None and bool(data.strip() if isinstance(data, (bytes, str)) else data)


def _list(items):
    return "[%s]" % ", ".join(items)


def _names(names):
    return _list(names or [])


# --------------------------------------------------------------------------- checks


def check_missing(ctx):
    """tls.crt and tls.key must be present."""
    absent = [k for k, v in (("tls.crt", ctx.stored.cert_pem), ("tls.key", ctx.stored.key_pem)) if not _present(v)]
    if absent:
        return "no %s in the Secret" % " and no ".join(absent)
    return None


def check_unparseable(ctx):
    """tls.crt must hold a PEM certificate and tls.key an unencrypted RSA/ECDSA key."""
    errors = [e for e in (ctx.cert_error, ctx.key_error) if e]
    if errors:
        return "; ".join(errors)
    return None


def check_content(ctx):
    """With an imported CA, the stored certificate and key must be the given ones."""
    if not ctx.desired.fixed or not ctx.parsed:
        return None
    cert, key = ctx.desired.fixed
    problems = []
    if pki.fingerprint(ctx.cert) != pki.fingerprint(cert):
        problems.append("tls.crt holds %s, wanted %s" % (pki.describe(ctx.cert), pki.describe(cert)))
    if pki.key_to_pem(ctx.key) != pki.key_to_pem(key):
        problems.append("tls.key is not the given key")
    else:
        problems += filter(None, [_pkcs1_problem(ctx)])
    if problems:
        return "; ".join(problems)
    return None


def _pkcs1_problem(ctx):
    """Skupper parses a CA's key with ParsePKCS1PrivateKey only: an RSA CA key must be 'RSA PRIVATE KEY'."""
    label = pki.pem_key_label(ctx.stored.key_pem)
    if ctx.spec is not None and ctx.spec.is_ca and ctx.key is not None and pki.key_spec_of(ctx.key).type == "rsa" and label != "RSA PRIVATE KEY":
        return "tls.key is PEM '%s', but Skupper needs a CA's RSA key as PKCS#1 'RSA PRIVATE KEY'" % label
    return None


def check_key_mismatch(ctx):
    """tls.key must be the certificate's key."""
    if not ctx.parsed or pki.key_matches(ctx.cert, ctx.key):
        return None
    return "tls.key (%s) is not the key of tls.crt %s (%s)" % (
        _key_label(ctx.key), pki.describe(ctx.cert), _key_label(ctx.cert.public_key()))


def _key_label(key):
    try:
        return pki.key_spec_of(key).describe()
    except pki.PkiError:
        return type(key).__name__


def check_key_type(ctx):
    """The key algorithm and size must be the wanted ones; an RSA CA key must be PKCS#1 (Skupper parses no other)."""
    if not ctx.parsed:
        return None
    have = _key_label(ctx.cert.public_key())
    want = ctx.spec.key.describe()
    if have != want:
        return "key is %s, wanted %s" % (have, want)
    return _pkcs1_problem(ctx)


def check_ca(ctx):
    """The CA flag (BasicConstraints) must be the wanted one."""
    if ctx.cert is None:
        return None
    have = pki.is_ca(ctx.cert)
    if have == ctx.spec.is_ca:
        return None

    def label(flag):
        return "a CA (CA:TRUE)" if flag else "not a CA (CA:FALSE)"
    return "certificate is %s, wanted %s" % (label(have), label(ctx.spec.is_ca))


def check_subject(ctx):
    """The subject must be exactly CN=<common_name>."""
    if ctx.cert is None:
        return None
    have = pki.common_name(ctx.cert)
    if have != ctx.spec.common_name:
        return "common name is '%s', wanted '%s'" % (have, ctx.spec.common_name)
    attributes = list(ctx.cert.subject)
    if len(attributes) != 1:
        return "subject is '%s', wanted only CN=%s" % (ctx.cert.subject.rfc4514_string(), ctx.spec.common_name)
    return None


def check_sans(ctx):
    """The set of DNS names and IPs must be the wanted hosts (order and empty DNS names ignored)."""
    if ctx.cert is None:
        return None
    if pki.host_set(ctx.cert) == set(ctx.spec.hosts):
        return None
    have = [s for s in pki.sans_of(ctx.cert) if s != "DNS:"]
    return "certificate has %s, wanted %s" % (_list(have), _list(pki.wanted_sans(ctx.spec.hosts)))


_KU_LABELS = {"digital_signature": "digitalSignature", "key_encipherment": "keyEncipherment", "key_cert_sign": "keyCertSign"}


def check_usage(ctx):
    """ExtendedKeyUsage must be the wanted set; KeyUsage must allow Skupper's flags."""
    if ctx.cert is None:
        return None
    problems = []
    have = pki.eku_names(ctx.cert)
    want = list(pki.USAGE_EKUS[ctx.spec.usage])
    if set(have or []) != set(want):
        problems.append("extended key usage is %s, wanted %s" % ("absent" if have is None else _names(have), _names(want)))
    flags = pki.key_usage_names(ctx.cert)
    needed = ["digital_signature", "key_encipherment"] + (["key_cert_sign"] if ctx.spec.is_ca else [])
    lacking = [_KU_LABELS[f] for f in needed if f not in (flags or [])]
    if flags is None:
        problems.append("key usage is absent, wanted %s" % _names(_KU_LABELS[f] for f in needed))
    elif lacking:
        problems.append("key usage lacks %s" % _names(lacking))
    if problems:
        return "; ".join(problems)
    return None


def check_issuer(ctx):
    """A leaf must be signed by the current CA (signature verified); a root CA must be self-signed."""
    if ctx.cert is None:
        return None
    issuer = ctx.desired.issuer
    if issuer is None:
        if pki.is_self_signed(ctx.cert):
            return None
        return "%s is not self-signed (issued by '%s')" % ("CA" if ctx.spec.is_ca else "certificate", ctx.cert.issuer.rfc4514_string())
    if pki.signed_by(ctx.cert, issuer.cert):
        return None
    if ctx.cert.issuer != issuer.cert.subject:
        why = "issued by '%s'" % ctx.cert.issuer.rfc4514_string()
    else:
        why = "signature does not verify"
    return "not signed by the current CA '%s' (%s)" % (pki.common_name(issuer.cert) or issuer.cert.subject.rfc4514_string(), why)


def check_expiry(ctx):
    """The certificate must not be expired nor inside the renew_before window."""
    if ctx.cert is None:
        return None
    end = pki.not_after(ctx.cert)
    left = end - ctx.now
    if left.total_seconds() <= 0:
        return "expired %s (%s ago)" % (pki.format_time(end), pki.format_duration(-left))
    if left <= ctx.spec.renew_before:
        return "expires %s (in %s), inside renew_before of %s" % (
            pki.format_time(end), pki.format_duration(left), pki.format_duration(ctx.spec.renew_before))
    return None


def _bundle_labels(certs):
    return _list("'%s' %s" % (pki.common_name(c) or c.subject.rfc4514_string(), pki.fingerprint(c)[:16]) for c in certs)


def check_trust_bundle(ctx):
    """ca.crt must hold exactly the wanted trust bundle (compared by fingerprint, in any order)."""
    if ctx.desired.bundle_pem is None:
        return None
    want = pki.load_certificates(ctx.desired.bundle_pem, field="bundle")
    if not _present(ctx.stored.bundle_pem):
        return "no ca.crt in the Secret, wanted %s" % _bundle_labels(want)
    try:
        have = pki.load_certificates(ctx.stored.bundle_pem, field="ca.crt")
    except pki.PkiError as exc:
        return str(exc)
    if {pki.fingerprint(c) for c in have} == {pki.fingerprint(c) for c in want}:
        return None
    return "ca.crt has %s, wanted %s" % (_bundle_labels(have), _bundle_labels(want))


def check_bundle_missing(ctx):
    """A trust-only Secret must hold a ca.crt."""
    if ctx.trust_only and not _present(ctx.stored.bundle_pem):
        return "Secret has no ca.crt"
    return None


def check_ca_repeats(ctx):
    """A layout that stores no ca.crt (v1 CA) must not keep one that only repeats tls.crt."""
    if ctx.trust_only or ctx.desired.bundle_pem is not None or not _present(ctx.stored.bundle_pem):
        return None
    if ctx.stored.bundle_pem == ctx.stored.cert_pem:
        return "ca.crt only repeats tls.crt; this layout stores no ca.crt"
    return None


def check_type(ctx):
    """A Secret's type is immutable: an existing Secret must have the wanted one."""
    if not ctx.found.exists:
        return None
    have = ctx.found.type or "Opaque"
    if have != ctx.wanted.type:
        return "Secret type is %r, wanted %r" % (ctx.found.type, ctx.wanted.type)
    return None


def check_force(ctx):
    """``force: true`` reissues an existing Secret whatever the other checks say."""
    if ctx.found.exists and ctx.wanted.force and not ctx.trust_only:
        return "reissue requested (force: true)"
    return None


def _mapping_drift(have, want):
    return ["%s is %r, wanted %r" % (key, have.get(key), value) for key, value in sorted((want or {}).items()) if have.get(key) != value]


def check_labels(ctx):
    """Every label asked for must be on the Secret (others' labels are kept and not compared)."""
    return _mapping_drift(ctx.found.labels, ctx.wanted.labels)


def check_annotations(ctx):
    """Every annotation asked for must be on the Secret."""
    return _mapping_drift(ctx.found.annotations, ctx.wanted.annotations)


def check_extra_data(ctx):
    """Every extra data key asked for (v1 ``connect.json``) must hold the wanted value."""
    return ["%s %s" % (key, "differs" if key in ctx.found.data else "is missing")
            for key, value in sorted((ctx.wanted.extra_data or {}).items()) if ctx.found.data.get(key) != value]


CHECKS = (
    Check("missing", REISSUE, check_missing, stop=True),
    Check("unparseable", REISSUE, check_unparseable, stop=True),
    Check("content", REISSUE, check_content),
    Check("key_mismatch", REISSUE, check_key_mismatch, profile=True),
    Check("key_type", REISSUE, check_key_type, profile=True),
    Check("ca", REISSUE, check_ca, profile=True),
    Check("subject", REISSUE, check_subject, profile=True),
    Check("sans", REISSUE, check_sans, profile=True),
    Check("usage", REISSUE, check_usage, profile=True),
    Check("issuer", REISSUE, check_issuer, profile=True),
    Check("expiry", REISSUE, check_expiry, profile=True),
    Check("trust_bundle", TRUST, check_trust_bundle),
)


# Checks whose failure on a CA that still works (parseable, its own key, a CA) is reported, never acted on: a new
# CA key breaks every link signed by the old one until all holders trust it, so such a change is carried by a
# rotation (prepare/activate/finalize), which issues the new CA with the new subject, key type or validity.
CA_DEFERRED = ("key_type", "subject", "usage", "expiry")


def run(checks, ctx):
    """Run ``checks`` in order; return ``[(check, reason)]`` of those that failed (a check may give several reasons)."""
    failures = []
    for check in checks:
        if check.profile and (ctx.desired.fixed or ctx.spec is None):
            continue
        reason = check.fn(ctx)
        if not reason:
            continue
        failures.extend((check, r) for r in ([reason] if isinstance(reason, str) else reason))
        if check.stop:
            break
    return failures


def evaluate(stored, desired, checks=CHECKS):
    """Run ``checks`` in order over ``stored`` against ``desired``; return a Decision."""
    ctx = Context(stored, desired)
    failures = run(checks, ctx)
    if any(check.group == REISSUE for check, dummy in failures):
        action = "issue"
        failures = [(c, r) for c, r in failures if c.group == REISSUE]
    elif failures:
        action = TRUST
    else:
        action = "none"
    return Decision(
        action=action,
        reasons=["%s: %s" % (check.name, reason) for check, reason in failures],
        failed=[check.name for check, dummy in failures],
    )


# --------------------------------------------------------------------------- chains of a Secret
#
# The engine asks separate questions, each answered by its own chain (cert-manager's policy chains): the first
# chain that fails, in order, decides the step; its reasons are reported. The engine only runs ``plan`` and acts on
# the step together with the ownership of the object (absent / ours / foreign / adopting).


@dataclasses.dataclass(frozen=True)
class Chain:
    """``checks`` answer one question; when one fails the step is ``step``. ``skip_after``: chains whose failure makes
    this question moot (the material is reissued anyway, so ca.crt and metadata are rewritten with it)."""

    name: str
    checks: tuple
    step: str
    skip_after: tuple = ()
    verdict: object = None        # fn(ctx, failed check names) -> step, when the chain's failure may mean another step


def _defer_ca(ctx, failed):
    """A CA is never re-keyed silently: when only deferrable checks fail on a CA that exists, report them ("deferred")."""
    if ctx.found.exists and not ctx.wanted.force and ctx.wanted.defer and set(failed) <= set(ctx.wanted.defer):
        return "deferred"
    return "issue"


CHAINS = (
    # may this Secret be written as asked at all?
    Chain("secret", (Check("type", "secret", check_type),), "fail"),
    # must tls.crt/tls.key be (re)issued? (a trust-only Secret has no material of its own)
    Chain("material", tuple(c for c in CHECKS if c.group == REISSUE), "issue", verdict=_defer_ca),
    # must ca.crt be rewritten?
    Chain("trust", (Check("missing", TRUST, check_bundle_missing, stop=True),
                    Check("trust_bundle", TRUST, check_trust_bundle),
                    Check("trust_bundle", TRUST, check_ca_repeats)), TRUST, skip_after=("material",)),
    # was a reissue asked for?
    Chain("force", (Check("force", REISSUE, check_force),), "issue"),
    # only metadata left: labels, annotations, extra data keys
    Chain("metadata", (Check("labels", "metadata", check_labels), Check("annotations", "metadata", check_annotations),
                       Check("extra_data", "metadata", check_extra_data)), "meta",
          skip_after=("material", "trust", "force")),
)

# What wins when several chains fail: the first of these.
STEPS = ("fail", "issue", "deferred", TRUST, "meta", "none")


@dataclasses.dataclass
class Plan:
    """``step`` (fail | issue | deferred | trust | meta | none), ``reasons`` ("<check>: <why>"), ``failed`` chains by name."""

    step: str
    reasons: list = dataclasses.field(default_factory=list)
    failed: dict = dataclasses.field(default_factory=dict)


def plan(found, wanted, stored, desired, chains=CHAINS):
    """Run the Secret's chains; a failing ``secret`` chain ends the plan (nothing can be written)."""
    ctx = Context(stored, desired, found, wanted)
    failed = {}
    reasons = []
    steps = []
    for chain in chains:
        if any(name in failed for name in chain.skip_after):
            continue
        if chain.name == "material" and ctx.trust_only:
            continue
        if chain.name == "metadata" and not found.exists:
            continue
        failures = run(chain.checks, ctx)
        if not failures:
            continue
        names = [check.name for check, dummy in failures]
        failed[chain.name] = names
        reasons += ["%s: %s" % (check.name, reason) for check, reason in failures]
        steps.append(chain.verdict(ctx, names) if chain.verdict else chain.step)
        if chain.step == "fail":
            break
    return Plan(step=min(steps, key=STEPS.index) if steps else "none", reasons=reasons, failed=failed)
