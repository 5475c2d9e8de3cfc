# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers shared by integration test modules (importable: conftest.py puts this directory on sys.path)."""

from __future__ import annotations

import json


def v1_site(cluster, namespace, uid="5c7e1a2b-0000-4000-8000-00000000e457", version="1.9.6"):
    """What Skupper v1 keeps in a site namespace that a token's metadata comes from (reference 4, facts F5); returns the
    UID the server gave ConfigMap skupper-site."""
    stored = cluster.put({"apiVersion": "v1", "kind": "ConfigMap", "data": {"name": namespace},
                          "metadata": {"name": "skupper-site", "namespace": namespace, "uid": uid}})
    router = [["router", {"id": namespace, "mode": "interior", "metadata": json.dumps({"id": uid, "version": version})}]]
    cluster.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "skupper-internal", "namespace": namespace},
                 "data": {"skrouterd.json": json.dumps(router)}})
    return (stored.get("metadata") or {}).get("uid") or cluster.get("ConfigMap", namespace, "skupper-site")["metadata"]["uid"]
