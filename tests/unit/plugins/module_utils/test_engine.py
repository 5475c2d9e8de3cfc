# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine, situation by situation: expected action, reason prefixes and number of writes.

A small in-memory store counts writes and can answer the next writes with a Conflict (somebody wrote in between).
"""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.skupper.tls.plugins.module_utils import common, engine, layout, pki, policy, rotation
from ansible_collections.skupper.tls.plugins.module_utils.store import Conflict, NotFound, Store

UTC = datetime.timezone.utc
EC256 = pki.KeySpec("ecdsa", 256)
DAY = datetime.timedelta(days=1)
LEAF_SPEC = pki.CertSpec("skupper-router", hosts=("a.example", "10.0.0.1"), key=EC256,
                         validity=365 * DAY, renew_before=30 * DAY)
CA_SPEC = pki.CertSpec("west site CA", is_ca=True, key=EC256, validity=1825 * DAY, renew_before=90 * DAY)
OURS = {layout.MANAGED_BY: layout.OWNER}
NS, NAME = "west", "s"


class MemoryStore(Store):
    """Objects by (kind, namespace, name) with resourceVersions; ``conflicts`` makes the next writes fail with Conflict;
    ``vanish`` deletes the object right before the next delete arrives (NotFound from the server)."""

    description = "memory"

    def __init__(self):
        self.objects = {}
        self.version = 0
        self.writes = 0
        self.conflicts = 0
        self.vanish = False

    @staticmethod
    def _key(ref):
        return ref.kind, ref.namespace, ref.name

    def get(self, ref):
        return copy.deepcopy(self.objects.get(self._key(ref)))

    def put(self, obj):
        self.version += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.version)
        meta = obj["metadata"]
        self.objects[(obj["kind"], meta["namespace"], meta["name"])] = obj
        return copy.deepcopy(obj)

    def _maybe_conflict(self):
        if self.conflicts:
            self.conflicts -= 1
            self.version += 1   # somebody else's write
            raise Conflict("the object has been modified")

    def create(self, obj):
        self._maybe_conflict()
        meta = obj["metadata"]
        if (obj["kind"], meta["namespace"], meta["name"]) in self.objects:
            raise Conflict("already exists")
        self.writes += 1
        return self.put(obj)

    def replace(self, obj):
        self._maybe_conflict()
        meta = obj["metadata"]
        current = self.objects.get((obj["kind"], meta["namespace"], meta["name"]))
        if current is None:
            raise NotFound("not found")
        if meta.get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise Conflict("stale resourceVersion")
        self.writes += 1
        return self.put(obj)

    def delete(self, ref, resource_version=None):
        self._maybe_conflict()
        if self.vanish:
            self.objects.pop(self._key(ref), None)
            raise NotFound("not found")
        current = self.objects.get(self._key(ref))
        if current is None:
            return False
        if resource_version and resource_version != current["metadata"]["resourceVersion"]:
            raise Conflict("stale resourceVersion")
        self.writes += 1
        del self.objects[self._key(ref)]
        return True


# --------------------------------------------------------------------------------------------------------------------
# material


def pem(cert):
    return pki.certs_to_pem([cert])


@pytest.fixture(scope="module")
def ca():
    cert, key = pki.issue(CA_SPEC)
    return pki.Issuer(cert, key)


@pytest.fixture(scope="module")
def other_ca():
    cert, key = pki.issue(pki.CertSpec("east site CA", is_ca=True, key=EC256))
    return pki.Issuer(cert, key)


def leaf(ca, spec=LEAF_SPEC):
    return common.Leaf(spec, lambda: (ca, pem(ca.cert)))


def leaf_data(ca, spec=LEAF_SPEC, now=None, bundle=None):
    cert, key = pki.issue(spec, issuer=ca, now=now)
    return {layout.TLS_CRT: pem(cert), layout.TLS_KEY: pki.key_to_pem(key), layout.CA_CRT: bundle or pem(ca.cert)}


def ca_data(spec=CA_SPEC, now=None, v1=False):
    cert, key = pki.issue(spec, now=now)
    data = {layout.TLS_CRT: pem(cert), layout.TLS_KEY: pki.key_to_pem(key)}
    if not v1:
        data[layout.CA_CRT] = pem(cert)
    return data


def secret(data, labels=None, annotations=None, type_=layout.TYPE_TLS, name=NAME):
    meta = {"name": name, "namespace": NS, "labels": dict(labels or {})}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "Secret", "type": type_, "metadata": meta, "data": layout.encode_data(data)}


def request(**kwargs):
    return engine.Request(namespace=NS, name=NAME, **kwargs)


def stored_data(store, name=NAME):
    return layout.decode_data(store.get(layout.secret_ref(NS, name)))


# --------------------------------------------------------------------------------------------------------------------
# leaf Secrets: one row per situation


def long_ago(days):
    return datetime.datetime.now(UTC) - days * DAY


LEAF_CASES = [
    # id, existing (fn(ca, other_ca) -> object or None), request kwargs, spec, action, reason prefixes, writes
    ("missing", lambda ca, o: None, {}, LEAF_SPEC, "created", ["missing:"], 1),
    ("ours-satisfied", lambda ca, o: secret(leaf_data(ca), OURS), {}, LEAF_SPEC, "unchanged", [], 0),
    ("ours-sans", lambda ca, o: secret(leaf_data(ca), OURS), {}, pki.CertSpec("skupper-router", hosts=("b.example",), key=EC256),
     "reissued", ["sans:"], 1),
    ("ours-subject", lambda ca, o: secret(leaf_data(ca), OURS), {}, pki.CertSpec("other", hosts=LEAF_SPEC.hosts, key=EC256),
     "reissued", ["subject:"], 1),
    ("ours-key-type", lambda ca, o: secret(leaf_data(ca), OURS), {},
     pki.CertSpec("skupper-router", hosts=LEAF_SPEC.hosts, key=pki.KeySpec("rsa", 2048)), "reissued", ["key_type:"], 1),
    ("ours-issuer", lambda ca, o: secret(leaf_data(o, bundle=pem(ca.cert)), OURS), {}, LEAF_SPEC, "reissued", ["issuer:"], 1),
    ("ours-expiry", lambda ca, o: secret(leaf_data(ca, now=long_ago(350)), OURS), {}, LEAF_SPEC, "reissued", ["expiry:"], 1),
    ("ours-key-mismatch", lambda ca, o: secret(dict(leaf_data(ca), **{layout.TLS_KEY: pki.key_to_pem(pki.generate_key(EC256))}), OURS),
     {}, LEAF_SPEC, "reissued", ["key_mismatch:"], 1),
    ("ours-unparseable", lambda ca, o: secret(dict(leaf_data(ca), **{layout.TLS_CRT: b"junk"}), OURS), {}, LEAF_SPEC,
     "reissued", ["unparseable:"], 1),
    ("ours-no-key", lambda ca, o: secret({layout.TLS_CRT: leaf_data(ca)[layout.TLS_CRT]}, OURS), {}, LEAF_SPEC,
     "reissued", ["missing:"], 1),
    ("ours-trust", lambda ca, o: secret(leaf_data(ca, bundle=pem(o.cert)), OURS), {}, LEAF_SPEC, "updated_trust", ["trust_bundle:"], 1),
    ("ours-labels", lambda ca, o: secret(leaf_data(ca), OURS), {"labels": {"team": "a"}}, LEAF_SPEC, "updated", ["labels:"], 1),
    ("ours-annotations", lambda ca, o: secret(leaf_data(ca), OURS), {"annotations": {"note": "x"}}, LEAF_SPEC,
     "updated", ["annotations:"], 1),
    ("ours-extra-data", lambda ca, o: secret(leaf_data(ca), OURS), {"extra_data": {"connect.json": b"{}"}}, LEAF_SPEC,
     "updated", ["extra_data:"], 1),
    ("ours-force", lambda ca, o: secret(leaf_data(ca), OURS), {"force": True}, LEAF_SPEC, "reissued", ["force:"], 1),
    ("ours-sans-and-force", lambda ca, o: secret(leaf_data(ca), OURS), {"force": True},
     pki.CertSpec("skupper-router", hosts=("b.example",), key=EC256), "reissued", ["sans:", "force:"], 1),
    ("foreign-satisfied", lambda ca, o: secret(leaf_data(ca)), {}, LEAF_SPEC, "foreign", ["foreign:"], 0),
    ("foreign-satisfied-metadata-drift", lambda ca, o: secret(leaf_data(ca)), {"labels": {"team": "a"}}, LEAF_SPEC,
     "foreign", ["foreign:"], 0),
    ("foreign-adopt-satisfied", lambda ca, o: secret(leaf_data(ca)), {"adopt": True}, LEAF_SPEC, "adopted", ["adopt:"], 1),
    ("foreign-adopt-unsatisfied", lambda ca, o: secret(leaf_data(o)), {"adopt": True}, LEAF_SPEC, "adopted", ["adopt:", "issuer:"], 1),
]


@pytest.mark.parametrize("case", LEAF_CASES, ids=[c[0] for c in LEAF_CASES])
def test_leaf_situations(ca, other_ca, case):
    _id, existing, kwargs, spec, action, prefixes, writes = case
    store = MemoryStore()
    obj = existing(ca, other_ca)
    if obj:
        store.put(obj)
    result = engine.ensure(store, request(**kwargs), leaf(ca, spec))
    assert result["action"] == action
    assert [r.split(":")[0] + ":" for r in result["reasons"]][:len(prefixes)] == prefixes or all(
        any(r.startswith(p) for r in result["reasons"]) for p in prefixes), result["reasons"]
    assert result["changed"] == (writes > 0) and store.writes == writes
    if writes:
        after = store.get(layout.secret_ref(NS, NAME))
        assert layout.is_ours(after)
        again = engine.ensure(store, request(**dict(kwargs, force=False)), leaf(ca, spec))
        assert again["action"] == "unchanged" and store.writes == writes, again["reasons"]   # converged in one write
    assert "data" not in repr(result.get("diff")) or "data_keys" in repr(result.get("diff"))
    assert b"PRIVATE KEY" not in repr(result).encode()


def test_foreign_unsatisfied_fails_untouched(ca, other_ca):
    store = MemoryStore()
    store.put(secret(leaf_data(other_ca)))
    with pytest.raises(engine.EngineError, match="not managed by skupper.tls") as err:
        engine.ensure(store, request(), leaf(ca))
    assert err.value.result["action"] == "foreign" and any(r.startswith("issuer:") for r in err.value.result["reasons"])
    assert store.writes == 0


def test_type_mismatch_fails(ca):
    store = MemoryStore()
    store.put(secret(leaf_data(ca), OURS, type_=layout.TYPE_OPAQUE))
    with pytest.raises(engine.EngineError, match="type is immutable") as err:
        engine.ensure(store, request(), leaf(ca))
    assert err.value.result["reasons"] == ["type: Secret type is 'Opaque', wanted 'kubernetes.io/tls'"] and store.writes == 0


def test_forged_label_loses_skupper_controlled_annotation(ca):
    store = MemoryStore()
    store.put(secret(leaf_data(ca), OURS, annotations={layout.SKUPPER_CONTROLLED: "true", "keep": "me"}))
    result = engine.ensure(store, request(labels={"team": "a"}), leaf(ca))
    assert result["action"] == "updated" and store.writes == 1
    annotations = store.get(layout.secret_ref(NS, NAME))["metadata"]["annotations"]
    assert annotations == {"keep": "me"}


def test_adopt_removes_skupper_control(ca):
    store = MemoryStore()
    store.put(secret(leaf_data(ca), {"team": "a"}, annotations={layout.SKUPPER_CONTROLLED: "true"}))
    result = engine.ensure(store, request(adopt=True), leaf(ca))
    after = store.get(layout.secret_ref(NS, NAME))["metadata"]
    assert result["action"] == "adopted" and after["labels"] == dict(OURS, team="a") and "annotations" not in after


def test_check_mode_writes_nothing(ca):
    store = MemoryStore()
    result = engine.ensure(store, request(), leaf(ca), check_mode=True)
    assert result["action"] == "created" and result["changed"] and result["certificate"]["planned"] and store.writes == 0
    assert result["certificate"]["sans"] == ["DNS:a.example", "DNS:10.0.0.1", "IP:10.0.0.1"]


# --------------------------------------------------------------------------------------------------------------------
# a missing CA: handled once, in the engine


def missing_ca():
    raise common.CaMissing("ca_secret: CA Secret west/skupper-site-ca not found", "west/skupper-site-ca")


@pytest.mark.parametrize("material,planned", [
    (lambda: common.Leaf(LEAF_SPEC, missing_ca), True),
    (lambda: common.TrustOnly(missing_ca), False),
    (lambda: common.Copied(missing_ca, "copy_from"), False),
])
def test_missing_ca(material, planned):
    store = MemoryStore()
    result = engine.ensure(store, request(), material(), check_mode=True)
    assert result["action"] == "created" and result["reasons"][0].startswith("issuer: CA Secret west/skupper-site-ca does not exist yet")
    assert bool(result["certificate"]) == planned and store.writes == 0
    with pytest.raises(common.CaMissing):
        engine.ensure(store, request(), material())
    store.put(secret({}))
    assert engine.ensure(store, request(), material(), check_mode=True)["action"] == "foreign"


# --------------------------------------------------------------------------------------------------------------------
# CAs: never re-keyed silently


CA_CASES = [
    # id, existing data (fn), owner labels, request kwargs, spec, action, reason prefixes, deferred prefixes, writes, material kept
    ("missing", lambda: None, None, {}, CA_SPEC, "created", ["missing:"], [], 1, False),
    ("ours-satisfied", ca_data, OURS, {}, CA_SPEC, "unchanged", [], [], 0, True),
    ("ours-expiry-window", lambda: ca_data(now=long_ago(1800)), OURS, {}, CA_SPEC, "unchanged", ["expiry:"], ["expiry:"], 0, True),
    ("ours-subject", ca_data, OURS, {}, pki.CertSpec("renamed CA", is_ca=True, key=EC256), "unchanged",
     ["subject:"], ["subject:"], 0, True),
    ("ours-key-type", ca_data, OURS, {}, pki.CertSpec("west site CA", is_ca=True, key=pki.KeySpec("rsa", 2048)),
     "unchanged", ["key_type:"], ["key_type:"], 0, True),
    ("ours-expiry-window-force", lambda: ca_data(now=long_ago(1800)), OURS, {"force": True}, CA_SPEC, "reissued",
     ["expiry:", "force:"], [], 1, False),
    ("foreign-in-window-adopt", lambda: ca_data(now=long_ago(1800)), {}, {"adopt": True}, CA_SPEC, "adopted",
     ["adopt:", "expiry:"], ["expiry:"], 1, True),
    ("foreign-subject-adopt", ca_data, {}, {"adopt": True}, pki.CertSpec("renamed CA", is_ca=True, key=EC256), "adopted",
     ["adopt:", "subject:"], ["subject:"], 1, True),
    ("foreign-satisfied", ca_data, {}, {}, CA_SPEC, "foreign", ["foreign:"], [], 0, True),
]


@pytest.mark.parametrize("case", CA_CASES, ids=[c[0] for c in CA_CASES])
def test_ca_situations(case):
    _id, data, labels, kwargs, spec, action, prefixes, deferred, writes, kept = case
    store = MemoryStore()
    before = data()
    if before is not None:
        store.put(secret(before, labels))
    result = engine.ensure(store, request(**kwargs), common.GeneratedCa(spec, v1=False))
    assert result["action"] == action, result["reasons"]
    assert all(any(r.startswith(p) for r in result["reasons"]) for p in prefixes), result["reasons"]
    assert [d.split(":")[0] + ":" for d in result.get("deferred", [])] == deferred
    assert store.writes == writes
    if kept:
        assert stored_data(store)[layout.TLS_CRT] == before[layout.TLS_CRT]
    if writes:
        assert layout.is_ours(store.get(layout.secret_ref(NS, NAME)))


def test_ca_with_leaf_certificate_is_reissued_not_deferred():
    store = MemoryStore()
    cert, key = pki.issue(pki.CertSpec("west site CA", key=EC256), issuer=pki.Issuer(*pki.issue(CA_SPEC)))
    store.put(secret({layout.TLS_CRT: pem(cert), layout.TLS_KEY: pki.key_to_pem(key)}, OURS))
    result = engine.ensure(store, request(), common.GeneratedCa(CA_SPEC, v1=False))
    assert result["action"] == "reissued" and any(r.startswith("ca:") for r in result["reasons"]) and "deferred" not in result


def test_v1_ca_drops_a_ca_crt_that_repeats_tls_crt():
    store = MemoryStore()
    store.put(secret(ca_data(), OURS))    # ca.crt == tls.crt
    result = engine.ensure(store, request(), common.GeneratedCa(CA_SPEC, v1=True))
    assert result["action"] == "updated_trust" and result["reasons"] == [
        "trust_bundle: ca.crt only repeats tls.crt; this layout stores no ca.crt"]
    assert layout.CA_CRT not in stored_data(store) and store.writes == 1
    assert engine.ensure(store, request(), common.GeneratedCa(CA_SPEC, v1=True))["action"] == "unchanged"


def test_v2_ca_bundle_carries_pending_ca():
    store = MemoryStore()
    data = ca_data()
    pending = ca_data(spec=pki.CertSpec("next CA", is_ca=True, key=EC256))
    data[layout.NEXT_CRT] = pending[layout.TLS_CRT]
    store.put(secret(data, OURS))
    result = engine.ensure(store, request(), common.GeneratedCa(CA_SPEC, v1=False))
    assert result["action"] == "updated_trust"
    assert stored_data(store)[layout.CA_CRT] == data[layout.TLS_CRT] + data[layout.NEXT_CRT]


def test_imported_ca_must_be_the_given_one(ca, other_ca):
    spec = pki.CertSpec("west site CA", is_ca=True, key=EC256, renew_before=datetime.timedelta(0))
    store = MemoryStore()
    store.put(secret({layout.TLS_CRT: pem(other_ca.cert), layout.TLS_KEY: pki.key_to_pem(other_ca.key)}, OURS))
    result = engine.ensure(store, request(), common.ImportedCa(ca, spec, v1=False))
    assert result["action"] == "reissued" and result["reasons"][0].startswith("content:")
    assert stored_data(store)[layout.TLS_CRT] == pem(ca.cert)


def test_copied(ca):
    source = leaf_data(ca)
    store = MemoryStore()
    result = engine.ensure(store, request(), common.Copied(lambda: ("east/src", source), "copy_from"))
    assert result["action"] == "created" and stored_data(store)[layout.TLS_CRT] == source[layout.TLS_CRT]
    assert engine.ensure(store, request(), common.Copied(lambda: ("east/src", source), "copy_from"))["action"] == "unchanged"


# --------------------------------------------------------------------------------------------------------------------
# trust-only Secrets (ca.crt alone)


@pytest.mark.parametrize("existing,action,prefix,writes", [
    (None, "created", "missing:", 1),
    ({}, "updated_trust", "missing: Secret has no ca.crt", 1),
    ("other", "updated_trust", "trust_bundle:", 1),
    ("same", "unchanged", None, 0),
])
def test_trust_only(ca, other_ca, existing, action, prefix, writes):
    store = MemoryStore()
    if existing is not None:
        data = {} if existing == {} else {layout.CA_CRT: pem((other_ca if existing == "other" else ca).cert)}
        store.put(secret(data, OURS, type_=layout.TYPE_OPAQUE))
    result = engine.ensure(store, request(secret_type=layout.TYPE_OPAQUE, force=True), common.TrustOnly(lambda: (pem(ca.cert), ca.cert)))
    assert result["action"] == action and store.writes == writes
    assert prefix is None or result["reasons"][0].startswith(prefix), result["reasons"]
    assert stored_data(store) == {layout.CA_CRT: pem(ca.cert)}


# --------------------------------------------------------------------------------------------------------------------
# the write loop


def test_conflict_then_success(ca):
    store = MemoryStore()
    store.conflicts = 2
    result = engine.ensure(store, request(), leaf(ca))
    assert result["action"] == "created" and store.writes == 1 and store.conflicts == 0


def test_conflict_exhausted(ca):
    store = MemoryStore()
    store.conflicts = engine.CONFLICT_RETRIES
    with pytest.raises(engine.EngineError, match="kept changing under us") as err:
        engine.ensure(store, request(), leaf(ca))
    assert err.value.result == {"action": "failed", "reasons": ["conflict"]} and store.writes == 0


def test_conflict_rereads_and_decides_again(ca):
    """A create that lost the race sees the winner's Secret on the next read, and uses it."""
    store = MemoryStore()

    class Racing(MemoryStore):
        def create(self, obj):
            store.put(secret(leaf_data(ca), OURS))
            raise Conflict("already exists")

    racing = Racing()
    racing.objects = store.objects
    result = engine.ensure(racing, request(), leaf(ca))
    assert result["action"] == "unchanged" and racing.writes == 0


