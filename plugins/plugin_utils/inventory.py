# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory model (docs/INVENTORY.md) in one place: defaults, derived names and SANs, CA holders.

Used by the ``site`` and ``ca_holders`` filters, so roles and playbooks hold no logic of their own.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.skupper.tls.plugins.module_utils import layout, validate

ROLES = layout.ROLES
DEFAULT_PORTS = layout.DEFAULT_PORTS


def _require(cond, host, var, message):
    if not cond:
        raise AnsibleFilterError("skupper.tls.site: host %s: %s %s" % (host, var, message))


def _list(hv, host, var):
    value = hv.get(var)
    value = [] if value is None else value
    _require(isinstance(value, list), host, var, "must be a list, got %s" % validate.show(value))
    return value


def _get(hv, var, default):
    """A variable's value, ``default`` only when it is not set at all (``0``, ``""`` and ``false`` are values, never
    replaced by the default: ``skupper_tls_validity_days: 0`` is refused, not turned into 1825)."""
    value = hv.get(var)
    return default if value is None else value


def site(hv, playbook_dir=None):
    """The model of one inventory host (docs/INVENTORY.md); bad input raises AnsibleFilterError naming the host and
    the variable. Every value goes through validate.py (the modules' rules), unchanged: no stripping or coercion
    (numbers may be given as ASCII digit strings, as INI inventories do)."""
    try:
        return _site(hv, playbook_dir)
    except validate.ValidationError as exc:
        raise AnsibleFilterError("skupper.tls.site: host %s: %s" % (hv.get("inventory_hostname", "?"), exc))


