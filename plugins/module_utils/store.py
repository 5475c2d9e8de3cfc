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
import secrets
import stat

from ansible_collections.skupper.tls.plugins.module_utils import validate
from ansible_collections.skupper.tls.plugins.module_utils.layout import ObjRef  # noqa: F401 (re-exported: the key of every store)

try:
    import yaml
except ImportError:  # pragma: no cover - only the import sanity test runs without PyYAML
    yaml = None

# kind -> (api path prefix, plural) for everything this collection reads or writes.
KINDS = {
    "Secret": ("/api/v1", "secrets"),
    "ConfigMap": ("/api/v1", "configmaps"),
    "Link": ("/apis/skupper.io/v2alpha1", "links"),
    "Site": ("/apis/skupper.io/v2alpha1", "sites"),
    "RouterAccess": ("/apis/skupper.io/v2alpha1", "routeraccesses"),
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
    """A stale resourceVersion on replace (409 Conflict) or a create that found the name taken (409 AlreadyExists).

    ``ambiguous``: an earlier attempt of the same request got no answer (a retried write), so the conflict may be
    with that attempt itself, applied by the server."""

    status = 409
    reason = "Conflict"
    ambiguous = False


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
    #: where the objects live, compared to tell whether two stores are the same place whatever the options that
    #: reached them (two contexts of one cluster, a path and its symlink): ("kubernetes", canonical API URL) or
    #: ("directory", resolved root). None when unknown.
    location = None
    #: what the store repaired on its own (or would, in check mode) while reading and writing: file modes tightened,
    #: stale temporary files removed. Each is a user-facing sentence; a caller reports them as a change.
    repairs = ()
    #: problems it could not repair (a mode it may not change, a leftover it cannot remove): for warnings.
    warnings = ()

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


valid_name = validate.is_k8s_name
valid_namespace = validate.is_namespace


def _name_errors(field, value, regex, limit, message):
    if not value:
        return ["%s: Required value: name or generateName is required" % field if field == "metadata.name" else "%s: Required value" % field]
    if not isinstance(value, str):
        return ['%s: Invalid value: %s: must be a string' % (field, validate.show(value))]
    errors = []
    if len(value) > limit:
        errors.append('%s: Invalid value: "%s": must be no more than %d characters' % (field, value, limit))
    if not regex.fullmatch(value):
        errors.append('%s: Invalid value: "%s": %s' % (field, value, message))
    return errors


def _data_key_errors(key):
    """The API server's IsConfigMapKey: the character set, at most 253, and no '.'/'..' names."""
    errors = []
    if len(key) > 253:
        errors.append('data[%s]: Invalid value: "%s": must be no more than 253 characters' % (key, key))
    if not validate.DATA_KEY_RE.fullmatch(key):
        errors.append('data[%s]: Invalid value: "%s": %s' % (key, key, _DATA_KEY_MSG))
    if key in (".", ".."):
        errors.append("data[%s]: Invalid value: \"%s\": must not be '%s'" % (key, key, key))
    elif key.startswith(".."):
        errors.append("data[%s]: Invalid value: \"%s\": must not start with '..'" % (key, key))
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
    errors = _name_errors("metadata.name", name, validate.DNS1123_SUBDOMAIN_RE, 253, _SUBDOMAIN_MSG)
    errors += _name_errors("metadata.namespace", meta.get("namespace") or "", validate.DNS1123_LABEL_RE, 63, _LABEL_MSG)
    if kind in _SPEC_SCHEMAS and "spec" in obj:
        obj["spec"] = _check_schema(obj["spec"], _SPEC_SCHEMAS[kind], "spec", errors)
    if kind == "Secret":
        obj["type"] = obj.get("type") or "Opaque"
        for key in sorted(decoded):
            errors += _data_key_errors(key)
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


# --- files inside a directory, never outside it -------------------------------------------------------------------
#
# Every file is reached from a directory file descriptor by a single name (``os.open(name, dir_fd=...)``), and
# every directory below the root is opened with O_NOFOLLOW|O_DIRECTORY: a symbolic link anywhere below the root,
# a hard-linked file, a FIFO or a device is refused, never followed. Writes go to a temporary file in the same
# directory (created O_EXCL|O_NOFOLLOW, mode 0600 whatever the umask), are fsync'd, renamed over the target and the
# directory is fsync'd; the temporary file is removed on every error path (KeyboardInterrupt included).
#
# Temporary names are ``.<file name>.skupper-tls-tmp-<16 hex>.yaml``: hidden (tools that skip dotfiles skip them),
# recognisable (a run killed between write and rename leaves one; the next store open removes it, under the same
# directory lock writers hold, so a concurrent writer's file is never taken), and ending in ``.yaml`` on purpose, so
# that encryption rules written for the manifests (a SOPS ``path_regex: \.yaml$``, a git-crypt/.gitattributes
# ``*.yaml`` filter) also cover a leftover: it holds the same key material as the manifest it was meant to become.

TMP_INFIX = ".skupper-tls-tmp-"
_TMP_RE = re.compile(r"\..{1,150}%s[0-9a-f]{16}\.yaml" % re.escape(TMP_INFIX), re.S)
# temporary names of earlier releases (tempfile.mkstemp): DirectoryStore ``.<name>.yaml.<8>.tmp``, skupper_link dest ``.skupper-link-<8>``
_LEGACY_TMP_RES = (re.compile(r"\.[a-z0-9][-a-z0-9.]*\.yaml\.[a-z0-9_]{8}\.tmp", re.ASCII), re.compile(r"\.skupper-link-[a-z0-9_]{8}", re.ASCII))
MAX_FILE_BYTES = 8 * 1024 * 1024
FILE_MODE = 0o600
DIR_MODE = 0o700
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW | _O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | _O_CLOEXEC
_SYMLINK_ERRNOS = (errno.ELOOP, errno.EMLINK)  # Linux reports ELOOP for O_NOFOLLOW on a link, FreeBSD EMLINK


def temp_name(name):
    """A fresh temporary name for ``name`` (see above)."""
    return ".%s%s%s.yaml" % (name[:150], TMP_INFIX, secrets.token_hex(8))


def is_temp_name(entry, name=None):
    """True for our temporary files (of ``name`` only, when given) and for those of earlier releases."""
    if _TMP_RE.fullmatch(entry):
        return name is None or entry.startswith(".%s%s" % (name[:150], TMP_INFIX))
    return any(regex.fullmatch(entry) for regex in (_LEGACY_TMP_RES if name is None else _LEGACY_TMP_RES[1:]))


def _kind_of(mode):
    for test, label in ((stat.S_ISDIR, "directory"), (stat.S_ISLNK, "symbolic link"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
                        (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device")):
        if test(mode):
            return label
    return "special file"


class SafeFiles(object):
    """Reads, atomic writes and deletes by name inside directory file descriptors; collects what it repaired.

    ``prefix`` starts every message (``"dest: "``). With ``check_mode`` nothing is changed: modes that would be
    tightened and stale temporary files that would be removed are only reported in ``repairs``.
    """

    def __init__(self, prefix="", check_mode=False):
        self.prefix = prefix
        self.check_mode = check_mode
        self.repairs = []
        self.warnings = []

    def error(self, action, path, err):
        return StoreError("%scannot %s %s: %s" % (self.prefix, action, path, validate.scrub(err.strerror or err)))

    def refuse(self, path, what):
        return StoreError("%s%s is %s; refusing to read, write or delete through it (nothing outside the target directory is ever touched)"
                          % (self.prefix, path, what))

    # directories

    def open_dir(self, parent_fd, name, path, create=False):
        """The fd of directory ``name`` in ``parent_fd`` (None if missing and not ``create``); created 0700, existing ones tightened to 0700."""
        created = False
        try:
            fd = os.open(name, DIR_FLAGS, dir_fd=parent_fd)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.mkdir(name, DIR_MODE, dir_fd=parent_fd)
                created = True
            except FileExistsError:
                pass
            except OSError as err:
                raise self.error("create directory", path, err) from None
            return self.open_dir(parent_fd, name, path) if not created else self._open_created(parent_fd, name, path)
        except OSError as err:
            raise self._dir_error(parent_fd, name, path, err) from None
        try:
            self.tighten(fd, os.fstat(fd), DIR_MODE, path)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open_created(self, parent_fd, name, path):
        try:
            fd = os.open(name, DIR_FLAGS, dir_fd=parent_fd)
        except OSError as err:
            raise self._dir_error(parent_fd, name, path, err) from None
        os.fchmod(fd, DIR_MODE)  # the umask only narrows mkdir's mode; make it exactly 0700
        return fd

    def _dir_error(self, parent_fd, name, path, err):
        if err.errno in _SYMLINK_ERRNOS + (errno.ENOTDIR,):
            try:
                mode = os.lstat(name, dir_fd=parent_fd).st_mode
            except OSError:
                mode = None
            if mode is not None and not stat.S_ISDIR(mode):
                return self.refuse(path, "a %s, not a directory" % _kind_of(mode)) if not stat.S_ISREG(mode) else \
                    StoreError("%s%s is a file, not a directory" % (self.prefix, path))
        return self.error("open directory", path, err)

    @contextlib.contextmanager
    def locked(self, dir_fd):
        """An exclusive lock on the directory: writers and the stale-file cleanup never overlap."""
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(dir_fd, fcntl.LOCK_UN)

    # modes

    def tighten(self, fd, info, want, path):
        """Make the mode of an open file or directory exactly ``want``; report it in ``repairs`` (or ``warnings`` if not ours)."""
        have = stat.S_IMODE(info.st_mode)
        if have == want:
            return False
        if self.check_mode:
            self.repairs.append("mode of %s would be changed from %04o to %04o" % (path, have, want))
            return True
        try:
            os.fchmod(fd, want)
        except OSError as err:
            self.warnings.append("mode of %s is %04o, not %04o, and cannot be changed: %s" % (path, have, want, err.strerror or err))
            return False
        self.repairs.append("mode of %s changed from %04o to %04o" % (path, have, want))
        return True

    # files

    def read(self, dir_fd, name, path, tighten=True):
        """The bytes of regular file ``name``, or None when it does not exist. Refuses links, hard links and special files."""
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except FileNotFoundError:
            return None
        except OSError as err:
            if err.errno in _SYMLINK_ERRNOS:
                raise self.refuse(path, "a symbolic link") from None
            raise self.error("read", path, err) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self.refuse(path, "a %s, not a regular file" % _kind_of(info.st_mode)) if not stat.S_ISDIR(info.st_mode) else \
                    StoreError("%scannot read %s: it is a directory" % (self.prefix, path))
            if info.st_nlink != 1:
                raise self.refuse(path, "a file with %d hard links (its content is shared with a file elsewhere)" % info.st_nlink)
            if info.st_size > MAX_FILE_BYTES:
                raise StoreError("%scannot read %s: it is %d bytes long, more than the %d a manifest can be"
                                 % (self.prefix, path, info.st_size, MAX_FILE_BYTES))
            if tighten:
                self.tighten(fd, info, FILE_MODE, path)
            chunks, size = [], 0
            while True:
                chunk = os.read(fd, 1024 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise StoreError("%scannot read %s: it grew beyond %d bytes while being read" % (self.prefix, path, MAX_FILE_BYTES))
                chunks.append(chunk)
            return b"".join(chunks)
        except OSError as err:
            raise self.error("read", path, err) from None
        finally:
            os.close(fd)

    def exists(self, dir_fd, name):
        try:
            os.lstat(name, dir_fd=dir_fd)
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return True

    def write(self, dir_fd, name, path, raw):
        """Atomically make ``name`` hold ``raw`` (mode 0600): temporary file, fsync, rename, fsync of the directory."""
        fd = tmp = None
        try:
            while fd is None:
                tmp = temp_name(name)
                try:
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _O_CLOEXEC, FILE_MODE, dir_fd=dir_fd)
                except FileExistsError:
                    tmp = None
            os.fchmod(fd, FILE_MODE)  # O_CREAT's mode is narrowed by the umask; make it exactly 0600
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            os.close(fd)
            fd = None
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)  # replaces a link planted at ``name``, never its target
            tmp = None
            os.fsync(dir_fd)
        except OSError as err:
            raise self.error("write", path, err) from None
        finally:
            if fd is not None:
                os.close(fd)
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=dir_fd)

    def unlink(self, dir_fd, name, path):
        try:
            os.unlink(name, dir_fd=dir_fd)
            os.fsync(dir_fd)
        except OSError as err:
            raise self.error("delete", path, err) from None

    def clean_temps(self, dir_fd, path, name=None):
        """Remove temporary files a killed run left in this directory (only those of ``name``, when given). Call under ``locked``."""
        try:
            entries = os.listdir(dir_fd)
        except OSError as err:
            self.warnings.append("cannot list %s to remove stale temporary files: %s" % (path, err.strerror or err))
            return
        for entry in sorted(entries):
            if not is_temp_name(entry, name):
                continue
            where = os.path.join(path, entry)
            try:
                if stat.S_ISDIR(os.lstat(entry, dir_fd=dir_fd).st_mode):
                    continue
                if not self.check_mode:
                    os.unlink(entry, dir_fd=dir_fd)
            except FileNotFoundError:
                continue
            except OSError as err:
                self.warnings.append("cannot remove the stale temporary file %s (it may hold key material): %s" % (where, err.strerror or err))
                continue
            self.repairs.append("stale temporary file %s %s" % (where, "would be removed" if self.check_mode else "removed"))


def yaml_problem(err):
    """A YAML error as ``problem (line L, column C)``, never quoting the file (it may hold key material)."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or getattr(err, "reason", None) or type(err).__name__
    where = " (line %d, column %d)" % (mark.line + 1, mark.column + 1) if mark is not None else ""
    return validate.scrub("%s%s" % (problem, where))


def plain_name(value):
    """A name read from a file, as is when it is a plain name, else quoted (newlines visible, key material hidden)."""
    return value if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9._-]{1,253}", value) else validate.show(value)


# --- DirectoryStore -----------------------------------------------------------------------------------------------


def _dump(obj):
    return yaml.dump(obj, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), default_flow_style=False, sort_keys=True,
                     allow_unicode=True).encode("utf-8")


def _content_version(raw):
    return hashlib.sha256(raw).hexdigest()[:16]


class DirectoryStore(Store):
    """Manifests as YAML files: Secrets at ``<root>/<namespace>/<name>.yaml``, other kinds at ``<root>/<namespace>/<plural>/<name>.yaml``.

    ``metadata.resourceVersion`` is a short hash of the file's bytes (never written to the file), so the read/replace
    loop of the engine works exactly as against a cluster. The root is resolved once; below it nothing is reached
    through a symbolic link (see SafeFiles). Writes are atomic under an exclusive lock on the directory; files are
    0600 and the directories below the root 0700, whatever the umask, and existing ones are tightened whenever they
    are read or written: each such repair (and each stale temporary file removed when the store is opened) is listed
    in ``repairs`` (what would be done, with ``check_mode``), for the caller to report as a change.
    """

    def __init__(self, root, check_mode=False):
        if yaml is None:
            raise StoreError("the directory target needs the PyYAML Python library")
        if not isinstance(root, str) or not root or "\0" in root:
            raise StoreError("directory: %s is not a directory path" % validate.show(root))
        self.root = os.path.realpath(os.path.abspath(os.path.expanduser(root)))
        self.description = "directory %s" % self.root
        self.location = ("directory", self.root)
        self.files = SafeFiles(check_mode=check_mode)
        self.repairs = self.files.repairs
        self.warnings = self.files.warnings
        self._clean_stale_temps()

    # paths

    def _parts(self, ref):
        """(namespace, subdirectory or None, file name), or None when the ref cannot name a file (nothing can exist there)."""
        if ref.kind not in KINDS or not validate.is_namespace(ref.namespace) or not validate.is_k8s_name(ref.name):
            return None
        return ref.namespace, (None if ref.kind == "Secret" else KINDS[ref.kind][1]), ref.name + ".yaml"

    def path_of(self, ref):
        """The file of ``ref``, or None when its kind, namespace or name cannot name a file."""
        parts = self._parts(ref)
        return None if parts is None else os.path.join(self.root, *[p for p in parts if p])

    def _open_root(self, create):
        """The root's fd, or None when it does not exist and ``create`` is false. Missing directories are created 0700."""
        try:
            return os.open(self.root, DIR_FLAGS)
        except FileNotFoundError:
            if not create:
                return None
        except OSError as err:
            raise self.files.error("open directory", self.root, err) from None
        missing, existing = [], self.root
        while not os.path.isdir(existing):
            missing.append(os.path.basename(existing))
            existing = os.path.dirname(existing)
        try:
            fd = os.open(existing, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC)
        except OSError as err:
            raise self.files.error("open directory", existing, err) from None
        for name in reversed(missing):
            existing = os.path.join(existing, name)
            try:
                child = self.files.open_dir(fd, name, existing, create=True)
            finally:
                os.close(fd)
            fd = child
        return fd

    @contextlib.contextmanager
    def _directory(self, parts, create):
        """The fd of the directory holding the file of ``parts`` (None when missing and not ``create``)."""
        fds = []
        try:
            fd = self._open_root(create)
            if fd is not None:
                fds.append(fd)
                path = self.root
                for name in [p for p in parts[:2] if p]:
                    path = os.path.join(path, name)
                    fd = self.files.open_dir(fds[-1], name, path, create=create)
                    if fd is None:
                        break
                    fds.append(fd)
            yield fd
        finally:
            for opened in fds:
                os.close(opened)

    def _clean_stale_temps(self):
        """Remove temporary files left by a killed run, in every directory this store manages (best effort; see warnings)."""
        try:
            root = self._open_root(create=False)
        except StoreError as err:
            self.warnings.append(str(err))
            return
        if root is None:
            return
        try:
            for namespace in sorted(e for e in os.listdir(root) if validate.is_namespace(e)):
                for sub in (None,) + tuple(KINDS[k][1] for k in sorted(KINDS) if k != "Secret"):
                    try:
                        with self._directory((namespace, sub), create=False) as fd:
                            if fd is not None:
                                with self.files.locked(fd):
                                    self.files.clean_temps(fd, os.path.join(self.root, namespace, *[sub] if sub else []))
                    except StoreError as err:
                        self.warnings.append(str(err))
        except OSError as err:
            self.warnings.append("cannot list %s to remove stale temporary files: %s" % (self.root, err.strerror or err))
        finally:
            os.close(root)

    # files

    def _load(self, ref, dir_fd, name, path):
        """(object with resourceVersion, version) or (None, None)."""
        raw = self.files.read(dir_fd, name, path)
        if raw is None:
            return None, None
        try:
            obj = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as err:
            raise StoreError("cannot parse %s: %s" % (path, yaml_problem(err))) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata", {}), dict):
            raise StoreError("%s does not hold a Kubernetes object (expected one YAML mapping)" % path)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", ref.namespace)
        meta.setdefault("name", ref.name)
        if (obj.get("kind"), meta["namespace"], meta["name"]) != (ref.kind, ref.namespace, ref.name):
            raise StoreError("%s holds %s %s/%s, expected %s %s/%s" % (
                path, plain_name(obj.get("kind")), plain_name(meta["namespace"]), plain_name(meta["name"]),
                ref.kind, ref.namespace, ref.name))
        version = _content_version(raw)
        meta["resourceVersion"] = version
        return obj, version

    def _target(self, obj):
        ref = ref_of(obj)
        if ref.kind not in KINDS:
            raise _unsupported(ref.kind)
        return ref, self._parts(ref)

    @staticmethod
    def _with_version(obj, version):
        obj["metadata"]["resourceVersion"] = version
        return obj

    # Store interface

    def get(self, ref):
        if ref.kind not in KINDS:
            raise _unsupported(ref.kind)
        parts = self._parts(ref)
        if parts is None:
            return None
        with self._directory(parts, create=False) as fd:
            return None if fd is None else self._load(ref, fd, parts[2], self.path_of(ref))[0]

    def create(self, obj):
        ref, parts = self._target(obj)
        new = normalize(obj)  # an invalid namespace or name fails here, so ``parts`` is set below
        path = self.path_of(ref)
        with self._directory(parts, create=True) as fd:
            with self.files.locked(fd):
                if self.files.exists(fd, parts[2]):
                    self.files.read(fd, parts[2], path, tighten=False)  # says why a link or special file cannot be used
                    raise _exists(ref)
                raw = _dump(new)
                self.files.write(fd, parts[2], path, raw)
                return self._with_version(new, _content_version(raw))

    def replace(self, obj):
        ref, parts = self._target(obj)
        if parts is None:
            normalize(obj)  # says why the namespace or name is invalid
            raise _not_found(ref)
        path = self.path_of(ref)
        with self._directory(parts, create=False) as fd:
            if fd is None:
                raise _not_found(ref)
            with self.files.locked(fd):
                current, version = self._load(ref, fd, parts[2], path)
                if current is None:
                    raise _not_found(ref)
                wanted = (obj.get("metadata") or {}).get("resourceVersion")
                if wanted and wanted != version:
                    raise _stale(ref)
                new = normalize(obj, old=current)
                raw = _dump(new)
                self.files.write(fd, parts[2], path, raw)
                return self._with_version(new, _content_version(raw))

    def delete(self, ref, resource_version=None):
        if ref.kind not in KINDS:
            raise _unsupported(ref.kind)
        parts = self._parts(ref)
        if parts is None:
            return False
        path = self.path_of(ref)
        with self._directory(parts, create=False) as fd:
            if fd is None:
                return False
            with self.files.locked(fd):
                raw = self.files.read(fd, parts[2], path, tighten=False)
                if raw is None:
                    return False
                if resource_version and resource_version != _content_version(raw):
                    raise _stale(ref)
                self.files.unlink(fd, parts[2], path)
        return True
