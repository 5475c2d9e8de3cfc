# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: site
short_description: Normalize one inventory host's Skupper site variables
version_added: 1.0.0
author:
  - skupper.tls contributors
description:
  - Reads the C(skupper_*) variables of one inventory host (one Skupper site), applies the defaults of the
    inventory model (docs/INVENTORY.md), and returns everything the roles need, so that roles hold no logic.
  - Raises a clear error naming the host and the variable when one is malformed.
options:
  _input:
    description: The host's variables, for example C(hostvars[inventory_hostname]) or C(hostvars[peer]).
    type: dict
    required: true
  playbook_dir:
    description: Base for the default C(skupper_output_dir) (C(<playbook_dir>/manifests)).
    type: str
    required: false
"""

EXAMPLES = r"""
- name: What the roles see of this site
  ansible.builtin.debug:
    msg: "{{ hostvars[inventory_hostname] | skupper.tls.site(playbook_dir) }}"
"""

RETURN = r"""
_value:
  description: >-
    The site: C(host), C(name), C(namespace), C(version), C(target), C(connection) (the modules' connection options),
    C(external_hosts), C(endpoints), C(server_hosts), C(local_server_hosts), C(links), C(services), C(service_tls_mode),
    C(certificate_options) and C(connect_json).
  type: dict
"""

import json

from ansible.errors import AnsibleFilterError

ROLES = ("inter-router", "edge")
DEFAULT_PORTS = {"inter-router": "55671", "edge": "45671"}


def _require(cond, host, var, message):
    if not cond:
        raise AnsibleFilterError("skupper.tls.site: host %s: %s %s" % (host, var, message))


def _list(hv, host, var):
    value = hv.get(var) or []
    _require(isinstance(value, list), host, var, "must be a list, got %r" % (value,))
    return value


def site(hv, playbook_dir=None):
    host = hv.get("inventory_hostname", "?")
    name = hv.get("skupper_site_name") or host
    namespace = hv.get("skupper_namespace") or name
    version = int(hv.get("skupper_version", 2))
    _require(version in (1, 2), host, "skupper_version", "must be 1 or 2, got %r" % (version,))
    target = hv.get("skupper_target") or "kubernetes"
    _require(target in ("kubernetes", "directory"), host, "skupper_target", "must be kubernetes or directory, got %r" % (target,))
    cluster = hv.get("skupper_cluster") or {}
    _require(isinstance(cluster, dict), host, "skupper_cluster", "must be a dict of connection options, got %r" % (type(cluster).__name__,))
    output_dir = hv.get("skupper_output_dir") or ("%s/manifests" % (playbook_dir or "."))
    connection = {"target": "directory", "directory": "%s/%s" % (output_dir, name)} if target == "directory" else dict(cluster)

    external = [str(h) for h in _list(hv, host, "skupper_external_hosts")]
    endpoints = _list(hv, host, "skupper_endpoints")
    if not endpoints and external:
        endpoints = [{"name": role, "host": external[0], "port": DEFAULT_PORTS[role], "group": "skupper-router"} for role in ROLES]
    endpoints = [dict(ep, port=str(ep["port"])) if isinstance(ep, dict) and "port" in ep else ep for ep in endpoints]

    if version == 2:
        server_hosts = ["skupper-router", "skupper-router.%s" % namespace]
        local_hosts = ["skupper-router-local", "skupper-router-local.%s" % namespace, "skupper-router-local.%s.svc.cluster.local" % namespace]
    else:
        server_hosts = ["skupper-router.%s" % namespace, "skupper-router.%s.svc.cluster.local" % namespace]
        local_hosts = ["skupper-router-local", "skupper-router-local.%s.svc.cluster.local" % namespace]
    server_hosts += [h for h in external + [ep.get("host") for ep in endpoints if isinstance(ep, dict)] if h and h not in server_hosts]

    links = []
    for index, link in enumerate(_list(hv, host, "skupper_links")):
        _require(isinstance(link, dict) and link.get("to"), host, "skupper_links[%d]" % index, "needs 'to: <inventory host>', got %r" % (link,))
        links.append({"to": link["to"], "cost": int(link.get("cost", 1))})
    services = []
    for index, svc in enumerate(_list(hv, host, "skupper_services")):
        _require(isinstance(svc, dict) and svc.get("name"), host, "skupper_services[%d]" % index, "needs 'name', got %r" % (svc,))
        services.append({"name": svc["name"], "secret": "skupper-tls-%s" % svc["name"], "hosts": list(svc.get("hosts") or [svc["name"]])})
    mode = hv.get("skupper_service_tls_mode") or "per_site"
    _require(mode in ("per_site", "shared"), host, "skupper_service_tls_mode", "must be per_site or shared, got %r" % (mode,))

    options = {"skupper_version": version, "key_type": hv.get("skupper_tls_key_type") or "rsa",
               "validity_days": int(hv.get("skupper_tls_validity_days") or 1825), "renew_before_days": int(hv.get("skupper_tls_renew_before_days", 30))}
    if hv.get("skupper_tls_key_size"):
        options["key_size"] = int(hv["skupper_tls_key_size"])
    connect = {"scheme": "amqps", "host": "skupper-router-local.%s.svc.cluster.local" % namespace, "port": "5671",
               "tls": {"ca": "/etc/messaging/ca.crt", "cert": "/etc/messaging/tls.crt", "key": "/etc/messaging/tls.key", "verify": True}}
    return {
        "host": host, "name": name, "namespace": namespace, "version": version, "target": target, "connection": connection,
        "external_hosts": external, "endpoints": endpoints, "server_hosts": server_hosts, "local_server_hosts": local_hosts,
        "links": links, "services": services, "service_tls_mode": mode, "certificate_options": options,
        "connect_json": json.dumps(connect, separators=(",", ":")),
    }


class FilterModule(object):
    def filters(self):
        return {"site": site}
