# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ownership and metadata rules of Secrets we write."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import layout


def existing():
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": "s", "namespace": "n", "resourceVersion": "7", "uid": "u",
                         "labels": {"team": "a"},
                         "annotations": {"internal.skupper.io/tls-profile-context": "[]", "internal.skupper.io/controlled": "true"},
                         "ownerReferences": [{"apiVersion": "skupper.io/v2alpha1", "kind": "Certificate", "name": "s", "uid": "1"},
                                             {"apiVersion": "v1", "kind": "ConfigMap", "name": "skupper-site", "uid": "2"}]},
            "data": {"tls.crt": base64.b64encode(b"C").decode(), "tls.key": base64.b64encode(b"K").decode(),
                     "other": base64.b64encode(b"O").decode()}}


def test_build_keeps_others_metadata_and_data():
    obj = layout.build_secret(existing(), "n", "s", "Opaque", {"tls.crt": b"C2"}, labels={"x": "y"}, annotations={"a": "b"})
    meta = obj["metadata"]
    assert obj["type"] == "kubernetes.io/tls"                      # immutable: the existing type wins
    assert layout.SKUPPER_CONTROLLED not in meta["annotations"]   # never kept on a Secret we write, adopting or not
    assert meta["resourceVersion"] == "7" and "uid" not in meta
    assert meta["labels"] == {"team": "a", "x": "y", layout.MANAGED_BY: layout.OWNER}
    assert meta["annotations"]["internal.skupper.io/tls-profile-context"] == "[]" and meta["annotations"]["a"] == "b"
    assert len(meta["ownerReferences"]) == 2
    assert layout.decode_data(obj) == {"tls.crt": b"C2", "tls.key": b"K", "other": b"O"}


def test_adopt_removes_skupper_control_markers_only():
    obj = layout.build_secret(existing(), "n", "s", "kubernetes.io/tls", {}, adopt=True, remove_keys=("other",))
    meta = obj["metadata"]
    assert layout.SKUPPER_CONTROLLED not in meta["annotations"] and "internal.skupper.io/tls-profile-context" in meta["annotations"]
    assert [r["kind"] for r in meta["ownerReferences"]] == ["ConfigMap"]
    assert layout.SKUPPER_CONTROLLED in existing()["metadata"]["annotations"]
    assert "other" not in layout.decode_data(obj)


def test_ownership():
    assert not layout.is_ours(existing()) and not layout.is_ours(None)
    assert layout.is_ours(layout.build_secret(None, "n", "s", "Opaque", {"ca.crt": b"x"}))


@pytest.mark.parametrize("labels,annotations,words", [
    ({layout.MANAGED_BY: "helm"}, {}, "managed-by"),
    ({}, {layout.SKUPPER_CONTROLLED: "true"}, "regenerate"),
    ({"bad key!": "x"}, {}, "not a valid key"),
    ({"k": "v" * 64}, {}, "not a valid label value"),
    ({}, {"k": 1}, "must be a string"),
])
def test_bad_metadata(labels, annotations, words):
    with pytest.raises(layout.LayoutError, match=words):
        layout.validate_metadata(labels, annotations)


@pytest.mark.parametrize("name", ["", "Bad", "a_b", "-a", "a" * 254])
def test_bad_names(name):
    with pytest.raises(layout.LayoutError, match="name"):
        layout.validate_name(name, "name")


def test_default_ca_subject():
    assert layout.default_ca_subject("skupper-site-ca", 2, "west") == "west site CA"
    assert layout.default_ca_subject("skupper-local-ca", 2, "west") == "west local CA"
    assert layout.default_ca_subject("skupper-site-ca", 1, None) == "skupper-site-ca"
    assert layout.default_ca_subject("skupper-service-ca", 2, None) == "skupper-service-ca"
    with pytest.raises(layout.LayoutError, match="site_name"):
        layout.default_ca_subject("skupper-site-ca", 2, None)


def test_prune_like_skupper_link_generate():
    assert layout.prune({"a": "", "b": [], "c": {"d": None}, "e": 0, "f": [{"g": ""}]}) == {"e": 0, "f": [{}]}