def _ambiguous(message):
    exc = Conflict(message + " (an earlier attempt that got no answer may have done it)")
    exc.ambiguous = True
    return exc


def test_a_retried_create_that_conflicts_with_its_own_lost_attempt_is_created(ca):
    """The first attempt landed, its answer was lost, the retry got 409: the stored Secret is exactly what this run
    wrote (its own new key and serial), so the result is "created" with that certificate, not "unchanged"."""
    class LostAnswer(MemoryStore):
        def create(self, obj):
            self.put(obj)
            raise _ambiguous("already exists")

    store = LostAnswer()
    result = engine.ensure(store, request(), leaf(ca))
    assert result["changed"] and result["action"] == "created"
    assert result["reasons"][-1] == ("retried: an earlier attempt of this create of Secret %s got no answer; the stored object is exactly "
                                     "what it asked for" % request().label)
    stored = stored_data(store)
    assert result["certificate"]["fingerprint_sha256"] == engine.cert_facts(stored["tls.crt"])["fingerprint_sha256"]


def test_a_lost_attempt_on_the_last_pass_is_still_recognised(ca):
    """Two ordinary conflicts use up all but the last pass; the last write's answer is lost and its retry conflicts
    with it: the loop does not give up ("kept changing") on a Secret that holds what it wrote."""
    class LateLoss(MemoryStore):
        def create(self, obj):
            if self.conflicts:
                self.conflicts -= 1
                raise Conflict("already exists")   # somebody else's create, gone again before the next read
            self.put(obj)
            raise _ambiguous("already exists")

    store = LateLoss()
    store.conflicts = engine.CONFLICT_RETRIES - 1
    result = engine.ensure(store, request(), leaf(ca))
    assert result["changed"] and result["action"] == "created" and result["reasons"][-1].startswith("retried:")


