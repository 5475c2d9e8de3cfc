# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How Skupper's TLS Secrets are shaped, and who owns them.

Pure functions on API-shaped dicts: no Ansible, no Kubernetes client, no cryptography.

* data keys: ``tls.crt`` (certificate only, no chain), ``tls.key``, ``ca.crt`` (trust
  bundle), and for rotation ``next.crt``/``next.key`` (pending CA) and ``prev.crt``
  (retired CA still trusted).
* ownership: the ``app.kubernetes.io/managed-by: skupper.tls`` label. A Secret without it is
  *foreign*. Skupper's own control markers (reference section 5.1) are never added by us and
  are removed when a Secret is adopted.
* metadata merge: labels, annotations and owner references others put on a Secret survive
  every write (Skupper adds ``internal.skupper.io/tls-profile-context`` to Secrets it uses).
"""

from __future__ import annotations

import base64
import collections
import copy
import re

MANAGED_BY = "app.kubernetes.io/managed-by"
OWNER = "skupper.tls"
SKUPPER_CONTROLLED = "internal.skupper.io/controlled"

# Which object: the key of every store (defined here so that layout needs nothing from storage).
ObjRef = collections.namedtuple("ObjRef", ["api_version", "kind", "namespace", "name"])

TLS_CRT = "tls.crt"
TLS_KEY = "tls.key"
CA_CRT = "ca.crt"
NEXT_CRT = "next.crt"
NEXT_KEY = "next.key"
PREV_CRT = "prev.crt"

TYPE_TLS = "kubernetes.io/tls"
TYPE_OPAQUE = "Opaque"

# CA Secrets Skupper itself signs with: its controller parses their key as PKCS#1 RSA only.
SKUPPER_SIGNING_CAS = ("skupper-site-ca", "skupper-local-ca", "skupper-service-ca")

_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME_RE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


class LayoutError(ValueError):
    """Bad input about names or metadata; ``str()`` names the field and the value."""


def secret_ref(namespace, name):
    return ObjRef("v1", "Secret", namespace, name)


def validate_name(value, field):
    """A Kubernetes object name: an RFC 1123 subdomain of at most 253 characters."""
    if not isinstance(value, str) or not value:
        raise LayoutError("%s: must be a non-empty string, got %r" % (field, value))
    if len(value) > 253 or not _NAME_RE.match(value):
        raise LayoutError(
            "%s: %r is not a valid Kubernetes name (lower-case RFC 1123 subdomain: [a-z0-9]([-a-z0-9]*[a-z0-9])? separated by '.', "
            "at most 253 characters)" % (field, value))
    return value


def validate_namespace(value, field="namespace"):
    if not isinstance(value, str) or not value or len(value) > 63 or "." in value or not _NAME_RE.match(value):
        raise LayoutError("%s: %r is not a valid namespace name (RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters)"
                          % (field, value))
    return value


def validate_metadata(labels, annotations):
    """Labels and annotations the user asked for; label values follow Kubernetes' rules."""
    for kind, mapping in (("labels", labels), ("annotations", annotations)):
        for key, value in (mapping or {}).items():
            if not _QUALIFIED_NAME_RE.match(key or "") or len(key.split("/")[-1]) > 63:
                raise LayoutError("%s: %r is not a valid key (optional DNS prefix + '/' + name of at most 63 characters)" % (kind, key))
            if not isinstance(value, str):
                raise LayoutError("%s: value of %r must be a string, got %r" % (kind, key, value))
            if kind == "labels" and (len(value) > 63 or not _LABEL_VALUE_RE.match(value)):
                raise LayoutError("labels: value %r of %r is not a valid label value" % (value, key))
    if (labels or {}).get(MANAGED_BY, OWNER) != OWNER:
        raise LayoutError("labels: %s is how skupper.tls marks what it owns; it cannot be set to %r" % (MANAGED_BY, labels[MANAGED_BY]))
    if SKUPPER_CONTROLLED in (annotations or {}):
        raise LayoutError("annotations: %s would make Skupper regenerate this Secret and overwrite it; it is never set" % SKUPPER_CONTROLLED)


def is_ours(obj):
    return bool(obj) and ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) == OWNER


def _is_certificate_owner(ref):
    return ref.get("kind") == "Certificate" and ref.get("apiVersion") == "skupper.io/v2alpha1"


def decode_data(obj):
    """Secret ``data`` as bytes by key (base64 decoded). Undecodable values become b""."""
    out = {}
    for key, value in ((obj or {}).get("data") or {}).items():
        try:
            out[key] = base64.b64decode(value or "", validate=True)
        except (ValueError, TypeError):
            out[key] = b""
    return out


def encode_data(data):
    return dict((key, base64.b64encode(value).decode("ascii")) for key, value in sorted(data.items()))


def default_ca_subject(name, skupper_version, site_name):
    """Skupper's CN for a CA it would create: v2 ``<site> site CA`` / ``<site> local CA``, otherwise the Secret name."""
    if skupper_version == 2 and name in ("skupper-site-ca", "skupper-local-ca"):
        if not site_name:
            raise LayoutError("site_name: required to derive the subject of %s in Skupper v2 ('<site> %s CA'); give site_name or subject"
                              % (name, name.split("-")[1]))
        return "%s %s CA" % (site_name, name.split("-")[1])
    return name


def build_secret(existing, namespace, name, secret_type, data, labels=None, annotations=None, remove_keys=(), adopt=False):
    """The Secret to write: ``existing`` (or nothing) updated with our data and metadata.

    Data keys we do not manage are kept; ``remove_keys`` are dropped. Labels, annotations,
    owner references and finalizers of others are kept, except Skupper's control markers
    (the controlled annotation always, a Certificate owner reference when adopting). The type of an existing Secret is immutable and therefore kept.
    """
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}, "type": secret_type}
    if existing:
        old_meta = existing.get("metadata") or {}
        obj["metadata"] = dict((k, copy.deepcopy(old_meta[k])) for k in ("labels", "annotations", "ownerReferences", "finalizers", "resourceVersion")
                               if k in old_meta)
        obj["metadata"].update(name=name, namespace=namespace)
        obj["type"] = existing.get("type") or secret_type
    meta = obj["metadata"]
    meta["labels"] = dict(meta.get("labels") or {}, **(labels or {}))
    meta["labels"][MANAGED_BY] = OWNER
    merged_annotations = dict(meta.get("annotations") or {}, **(annotations or {}))
    # Skupper's controlled annotation never stays on a Secret we write, adopted or already labelled as ours (a
    # forged label): with it Skupper would regenerate the Secret over ours.
    merged_annotations.pop(SKUPPER_CONTROLLED, None)
    if adopt:
        owners = [ref for ref in meta.get("ownerReferences") or [] if not _is_certificate_owner(ref)]
        if owners:
            meta["ownerReferences"] = owners
        else:
            meta.pop("ownerReferences", None)
    if merged_annotations:
        meta["annotations"] = merged_annotations
    else:
        meta.pop("annotations", None)
    merged = decode_data(existing) if existing else {}
    for key in remove_keys:
        merged.pop(key, None)
    merged.update(data)
    obj["data"] = encode_data(merged)
    return obj


def prune(value):
    """Drop empty values recursively, as ``skupper link generate`` does before printing."""
    if isinstance(value, dict):
        pruned = dict((k, prune(v)) for k, v in value.items())
        return dict((k, v) for k, v in pruned.items() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value
