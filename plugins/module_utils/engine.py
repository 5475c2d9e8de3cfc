# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ensure one certificate Secret: read, decide (policy chain), write, and say why.

The engine is the same for every store (cluster or directory) and every module. It never
puts key bytes or Secret ``data`` into what it returns: results and diffs carry
certificate facts only (subject, SANs, serial, dates, fingerprints).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki, policy
from ansible_collections.skupper.tls.plugins.module_utils.store import Conflict, ObjRef

CONFLICT_RETRIES = 3


class EngineError(Exception):
    """The task must fail; ``result`` carries what is known (action, reasons) for the user."""

    def __init__(self, message, **result):
        super(EngineError, self).__init__(message)
        self.result = result


@dataclasses.dataclass
class Request:
    """Where the Secret goes and how it is labelled; nothing about certificates."""

    namespace: str
    name: str
    secret_type: str = layout.TYPE_TLS
    labels: dict = dataclasses.field(default_factory=dict)
    annotations: dict = dataclasses.field(default_factory=dict)
    extra_data: dict = dataclasses.field(default_factory=dict)   # key -> bytes, e.g. v1 connect.json
    adopt: bool = False
    force: bool = False

    @property
    def ref(self):
        return layout.secret_ref(self.namespace, self.name)

    @property
    def label(self):
        return "%s/%s" % (self.namespace, self.name)


@dataclasses.dataclass
class Material:
    """What the Secret must hold, and how to make it.

    ``desired`` is None for a trust-only Secret (``ca.crt`` alone, v1 ``skupper-service-client``).
    ``issue()`` returns fresh ``(cert_pem, key_pem)``. ``bundle(cert_pem, data)`` returns the
    ``ca.crt`` to store next to ``cert_pem`` given the Secret's current decoded data, or None
    to store no ``ca.crt`` (v1 CA layout).
    """

    desired: object
    issue: object
    bundle: object
    issuer: object = None          # x509 certificate of the signer, for facts
    planned: dict = None           # facts to show in check mode when they are known in advance (a copy)
    defer: tuple = ()              # checks whose failure is reported (result "deferred") but does not reissue, e.g. a CA's expiry


def bundle_facts(pem):
    if not pem:
        return []
    try:
        return [{"common_name": f["common_name"], "fingerprint_sha256": f["fingerprint_sha256"], "not_after": f["not_after"]}
                for f in (pki.facts(c) for c in pki.load_certificates(pem))]
    except pki.PkiError:
        return [{"error": "unparseable"}]


def cert_facts(pem):
    if not pem:
        return {}
    try:
        return pki.facts(pki.load_certificates(pem)[0])
    except pki.PkiError:
        return {"error": "unparseable"}


