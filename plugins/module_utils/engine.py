# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ensure one object (a certificate Secret, a Skupper Link): read, decide, write, and say why.

Three pieces, the same for every store (cluster or directory), every object kind and every module:

* ``read_modify_write``: the one write loop. Read, ``decide``, then create / replace (with the resourceVersion
  read) / delete; on a Conflict read again and decide again (bounded); NotFound on delete means done.
* ``ownership``: the one ownership rule. An object is ``absent``, ``ours`` (label ``managed-by: skupper.tls``),
  ``foreign`` or ``adopting`` (foreign, and ``adopt: true``). A foreign object is never written unless adopted.
* ``Material`` providers (generated CA, imported CA, copied, leaf, trust-only; see ``common.py``): what a Secret
  must hold and how to make it. ``load()`` reads what the material comes from; when that is a CA that does not
  exist yet (``CaMissing``) the engine fails, or in check mode predicts what the run would do.

What to do with a Secret is decided by ``policy.plan`` (named chains of named checks); the engine only acts on
the step it returns. It never puts key bytes or Secret ``data`` into what it returns: results and diffs carry
certificate facts only (subject, SANs, serial, dates, fingerprints).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki, policy, rotation, validate
from ansible_collections.skupper.tls.plugins.module_utils.store import Conflict, NotFound, StoreError

CONFLICT_RETRIES = 3

ABSENT = "absent"
OURS = "ours"
FOREIGN = "foreign"
ADOPTING = "adopting"


class EngineError(Exception):
    """The task must fail; ``result`` carries what is known (action, reasons) for the user."""

    def __init__(self, message, **result):
        super(EngineError, self).__init__(message)
        self.result = result


class CaMissing(StoreError):
    """The CA Secret to sign with (or the Secret to copy from) does not exist (yet); ``label`` is its namespace/name."""

    def __init__(self, message, label):
        super(CaMissing, self).__init__(message)
        self.label = label


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
    # A Secret Skupper v2 (2.1+) uses as a router sslProfile and hot-reloads (site server, link credentials, local
    # server, service certificates): it carries layout.PRIOR_VALID_REVISIONS, at least rotation.HOLDER_WRITES, so a
    # CA rotation's writes never close the connections made before it (reference 5.3; rotation.py).
    router_profile: bool = False

    def annotations_for(self, existing_annotations):
        """The annotations to ask for, given the Secret's current ones (the revision floor never lowers a higher value)."""
        if not self.router_profile:
            return self.annotations
        current = dict(existing_annotations or {})
        if layout.PRIOR_VALID_REVISIONS in self.annotations:
            current[layout.PRIOR_VALID_REVISIONS] = self.annotations[layout.PRIOR_VALID_REVISIONS]
        return dict(self.annotations, **{layout.PRIOR_VALID_REVISIONS: rotation.holder_prior_valid_revisions(current)})

    @property
    def ref(self):
        return layout.secret_ref(self.namespace, self.name)

    @property
    def label(self):
        return "%s/%s" % (self.namespace, self.name)


class Material(object):
    """A material provider: what a Secret must hold and how to make it.

    ``desired()`` is the ``policy.Desired`` to check the stored material against (``spec`` None and no ``fixed``:
    a trust-only Secret, ``ca.crt`` alone). ``issue()`` returns fresh ``(cert_pem, key_pem)``. ``bundle(cert_pem,
    data)`` returns the ``ca.crt`` to store next to ``cert_pem`` given the Secret's current decoded data, or None to
    store no ``ca.crt`` (v1 CA layout). ``planned()`` is the certificate facts check mode shows before issuing.
    """

    defer = ()             # checks whose failure is reported ("deferred") but does not reissue, e.g. a CA's expiry
    issuer = None          # x509 certificate of the signer, for facts
    predict_spec = None    # the CertSpec shown when the source is missing in check mode (None: nothing known)

    def load(self):
        """Read what the material comes from; raises CaMissing when that does not exist (yet)."""
        return self

    def desired(self):
        raise NotImplementedError

    def issue(self):
        raise NotImplementedError

    def bundle(self, cert_pem, data):
        raise NotImplementedError

    def planned(self):
        spec = self.desired().spec
        return planned_facts(spec, self.issuer) if spec is not None else {}


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
    ips = [h for h in hosts if validate.is_ip(h)]
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


# --------------------------------------------------------------------------------------------------------------------
# The one ownership rule and the one write loop


