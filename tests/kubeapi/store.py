"""Object storage and the generic REST semantics: create, get, list, replace, patch, delete.

One global `resourceVersion` counter bumps on every write, as etcd's revision does.
"""

import copy
import datetime
import random
import re
import string
import threading
import uuid

from .errors import ApiError, bad_request, cause, unsupported_media_type
from .resources import load_resources

SYSTEM_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp", "selfLink")
SELECTOR_TERM = re.compile(r"\s*(!?)\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*(?:(==|=|!=)\s*([-A-Za-z0-9_.]*))?\s*")
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def parse_selector(text, what="label"):
    """`k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated (AND) -> list of (op, key, value)."""
    terms = []
    for term in filter(None, (t.strip() for t in (text or "").split(","))):
        m = SELECTOR_TERM.fullmatch(term)
        if not m or (m.group(1) and m.group(3)) or (what == "field" and not m.group(3)):
            raise bad_request(f"unable to parse requirement: invalid {what} selector: {term!r}")
        op = "!" if m.group(1) else {"==": "=", None: "exists"}.get(m.group(3), m.group(3))
        terms.append((op, m.group(2), m.group(4)))
    return terms


def selector_matches(terms, values):
    for op, key, value in terms:
        if (op == "exists" and key not in values) or (op == "!" and key in values):
            return False
        if (op == "=" and values.get(key) != value) or (op == "!=" and values.get(key) == value):
            return False
    return True


