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

import copy
import hashlib
import os
import tempfile

from ansible_collections.skupper.tls.plugins.module_utils.layout import prune
from ansible_collections.skupper.tls.plugins.module_utils.store import Conflict, ObjRef, Store, StoreError

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
    def __init__(self, path, namespace):
        self.path = path
        self.namespace = namespace
        self.description = "file %s" % path
        self._docs = None

    def _load(self):
        if self._docs is not None:
            return self._docs
        self._docs = {}
        if os.path.islink(self.path):
            raise StoreError("dest: %s is a symbolic link; refusing to write key material through it" % self.path)
        if os.path.exists(self.path):
            try:
                with open(self.path, encoding="utf-8") as handle:
                    for doc in yaml.safe_load_all(handle):
                        if doc:
                            self._docs[(doc.get("kind"), (doc.get("metadata") or {}).get("name"))] = doc
            except (OSError, yaml.YAMLError) as exc:
                raise StoreError("dest: cannot read %s: %s" % (self.path, exc))
        return self._docs

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
            os.unlink(self.path)
        return True

    def _write(self):
        text = render(self._docs.values())
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise StoreError("dest: directory %s does not exist" % directory)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".skupper-link-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