def ownership(existing, adopt):
    """absent | ours | foreign | adopting: a foreign object is never written unless ``adopt``."""
    if not existing:
        return ABSENT
    if layout.is_ours(existing):
        return OURS
    return ADOPTING if adopt else FOREIGN


def refuse_foreign(label, store, reasons, differs="does not satisfy the spec"):
    """The error for a foreign object that would have to be written."""
    return EngineError("%s on %s exists and is not managed by skupper.tls (no label %s=%s). It %s (%s) and was left untouched. "
                       "Fix or delete it, or set adopt: true to let skupper.tls take it over."
                       % (label, store.description, layout.MANAGED_BY, layout.OWNER, differs, "; ".join(reasons)),
                       action="foreign", reasons=reasons)


@dataclasses.dataclass
class Write:
    """What ``decide`` wants: ``op`` None (nothing), "create", "replace" or "delete"; ``done(written)`` makes the result."""

    op: str | None
    obj: dict | None = None
    done: object = None
    version: str | None = None   # resourceVersion a delete is conditional on


def read_modify_write(store, ref, decide, label):
    """Read ``ref``, ``decide(existing) -> Write``, write; on Conflict (or a replace whose object vanished) read and decide again.

    A write retried after an attempt that got no answer can conflict with that attempt itself, applied by the server:
    when the object read again holds exactly what was written, the write is reported as done (with a ``retried:``
    reason), not the object as found unchanged. For a certificate issued in this run (a new key and serial) that
    proves the write was ours; for content any run would write the same way (a Link, a metadata or trust update), a
    concurrent run may have written it instead: the stored object is what this run asked for either way."""
    attempted = None
    for _attempt in range(CONFLICT_RETRIES):
        existing = store.get(ref)
        if attempted is not None and _holds(existing, attempted.obj):
            return _retried(attempted, existing, label)
        attempted = None
        write = decide(existing)
        try:
            if write.op is None:
                written = None
            elif write.op == "create":
                written = store.create(write.obj)
            elif write.op == "replace":
                written = store.replace(write.obj)
            else:
                try:
                    store.delete(ref, resource_version=write.version)
                except NotFound:
                    pass   # somebody else deleted it: done
                written = None
        except Conflict as exc:
            if exc.ambiguous and write.op in ("create", "replace"):
                attempted = write   # perhaps our own unanswered attempt: see what was stored
            continue   # somebody wrote in between (or a retried write already landed): read again and decide again
        except NotFound:
            if write.op != "replace":
                raise
            continue   # deleted between read and replace: read again (it is created then)
        return write.done(written)
    if attempted is not None:   # the last pass's retry conflicted: its own earlier attempt may have landed
        existing = store.get(ref)
        if _holds(existing, attempted.obj):
            return _retried(attempted, existing, label)
    raise EngineError("%s on %s kept changing under us: gave up after %d conflicting writes; re-run the task"
                      % (label, store.description, CONFLICT_RETRIES), action="failed", reasons=["conflict"])


def _retried(attempted, stored, label):
    result = attempted.done(stored)
    result["reasons"] = list(result.get("reasons") or []) + [
        "retried: an earlier attempt of this %s of %s got no answer; the stored object is exactly what it asked for" % (attempted.op, label)]
    return result


def _holds(stored, obj):
    """Whether ``stored`` holds what ``obj`` (a write) asked for: type, data, spec, labels and annotations."""
    if not stored or not obj:
        return False
    for field in ("type", "spec"):
        if field in obj and stored.get(field) != obj.get(field):
            return False
    if "data" in obj and (stored.get("data") or {}) != (obj.get("data") or {}):   # the server leaves out an empty map
        return False
    meta, asked = stored.get("metadata") or {}, obj.get("metadata") or {}
    return all((meta.get(field) or {}) == (asked.get(field) or {}) for field in ("labels", "annotations"))


def _version(obj):
    return ((obj or {}).get("metadata") or {}).get("resourceVersion")


# --------------------------------------------------------------------------------------------------------------------
# A certificate Secret


