# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The storage seam: where Secrets and other objects are read from and written to.

Two implementations share this interface: ``KubeStore`` (``kube.py``) talks to a
Kubernetes API server; ``DirectoryStore`` (here) keeps the same manifests as YAML
files for GitOps or offline use. The engine cannot tell them apart.

Objects are plain dicts shaped like the Kubernetes API's JSON (Secret ``data``
base64-encoded). This module imports neither ``kubernetes`` nor Ansible.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import errno
import fcntl
import hashlib
import os
import re
import stat
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover - only the import sanity test runs without PyYAML
    yaml = None

from ansible_collections.skupper.tls.plugins.module_utils.layout import ObjRef  # noqa: F401 (re-exported: the key of every store)

# kind -> (api path prefix, plural) for everything this collection reads or writes.
KINDS = {
    "Secret": ("/api/v1", "secrets"),
    "ConfigMap": ("/api/v1", "configmaps"),
    "Link": ("/apis/skupper.io/v2alpha1", "links"),
    "Site": ("/apis/skupper.io/v2alpha1", "sites"),
}


def ref_of(obj):
    """The ObjRef of an object dict."""
    meta = obj.get("metadata") or {}
    return ObjRef(obj.get("apiVersion"), obj.get("kind"), meta.get("namespace"), meta.get("name"))


class StoreError(Exception):
    """Any failure of a store; ``str()`` is a message fit for the user."""

    status = None
    reason = None


class NotFound(StoreError):
    status = 404
    reason = "NotFound"


class Conflict(StoreError):
    """A stale resourceVersion on replace (409 Conflict) or a create that found the name taken (409 AlreadyExists)."""

    status = 409
    reason = "Conflict"


class Forbidden(StoreError):
    status = 403
    reason = "Forbidden"


class Unauthorized(StoreError):
    status = 401
    reason = "Unauthorized"


class Invalid(StoreError):
    """The server (or directory store) rejected the object as invalid (422/400)."""

    status = 422
    reason = "Invalid"


class Store(object):
    """Interface. ``ref`` is an ObjRef; objects are API-shaped dicts."""

    #: a short label for messages and results, e.g. "cluster https://1.2.3.4:6443" or "directory /srv/out"
    description = "store"

    def get(self, ref):
        """Return the object, or None when it does not exist (a missing namespace is also None)."""
        raise NotImplementedError

    def create(self, obj):
        """Create; return the stored object. Raises Conflict if the name is taken, NotFound if the namespace is missing."""
        raise NotImplementedError

    def replace(self, obj):
        """Replace (PUT) the whole object. ``obj['metadata']['resourceVersion']`` must be the one read; Conflict if stale."""
        raise NotImplementedError

    def delete(self, ref, resource_version=None):
        """Delete; True if something was deleted, False if it did not exist. Conflict if resource_version is stale."""
        raise NotImplementedError


# --- what the API server validates, with its wording ---------------------------------------------------------------

_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DATA_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'example.com', regex used for validation is "
                  r"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric "
              "character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_DATA_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
                 "regex used for validation is '[-._a-zA-Z0-9]+')")
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_MAX_SECRET_BYTES = 1024 * 1024
# the structural schema of Link.spec (skupper.io/v2alpha1 CRD): the API server enforces types and prunes unknown fields
_STRING = {"type": "string"}
_SPEC_SCHEMAS = {
    "Link": {"type": "object", "required": ["endpoints"], "properties": {
        "endpoints": {"type": "array", "items": {"type": "object", "properties": {"name": _STRING, "host": _STRING, "port": _STRING, "group": _STRING}}},
        "tlsCredentials": _STRING,
        "cost": {"type": "integer"},
        "settings": {"type": "object", "additionalProperties": _STRING},
    }},
}
# server-owned metadata that a manifest file does not keep
_SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "managedFields")


def _api_version(kind):
    prefix = KINDS[kind][0]
    return "v1" if prefix == "/api/v1" else prefix[len("/apis/"):]


def _group(kind):
    api_version = _api_version(kind)
    return api_version.split("/")[0] if "/" in api_version else ""


def resource_name(kind):
    """How the API server names a kind in messages: ``secrets``, ``links.skupper.io``."""
    group = _group(kind)
    return KINDS[kind][1] + ("." + group if group else "")