def test_an_ambiguous_conflict_with_somebody_elses_write_decides_again(ca):
    """The retry conflicted, but what is stored is not what this run wrote (a concurrent run's Secret): read and
    decide again as for any conflict; the other run's valid Secret is kept and reported unchanged."""
    theirs = secret(leaf_data(ca), OURS)

    class Raced(MemoryStore):
        def create(self, obj):
            self.put(theirs)
            raise _ambiguous("already exists")

    store = Raced()
    result = engine.ensure(store, request(), leaf(ca))
    assert not result["changed"] and result["action"] == "unchanged" and store.writes == 0
    assert stored_data(store)["tls.crt"] == layout.decode_data(theirs)["tls.crt"]


# --------------------------------------------------------------------------------------------------------------------
# deleting (Secrets and Links go through the same loop)


@pytest.mark.parametrize("labels,conflicts,vanish,action,writes", [
    (None, 0, False, "unchanged", 0),
    (OURS, 0, False, "deleted", 1),
    ({}, 0, False, "foreign", 0),
    (OURS, 1, False, "deleted", 1),
    (OURS, 0, True, "deleted", 0),
])
def test_ensure_absent(ca, labels, conflicts, vanish, action, writes):
    store = MemoryStore()
    if labels is not None:
        store.put(secret(leaf_data(ca), labels))
    store.conflicts, store.vanish = conflicts, vanish
    result = engine.ensure_absent(store, NS, NAME)
    assert result["action"] == action and store.writes == writes
    assert result["reasons"][0].split(":")[0] == {"foreign": "foreign"}.get(action, "absent")
    assert (store.get(layout.secret_ref(NS, NAME)) is None) == (action != "foreign")