def predict_without_ca(store, req, spec, ca_label):
    """Check mode before the CA exists: the run would create the CA first, then (re)issue this Secret with it."""
    existing = store.get(req.ref)
    reason = "issuer: CA Secret %s does not exist yet; in a real run it is created first and signs this certificate" % ca_label
    result = {"changed": True, "action": "reissued" if existing else "created", "reasons": [reason],
              "secret": {"namespace": req.namespace, "name": req.name, "type": req.secret_type, "store": store.description},
              "certificate": planned_facts(spec, None) if spec else {}}
    if ownership(existing, req.adopt) == FOREIGN:
        result.update(changed=False, action="foreign", reasons=[reason, "foreign: %s is not managed by skupper.tls" % req.label])
    result["diff"] = {"before": {"secret": req.label}, "after": {"secret": req.label, "planned": True, "certificate": result["certificate"]}}
    return result


def ensure(store, request, material, check_mode=False):
    """Ensure the Secret; returns the module result."""
    try:
        material.load()
    except CaMissing as exc:
        if not check_mode:
            raise
        return predict_without_ca(store, request, material.predict_spec, exc.label)
    desired = material.desired()
    trust_only = desired.spec is None and not desired.fixed
    secret_label = "Secret %s" % request.label

    def decide(existing):
        data = layout.decode_data(existing)
        meta = (existing or {}).get("metadata") or {}
        req = dataclasses.replace(request, annotations=request.annotations_for(meta.get("annotations")))
        wanted = policy.Wanted(type=req.secret_type, labels=req.labels, annotations=req.annotations,
                               extra_data=req.extra_data, force=req.force, defer=tuple(material.defer))
        found = policy.Found(exists=bool(existing), type=(existing or {}).get("type"), labels=meta.get("labels") or {},
                             annotations=meta.get("annotations") or {}, data=data)
        stored = policy.Stored(data.get(layout.TLS_CRT), data.get(layout.TLS_KEY), data.get(layout.CA_CRT))
        bundle = material.bundle(None if trust_only else data.get(layout.TLS_CRT), data)
        plan = policy.plan(found, wanted, stored, dataclasses.replace(desired, bundle_pem=bundle))
        return _secret_write(store, req, material, check_mode, existing, data, plan, trust_only)

    return read_modify_write(store, request.ref, decide, secret_label)


def _secret_write(store, request, material, check_mode, existing, data, plan, trust_only):
    """Act on the plan and the ownership: a Write (or an error)."""
    step, reasons = plan.step, plan.reasons
    owner = ownership(existing, request.adopt)
    before = _view(existing, data)
    result = {"changed": False, "reasons": reasons, "secret": _secret_info(store, request, existing)}

    if step == "fail":
        raise EngineError("Secret %s on %s has type %r but %r was asked; a Secret's type is immutable, so delete the Secret (or ask for %r)"
                          % (request.label, store.description, existing.get("type"), request.secret_type, existing.get("type")),
                          action="failed", reasons=reasons)
    if owner == FOREIGN:
        if step in ("none", "meta"):
            return Write(None, done=lambda _w: _no_write(result, data, material, before, "foreign", [
                "foreign: %s is not managed by skupper.tls (no label %s=%s); it satisfies the spec and is used as it is"
                % (request.label, layout.MANAGED_BY, layout.OWNER)]))
        raise refuse_foreign("Secret %s" % request.label, store, reasons)
    deferred = reasons if step == "deferred" else None
    if deferred and owner != ADOPTING:
        return Write(None, done=lambda _w: _no_write(result, data, material, before, "unchanged", reasons, deferred=deferred))
    if deferred:
        # Adopting takes ownership (labels) and keeps the material: a CA is never re-keyed silently, adopted or not.
        step = "meta"
    if step == "none" and owner != ADOPTING:
        return Write(None, done=lambda _w: _no_write(result, data, material, before, "unchanged", reasons))

    if owner == ABSENT:
        action = "created"
        reasons = reasons or ["missing: Secret does not exist"]
    elif owner == ADOPTING:
        action = "adopted"
        reasons = ["adopt: taking over %s (adopt: true)" % request.label] + reasons
    else:
        action = {"issue": "reissued", "trust": "updated_trust", "meta": "updated"}[step]
    result.update(changed=True, action=action, reasons=reasons)
    if deferred:
        result["deferred"] = deferred

    new_data = dict(request.extra_data)
    remove = []
    issuing = step == "issue" or owner == ABSENT
    if issuing and check_mode:
        new_cert = None
        result["certificate"] = material.planned()
    elif issuing and not trust_only:
        new_cert, key_pem = material.issue()
        new_data[layout.TLS_CRT], new_data[layout.TLS_KEY] = new_cert, key_pem
    else:
        new_cert = data.get(layout.TLS_CRT)
    if trust_only or not (check_mode and new_cert is None):
        bundle = material.bundle(None if trust_only else new_cert, data)
        if bundle is None:
            remove.append(layout.CA_CRT)
        else:
            new_data[layout.CA_CRT] = bundle
    if check_mode:
        result.setdefault("certificate", cert_facts(data.get(layout.TLS_CRT)))
        after = dict(before, planned=True) if existing else {"planned": True}
        if result["certificate"]:
            after["certificate"] = result["certificate"]
        result["diff"] = {"before": before, "after": after}
        if material.issuer is not None:
            result["ca"] = cert_facts(pki.certs_to_pem([material.issuer]))
        return Write(None, done=lambda _w: result)

    obj = layout.build_secret(existing, request.namespace, request.name, request.secret_type, new_data,
                              labels=request.labels, annotations=request.annotations, remove_keys=remove, adopt=owner == ADOPTING)

    def done(written):
        written_data = layout.decode_data(written) if written and written.get("data") else layout.decode_data(obj)
        result["secret"] = _secret_info(store, request, written or obj)
        result.update(_facts_of(written_data, material))
        if existing and data.get(layout.TLS_CRT) and step == "issue":
            result["previous"] = dict((k, v) for k, v in cert_facts(data.get(layout.TLS_CRT)).items()
                                      if k in ("serial", "fingerprint_sha256", "not_after", "issuer"))
        result["diff"] = {"before": before, "after": _view(written or obj, written_data)}
        return result
    return Write("replace" if existing else "create", obj, done)


