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
