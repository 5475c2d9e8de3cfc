"""The kinds the server knows: core Namespaces, Secrets, ConfigMaps and the custom resources of crds/*.yaml.

Each `Resource` knows its names (kind, plural, group), how its errors read, how a request
body is decoded and what validation the real API server applies to it.
"""

import base64
import binascii
import copy
import functools
import glob
import json
import os
import re

import yaml

from .errors import ApiError, bad_request, cause, invalid_value, required

SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end "
                 "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an "
             "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
B64_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
CRD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crds")


class Resource:
    """A namespaced resource with no validation beyond its name (ConfigMaps)."""

    def __init__(self, kind, plural, group="", version="v1", namespaced=True, short_names=()):
        self.kind = kind
        self.plural = plural
        self.singular = kind.lower()
        self.group = group
        self.version = version
        self.namespaced = namespaced
        self.short_names = list(short_names)
        self.status_subresource = False
        self.has_generation = False
        self.unconditional_update = True

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self):
        """`secrets`, `links.skupper.io`: how NotFound/Conflict/Forbidden messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self):
        """`Secret`, `Link.skupper.io`: how Invalid messages name the kind."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def details(self, name=None, **extra):
        details = {"name": name} if name else {}
        if self.group:
            details["group"] = self.group
        details["kind"] = self.plural
        details.update(extra)
        return details

    def not_found(self, name):
        return ApiError(404, "NotFound", f'{self.qualified} "{name}" not found', self.details(name))

    def already_exists(self, name):
        return ApiError(409, "AlreadyExists", f'{self.qualified} "{name}" already exists', self.details(name))

    def conflict(self, name, why="the object has been modified; please apply your changes to the latest version and try again"):
        return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {self.qualified} "{name}": {why}', self.details(name))

    def invalid(self, name, causes, by_resource=False):
        """422 Invalid. `by_resource`: named like v1.28 names a custom resource update without resourceVersion
        (`links.skupper.io`, details kind `links`) rather than like validation errors (`Link.skupper.io`, `Link`)."""
        parts = [f"{c['field']}: {c['message']}" for c in causes]
        text = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        kind = self.plural if by_resource and self.group else self.kind
        details = {"name": name, "group": self.group, "kind": kind, "causes": causes}
        if not self.group:
            del details["group"]
        label = self.qualified if by_resource and self.group else self.qualified_kind
        return ApiError(422, "Invalid", f'{label} "{name}" is invalid: {text}', details)

    def discovery(self):
        entries = [{"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced, "kind": self.kind,
                    "verbs": ["create", "delete", "get", "list", "patch", "update"], "shortNames": self.short_names}]
        if self.status_subresource:
            entries.append({"name": self.plural + "/status", "singularName": "", "namespaced": self.namespaced,
                            "kind": self.kind, "verbs": ["get", "patch", "update"]})
        return entries

    def name_causes(self, name):
        if not name:
            return [required("metadata.name", "name or generateName is required")]
        causes = []
        if len(name) > 253:
            causes.append(invalid_value("metadata.name", name, "must be no more than 253 characters"))
        if not SUBDOMAIN_RE.fullmatch(name):
            causes.append(invalid_value("metadata.name", name, SUBDOMAIN_MSG))
        return causes

    def decode(self, obj):
        """Turn a request body into the stored form; errors here are 400s, before any other check."""
        return obj

    def validate(self, obj, old):
        """Return (object as stored, list of causes); old is None on create."""
        return obj, []


class NamespaceResource(Resource):

    def __init__(self):
        super().__init__("Namespace", "namespaces", namespaced=False, short_names=["ns"])

    def name_causes(self, name):
        if not name:
            return super().name_causes(name)
        causes = []
        if len(name) > 63:
            causes.append(invalid_value("metadata.name", name, "must be no more than 63 characters"))
        if not LABEL_RE.fullmatch(name):
            causes.append(invalid_value("metadata.name", name, LABEL_MSG))
        return causes

    def validate(self, obj, old):
        meta = obj["metadata"]
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name")
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = copy.deepcopy(old["status"]) if old else {"phase": "Active"}
        return obj, []


def illegal_base64_offset(value):
    """Where Go's base64.StdEncoding stops on value, or None when it decodes."""
    if not isinstance(value, str):
        return 0
    try:
        base64.b64decode(value, validate=True)
        return None
    except (binascii.Error, ValueError):
        pass
    stripped = value.rstrip("=")
    for index, char in enumerate(stripped):
        if char not in B64_ALPHABET:
            return index
    return len(stripped) - len(stripped) % 4