def _no_write(result, data, material, before, action, reasons, **extra):
    """The result when nothing is written: the stored certificate's facts, and a diff whose two sides are equal."""
    result.update(action=action, reasons=reasons, diff={"before": before, "after": before}, **extra)
    result.update(_facts_of(data, material))
    return result


def _facts_of(data, material):
    out = {"certificate": cert_facts(data.get(layout.TLS_CRT)), "trust_bundle": bundle_facts(data.get(layout.CA_CRT))}
    if material is not None and material.issuer is not None:
        out["ca"] = cert_facts(pki.certs_to_pem([material.issuer]))
    return out


def _secret_info(store, request, obj):
    meta = (obj or {}).get("metadata") or {}
    return {"namespace": request.namespace, "name": request.name, "type": (obj or {}).get("type", request.secret_type),
            "store": store.description, "resource_version": meta.get("resourceVersion")}


# --------------------------------------------------------------------------------------------------------------------
# Deleting, for every kind


def delete(store, ref, label, check_mode=False):
    """Delete the object if it is ours; a foreign one is left alone and reported. ``diff`` shows what goes."""
    def decide(existing):
        owner = ownership(existing, adopt=False)
        if owner == ABSENT:
            return Write(None, done=lambda _w: {"changed": False, "action": "unchanged", "reasons": ["absent: %s does not exist" % label]})
        before = _object_view(ref, existing)
        if owner == FOREIGN:
            return Write(None, done=lambda _w: {"changed": False, "action": "foreign", "diff": {"before": before, "after": before},
                                                "reasons": ["foreign: %s is not managed by skupper.tls; it was not deleted" % label]})
        result = {"changed": True, "action": "deleted", "reasons": ["absent: deleting %s (state: absent)" % label],
                  "diff": {"before": before, "after": {}}}
        return Write(None if check_mode else "delete", done=lambda _w: result, version=_version(existing))
    return read_modify_write(store, ref, decide, label)


def _object_view(ref, obj):
    if ref.kind == "Secret":
        return _view(obj, layout.decode_data(obj))
    return dict((k, obj.get(k)) for k in ("spec",))


def ensure_absent(store, namespace, name, check_mode=False):
    """Delete the Secret if it is ours. Foreign Secrets are left alone and reported."""
    result = delete(store, layout.secret_ref(namespace, name), "%s/%s" % (namespace, name), check_mode)
    result["secret"] = {"namespace": namespace, "name": name, "store": store.description}
    return result


# --------------------------------------------------------------------------------------------------------------------
# Other objects (a Skupper Link)