class State:
    """All objects of one cluster, keyed by (group, plural, namespace, name)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.resources = {(res.group, res.version, res.plural): res for res in load_resources()}
        self.namespaces = self.resources[("", "v1", "namespaces")]
        self.objects = {}
        self.revision = 100
        for name in ("default", "kube-system", "kube-public"):
            self.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    # -- helpers --------------------------------------------------------------------------------

    def find(self, kind):
        """The resource for a kind or plural ("Secret", "secrets", "Link", "links.skupper.io")."""
        for res in self.resources.values():
            if kind in (res.kind, res.plural, res.qualified, res.qualified_kind):
                return res
        raise bad_request(f"unknown kind {kind!r}")

    def groups(self):
        found = {}
        for res in self.resources.values():
            if res.group and res.version not in found.setdefault(res.group, []):
                found[res.group].append(res.version)
        return found

    def _next_rv(self):
        self.revision += 1
        return str(self.revision)

    def _key(self, res, namespace, name):
        return (res.group, res.plural, namespace if res.namespaced else None, name)

    def _stored(self, res, namespace, name):
        obj = self.objects.get(self._key(res, namespace, name))
        if obj is None:
            raise res.not_found(name)
        return obj

    def _require_namespace(self, res, namespace):
        if res.namespaced and self.objects.get(self._key(self.namespaces, None, namespace)) is None:
            raise self.namespaces.not_found(namespace)

    @staticmethod
    def _manage(obj, old, manager, subresource=None):
        entries = [e for e in (old or {}).get("metadata", {}).get("managedFields", [])
                   if (e.get("manager"), e.get("subresource")) != (manager, subresource)]
        entry = {"manager": manager, "operation": "Update", "apiVersion": obj["apiVersion"], "time": now(), "fieldsType": "FieldsV1", "fieldsV1": {}}
        if subresource:
            entry["subresource"] = subresource
        obj["metadata"]["managedFields"] = entries + [entry]

    def _decode(self, res, body, namespace):
        if not isinstance(body, dict):
            raise bad_request(f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: the body is not a JSON object')
        obj = copy.deepcopy(body)
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request(f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: metadata must be an object')
        for field in SYSTEM_META:
            if field != "resourceVersion":  # the only one a client may send: the update precondition
                meta.pop(field, None)
        if res.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return res.decode(obj)

    def _admit(self, res, obj, old):
        name = obj["metadata"].get("name")
        causes = res.name_causes(name) if old is None else []
        obj, more = res.validate(obj, old)
        if causes or more:
            raise res.invalid(name, causes + more)
        return obj

    # -- REST verbs -------------------------------------------------------------------------------

    def create(self, res, namespace, body, dry_run=False, manager="unknown"):
        obj = self._decode(res, body, namespace)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choice(string.ascii_lowercase + string.digits) for i in range(5))
        with self.lock:
            self._require_namespace(res, namespace)
            if res.status_subresource:
                obj.pop("status", None)
            obj = self._admit(res, obj, None)
            if obj["metadata"].pop("resourceVersion", None) and not dry_run:
                message = "resourceVersion should not be set on objects to be created"
                raise ApiError(500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]})
            key = self._key(res, namespace, obj["metadata"]["name"])
            if key in self.objects:
                raise res.already_exists(obj["metadata"]["name"])
            obj["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp=now())
            if res.has_generation:
                obj["metadata"]["generation"] = 1
            self._manage(obj, None, manager)
            if not dry_run:
                obj["metadata"]["resourceVersion"] = self._next_rv()
                self.objects[key] = copy.deepcopy(obj)
            return obj

    def get(self, res, namespace, name):
        with self.lock:
            return copy.deepcopy(self._stored(res, namespace, name))

    def list(self, res, namespace, label_selector=None, field_selector=None):
        labels, fields = parse_selector(label_selector), parse_selector(field_selector, "field")
        items = []
        with self.lock:
            for key in sorted(k for k in self.objects if k[:2] == (res.group, res.plural) and namespace in (None, k[2])):
                obj = self.objects[key]
                field_values = {"metadata.name": obj["metadata"]["name"], "metadata.namespace": obj["metadata"].get("namespace")}
                if selector_matches(labels, obj["metadata"].get("labels") or {}) and selector_matches(fields, field_values):
                    items.append(copy.deepcopy(obj))
            revision = str(self.revision)
        if not res.group:
            for item in items:  # built-in kinds are listed without apiVersion/kind on each item
                del item["apiVersion"], item["kind"]
        metadata = {"continue": "", "resourceVersion": revision} if res.group else {"resourceVersion": revision}  # v1.28 CR lists
        return {"apiVersion": res.api_version, "kind": res.kind + "List", "metadata": metadata, "items": items}

    def replace(self, res, namespace, name, body, dry_run=False, manager="unknown", subresource=None):
        obj = self._decode(res, body, namespace)
        meta = obj["metadata"]
        if meta.setdefault("name", name) != name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        with self.lock:
            old = self._stored(res, namespace, name)
            wanted_rv = meta.pop("resourceVersion", None)
            if not wanted_rv and not res.unconditional_update:
                raise res.invalid(name, [cause("FieldValueInvalid", "metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")],
                                  by_resource=True)
            if subresource == "status":  # only status changes through the status subresource
                status = obj.get("status")
                obj = copy.deepcopy(old)
                obj.pop("status", None)
                if status is not None:
                    obj["status"] = status
            elif res.status_subresource:  # ... and never through the main resource
                obj.pop("status", None)
                if "status" in old:
                    obj["status"] = copy.deepcopy(old["status"])
            obj = self._admit(res, obj, old)
            if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise res.conflict(name)
            for field in ("uid", "creationTimestamp", "generation", "resourceVersion"):
                if field in old["metadata"]:
                    obj["metadata"][field] = old["metadata"][field]
            if res.has_generation and strip_meta_status(obj) != strip_meta_status(old):
                obj["metadata"]["generation"] += 1
            obj["metadata"]["managedFields"] = old["metadata"].get("managedFields", [])
            if obj == old:  # a no-op update writes nothing and keeps the resourceVersion
                return copy.deepcopy(old)
            self._manage(obj, old, manager, subresource)
            if not dry_run:
                obj["metadata"]["resourceVersion"] = self._next_rv()
                self.objects[self._key(res, namespace, name)] = copy.deepcopy(obj)
            return obj

    def patch(self, res, namespace, name, patch, content_type, dry_run=False, manager="unknown", subresource=None):
        accepted = [MERGE_PATCH] + ([] if res.group else [STRATEGIC_PATCH])
        if content_type not in accepted:
            raise unsupported_media_type(accepted, patch=True)
        if not isinstance(patch, dict):
            raise bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        with self.lock:
            merged = merge_patch(self._stored(res, namespace, name), patch)
            return self.replace(res, namespace, name, merged, dry_run, manager, subresource)

    def delete(self, res, namespace, name, options=None, dry_run=False):
        preconditions = (options or {}).get("preconditions") or {}
        with self.lock:
            old = self._stored(res, namespace, name)
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                if preconditions.get(field) and preconditions[field] != old["metadata"][field]:
                    # v1.28 (registry store): the resource named by its kind, details kind = the kind
                    why = (f"the {label} in the precondition ({preconditions[field]}) does not match the {label} in record "
                           f"({old['metadata'][field]}). The object might have been modified")
                    raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res.qualified_kind} "{name}": {why}',
                                   res.details(name, kind=res.kind))
            if res is self.namespaces:  # answered with the terminating object; its content goes with it
                obj = copy.deepcopy(old)
                obj["metadata"]["deletionTimestamp"] = now()
                obj["status"] = {"phase": "Terminating"}
                if not dry_run:
                    obj["metadata"]["resourceVersion"] = self._next_rv()
                    for key in [k for k in self.objects if k[2] == name or k == self._key(res, None, name)]:
                        del self.objects[key]
                return obj
            if not dry_run:
                del self.objects[self._key(res, namespace, name)]
                self._next_rv()
            return {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Success",
                    "details": res.details(name, uid=old["metadata"]["uid"])}

    # -- direct access for tests --------------------------------------------------------------------

    def seed(self, obj):
        """Store obj as given (status included, no validation), creating its namespace if needed."""
        res = self.find(obj.get("kind", ""))
        meta = obj.get("metadata") or {}
        if not meta.get("name"):
            raise bad_request("metadata.name is required")
        namespace = meta.get("namespace") or ("default" if res.namespaced else None)
        with self.lock:
            if res.namespaced and self._key(self.namespaces, None, namespace) not in self.objects:
                self.seed({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
            obj = self._decode(res, obj, namespace)
            key = self._key(res, namespace, obj["metadata"]["name"])
            old = self.objects.get(key)
            if res is self.namespaces:
                obj, _causes = res.validate(obj, old)
            obj["metadata"].update(uid=old["metadata"]["uid"] if old else str(uuid.uuid4()),
                                   creationTimestamp=old["metadata"]["creationTimestamp"] if old else now(),
                                   resourceVersion=self._next_rv())
            if res.has_generation:
                changed = old is None or strip_meta_status(obj) != strip_meta_status(old)
                obj["metadata"]["generation"] = (old["metadata"]["generation"] if old else 0) + (1 if changed else 0)
            self._manage(obj, old, "kubeapi-seed")
            self.objects[key] = copy.deepcopy(obj)
            return obj

    def peek(self, kind, namespace, name):
        res = self.find(kind)
        with self.lock:
            obj = self.objects.get(self._key(res, namespace, name))
            return copy.deepcopy(obj)


def strip_meta_status(obj):
    """What `metadata.generation` tracks: everything but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}