class SecretResource(Resource):

    def __init__(self):
        super().__init__("Secret", "secrets")

    def decode(self, obj):
        string_data = obj.pop("stringData", None) or {}
        data = obj.get("data") or {}
        for key, value in data.items():
            offset = illegal_base64_offset(value)
            if offset is not None:
                raise bad_request(f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte {offset}')
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        if data:
            obj["data"] = data
        else:
            obj.pop("data", None)
        obj.setdefault("type", "Opaque")
        return obj

    def validate(self, obj, old):
        causes = []
        if old is not None and obj["type"] != old["type"]:
            causes.append(invalid_value("type", obj["type"], "field is immutable"))
        for key in obj.get("data", {}):
            if not CONFIG_KEY.fullmatch(key):  # v1.28 IsConfigMapKey, checked before the type's required keys
                causes.append(invalid_value(f"data[{key}]", key, CONFIG_KEY_MESSAGE))
        if obj["type"] == "kubernetes.io/tls":
            causes.extend(required(f"data[{key}]") for key in ("tls.crt", "tls.key") if key not in obj.get("data", {}))
        return obj, causes


CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
CONFIG_KEY_MESSAGE = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  "
                      "or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")


def json_type(value):
    if value is None:
        return "null"
    for name, types in (("boolean", bool), ("integer", int), ("number", float), ("string", str), ("array", list), ("object", dict)):
        if isinstance(value, types):
            return name
    return type(value).__name__


def type_matches(expected, value):
    actual = json_type(value)
    return actual == expected or (expected == "number" and actual == "integer")


def check_schema(schema, value, path, causes):
    """Validate value against a structural schema; return it with unknown fields pruned (as the real server does)."""
    expected = schema.get("type")
    if expected and not type_matches(expected, value):
        actual = json_type(value)
        causes.append(invalid_value(path, actual, f'{path} in body must be of type {expected}: "{actual}"', "FieldValueTypeInvalid"))
        return value
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(json.dumps(e) for e in schema["enum"])
        causes.append(cause("FieldValueNotSupported", path, f"Unsupported value: {json.dumps(value)}: supported values: {supported}"))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        result = {}
        for key, item in value.items():
            if item is None:
                continue  # nulls of non-nullable fields are pruned
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            child = f"{path}.{key}" if path else key
            if sub is not None:
                result[key] = check_schema(sub, item, child, causes)
            elif extra is True or schema.get("x-kubernetes-preserve-unknown-fields"):
                result[key] = item
        causes.extend(required(f"{path}.{key}" if path else key) for key in schema.get("required", []) if key not in result)
        return result
    if isinstance(value, list) and "items" in schema:
        return [check_schema(schema["items"], item, f"{path}[{index}]", causes) for index, item in enumerate(value)]
    return value


class CustomResource(Resource):
    """A namespaced custom resource: schema validation with pruning, status subresource, generation."""

    def __init__(self, crd):
        spec = crd["spec"]
        version = next(v for v in spec["versions"] if v.get("storage"))
        names = spec["names"]
        super().__init__(names["kind"], names["plural"], group=spec["group"], version=version["name"],
                         namespaced=spec.get("scope") == "Namespaced", short_names=names.get("shortNames", ()))
        self.singular = names.get("singular", self.singular)
        self.status_subresource = "status" in version.get("subresources", {})
        self.has_generation = True
        self.unconditional_update = False
        preserve = {"x-kubernetes-preserve-unknown-fields": True}
        self.schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
        self.schema.setdefault("properties", {}).update(apiVersion=preserve, kind=preserve, metadata=preserve)

    def validate(self, obj, old):
        causes = []
        obj = check_schema(self.schema, obj, "", causes)
        return obj, causes


@functools.lru_cache(maxsize=None)
def _load_crds(crd_dir):
    crds = []
    for path in sorted(glob.glob(os.path.join(crd_dir, "*.yaml"))):
        with open(path) as f:
            crds.append(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    return crds


def load_resources(crd_dir=CRD_DIR):
    resources = [NamespaceResource(), SecretResource(), Resource("ConfigMap", "configmaps", short_names=["cm"])]
    return resources + [CustomResource(crd) for crd in _load_crds(crd_dir)]