def test_ensure_absent_conflict_exhausted(ca):
    store = MemoryStore()
    store.put(secret(leaf_data(ca), OURS))
    store.conflicts = engine.CONFLICT_RETRIES
    with pytest.raises(engine.EngineError, match="kept changing"):
        engine.ensure_absent(store, NS, NAME)
    assert store.get(layout.secret_ref(NS, NAME)) is not None


# --------------------------------------------------------------------------------------------------------------------
# Links


def link(cost=1, labels=None):
    return {"apiVersion": "skupper.io/v2alpha1", "kind": "Link",
            "metadata": {"name": "link-east", "namespace": NS, "labels": dict(labels or {})},
            "spec": {"endpoints": [{"name": "inter-router", "host": "east.example", "port": "55671"}], "tlsCredentials": "link-east", "cost": cost}}


LINK_REF = layout.ObjRef("skupper.io/v2alpha1", "Link", NS, "link-east")


@pytest.mark.parametrize("existing,adopt,cost,action,prefix,writes", [
    (None, False, 1, "created", "missing:", 1),
    (OURS, False, 1, "unchanged", None, 0),
    (OURS, False, 2, "updated", "spec.cost:", 1),
    ({}, False, 1, "foreign", "foreign:", 0),
    ({}, True, 1, "adopted", "adopt:", 1),
    ({}, True, 2, "adopted", "spec.cost:", 1),
])
def test_link(existing, adopt, cost, action, prefix, writes):
    store = MemoryStore()
    if existing is not None:
        obj = link(labels=existing)
        obj["metadata"]["annotations"] = {layout.SKUPPER_CONTROLLED: "true"}
        store.put(obj)
    result = engine.ensure_object(store, link(cost=cost), adopt=adopt)
    assert result["action"] == action and store.writes == writes
    assert prefix is None or result["reasons"][0].startswith(prefix), result["reasons"]
    if writes:
        after = store.get(LINK_REF)
        assert layout.is_ours(after) and after["spec"]["cost"] == cost
        assert layout.SKUPPER_CONTROLLED not in (after["metadata"].get("annotations") or {})


