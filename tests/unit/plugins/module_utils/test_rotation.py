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


# --------------------------------------------------------------------------------------------------------------------
# The full state table: every phase from every state, the data keys after it, or the error.

STEADY_KEYS = {layout.TLS_CRT, layout.TLS_KEY, layout.CA_CRT}
PREPARED_KEYS = STEADY_KEYS | {layout.NEXT_CRT, layout.NEXT_KEY}
ACTIVATED_KEYS = STEADY_KEYS | {layout.PREV_CRT}


def state(name):
    """Data of the CA Secret in state ``name``; signers and trust as the phases leave them."""
    old_cert, old_key = new_ca("old")
    steady = {layout.TLS_CRT: old_cert, layout.TLS_KEY: old_key, layout.CA_CRT: old_cert}
    if name == "steady":
        return steady
    if name == "no-key":
        return {layout.TLS_CRT: old_cert}
    if name == "empty":
        return {}
    prepared = apply(steady, rotation.plan("prepare", steady, lambda: new_ca("new")))
    if name == "prepared":
        return prepared
    if name == "prepared-without-next-key":
        return dict((k, v) for k, v in prepared.items() if k != layout.NEXT_KEY)
    activated = apply(prepared, rotation.plan("activate", prepared, None))
    if name == "activated":
        return activated
    if name == "finalized":
        return apply(activated, rotation.plan("finalize", activated, None))
    raise AssertionError(name)


STATE_TABLE = [
    # state, phase, action or None (error), data keys after, error words
    ("steady", "prepare", "rotation_prepared", PREPARED_KEYS, None),
    ("steady", "activate", None, None, "run prepare first"),
    ("steady", "finalize", "unchanged", STEADY_KEYS, None),
    ("prepared", "prepare", "unchanged", PREPARED_KEYS, None),
    ("prepared", "activate", "rotation_activated", ACTIVATED_KEYS, None),
    ("prepared", "finalize", None, None, "run activate first"),
    ("prepared-without-next-key", "prepare", "unchanged", PREPARED_KEYS - {layout.NEXT_KEY}, None),
    ("prepared-without-next-key", "activate", None, None, "next.crt has no next.key"),
    ("prepared-without-next-key", "finalize", None, None, "run activate first"),
    ("activated", "prepare", None, None, "run finalize first"),
    ("activated", "activate", "unchanged", ACTIVATED_KEYS, None),
    ("activated", "finalize", "rotation_finalized", STEADY_KEYS, None),
    ("finalized", "prepare", "rotation_prepared", PREPARED_KEYS, None),
    ("finalized", "activate", None, None, "run prepare first"),
    ("finalized", "finalize", "unchanged", STEADY_KEYS, None),
] + [(s, p, None, None, "no tls.crt/tls.key") for s in ("no-key", "empty") for p in rotation.PHASES] + [
    (s, "rotate", None, None, "must be one of") for s in ("steady", "prepared", "activated")]


@pytest.mark.parametrize("name,phase,action,keys,words", STATE_TABLE, ids=["%s-%s" % (r[0], r[1]) for r in STATE_TABLE])
def test_state_table(name, phase, action, keys, words):
    data = state(name)
    made = []

    def fresh():
        made.append(1)
        return new_ca("fresh")
    if action is None:
        with pytest.raises(rotation.RotationError, match=words):
            rotation.plan(phase, data, fresh)
        return
    planned = rotation.plan(phase, data, fresh)
    assert planned[0] == action
    after = apply(data, planned)
    assert set(after) == keys
    assert len(made) == (1 if action == "rotation_prepared" else 0)      # a new CA only when preparing
    if action == "unchanged":
        assert planned[2] is None and after == data
    # the signer is always trusted, and ca.crt trusts exactly the CAs the state carries
    expected = [after[layout.TLS_CRT]] + [after[k] for k in (layout.NEXT_CRT, layout.PREV_CRT) if k in after]
    assert set(fps(after[layout.CA_CRT])) == set(f for pem in expected for f in fps(pem))
    # idempotent: the same phase again changes nothing
    assert rotation.plan(phase, after, lambda: pytest.fail("must not make another CA"))[0] == "unchanged"