def planned_facts(spec, issuer, now=None):
    """Facts of a certificate not issued yet (check mode): no serial, no fingerprint."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    hosts = list(spec.hosts)
    ips = [h for h in hosts if pki.is_ip(h)]
    return {
        "planned": True,
        "common_name": spec.common_name,
        "subject": "CN=%s" % spec.common_name,
        "issuer": issuer.subject.rfc4514_string() if issuer is not None else ("CN=%s" % spec.common_name if spec.is_ca else None),
        "sans": ["DNS:%s" % h for h in hosts] + ["IP:%s" % h for h in ips],
        "usage": spec.usage,
        "is_ca": spec.is_ca,
        "key": spec.key.describe(),
        "not_after": (now + spec.validity).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _view(obj, data):
    """What results and diffs may show of a Secret: facts and metadata, never data."""
    if not obj:
        return {}
    meta = obj.get("metadata") or {}
    view = {"type": obj.get("type"), "data_keys": sorted(data), "labels": meta.get("labels") or {}}
    if data.get(layout.TLS_CRT):
        view["certificate"] = cert_facts(data.get(layout.TLS_CRT))
    if data.get(layout.CA_CRT):
        view["trust_bundle"] = bundle_facts(data.get(layout.CA_CRT))
    if data.get(layout.NEXT_CRT):
        view["pending_ca"] = cert_facts(data.get(layout.NEXT_CRT))
    if data.get(layout.PREV_CRT):
        view["previous_ca"] = cert_facts(data.get(layout.PREV_CRT))
    return view


def _decide(existing, data, request, material):
    """(action-to-take, reasons) where action-to-take is issue|trust|meta|none."""
    reasons = []
    if existing and existing.get("type", layout.TYPE_OPAQUE) != request.secret_type:
        reasons.append("type: Secret type is %r, wanted %r" % (existing.get("type"), request.secret_type))
    if material.desired is None:
        want = material.bundle(None, data)
        if not data.get(layout.CA_CRT):
            return "trust", reasons + ["missing: Secret has no ca.crt"]
        decision = policy.evaluate(policy.Stored(None, None, data.get(layout.CA_CRT)),
                                   dataclasses.replace(_trust_only_desired(), bundle_pem=want),
                                   checks=tuple(c for c in policy.CHECKS if c.group == "trust"))
        step = "trust" if decision.action != "none" else "none"
        reasons += decision.reasons
    else:
        stored = policy.Stored(data.get(layout.TLS_CRT), data.get(layout.TLS_KEY), data.get(layout.CA_CRT))
        bundle = material.bundle(data.get(layout.TLS_CRT), data)
        desired = dataclasses.replace(material.desired, bundle_pem=bundle)
        decision = policy.evaluate(stored, desired)
        reasons += decision.reasons
        step = decision.action
        if step == "issue" and existing and not request.force and decision.failed and set(decision.failed) <= set(material.defer):
            step = "deferred"
        if step == "none" and bundle is None and data.get(layout.CA_CRT) and data.get(layout.CA_CRT) == data.get(layout.TLS_CRT):
            step, reasons = "trust", reasons + ["trust_bundle: ca.crt only repeats tls.crt; this layout stores no ca.crt"]
        if request.force and existing:
            step, reasons = "issue", reasons + ["force: reissue requested (force: true)"]
    if step == "none" and existing:
        drift = layout.metadata_drift(existing, request.labels, request.annotations, request.extra_data)
        if drift:
            step, reasons = "meta", reasons + drift
    return step, reasons


def _trust_only_desired():
    return policy.Desired(spec=None, issuer=None, bundle_pem=None)


def ensure(store, request, material, check_mode=False):
    """Ensure the Secret; returns the module result (without ``diff`` unless asked by the caller)."""
    for _attempt in range(CONFLICT_RETRIES):
        existing = store.get(request.ref)
        data = layout.decode_data(existing)
        step, reasons = _decide(existing, data, request, material)
        ours = layout.is_ours(existing)
        before = _view(existing, data)
        result = {"changed": False, "reasons": reasons, "secret": _secret_info(store, request, existing)}

        if existing and any(r.startswith("type: ") for r in reasons):
            raise EngineError("Secret %s on %s has type %r but %r was asked; a Secret's type is immutable, so delete the Secret (or ask for %r)"
                              % (request.label, store.description, existing.get("type"), request.secret_type, existing.get("type")),
                              action="failed", reasons=reasons)
        if existing and not ours and not request.adopt:
            if step in ("none", "meta"):
                return _no_write(result, data, material, before, "foreign", [
                    "foreign: %s is not managed by skupper.tls (no label %s=%s); it satisfies the spec and is used as it is"
                    % (request.label, layout.MANAGED_BY, layout.OWNER)])
            raise EngineError("Secret %s on %s exists and is not managed by skupper.tls (no label %s=%s). It does not satisfy the spec (%s) "
                              "and was left untouched. Fix or delete it, or set adopt: true to let skupper.tls take it over."
                              % (request.label, store.description, layout.MANAGED_BY, layout.OWNER, "; ".join(reasons)),
                              action="foreign", reasons=reasons)
        adopting = bool(existing) and not ours
        deferred = reasons if step == "deferred" else None
        if deferred and not adopting:
            return _no_write(result, data, material, before, "unchanged", reasons, deferred=deferred)
        if deferred:
            # Adopting takes ownership (labels) and keeps the material: a CA is never re-keyed silently, adopted or not.
            step = "meta"
        if step == "none" and not adopting:
            return _no_write(result, data, material, before, "unchanged", reasons)

        if not existing:
            action = "created"
            reasons = reasons or ["missing: Secret does not exist"]
        elif adopting:
            action = "adopted"
            reasons = ["adopt: taking over %s (adopt: true)" % request.label] + reasons
        else:
            action = {"issue": "reissued", "trust": "updated_trust", "meta": "updated"}[step]
        result.update(changed=True, action=action, reasons=reasons)
        if deferred:
            result["deferred"] = deferred

        new_data = dict(request.extra_data)
        remove = []
        if step == "issue" or not existing:
            if check_mode:
                new_cert = None
                if material.planned is not None:
                    result["certificate"] = material.planned
                else:
                    result["certificate"] = planned_facts(material.desired.spec, material.issuer) if material.desired else {}
            else:
                cert_pem, key_pem = material.issue() if material.desired else (None, None)
                new_cert = cert_pem
                if cert_pem:
                    new_data[layout.TLS_CRT], new_data[layout.TLS_KEY] = cert_pem, key_pem
        else:
            new_cert = data.get(layout.TLS_CRT)
        if not (check_mode and new_cert is None and material.desired is not None):
            bundle = material.bundle(new_cert, data)
            if bundle is None:
                remove.append(layout.CA_CRT)
            else:
                new_data[layout.CA_CRT] = bundle
        if check_mode:
            result.setdefault("certificate", cert_facts(data.get(layout.TLS_CRT)))
            after = dict(before, planned=True) if existing else {"planned": True}
            if "certificate" in result and result["certificate"]:
                after["certificate"] = result["certificate"]
            result["diff"] = {"before": before, "after": after}
            if material.issuer is not None:
                result["ca"] = cert_facts(pki.certs_to_pem([material.issuer]))
            return result

        obj = layout.build_secret(existing, request.namespace, request.name, request.secret_type, new_data,
                                  labels=request.labels, annotations=request.annotations, remove_keys=remove, adopt=adopting)
        try:
            written = store.create(obj) if not existing else store.replace(obj)
        except Conflict:
            continue   # somebody wrote in between (or a retried create already landed): read again and decide again
        written_data = layout.decode_data(written) if written and written.get("data") else layout.decode_data(obj)
        result["secret"] = _secret_info(store, request, written or obj)
        result.update(_facts_of(written_data, material))
        if existing and data.get(layout.TLS_CRT) and step == "issue":
            result["previous"] = dict((k, v) for k, v in cert_facts(data.get(layout.TLS_CRT)).items()
                                      if k in ("serial", "fingerprint_sha256", "not_after", "issuer"))
        result["diff"] = {"before": before, "after": _view(written or obj, written_data)}
        return result
    raise EngineError("Secret %s on %s kept changing under us: gave up after %d conflicting writes; re-run the task"
                      % (request.label, store.description, CONFLICT_RETRIES), action="failed", reasons=["conflict"])


def _no_write(result, data, material, before, action, reasons, **extra):
    """The result when nothing is written: the stored certificate's facts, and a diff whose two sides are equal."""
    result.update(action=action, reasons=reasons, diff={"before": before, "after": before}, **extra)
    result.update(_facts_of(data, material))
    return result


