# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA rotation as three data transformations of a CA Secret, each idempotent.

State lives only in the Secret's data keys, so an interrupted run resumes where it stopped:

=============  ==========================  ===========================  ======================
phase          tls.crt / tls.key (signer)  next.crt / next.key          ca.crt (trust bundle)
=============  ==========================  ===========================  ======================
(steady)       current CA                  -                            current
prepare        current CA                  new CA (pending)             current + new
activate       new CA                      -  (prev.crt = old CA)       new + old
finalize       new CA                      -  (prev.crt removed)        new
=============  ==========================  ===========================  ======================

Every *holder* of the CA (a Secret whose leaf it signs or whose ``ca.crt`` trusts it: the site
server, the peers' link credentials, ...) follows ``HOLDER_STATES``: one data write per phase,
three in all, and three is the least that works (trust before use, use before distrust).

Skupper 2.1+ counts each data change of a Secret used as a router sslProfile as one revision and
closes connections made more than ``tls-prior-valid-revisions`` revisions ago (default 2 in code).
Three writes with the default therefore close, at finalize, the connections made before the
rotation. Every rotation write of a holder carries the annotation
``skupper.io/tls-prior-valid-revisions`` = ``holder_prior_valid_revisions(...)`` (at least 3), in
the same update as the data, so Skupper reads it on that very event and no connection is cut.
``skupper_oldest_valid`` replays Skupper's arithmetic to prove it.
"""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki

PHASES = ("prepare", "activate", "finalize")


class RotationError(ValueError):
    """The Secret is not in a state this phase can start from; the message says what to run."""


def _cn(pem):
    return pki.facts(pki.load_certificates(pem)[0])["common_name"]


def _fp(pem):
    return pki.facts(pki.load_certificates(pem)[0])["fingerprint_sha256"]


def bundle(*pems):
    return b"".join(p if p.endswith(b"\n") else p + b"\n" for p in pems if p)


def plan(phase, data, new_ca):
    """``(action, reasons, new_data or None, remove_keys)`` for ``phase`` given the CA Secret's data.

    ``new_ca()`` returns ``(cert_pem, key_pem)`` of a fresh CA and is only called by ``prepare``.
    """
    cur, nxt, prev = data.get(layout.TLS_CRT), data.get(layout.NEXT_CRT), data.get(layout.PREV_CRT)
    if not cur or not data.get(layout.TLS_KEY):
        raise RotationError("the CA Secret has no tls.crt/tls.key to rotate")
    if phase == "prepare":
        if nxt:
            return "unchanged", ["rotation: pending CA %s already prepared" % _fp(nxt)[:23]], None, ()
        if prev:
            raise RotationError("a previous rotation is not finalized (prev.crt holds %r): run finalize first" % _cn(prev))
        cert_pem, key_pem = new_ca()
        reasons = ["rotation: prepared pending CA %r (%s); ca.crt now trusts the current and the pending CA" % (_cn(cert_pem), _fp(cert_pem)[:23])]
        return "rotation_prepared", reasons, {layout.NEXT_CRT: cert_pem, layout.NEXT_KEY: key_pem, layout.CA_CRT: bundle(cur, cert_pem)}, ()
    if phase == "activate":
        if nxt:
            if not data.get(layout.NEXT_KEY):
                raise RotationError("next.crt has no next.key: the pending CA cannot sign; run prepare again after removing next.crt")
            reasons = ["rotation: pending CA %s is now the signer; the old CA %s stays trusted as prev.crt" % (_fp(nxt)[:23], _fp(cur)[:23])]
            new = {layout.TLS_CRT: nxt, layout.TLS_KEY: data[layout.NEXT_KEY], layout.PREV_CRT: cur, layout.CA_CRT: bundle(nxt, cur)}
            return "rotation_activated", reasons, new, (layout.NEXT_CRT, layout.NEXT_KEY)
        if prev:
            return "unchanged", ["rotation: already activated (signer %s, previous %s)" % (_fp(cur)[:23], _fp(prev)[:23])], None, ()
        raise RotationError("no pending CA (next.crt) to activate: run prepare first")
    if phase == "finalize":
        if nxt:
            raise RotationError("a pending CA (next.crt) is not activated yet: run activate first")
        if prev:
            return "rotation_finalized", ["rotation: the old CA %s leaves the trust bundle" % _fp(prev)[:23]], {layout.CA_CRT: bundle(cur)}, \
                (layout.PREV_CRT,)
        return "unchanged", ["rotation: nothing to finalize (no prev.crt)"], None, ()
    raise RotationError("rotation must be one of %s, got %r" % (", ".join(PHASES), phase))


# --------------------------------------------------------------------------- holders and Skupper's revisions

# What each holder of the rotating CA carries after each phase: the CA that signs its leaf, and
# the CAs its ca.crt trusts ("old" = the CA before rotation, "new" = the pending/new CA).
HOLDER_STATES = (
    ("steady", "old", ("old",)),
    ("prepare", "old", ("old", "new")),
    ("activate", "new", ("new", "old")),
    ("finalize", "new", ("new",)),
)

# Data writes a holder receives during one rotation (one per phase that changes its state).
HOLDER_WRITES = sum(1 for before, after in zip(HOLDER_STATES, HOLDER_STATES[1:]) if before[1:] != after[1:])

# Skupper's default when neither the Secret annotation nor the Site setting parses.
# Source: internal/kube/site/site.go ``TLSPriorValidRevisions`` (``revisions := uint64(2)``;
# 2.1.0 line 1345, 2.2.1 line 1670, HEAD 80b1ba6d line 1805). The CRD text and doc/tls/README.md say 1.
SKUPPER_DEFAULT_PRIOR_VALID = 2


def _uint(value):
    text = str(value) if value is not None else ""
    return int(text) if text.isdigit() else None


def effective_prior_valid_revisions(secret_annotations=None, site_settings=None):
    """The ``pv`` Skupper uses for one Secret event.

    The Secret annotation ``skupper.io/tls-prior-valid-revisions`` wins when it parses as a base-10
    uint; else the Site ``spec.settings["tls-prior-valid-revisions"]``; else 2.
    Source: internal/kube/secrets/manager.go ``checkPriorValidity`` (HEAD line 259) and site.go
    ``TLSPriorValidRevisions`` (HEAD line 1805).
    """
    for value in ((secret_annotations or {}).get(layout.PRIOR_VALID_REVISIONS), (site_settings or {}).get(layout.SITE_PRIOR_VALID_REVISIONS)):
        parsed = _uint(value)
        if parsed is not None:
            return parsed
    return SKUPPER_DEFAULT_PRIOR_VALID


def skupper_oldest_valid(pvs, ordinal=0, oldest=0):
    """Replay Skupper's sslProfile arithmetic over data-changing writes of one Secret.

    ``pvs``: the effective ``pv`` at each write. Returns ``[(ordinal, oldest_valid_ordinal), ...]``
    after each write. A connection made at ordinal ``o`` is closed by the router once
    ``o < oldest_valid_ordinal``. Source: internal/kube/secrets/manager.go ``handleSecret``
    (HEAD lines 69-101; 2.1.0 line 93): ``Ordinal += 1`` when the data checksum changes, then
    ``if pv <= Ordinal && Ordinal - pv > OldestValidOrdinal { OldestValidOrdinal = Ordinal - pv }``.
    """
    out = []
    for pv in pvs:
        ordinal += 1
        if pv <= ordinal and ordinal - pv > oldest:
            oldest = ordinal - pv
        out.append((ordinal, oldest))
    return out


def holder_prior_valid_revisions(secret_annotations=None, site_settings=None):
    """The annotation value every rotation write of a holder carries (a string).

    At least ``HOLDER_WRITES`` so the connections made before the rotation outlive its last write;
    never lower than what the Secret or the Site already asks for (a larger value someone chose is
    kept). The annotation stays after the rotation: removing it is itself an event at which
    Skupper applies the lower value and closes the pre-rotation connections.
    """
    return str(max(HOLDER_WRITES, effective_prior_valid_revisions(secret_annotations, site_settings)))