def _site(hv, playbook_dir=None):
    host = hv.get("inventory_hostname", "?")
    name_var = "skupper_site_name" if hv.get("skupper_site_name") is not None else "inventory_hostname (the default skupper_site_name)"
    name = _get(hv, "skupper_site_name", host)
    # the site name is also a directory under skupper_output_dir: one path component, never '..' or a '/'
    validate.site_name(name, name_var)
    validate.path_component(name, name_var)
    namespace = validate.namespace(_get(hv, "skupper_namespace", name), "skupper_namespace" if hv.get("skupper_namespace") is not None else name_var)
    version = validate.choice(validate.integer(_get(hv, "skupper_version", 2), "skupper_version", allow_str=True), "skupper_version", (1, 2))
    target = validate.choice(_get(hv, "skupper_target", "kubernetes"), "skupper_target", ("kubernetes", "directory"))
    cluster = _get(hv, "skupper_cluster", {})
    _require(isinstance(cluster, dict), host, "skupper_cluster", "must be a dict of connection options, got %r" % (type(cluster).__name__,))
    output_dir = validate.string(_get(hv, "skupper_output_dir", "%s/manifests" % (playbook_dir or ".")), "skupper_output_dir", 4096, what="a directory path")
    connection = {"target": "directory", "directory": "%s/%s" % (output_dir.rstrip("/") or "/", name)} if target == "directory" else dict(cluster)

    ha = _get(hv, "skupper_ha", False)
    _require(isinstance(ha, bool), host, "skupper_ha", "must be true or false, got %r" % (ha,))
    _require(not ha or version == 2, host, "skupper_ha", "is a Skupper v2 Site setting (spec.ha); skupper_version is %r" % (version,))
    external = list(validate.hosts(_list(hv, host, "skupper_external_hosts"), "skupper_external_hosts", wildcard=False))
    endpoints = []
    for index, ep in enumerate(_list(hv, host, "skupper_endpoints")):
        where = "skupper_endpoints[%d]" % index
        _require(isinstance(ep, dict) and ep.get("host"), host, where, "needs at least 'host', got %s" % validate.show(ep))
        one = dict(ep, host=validate.host(ep["host"], where + ".host", wildcard=False))
        if "name" in ep:
            validate.choice(ep["name"], where + ".name", tuple(ROLES))
        if "port" in ep:
            one["port"] = validate.port(ep["port"], where + ".port", allow_int=True)
        if ep.get("group") is not None:
            validate.k8s_name(ep["group"], where + ".group", "group name")
        endpoints.append(one)
    if not endpoints and external:
        endpoints = [{"name": role, "host": external[0], "port": DEFAULT_PORTS[role], "group": "skupper-router"} for role in ROLES]

    if version == 2:
        local_hosts = ["skupper-router-local", "skupper-router-local.%s" % namespace, "skupper-router-local.%s.svc.cluster.local" % namespace]
    else:
        local_hosts = ["skupper-router-local", "skupper-router-local.%s.svc.cluster.local" % namespace]
    # Hosts peers dial: the inventory's, else (None) the Site's status.endpoints read at run time
    # (layout.endpoint_hosts + layout.site_server_hosts in the action); never the Service names alone.
    dialed = external + [ep["host"] for ep in endpoints if ep["host"] not in external]
    server_hosts = layout.site_server_hosts(namespace, dialed, version, ha=ha) if dialed else None

    links = []
    for index, link in enumerate(_list(hv, host, "skupper_links")):
        where = "skupper_links[%d]" % index
        _require(isinstance(link, dict) and link.get("to"), host, where, "needs 'to: <inventory host>', got %s" % validate.show(link))
        validate.string(link["to"], where + ".to", what="an inventory host name")
        links.append({"to": link["to"], "cost": validate.integer(_get(link, "cost", 1), where + ".cost", 1, validate.INT32_MAX, allow_str=True)})
    services = []
    for index, svc in enumerate(_list(hv, host, "skupper_services")):
        where = "skupper_services[%d]" % index
        _require(isinstance(svc, dict) and svc.get("name"), host, where, "needs 'name', got %s" % validate.show(svc))
        validate.dns_label(svc["name"], where + ".name", "Service name")
        secret = layout.v1_service_secret_name(svc["name"]) if version == 1 else "skupper-tls-%s" % svc["name"]
        validate.k8s_name(secret, where + ".name", "Secret name (skupper-tls-<name>)")
        svc_hosts = list(validate.hosts(svc.get("hosts"), where + ".hosts")) or [svc["name"]]
        services.append({"name": svc["name"], "secret": secret, "hosts": svc_hosts})
    mode = validate.choice(_get(hv, "skupper_service_tls_mode", "per_site"), "skupper_service_tls_mode", ("per_site", "shared"))

    key_type = validate.choice(_get(hv, "skupper_tls_key_type", "rsa"), "skupper_tls_key_type", ("rsa", "ecdsa"))
    validity, renew = validate.lifetime(_get(hv, "skupper_tls_validity_days", 1825), _get(hv, "skupper_tls_renew_before_days", 30),
                                        fields=("skupper_tls_validity_days", "skupper_tls_renew_before_days"), allow_str=True)
    options = {"skupper_version": version, "key_type": key_type, "validity_days": validity.days, "renew_before_days": renew.days}
    if hv.get("skupper_tls_key_size") is not None:
        sizes = (2048, 3072, 4096) if key_type == "rsa" else (256, 384)
        options["key_size"] = validate.choice(validate.integer(hv["skupper_tls_key_size"], "skupper_tls_key_size", allow_str=True),
                                              "skupper_tls_key_size", sizes)
    return {
        "host": host, "name": name, "namespace": namespace, "version": version, "target": target, "connection": connection,
        "ha": ha, "router_groups": layout.router_groups(ha) if version == 2 else [],
        "external_hosts": external, "endpoints": endpoints, "server_hosts": server_hosts,
        "server_hosts_from": "inventory" if server_hosts else "site_status", "local_server_hosts": local_hosts,
        "links": links, "services": services, "service_tls_mode": mode, "certificate_options": options,
        "connect_json": layout.v1_connect_json(namespace).decode("ascii"),
    }


CA_SECRETS = {"site": "skupper-site-ca", "local": "skupper-local-ca", "service": "skupper-service-ca"}


def _ref(one, name):
    return dict(one["connection"], name=name, namespace=one["namespace"])


def ca_holders(hostvars, host, ca, play_hosts, playbook_dir=None):
    """Every Secret that trusts, or is signed by, ``host``'s ``ca`` CA (site, local or service).

    site: its skupper-site-server, and on every other site the credential of each link to ``host``.
    local: skupper-local-server (and v1 skupper-local-client). service: skupper-service-client and each
    skupper-tls-<service>; in shared mode on every site, plus the other sites' copies of the service CA.
    """
    if ca not in CA_SECRETS:
        raise AnsibleFilterError("skupper.tls.ca_holders: ca must be one of %s, got %r" % (", ".join(CA_SECRETS), ca))
    me = site(hostvars[host], playbook_dir)
    others = [site(hostvars[h], playbook_dir) for h in play_hosts if h != host]
    if ca == "site":
        holders = [_ref(me, "skupper-site-server")]
        holders += [_ref(o, "link-%s" % me["name"]) for o in others for link in o["links"] if link["to"] == host]
    elif ca == "local":
        holders = [_ref(me, "skupper-local-server")] + ([_ref(me, "skupper-local-client")] if me["version"] == 1 else [])
    else:
        sites = [me] + (others if me["service_tls_mode"] == "shared" else [])
        holders = [_ref(s, name) for s in sites for name in ["skupper-service-client"] + [svc["secret"] for svc in me["services"]]]
        holders += [_ref(o, "skupper-service-ca") for o in sites if o is not me]
    return holders