def test_foreign_link_that_differs_fails():
    store = MemoryStore()
    store.put(link())
    with pytest.raises(engine.EngineError, match="differs") as err:
        engine.ensure_object(store, link(cost=5))
    assert err.value.result["action"] == "foreign" and store.writes == 0


def test_link_conflict_then_success():
    store = MemoryStore()
    store.put(link(labels=OURS))
    store.conflicts = 1
    assert engine.ensure_object(store, link(cost=3))["action"] == "updated" and store.writes == 1


@pytest.mark.parametrize("labels,conflicts,action,writes", [
    (OURS, 0, "deleted", 1), (OURS, 2, "deleted", 1), ({}, 0, "foreign", 0), (None, 0, "unchanged", 0),
])
def test_link_delete(labels, conflicts, action, writes):
    store = MemoryStore()
    if labels is not None:
        store.put(link(labels=labels))
    store.conflicts = conflicts
    result = engine.delete(store, LINK_REF, "Link %s/link-east" % NS)
    assert result["action"] == action and store.writes == writes


def test_link_delete_check_mode():
    store = MemoryStore()
    store.put(link(labels=OURS))
    result = engine.delete(store, LINK_REF, "Link west/link-east", check_mode=True)
    assert result["action"] == "deleted" and store.writes == 0 and store.get(LINK_REF) is not None