def _facts_of(data, material):
    out = {"certificate": cert_facts(data.get(layout.TLS_CRT)), "trust_bundle": bundle_facts(data.get(layout.CA_CRT))}
    if material.issuer is not None:
        out["ca"] = cert_facts(pki.certs_to_pem([material.issuer]))
    return out


def _secret_info(store, request, obj):
    meta = (obj or {}).get("metadata") or {}
    return {"namespace": request.namespace, "name": request.name, "type": (obj or {}).get("type", request.secret_type),
            "store": store.description, "resource_version": meta.get("resourceVersion")}


def ensure_absent(store, namespace, name, check_mode=False):
    """Delete the Secret if it is ours. Foreign Secrets are left alone and reported."""
    ref = layout.secret_ref(namespace, name)
    label = "%s/%s" % (namespace, name)
    for _attempt in range(CONFLICT_RETRIES):
        existing = store.get(ref)
        info = {"namespace": namespace, "name": name, "store": store.description}
        if not existing:
            return {"changed": False, "action": "unchanged", "reasons": ["absent: %s does not exist" % label], "secret": info}
        before = _view(existing, layout.decode_data(existing))
        if not layout.is_ours(existing):
            return {"changed": False, "action": "foreign", "secret": info, "diff": {"before": before, "after": before},
                    "reasons": ["foreign: %s is not managed by skupper.tls; it was not deleted" % label]}
        result = {"changed": True, "action": "deleted", "reasons": ["absent: deleting %s (state: absent)" % label], "secret": info,
                  "diff": {"before": before, "after": {}}}
        if check_mode:
            return result
        try:
            store.delete(ref, resource_version=(existing.get("metadata") or {}).get("resourceVersion"))
        except Conflict:
            continue
        return result
    raise EngineError("Secret %s kept changing under us: gave up deleting it after %d conflicts" % (label, CONFLICT_RETRIES))