def _qualified_kind(kind):
    group = _group(kind)
    return kind + ("." + group if group else "")


def valid_name(name):
    return isinstance(name, str) and len(name) <= 253 and bool(_SUBDOMAIN_RE.match(name))


def valid_namespace(namespace):
    return isinstance(namespace, str) and len(namespace) <= 63 and bool(_LABEL_RE.match(namespace))


def _name_errors(field, value, regex, limit, message):
    if not value:
        return ["%s: Required value: name or generateName is required" % field if field == "metadata.name" else "%s: Required value" % field]
    errors = []
    if len(value) > limit:
        errors.append('%s: Invalid value: "%s": must be no more than %d characters' % (field, value, limit))
    if not regex.match(value):
        errors.append('%s: Invalid value: "%s": %s' % (field, value, message))
    return errors


def _invalid(kind, name, errors):
    detail = errors[0] if len(errors) == 1 else "[%s]" % ", ".join(errors)
    return Invalid('%s "%s" is invalid: %s' % (_qualified_kind(kind), name, detail))


def _bad_request(message):
    err = Invalid(message)
    err.status, err.reason = 400, "BadRequest"
    return err


def _not_found(ref):
    return NotFound('%s "%s" not found' % (resource_name(ref.kind), ref.name))


def _exists(ref):
    return Conflict('%s "%s" already exists' % (resource_name(ref.kind), ref.name))


def _stale(ref):
    return Conflict('Operation cannot be fulfilled on %s "%s": the object has been modified; please apply your changes to the latest version and '
                    'try again' % (resource_name(ref.kind), ref.name))


def _unsupported(kind):
    return StoreError("unsupported kind %r (supported: %s)" % (kind, ", ".join(sorted(KINDS))))


def _json_type(value):
    for python_type, name in ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (dict, "object"), (list, "array")):
        if isinstance(value, python_type):
            return name
    return "null"


def _check_schema(value, schema, path, errors):
    """Check ``value`` against a structural schema as the API server does; return it with unknown fields pruned."""
    found = _json_type(value)
    if found != schema["type"]:
        errors.append('%s: Invalid value: "%s": %s in body must be of type %s: "%s"' % (path, found, path, schema["type"], found))
        return value
    if found == "array":
        return [_check_schema(item, schema["items"], "%s[%d]" % (path, index), errors) for index, item in enumerate(value)]
    if found != "object":
        return value
    errors.extend("%s.%s: Required value" % (path, key) for key in schema.get("required", ()) if key not in value)
    if "additionalProperties" in schema:
        return {key: _check_schema(item, schema["additionalProperties"], "%s.%s" % (path, key), errors) for key, item in value.items()}
    properties = schema.get("properties", {})
    return {key: _check_schema(item, properties[key], "%s.%s" % (path, key), errors) for key, item in value.items() if key in properties}


def _b64_error_offset(value):
    """Where Go's base64 decoder would report illegal input (close enough for a message)."""
    stripped = value.replace("\r", "").replace("\n", "")
    for index, char in enumerate(stripped):
        if char not in _B64_ALPHABET and char != "=":
            return index
    first_pad = stripped.find("=")
    return first_pad if first_pad >= 0 else len(stripped)


def _decode_secret_data(obj):
    """Check Secret ``data`` the way the API server decodes it (400 on failure); fold ``stringData`` into ``data``."""
    data = obj.get("data") or {}
    decoded = {}
    if not isinstance(data, dict):
        raise _bad_request('Secret in version "v1" cannot be handled as a Secret: data must be a map of base64 strings')
    for key, value in data.items():
        if not isinstance(value, str):
            raise _bad_request('Secret in version "v1" cannot be handled as a Secret: data[%s] must be a base64 string' % key)
        try:
            decoded[key] = base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
        except (ValueError, TypeError):
            raise _bad_request('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte %d'
                               % _b64_error_offset(value)) from None
    string_data = obj.pop("stringData", None) or {}
    for key, value in string_data.items():
        if not isinstance(value, str):
            raise _bad_request('Secret in version "v1" cannot be handled as a Secret: stringData[%s] must be a string' % key)
        decoded[key] = value.encode("utf-8")
        data[key] = base64.b64encode(decoded[key]).decode("ascii")
    if data:
        obj["data"] = data
    return decoded