# --------------------------------------------------------------------------------------------------------------------
# ownership and the plan, as tables


@pytest.mark.parametrize("obj,adopt,owner", [
    (None, False, engine.ABSENT), (None, True, engine.ABSENT),
    ({"metadata": {"labels": OURS}}, False, engine.OURS), ({"metadata": {"labels": OURS}}, True, engine.OURS),
    ({"metadata": {}}, False, engine.FOREIGN), ({"metadata": {"labels": {layout.MANAGED_BY: "helm"}}}, True, engine.ADOPTING),
])
def test_ownership(obj, adopt, owner):
    assert engine.ownership(obj, adopt) == owner


def test_plan_chains_are_named():
    assert [c.name for c in policy.CHAINS] == ["secret", "material", "trust", "force", "metadata"]
    assert policy.plan(policy.Found(), policy.Wanted(), policy.Stored(), policy.Desired(spec=None, bundle_pem=None)).step == "trust"


# --------------------------------------------------------------------------------------------------------------------
# rotation through the engine: same loop, only Secrets we own


@pytest.mark.parametrize("labels,error", [(None, "does not exist"), ({}, "never rotated")])
def test_transform_refuses(labels, error):
    store = MemoryStore()
    if labels is not None:
        store.put(secret(ca_data(), labels))
    with pytest.raises(engine.EngineError, match=error):
        engine.transform(store, request(), lambda data: pytest.fail("must not be asked"))
    assert store.writes == 0