def ensure_object(store, desired, adopt=False, check_mode=False, compare=("spec",)):
    """Ensure a non-Secret object (a Skupper ``Link``): create it, or replace it when a compared field differs.

    Ownership is the Secrets' one: a foreign object that matches is reported ``foreign``, one that differs fails
    the task unless ``adopt``. Labels, annotations and owner references of others are kept.
    """
    desired = layout.prune(desired)
    meta = desired["metadata"]
    ref = layout.ObjRef(desired["apiVersion"], desired["kind"], meta.get("namespace"), meta["name"])
    label = "%s %s/%s" % (desired["kind"], meta.get("namespace"), meta["name"])

    def decide(existing):
        owner = ownership(existing, adopt)
        before = dict((k, existing.get(k)) for k in compare) if existing else {}
        after = dict((k, desired.get(k)) for k in compare)
        reasons = []
        for key in compare:
            have, want = layout.prune((existing or {}).get(key)), desired.get(key)
            if existing and have != want:
                reasons.extend(_field_diff(key, have, want))
        info = {"namespace": meta.get("namespace"), "name": meta["name"], "kind": desired["kind"], "store": store.description}
        result = {"changed": False, "reasons": reasons, "object": info, "diff": {"before": before, "after": after}}
        if owner == FOREIGN:
            if not reasons:
                result.update(action="foreign", reasons=["foreign: %s is not managed by skupper.tls; it matches and is used as it is" % label])
                return Write(None, done=lambda _w: result)
            raise refuse_foreign(label, store, reasons, differs="differs")
        if owner == OURS and not reasons:
            result["action"] = "unchanged"
            return Write(None, done=lambda _w: result)
        action = {ABSENT: "created", ADOPTING: "adopted", OURS: "updated"}[owner]
        if not reasons:
            reasons = ["missing: %s does not exist" % label] if owner == ABSENT else ["adopt: taking over %s" % label]
        result.update(changed=True, action=action, reasons=reasons)
        if check_mode:
            return Write(None, done=lambda _w: result)

        def done(written):
            result["object"]["resource_version"] = _version(written)
            return result
        return Write("create" if owner == ABSENT else "replace", _object_to_write(desired, existing, owner == ADOPTING), done)

    return read_modify_write(store, ref, decide, label)


def _object_to_write(desired, existing, adopting):
    obj = copy.deepcopy(desired)
    obj["metadata"].setdefault("labels", {})[layout.MANAGED_BY] = layout.OWNER
    if existing:
        old = existing.get("metadata") or {}
        for key in ("labels", "annotations"):
            merged = dict(old.get(key) or {}, **(obj["metadata"].get(key) or {}))
            if key == "annotations":
                merged.pop(layout.SKUPPER_CONTROLLED, None)
            if merged:
                obj["metadata"][key] = merged
        for key in ("ownerReferences", "finalizers", "resourceVersion"):
            if key in old:
                obj["metadata"][key] = copy.deepcopy(old[key])
        for key, value in existing.items():
            if key not in obj and key not in ("metadata", "status"):
                obj[key] = copy.deepcopy(value)
    return obj


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
    def decide(existing):
        owner = ownership(existing, adopt=False)
        if owner == ABSENT:
            raise EngineError("Secret %s does not exist on %s" % (request.label, store.description), action="failed", reasons=["missing"])
        if owner == FOREIGN:
            raise EngineError("Secret %s on %s is not managed by skupper.tls; it is never rotated by it" % (request.label, store.description),
                              action="foreign", reasons=["foreign"])
        data = layout.decode_data(existing)
        action, reasons, new_data, remove = change(data)
        before = _view(existing, data)
        result = {"changed": new_data is not None, "action": action, "reasons": reasons, "secret": _secret_info(store, request, existing)}
        if new_data is None:
            result.update(_facts_of(data, None))
            result["diff"] = {"before": before, "after": before}
            return Write(None, done=lambda _w: result)
        merged = dict(data, **new_data)
        for key in remove:
            merged.pop(key, None)
        obj = layout.build_secret(existing, request.namespace, request.name, existing.get("type") or request.secret_type, new_data,
                                  labels=request.labels, annotations=request.annotations, remove_keys=remove)
        if check_mode:
            result.update(_facts_of(merged, None))
            result["diff"] = {"before": before, "after": _view(obj, merged)}
            return Write(None, done=lambda _w: result)

        def done(written):
            written_data = layout.decode_data(written) if written and written.get("data") else merged
            result.update(_facts_of(written_data, None))
            result["secret"] = _secret_info(store, request, written or obj)
            result["diff"] = {"before": before, "after": _view(written or obj, written_data)}
            return result
        return Write("replace", obj, done)

    return read_modify_write(store, request.ref, decide, "Secret %s" % request.label)