def normalize(obj, old=None):
    """Validate ``obj`` as the API server would on create (``old`` None) or replace; return the object it would store.

    Raises Invalid with the server's wording. The result is a deep copy without server-owned metadata.
    """
    obj = copy.deepcopy(obj)
    kind = obj.get("kind")
    if kind not in KINDS:
        raise _unsupported(kind)
    if obj.get("apiVersion") != _api_version(kind):
        raise _bad_request("the API version in the data (%s) does not match the expected API version (%s)" % (obj.get("apiVersion"), _api_version(kind)))
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise _bad_request("%s in version \"%s\" cannot be handled as a %s: metadata must be a map" % (kind, obj["apiVersion"], kind))
    for field in _SERVER_FIELDS:
        meta.pop(field, None)
    decoded = _decode_secret_data(obj) if kind == "Secret" else {}
    name = meta.get("name") or ""
    errors = _name_errors("metadata.name", name, _SUBDOMAIN_RE, 253, _SUBDOMAIN_MSG)
    errors += _name_errors("metadata.namespace", meta.get("namespace") or "", _LABEL_RE, 63, _LABEL_MSG)
    if kind in _SPEC_SCHEMAS and "spec" in obj:
        obj["spec"] = _check_schema(obj["spec"], _SPEC_SCHEMAS[kind], "spec", errors)
    if kind == "Secret":
        obj["type"] = obj.get("type") or "Opaque"
        for key in sorted(decoded):
            if not _DATA_KEY_RE.match(key):
                errors.append('data[%s]: Invalid value: "%s": %s' % (key, key, _DATA_KEY_MSG))
        if sum(len(value) for value in decoded.values()) > _MAX_SECRET_BYTES:
            errors.append("data: Too long: must have at most %d bytes" % _MAX_SECRET_BYTES)
        if obj["type"] == "kubernetes.io/tls":
            errors += ["data[%s]: Required value" % key for key in ("tls.crt", "tls.key") if key not in decoded]
        if old is not None:
            if obj["type"] != (old.get("type") or "Opaque"):
                errors.append('type: Invalid value: "%s": field is immutable' % obj["type"])
            if old.get("immutable") and (obj.get("data") != old.get("data") or not obj.get("immutable")):
                errors.append("data: Forbidden: field is immutable when `immutable` is set")
    if errors:
        raise _invalid(kind, name, errors)
    return obj


# --- DirectoryStore -----------------------------------------------------------------------------------------------


def _dump(obj):
    return yaml.dump(obj, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), default_flow_style=False, sort_keys=True,
                     allow_unicode=True).encode("utf-8")


def _content_version(raw):
    return hashlib.sha256(raw).hexdigest()[:16]


