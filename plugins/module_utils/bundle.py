# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Store backed by one multi-document YAML file: what ``skupper link generate`` prints.

Links first, then the Secret; keys sorted; empty fields dropped; ``---`` between documents
(none before the first or after the last). No namespace is written: the file is applied
into the linking site's namespace (``kubectl apply -n <ns> -f``). Reading the file back
gives the engine the same read/decide/write loop as a cluster, so re-runs are idempotent.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os

from ansible_collections.skupper.tls.plugins.module_utils import validate
from ansible_collections.skupper.tls.plugins.module_utils.layout import prune
from ansible_collections.skupper.tls.plugins.module_utils.store import (
    DIR_FLAGS,
    Conflict,
    ObjRef,
    SafeFiles,
    Store,
    StoreError,
    plain_name,
    yaml_problem,
)

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core; only the import sanity test runs without it
    yaml = None

ORDER = {"Link": 0, "Secret": 1}


def _portable(obj):
    """What goes into the file: no namespace, no server-side metadata."""
    out = copy.deepcopy(obj)
    meta = out.get("metadata") or {}
    out["metadata"] = dict((k, meta[k]) for k in ("name", "labels", "annotations") if k in meta)
    out.pop("status", None)
    return prune(out)


def render(objects):
    docs = sorted((_portable(o) for o in objects), key=lambda o: (ORDER.get(o.get("kind"), 9), o["metadata"]["name"]))
    return "---\n".join(yaml.safe_dump(d, sort_keys=True, default_flow_style=False) for d in docs)


class BundleFileStore(Store):
    """The ``dest`` file of skupper_link as a Store.

    Nothing outside the file's directory is read, written or deleted: the directory is resolved once, the file is
    reached by name from its descriptor without following a symbolic link (a link, hard link, FIFO or device at
    ``dest`` is refused), and writes are atomic (0600 temporary file in the same directory, fsync, rename, fsync of
    the directory; removed on every error path, and a killed run's leftover is removed on the next load). An existing
    file with a looser mode is tightened to 0600 when read; see ``repairs``. Every failure names the ``dest`` option.
    """

    def __init__(self, path, namespace, check_mode=False, field="dest"):
        self.field = field
        self.files = SafeFiles(prefix="%s: " % field, check_mode=check_mode)
        self.repairs = self.files.repairs
        self.warnings = self.files.warnings
        try:
            validate.file_path(path, field)
        except validate.ValidationError as exc:
            raise StoreError(str(exc)) from None
        self.directory = os.path.realpath(os.path.dirname(os.path.abspath(os.path.expanduser(path))))
        self.name = os.path.basename(path)
        self.path = os.path.join(self.directory, self.name)
        self.namespace = namespace
        self.description = "file %s" % self.path
        self._docs = None

    @contextlib.contextmanager
    def _dir(self, required):
        try:
            fd = os.open(self.directory, DIR_FLAGS)
        except FileNotFoundError:
            if required:
                raise StoreError("%s: directory %s does not exist" % (self.field, self.directory)) from None
            fd = None
        except OSError as err:
            raise self.files.error("open directory", self.directory, err) from None
        try:
            yield fd
        finally:
            if fd is not None:
                os.close(fd)

    def _load(self):
        if self._docs is not None:
            return self._docs
        with self._dir(required=False) as fd:
            if fd is None:
                raw = None
            else:
                with self.files.locked(fd):
                    self.files.clean_temps(fd, self.directory, self.name)
                    raw = self.files.read(fd, self.name, self.path)
        self._docs = self._parse(raw) if raw is not None else {}
        return self._docs

    def _parse(self, raw):
        try:
            loaded = list(yaml.load_all(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        except yaml.YAMLError as err:
            raise StoreError("%s: cannot parse %s: %s" % (self.field, self.path, yaml_problem(err))) from None
        docs = {}
        for index, doc in enumerate(loaded):
            if doc is None:
                continue
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            if not (isinstance(meta, dict) and isinstance(doc.get("kind"), str) and isinstance(meta.get("name"), str)):
                raise StoreError("%s: %s document %d is not a Kubernetes object (a mapping with kind and metadata.name); "
                                 "remove the file or point %s elsewhere" % (self.field, self.path, index + 1, self.field))
            key = (doc["kind"], meta["name"])
            if key in docs:
                raise StoreError("%s: %s holds %s %s twice (documents %d and another)" % (self.field, self.path, key[0], plain_name(key[1]), index + 1))
            docs[key] = doc
        return docs

    @staticmethod
    def _version(doc):
        return hashlib.sha256(yaml.safe_dump(doc, sort_keys=True).encode("utf-8")).hexdigest()[:16]

    def get(self, ref):
        doc = self._load().get((ref.kind, ref.name))
        if doc is None:
            return None
        out = copy.deepcopy(doc)
        out.setdefault("metadata", {}).update(namespace=self.namespace, resourceVersion=self._version(doc))
        return out

    def _put(self, obj, must_exist):
        docs = self._load()
        key = (obj["kind"], obj["metadata"]["name"])
        current = docs.get(key)
        if must_exist:
            if current is None or obj["metadata"].get("resourceVersion") not in (None, self._version(current)):
                raise Conflict("%s %s changed in %s since it was read" % (key[0], key[1], self.path))
        elif current is not None:
            raise Conflict("%s %s already exists in %s" % (key[0], key[1], self.path))
        docs[key] = _portable(obj)
        self._write()
        return self.get(ObjRef(obj.get("apiVersion"), key[0], self.namespace, key[1]))

    def create(self, obj):
        return self._put(obj, must_exist=False)

    def replace(self, obj):
        return self._put(obj, must_exist=True)

    def delete(self, ref, resource_version=None):
        docs = self._load()
        if docs.pop((ref.kind, ref.name), None) is None:
            return False
        if docs:
            self._write()
        else:
            with self._dir(required=True) as fd:
                with self.files.locked(fd):
                    if self.files.read(fd, self.name, self.path, tighten=False) is not None:
                        self.files.unlink(fd, self.name, self.path)
        return True

    def _write(self):
        raw = render(self._docs.values()).encode("utf-8")
        with self._dir(required=True) as fd:
            with self.files.locked(fd):
                self.files.write(fd, self.name, self.path, raw)