def _connection_and_options(one):
    """The connection options and certificate options of a site model, as module options."""
    out = dict(one["connection"])
    out.update(one["certificate_options"])
    return out


def site_task_of(hostvars, host, parts=None, source_host=None, playbook_dir=None):
    """``site_task`` for inventory host ``host``: the filter ``skupper.tls.site_task`` (one evaluation per task)."""
    one = site(hostvars[host], playbook_dir)
    source = site(hostvars[source_host], playbook_dir) if source_host and source_host != host and one["service_tls_mode"] == "shared" else None
    return site_task(one, parts, source)


def links_task_of(hostvars, host, playbook_dir=None):
    """``links_task`` for inventory host ``host``: the filter ``skupper.tls.links_task``."""
    one = site(hostvars[host], playbook_dir)
    for link in one["links"]:
        if link["to"] not in hostvars:
            raise AnsibleFilterError("skupper.tls.links_task: host %s: skupper_links names %r, which is not an inventory host" % (host, link["to"]))
    peers = dict((link["to"], site(hostvars[link["to"]], playbook_dir)) for link in one["links"])
    return links_task(one, peers)


def site_task(one, parts=None, source=None):
    """The options of ``skupper.tls.skupper_site`` for the site model ``one`` (the ``site`` filter's output).

    ``source`` is the model of the site whose service CA and certificates are shared (shared mode); when it is
    another site, this site copies them from there.
    """
    options = _connection_and_options(one)
    options.update(name=one["name"], namespace=one["namespace"], server_hosts=one["server_hosts"], ha=one["ha"],
                   local_server_hosts=one["local_server_hosts"], services=[dict(s) for s in one["services"]])
    if parts is not None:
        options["parts"] = list(parts)
    if one["version"] == 1:
        options["connect_json"] = one["connect_json"]
    if one["service_tls_mode"] == "shared" and source is not None and source["host"] != one["host"]:
        options["service_source"] = dict(_connection_and_options(source), namespace=source["namespace"], site_name=source["name"],
                                         services=[dict(s) for s in source["services"]])
    return options


def links_task(one, peers):
    """The options of ``skupper.tls.skupper_links`` for the site model ``one``; ``peers`` maps inventory host -> model."""
    options = _connection_and_options(one)
    options.update(namespace=one["namespace"], site_name=one["name"], links=[])
    for link in one["links"]:
        peer = peers[link["to"]]
        remote = dict(peer["connection"], namespace=peer["namespace"], site_name=peer["name"])
        entry = {"remote": remote, "cost": link["cost"], "peer_ca": dict(peer["certificate_options"], site_name=peer["name"])}
        if peer["endpoints"]:
            entry["endpoints"] = peer["endpoints"]
        options["links"].append(entry)
    return options


def _known_host(task_vars, host, option):
    if host not in task_vars.get("hostvars", {}):
        raise AnsibleFilterError("%s: %r is not an inventory host" % (option, host))


def site_task_from_vars(task_vars, host, given, source_host=None):
    """``skupper_site`` options for ``inventory_host`` from an action's task variables; options given explicitly win.

    The shared-service source is ``service_source_host``, else the host's ``skupper_service_tls_source``, else the
    inventory's first host (never the play's: a --limit or a job slice must not change it)."""
    _known_host(task_vars, host, "inventory_host")
    hostvars = task_vars["hostvars"]
    if not source_host:
        source_host = hostvars[host].get("skupper_service_tls_source") or (task_vars.get("groups", {}).get("all") or [host])[0]
    _known_host(task_vars, source_host, "service_source_host")
    options = site_task_of(hostvars, host, given.get("parts"), source_host, task_vars.get("playbook_dir"))
    options.update(given)
    return options


def links_task_from_vars(task_vars, host, given):
    """``skupper_links`` options for ``inventory_host`` from an action's task variables; options given explicitly win."""
    _known_host(task_vars, host, "inventory_host")
    options = links_task_of(task_vars["hostvars"], host, task_vars.get("playbook_dir"))
    options.update(given)
    return options
