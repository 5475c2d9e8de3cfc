# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CA rotation phases as data transformations: each idempotent, each refusing a wrong starting state."""

from __future__ import annotations

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki, rotation


def new_ca(name="ca"):
    cert, key = pki.issue(pki.CertSpec(common_name=name, is_ca=True, key=pki.KeySpec("ecdsa", 256)))
    return pki.certs_to_pem([cert]), pki.key_to_pem(key)


def fps(pem):
    return [pki.fingerprint(c) for c in pki.load_certificates(pem)]


@pytest.fixture
def steady():
    cert, key = new_ca("old")
    return {layout.TLS_CRT: cert, layout.TLS_KEY: key, layout.CA_CRT: cert}


def apply(data, planned):
    _action, _reasons, new, remove = planned
    out = dict(data, **(new or {}))
    for key in remove:
        out.pop(key, None)
    return out


def test_full_cycle(steady):
    old = steady[layout.TLS_CRT]
    prepared = apply(steady, rotation.plan("prepare", steady, lambda: new_ca("new")))
    nxt = prepared[layout.NEXT_CRT]
    assert fps(prepared[layout.CA_CRT]) == fps(old) + fps(nxt) and prepared[layout.TLS_CRT] == old
    assert rotation.plan("prepare", prepared, lambda: pytest.fail("must not make another CA"))[0] == "unchanged"

    activated = apply(prepared, rotation.plan("activate", prepared, None))
    assert activated[layout.TLS_CRT] == nxt and activated[layout.PREV_CRT] == old
    assert layout.NEXT_CRT not in activated and layout.NEXT_KEY not in activated
    assert fps(activated[layout.CA_CRT]) == fps(nxt) + fps(old)
    assert rotation.plan("activate", activated, None)[0] == "unchanged"

    finalized = apply(activated, rotation.plan("finalize", activated, None))
    assert fps(finalized[layout.CA_CRT]) == fps(nxt) and layout.PREV_CRT not in finalized
    assert rotation.plan("finalize", finalized, None)[0] == "unchanged"


@pytest.mark.parametrize("phase,setup,words", [
    ("activate", "steady", "run prepare first"),
    ("finalize", "prepared", "run activate first"),
    ("prepare", "activated", "run finalize first"),
    ("rotate", "steady", "must be one of"),
])
def test_wrong_starting_state_is_refused(steady, phase, setup, words):
    data = steady
    if setup in ("prepared", "activated"):
        data = apply(data, rotation.plan("prepare", data, lambda: new_ca("new")))
    if setup == "activated":
        data = apply(data, rotation.plan("activate", data, None))
    with pytest.raises(rotation.RotationError, match=words):
        rotation.plan(phase, data, lambda: new_ca("x"))


def test_needs_a_ca():
    with pytest.raises(rotation.RotationError, match="no tls.crt"):
        rotation.plan("prepare", {}, None)