def test_transform_conflict_asks_again():
    store = MemoryStore()
    store.put(secret(ca_data(), OURS))
    store.conflicts = 1
    calls = []

    def change(data):
        calls.append(1)
        return rotation.plan("prepare", data, lambda: common.issue_pems(CA_SPEC))
    result = engine.transform(store, request(), change)
    assert result["action"] == "rotation_prepared" and len(calls) == 2 and store.writes == 1
    assert set(stored_data(store)) == {layout.TLS_CRT, layout.TLS_KEY, layout.CA_CRT, layout.NEXT_CRT, layout.NEXT_KEY}


# --------------------------------------------------------------------------------------------------------------------
# router profiles: the prior-valid-revisions floor (reference 5.3, rotation.HOLDER_WRITES)

PVR = layout.PRIOR_VALID_REVISIONS

PROFILE_CASES = [
    # id, existing annotations (None: no Secret), request annotations, action, the annotation after, writes
    ("new", None, {}, "created", str(rotation.HOLDER_WRITES), 1),
    ("missing-on-ours", {}, {}, "updated", str(rotation.HOLDER_WRITES), 1),
    ("lower-raised", {PVR: "1"}, {}, "updated", str(rotation.HOLDER_WRITES), 1),
    ("unparseable-raised", {PVR: "many"}, {}, "updated", str(rotation.HOLDER_WRITES), 1),
    ("higher-kept", {PVR: "7"}, {}, "unchanged", "7", 0),
    ("floor-kept", {PVR: str(rotation.HOLDER_WRITES)}, {}, "unchanged", str(rotation.HOLDER_WRITES), 0),
    ("asked-higher", {PVR: str(rotation.HOLDER_WRITES)}, {PVR: "9"}, "updated", "9", 1),
    ("asked-lower-refused", {PVR: "5"}, {PVR: "1"}, "updated", str(rotation.HOLDER_WRITES), 1),
]


