# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rotation under Skupper's tls-prior-valid-revisions rule: the holder state table and Skupper's arithmetic replayed."""

from __future__ import annotations

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import rotation


def test_holder_state_table():
    # trust the new CA before any leaf uses it; switch every leaf before the old CA is distrusted
    assert rotation.HOLDER_STATES == (
        ("steady", "old", ("old",)),
        ("prepare", "old", ("old", "new")),
        ("activate", "new", ("new", "old")),
        ("finalize", "new", ("new",)),
    )
    for _phase, signer, trusts in rotation.HOLDER_STATES:
        assert signer in trusts
    assert [p for p, _s, _t in rotation.HOLDER_STATES[1:]] == list(rotation.PHASES)
    assert rotation.HOLDER_WRITES == 3


@pytest.mark.parametrize("pvs,expected", [
    # reference 5.3 table, three writes from ordinal 0
    ([0, 0, 0], [(1, 1), (2, 2), (3, 3)]),
    ([1, 1, 1], [(1, 0), (2, 1), (3, 2)]),
    ([2, 2, 2], [(1, 0), (2, 0), (3, 1)]),      # Skupper's default: pre-rotation connections (ordinal 0) cut at finalize
    ([3, 3, 3], [(1, 0), (2, 0), (3, 0)]),      # what rotation sets: nothing cut
    ([3, 3, 3, 2], [(1, 0), (2, 0), (3, 0), (4, 2)]),  # a later write after removing the annotation would cut them
])
def test_skupper_arithmetic(pvs, expected):
    assert rotation.skupper_oldest_valid(pvs) == expected


def test_oldest_only_rises():
    assert rotation.skupper_oldest_valid([0, 5], ordinal=4, oldest=0) == [(5, 5), (6, 5)]


@pytest.mark.parametrize("annotations,settings,pv", [
    ({}, {}, 2),
    ({"skupper.io/tls-prior-valid-revisions": "5"}, {"tls-prior-valid-revisions": "1"}, 5),
    ({"skupper.io/tls-prior-valid-revisions": "x"}, {"tls-prior-valid-revisions": "1"}, 1),   # bad annotation: Site value
    ({}, {"tls-prior-valid-revisions": "-1"}, 2),                                              # bad Site value: 2
    (None, {"tls-prior-valid-revisions": "0"}, 0),
])
def test_effective_prior_valid_revisions(annotations, settings, pv):
    assert rotation.effective_prior_valid_revisions(annotations, settings) == pv


@pytest.mark.parametrize("annotations,settings,value", [
    ({}, {}, "3"),
    ({}, {"tls-prior-valid-revisions": "0"}, "3"),
    ({"skupper.io/tls-prior-valid-revisions": "7"}, {}, "7"),
    ({}, {"tls-prior-valid-revisions": "4"}, "4"),
])
def test_holder_prior_valid_revisions(annotations, settings, value):
    assert rotation.holder_prior_valid_revisions(annotations, settings) == value


@pytest.mark.parametrize("settings", [{}, {"tls-prior-valid-revisions": "0"}, {"tls-prior-valid-revisions": "1"}])
def test_full_rotation_cuts_no_pre_rotation_connection(settings):
    """Every holder write carries the annotation: the connection made at the starting ordinal survives all phases."""
    start = 7
    pv = rotation.effective_prior_valid_revisions({rotation.layout.PRIOR_VALID_REVISIONS: rotation.holder_prior_valid_revisions({}, settings)},
                                                  settings)
    steps = rotation.skupper_oldest_valid([pv] * rotation.HOLDER_WRITES, ordinal=start)
    assert all(oldest <= start for _ordinal, oldest in steps)
    # without the annotation the default (or the Site value) cuts it
    plain = rotation.skupper_oldest_valid([rotation.effective_prior_valid_revisions({}, settings)] * rotation.HOLDER_WRITES, ordinal=start)
    assert plain[-1][1] > start