def ensure_object(store, desired, adopt=False, check_mode=False, compare=("spec",)):
    """Ensure a non-Secret object (a Skupper ``Link``): create it, or replace it when a compared field differs.

    Ownership rules are the Secrets' ones: a foreign object that matches is reported ``foreign``, one
    that differs fails the task unless ``adopt``. Labels, annotations and owner references of others are kept.
    """
    desired = layout.prune(desired)
    meta = desired["metadata"]
    ref = ObjRef(desired["apiVersion"], desired["kind"], meta.get("namespace"), meta["name"])
    label = "%s %s/%s" % (desired["kind"], meta.get("namespace"), meta["name"])
    for _attempt in range(CONFLICT_RETRIES):
        existing = store.get(ref)
        before = dict((k, existing.get(k)) for k in compare) if existing else {}
        after = dict((k, desired.get(k)) for k in compare)
        reasons = []
        for key in compare:
            have, want = layout.prune((existing or {}).get(key)), desired.get(key)
            if existing and have != want:
                reasons.extend(_field_diff(key, have, want))
        info = {"namespace": meta.get("namespace"), "name": meta["name"], "kind": desired["kind"], "store": store.description}
        result = {"changed": False, "reasons": reasons, "object": info, "diff": {"before": before, "after": after}}
        if existing and not layout.is_ours(existing) and not adopt:
            if not reasons:
                result.update(action="foreign", reasons=["foreign: %s is not managed by skupper.tls; it matches and is used as it is" % label])
                return result
            raise EngineError("%s on %s exists and is not managed by skupper.tls (no label %s=%s). It differs (%s) and was left untouched; "
                              "set adopt: true to take it over." % (label, store.description, layout.MANAGED_BY, layout.OWNER, "; ".join(reasons)),
                              action="foreign", reasons=reasons)
        adopting = bool(existing) and not layout.is_ours(existing)
        if existing and not reasons and not adopting:
            result["action"] = "unchanged"
            return result
        action = "created" if not existing else ("adopted" if adopting else "updated")
        if not reasons:
            reasons = ["missing: %s does not exist" % label] if not existing else ["adopt: taking over %s" % label]
        result.update(changed=True, action=action, reasons=reasons)
        if check_mode:
            return result
        obj = copy.deepcopy(desired)
        obj["metadata"].setdefault("labels", {})[layout.MANAGED_BY] = layout.OWNER
        if existing:
            old = existing.get("metadata") or {}
            for key in ("labels", "annotations"):
                merged = dict(old.get(key) or {}, **(obj["metadata"].get(key) or {}))
                if adopting and key == "annotations":
                    merged.pop(layout.SKUPPER_CONTROLLED, None)
                if merged:
                    obj["metadata"][key] = merged
            for key in ("ownerReferences", "finalizers", "resourceVersion"):
                if key in old:
                    obj["metadata"][key] = copy.deepcopy(old[key])
            for key, value in existing.items():
                if key not in obj and key not in ("metadata", "status"):
                    obj[key] = copy.deepcopy(value)
        try:
            written = store.create(obj) if not existing else store.replace(obj)
        except Conflict:
            continue
        result["object"]["resource_version"] = ((written or {}).get("metadata") or {}).get("resourceVersion")
        return result
    raise EngineError("%s kept changing under us: gave up after %d conflicting writes; re-run the task" % (label, CONFLICT_RETRIES))


def _field_diff(key, have, want):
    if isinstance(have, dict) and isinstance(want, dict):
        out = []
        for sub in sorted(set(have) | set(want)):
            if have.get(sub) != want.get(sub):
                out.append("%s.%s: is %s, wanted %s" % (key, sub, _short(have.get(sub)), _short(want.get(sub))))
        return out
    return ["%s: is %s, wanted %s" % (key, _short(have), _short(want))]


def _short(value):
    text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


def transform(store, request, change, check_mode=False):
    """Read-modify-write of an existing Secret we own (CA rotation phases).

    ``change(data)`` gets the decoded data and returns ``(action, reasons, new_data, remove_keys)``, or
    ``("unchanged", reasons, None, ())``. Conflicts re-read and call ``change`` again.
    """
    for _attempt in range(CONFLICT_RETRIES):
        existing = store.get(request.ref)
        if not existing:
            raise EngineError("Secret %s does not exist on %s" % (request.label, store.description), action="failed", reasons=["missing"])
        if not layout.is_ours(existing):
            raise EngineError("Secret %s on %s is not managed by skupper.tls; it is never rotated by it" % (request.label, store.description),
                              action="foreign", reasons=["foreign"])
        data = layout.decode_data(existing)
        action, reasons, new_data, remove = change(data)
        before = _view(existing, data)
        result = {"changed": new_data is not None, "action": action, "reasons": reasons, "secret": _secret_info(store, request, existing)}
        if new_data is None:
            result.update(_facts_of(data, Material(None, None, None)))
            result["diff"] = {"before": before, "after": before}
            return result
        merged = dict(data, **new_data)
        for key in remove:
            merged.pop(key, None)
        obj = layout.build_secret(existing, request.namespace, request.name, existing.get("type") or request.secret_type, new_data,
                                  labels=request.labels, annotations=request.annotations, remove_keys=remove)
        if check_mode:
            result.update(_facts_of(merged, Material(None, None, None)))
            result["diff"] = {"before": before, "after": _view(obj, merged)}
            return result
        try:
            written = store.replace(obj)
        except Conflict:
            continue
        written_data = layout.decode_data(written) if written and written.get("data") else merged
        result.update(_facts_of(written_data, Material(None, None, None)))
        result["secret"] = _secret_info(store, request, written or obj)
        result["diff"] = {"before": before, "after": _view(written or obj, written_data)}
        return result
    raise EngineError("Secret %s kept changing under us: gave up after %d conflicting writes; re-run the task" % (request.label, CONFLICT_RETRIES))