class DirectoryStore(Store):
    """Manifests as YAML files: Secrets at ``<root>/<namespace>/<name>.yaml``, other kinds at ``<root>/<namespace>/<plural>/<name>.yaml``.

    ``metadata.resourceVersion`` is a short hash of the file's bytes (never written to the file), so the read/replace
    loop of the engine works exactly as against a cluster. Writes are atomic (temporary file + rename, under an
    exclusive lock on the directory), files are 0600 and the directories this store manages 0700.
    """

    def __init__(self, root):
        if yaml is None:
            raise StoreError("the directory target needs the PyYAML Python library")
        self.root = os.path.abspath(os.path.expanduser(root))
        self.description = "directory %s" % self.root

    # paths

    def path_of(self, ref):
        """The file of ``ref``, or None when its kind, namespace or name cannot name a file (nothing can exist there)."""
        if ref.kind not in KINDS or not valid_namespace(ref.namespace) or not valid_name(ref.name):
            return None
        parts = [self.root, ref.namespace] + ([] if ref.kind == "Secret" else [KINDS[ref.kind][1]])
        return os.path.join(*(parts + [ref.name + ".yaml"]))

    def _make_dirs(self, path):
        """Create the directories above ``path`` (0700); refuse symbolic links below the root."""
        if not os.path.isdir(self.root):
            try:
                os.makedirs(self.root, mode=0o700)
                os.chmod(self.root, 0o700)
            except OSError as err:
                raise StoreError("cannot create directory %s: %s" % (self.root, err.strerror or err)) from None
        directory = self.root
        for part in os.path.relpath(os.path.dirname(path), self.root).split(os.sep):
            directory = os.path.join(directory, part)
            try:
                os.mkdir(directory, 0o700)
            except FileExistsError:
                pass
            except OSError as err:
                raise StoreError("cannot create directory %s: %s" % (directory, err.strerror or err)) from None
            info = os.lstat(directory)
            if not stat.S_ISDIR(info.st_mode):
                raise StoreError("%s is not a directory (a symbolic link or a file); refusing to write below it" % directory)
            if stat.S_IMODE(info.st_mode) != 0o700 and info.st_uid == os.geteuid():
                os.chmod(directory, 0o700)

    @contextlib.contextmanager
    def _locked(self, directory):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # files

    def _read_bytes(self, path):
        """The file's bytes, or None if it does not exist. Never follows a symbolic link."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as err:
            if os.path.islink(path):
                raise StoreError("%s is a symbolic link; refusing to use it" % path) from None
            if err.errno == errno.ENOTDIR:
                return None
            raise StoreError("cannot read %s: %s" % (path, err.strerror or err)) from None
        try:
            with os.fdopen(fd, "rb") as handle:
                return handle.read()
        except OSError as err:
            raise StoreError("cannot read %s: %s" % (path, err.strerror or err)) from None

    def _load(self, ref, path):
        """(object with resourceVersion, version) or (None, None)."""
        raw = self._read_bytes(path)
        if raw is None:
            return None, None
        try:
            obj = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as err:
            raise StoreError("cannot parse %s: %s" % (path, err)) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
            raise StoreError("%s does not hold a Kubernetes object (expected one YAML mapping)" % path)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", ref.namespace)
        meta.setdefault("name", ref.name)
        if (obj.get("kind"), meta["namespace"], meta["name"]) != (ref.kind, ref.namespace, ref.name):
            raise StoreError("%s holds %s %s/%s, expected %s %s/%s"
                             % (path, obj.get("kind"), meta["namespace"], meta["name"], ref.kind, ref.namespace, ref.name))
        version = _content_version(raw)
        meta["resourceVersion"] = version
        return obj, version

    def _write(self, path, obj):
        """Write ``obj`` to ``path`` atomically (0600); return the new version."""
        raw = _dump(obj)
        directory = os.path.dirname(path)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)  # rename(2) replaces a symbolic link planted at ``path``, never its target
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise StoreError("cannot write %s: %s" % (path, err.strerror or err)) from None
        return _content_version(raw)

    def _target(self, obj):
        ref = ref_of(obj)
        if ref.kind not in KINDS:
            raise _unsupported(ref.kind)
        return ref, self.path_of(ref)

    @staticmethod
    def _with_version(obj, version):
        obj["metadata"]["resourceVersion"] = version
        return obj

    # Store interface

    def get(self, ref):
        if ref.kind not in KINDS:
            raise _unsupported(ref.kind)
        path = self.path_of(ref)
        return None if path is None else self._load(ref, path)[0]

    def create(self, obj):
        ref, path = self._target(obj)
        new = normalize(obj)  # an invalid namespace or name fails here, so ``path`` is set below
        self._make_dirs(path)
        with self._locked(os.path.dirname(path)):
            if os.path.lexists(path):
                raise _exists(ref)
            return self._with_version(new, self._write(path, new))

    def replace(self, obj):
        ref, path = self._target(obj)
        if path is None:
            normalize(obj)  # says why the namespace or name is invalid
        if not os.path.isdir(os.path.dirname(path)):
            raise _not_found(ref)
        self._make_dirs(path)
        with self._locked(os.path.dirname(path)):
            current, version = self._load(ref, path)
            if current is None:
                raise _not_found(ref)
            wanted = (obj.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != version:
                raise _stale(ref)
            new = normalize(obj, old=current)
            return self._with_version(new, self._write(path, new))

    def delete(self, ref, resource_version=None):
        if ref.kind not in KINDS:
            raise _unsupported(ref.kind)
        path = self.path_of(ref)
        if path is None or not os.path.isdir(os.path.dirname(path)):
            return False
        with self._locked(os.path.dirname(path)):
            raw = self._read_bytes(path)
            if raw is None:
                return False
            if resource_version and resource_version != _content_version(raw):
                raise _stale(ref)
            try:
                os.unlink(path)
            except OSError as err:
                raise StoreError("cannot delete %s: %s" % (path, err.strerror or err)) from None
        return True