@pytest.mark.parametrize("case", PROFILE_CASES, ids=[c[0] for c in PROFILE_CASES])
def test_router_profile_keeps_enough_prior_revisions(ca, case):
    _id, existing, asked, action, after, writes = case
    store = MemoryStore()
    if existing is not None:
        store.put(secret(leaf_data(ca), OURS, annotations=existing))
    result = engine.ensure(store, request(router_profile=True, annotations=asked), leaf(ca))
    assert result["action"] == action
    assert store.get(layout.secret_ref(NS, NAME))["metadata"]["annotations"][PVR] == after
    assert store.writes == writes


def test_non_profile_secrets_get_no_revision_annotation(ca):
    store = MemoryStore()
    engine.ensure(store, request(), leaf(ca))
    assert PVR not in (store.get(layout.secret_ref(NS, NAME))["metadata"].get("annotations") or {})


def test_a_rotation_keeps_pre_rotation_connections_under_skupper_rule(ca, other_ca):
    """Three data writes to a holder (prepare, activate, finalize) with the annotation we set: Skupper's oldest valid
    ordinal never passes the ordinal the holder had when the rotation started (rotation.skupper_oldest_valid)."""
    store = MemoryStore()
    engine.ensure(store, request(router_profile=True), leaf(ca))
    both = pem(ca.cert) + pem(other_ca.cert)
    steps = [common.Leaf(LEAF_SPEC, lambda: (ca, both)),                       # prepare: old + new trusted
             common.Leaf(LEAF_SPEC, lambda: (other_ca, pem(other_ca.cert) + pem(ca.cert))),   # activate: new signs
             common.Leaf(LEAF_SPEC, lambda: (other_ca, pem(other_ca.cert)))]   # finalize: new only
    pvs = []
    for material in steps:
        result = engine.ensure(store, request(router_profile=True), material)
        assert result["action"] in ("updated_trust", "reissued")
        pvs.append(int(store.get(layout.secret_ref(NS, NAME))["metadata"]["annotations"][PVR]))
    assert all(oldest <= 0 for _ordinal, oldest in rotation.skupper_oldest_valid(pvs))
