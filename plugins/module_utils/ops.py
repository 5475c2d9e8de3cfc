# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operations behind the modules and action plugins: ``operation(runtime, params) -> result``.

``ensure_ca``, ``ensure_cert`` and ``ensure_link`` are the single-object building blocks; ``ensure_site`` and
``ensure_links`` are a whole site's Secrets and links in one call, built from them with the same runtime (one API
client per cluster, one set of warnings). Each turns validated parameters into engine inputs (``common.py``) and
hands them to the engine; none of them knows whether it runs in a module process or in the controller.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.skupper.tls.plugins.module_utils import args, bundle, common, engine, layout, pki, policy, rotation
from ansible_collections.skupper.tls.plugins.module_utils.store import ObjRef

CERT_RESERVED_KEYS = (layout.TLS_CRT, layout.TLS_KEY, layout.CA_CRT, layout.NEXT_CRT, layout.NEXT_KEY, layout.PREV_CRT)
LINK_ORDER = ["created", "adopted", "reissued", "updated_trust", "updated", "deleted", "foreign", "unchanged"]
CONNECTION_KEYS = tuple(args.auth_argument_spec()) + tuple(args.target_argument_spec())
OPTION_KEYS = ("key_type", "key_size", "validity_days", "renew_before_days", "skupper_version")


# --------------------------------------------------------------------------------------------------------------------
# CA


def ca_bundle(own_pems, omit_if_alone):
    """``Material.bundle`` of a CA: its own certificate(s), then a pending and a retired CA if the Secret holds them."""
    def make(cert_pem, data):
        parts = list(own_pems) if own_pems else [cert_pem]
        if cert_pem is None and not own_pems:
            return None
        for key in (layout.NEXT_CRT, layout.PREV_CRT):
            if data.get(key):
                parts.append(data[key])
        if omit_if_alone and len(parts) == 1:
            return None
        return b"".join(p if p.endswith(b"\n") else p + b"\n" for p in parts)
    return make


def ca_material(rt, params):
    """(Material, CertSpec) of a CA: copied from another Secret, imported from PEM, or generated."""
    v1 = params["skupper_version"] == 1
    if params.get("copy_from"):
        label, data = common.copy_source(rt, params)
        mat = common.copy_material(data, label, "copy_from", ca=True)
        return mat, pki.CertSpec(common_name=mat.planned["common_name"] or params["name"], is_ca=True, key=pki.key_spec_of(mat.desired.fixed[1]))
    if params.get("certificate_content"):
        issuer = common.load_issuer(params, "certificate_content", "private_key_content", "chain_content")
        cert_pem = pki.certs_to_pem([issuer.cert])
        key_pem = pki.key_to_pem(issuer.key)
        facts = pki.facts(issuer.cert)
        now = datetime.datetime.now(datetime.timezone.utc)
        if issuer.cert.not_valid_after_utc <= now:
            raise pki.PkiError("certificate_content", "the CA certificate %r expired on %s" % (facts["common_name"], facts["not_after"]))
        if issuer.cert.not_valid_after_utc - now <= datetime.timedelta(days=params["renew_before_days"]):
            rt.warn("the given CA %r expires on %s, within renew_before_days (%d): replace it (see the rotation playbook)"
                    % (facts["common_name"], facts["not_after"], params["renew_before_days"]))
        spec = pki.CertSpec(common_name=facts["common_name"] or params["name"], is_ca=True, usage=pki.usage_of(issuer.cert) or "both",
                            hosts=tuple(sorted(pki.host_set(issuer.cert))), validity=issuer.cert.not_valid_after_utc - issuer.cert.not_valid_before_utc,
                            renew_before=datetime.timedelta(0), key=pki.key_spec_of(issuer.key))
        desired = policy.Desired(spec=spec, issuer=None, bundle_pem=None, fixed=(issuer.cert, issuer.key))
        own = [pki.certs_to_pem(issuer.chain)]
        return engine.Material(desired=desired, issue=lambda: (cert_pem, key_pem), bundle=ca_bundle(own, v1)), spec
    subject = params.get("subject") or layout.default_ca_subject(params["name"], params["skupper_version"], params.get("site_name"))
    spec = common.cert_spec(params, subject, is_ca=True)
    desired = policy.Desired(spec=spec, issuer=None, bundle_pem=None)
    # A new CA key breaks every link signed by the old one until all holders trust it: a CA is never replaced
    # silently, whatever made it due (expiry window, new subject or site name, new key type or size).
    return engine.Material(desired=desired, issue=common.issuing(spec), bundle=ca_bundle(None, v1), defer=policy.CA_DEFERRED), spec


def ensure_ca(rt, params):
    req = common.request(params)
    if params["state"] == "absent":
        return engine.ensure_absent(rt.store(params), req.namespace, req.name, rt.check_mode)
    try:
        mat, spec = ca_material(rt, params)
    except common.CaMissing as exc:
        if not rt.check_mode:
            raise
        return common.predict_without_ca(rt.store(params), req, None, exc.label)
    if params["rotation"]:
        if params.get("certificate_content") or params.get("copy_from"):
            raise pki.PkiError("rotation", "rotates CAs generated by skupper.tls; an imported or copied CA is replaced by giving the new one")
        fresh = common.issuing(spec)

        def change(data):
            try:
                return rotation.plan(params["rotation"], data, fresh)
            except rotation.RotationError as exc:
                raise engine.EngineError("rotation %s of %s: %s" % (params["rotation"], req.label, exc), action="failed", reasons=[str(exc)])
        return engine.transform(rt.store(params), req, change, rt.check_mode)
    if params["name"] in layout.SKUPPER_SIGNING_CAS and spec.key.type != "rsa":
        rt.warn("%s is a CA Skupper signs with itself, and Skupper reads only RSA (PKCS#1) CA keys: with a %s key its controller "
                "cannot issue certificates from it" % (params["name"], spec.key.describe()))
    result = engine.ensure(rt.store(params), req, mat, rt.check_mode)
    for reason in result.get("deferred", []):
        rt.warn("CA %s: %s. A CA is not replaced automatically: a new CA key breaks every link until all holders trust it. "
                "Rotate it (skupper.tls.rotate playbook, or rotation: prepare/activate/finalize)." % (req.label, reason))
    return result


# --------------------------------------------------------------------------------------------------------------------
# Leaf certificate


def _issuer_and_bundle(rt, params, store):
    if params.get("ca_certificate_content"):
        issuer = common.load_issuer(params, "ca_certificate_content", "ca_private_key_content", "ca_chain_content")
        return issuer, issuer.bundle_pem()
    ca_namespace = params.get("ca_namespace") or params["namespace"]
    layout.validate_namespace(ca_namespace, "ca_namespace")
    ca_store = rt.side_store(params, params["ca_cluster"], "ca_cluster.") if params.get("ca_cluster") else store
    return common.issuer_from_secret(ca_store, ca_namespace, params["ca_secret"])


def ensure_cert(rt, params):
    extra = {}
    for key, value in params["extra_data"].items():
        if key in CERT_RESERVED_KEYS:
            raise pki.PkiError("extra_data", "key %r is reserved for the certificate material" % key)
        extra[key] = (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")
    secret_type = params.get("secret_type") or (layout.TYPE_OPAQUE if params["ca_only"] else layout.TYPE_TLS)
    if params["ca_only"] and secret_type == layout.TYPE_TLS:
        raise pki.PkiError("secret_type", "kubernetes.io/tls Secrets must hold tls.crt and tls.key; with ca_only use Opaque")
    req = common.request(params, secret_type=secret_type, extra_data=extra)
    store = rt.store(params)
    if params["state"] == "absent":
        return engine.ensure_absent(store, req.namespace, req.name, rt.check_mode)
    if params.get("copy_from"):
        try:
            label, data = common.copy_source(rt, params)
        except common.CaMissing as exc:
            if not rt.check_mode:
                raise
            return common.predict_without_ca(store, req, None, exc.label)
        if params["ca_only"]:
            trust = data.get(layout.CA_CRT) or data.get(layout.TLS_CRT)
            return engine.ensure(store, req, engine.Material(desired=None, issue=None, bundle=lambda cert_pem, d: trust), rt.check_mode)
        return engine.ensure(store, req, common.copy_material(data, label, "copy_from"), rt.check_mode)
    spec = common.cert_spec(params, params.get("common_name") or params["name"], hosts=params["hosts"], usage=params["usage"])
    try:
        issuer, trust = _issuer_and_bundle(rt, params, store)
    except common.CaMissing as exc:
        if not rt.check_mode:
            raise
        return common.predict_without_ca(store, req, None if params["ca_only"] else spec, exc.label)
    if params["ca_only"]:
        mat = engine.Material(desired=None, issue=None, bundle=lambda cert_pem, data: trust, issuer=issuer.cert)
    else:
        mat = common.leaf_material(spec, issuer, trust)
    return engine.ensure(store, req, mat, rt.check_mode)


# --------------------------------------------------------------------------------------------------------------------
# Link


def check_endpoints(endpoints, field="endpoints"):
    out = []
    for index, ep in enumerate(endpoints):
        where = "%s[%d]" % (field, index)
        port = ep.get("port")
        if not isinstance(port, str):
            raise pki.PkiError(where + ".port", "must be a string such as \"55671\" (the Link CRD types port as string), got %s %r"
                               % (type(port).__name__, port))
        if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            raise pki.PkiError(where + ".port", "%r is not a port number" % port)
        pki.validate_hosts([ep.get("host")], field=where + ".host")
        if ep.get("name") not in ("inter-router", "edge"):
            raise pki.PkiError(where + ".name", "must be inter-router or edge, got %r" % ep.get("name"))
        out.append(dict((k, ep[k]) for k in ("name", "host", "port", "group") if ep.get(k)))
    return out


def remote_endpoints(remote_store, namespace, site_name):
    site = remote_store.get(ObjRef("skupper.io/v2alpha1", "Site", namespace, site_name))
    if not site:
        raise pki.PkiError("endpoints", "none given, and Site %s/%s was not found on %s to read status.endpoints from"
                           % (namespace, site_name, remote_store.description))
    found = [ep for ep in ((site.get("status") or {}).get("endpoints") or []) if ep.get("host") and ep.get("name") in ("inter-router", "edge")]
    if not found:
        raise pki.PkiError("endpoints", "none given, and Site %s/%s on %s has no inter-router or edge endpoints in status.endpoints "
                           "(is link access enabled, and has the site finished starting?)" % (namespace, site_name, remote_store.description))
    return check_endpoints(found, field="remote Site %s/%s status.endpoints" % (namespace, site_name))


def _check_covered(remote_store, remote, endpoints, rt):
    """Refuse a Link whose endpoint hosts B's server certificate does not cover: the router checks the host name
    (Proton: DNS SANs, then the CN; never IP SANs; reference 4.5), so such a Link never connects."""
    obj = remote_store.get(layout.secret_ref(remote["namespace"], layout.SITE_SERVER))
    data = layout.decode_data(obj) if obj else {}
    if not data.get(layout.TLS_CRT):
        rt.warn("link to %s: %s/%s does not exist yet on %s, so the endpoint hosts %s could not be checked against its SANs"
                % (remote["site_name"], remote["namespace"], layout.SITE_SERVER, remote_store.description, layout.link_dialed_hosts(endpoints)))
        return
    cert = pki.load_certificates(data[layout.TLS_CRT], field="remote %s tls.crt" % layout.SITE_SERVER)[0]
    sans = pki.sans_of(cert)
    missing = layout.uncovered_hosts(sans, pki.common_name(cert), layout.link_dialed_hosts(endpoints))
    if missing:
        raise pki.PkiError("endpoints", "the Link would dial %s, which %s/%s on %s does not cover (its SANs: %s; CN %s): the router's "
                           "hostname check would fail every connection. Add the host to site %s's skupper_external_hosts (or let its "
                           "Site status report it) and run the site play first" % (
                               ", ".join(missing), remote["namespace"], layout.SITE_SERVER, remote_store.description,
                               ", ".join(sans) or "none", pki.common_name(cert), remote["site_name"]))


def v1_token_metadata(remote_store, remote, endpoints, cost):
    """Labels and annotations of a v1 connection token that ``skupper link create`` accepts (reference 4, facts F5):
    its origin is the UID of B's ConfigMap skupper-site and its version B's router metadata version."""
    namespace = remote["namespace"]
    site_cm = remote_store.get(ObjRef("v1", "ConfigMap", namespace, layout.V1_SITE_CONFIGMAP))
    if not site_cm or not (site_cm.get("metadata") or {}).get("uid"):
        raise pki.PkiError("remote", "Skupper v1 site %s: ConfigMap %s/%s not found on %s. A v1 token names its origin by that "
                           "ConfigMap's UID (without it every later `skupper link create` on this site fails with 'A secret has no "
                           "author.'): install Skupper v1 on site %s first (skupper init)" % (
                               remote["site_name"], namespace, layout.V1_SITE_CONFIGMAP, remote_store.description, remote["site_name"]))
    internal = remote_store.get(ObjRef("v1", "ConfigMap", namespace, layout.V1_INTERNAL_CONFIGMAP))
    version = layout.v1_site_version(((internal or {}).get("data") or {}).get(layout.V1_ROUTER_CONFIG_KEY))
    if not version:
        raise pki.PkiError("remote", "Skupper v1 site %s: no router version in ConfigMap %s/%s (%s) on %s; `skupper link create` "
                           "refuses a token whose site version is undefined" % (
                               remote["site_name"], namespace, layout.V1_INTERNAL_CONFIGMAP, layout.V1_ROUTER_CONFIG_KEY, remote_store.description))
    return layout.v1_token_metadata(site_cm["metadata"]["uid"], version, endpoints, cost)


def _combine(secret_result, link_result):
    parts = [("secret", secret_result)] + ([("link", link_result)] if link_result else [])
    actions = [r["action"] for _n, r in parts]
    result = {
        "changed": any(r.get("changed") for _n, r in parts),
        "action": sorted(actions, key=LINK_ORDER.index)[0],
        "reasons": ["%s: %s" % (n, reason) for n, r in parts for reason in r.get("reasons", [])],
        "secret": dict((k, v) for k, v in secret_result.items() if k not in ("diff", "changed")),
        "diff": {"before": dict((n, r.get("diff", {}).get("before")) for n, r in parts),
                 "after": dict((n, r.get("diff", {}).get("after")) for n, r in parts)},
    }
    if link_result:
        result["link"] = dict((k, v) for k, v in link_result.items() if k not in ("diff", "changed"))
    return result


def _delete_link(store, namespace, name, check_mode):
    ref = ObjRef("skupper.io/v2alpha1", "Link", namespace, name)
    existing = store.get(ref)
    if not existing:
        return {"changed": False, "action": "unchanged", "reasons": ["absent: Link %s/%s does not exist" % (namespace, name)]}
    if not layout.is_ours(existing):
        return {"changed": False, "action": "foreign", "reasons": ["foreign: Link %s/%s is not managed by skupper.tls; not deleted" % (namespace, name)]}
    if not check_mode:
        store.delete(ref, resource_version=(existing.get("metadata") or {}).get("resourceVersion"))
    return {"changed": True, "action": "deleted", "reasons": ["absent: deleting Link %s/%s (state: absent)" % (namespace, name)]}


def ensure_link(rt, params):
    remote = params["remote"]
    v2 = params["skupper_version"] == 2
    layout.validate_namespace(params["namespace"])
    layout.validate_namespace(remote["namespace"], "remote.namespace")
    name = params.get("name") or "link-%s" % remote["site_name"]
    creds = params.get("tls_credentials") or ("link-%s" % remote["site_name"] if v2 else name)
    layout.validate_name(name, "name")
    layout.validate_name(creds, "tls_credentials")
    if params["cost"] < 1:
        raise pki.PkiError("cost", "must be 1 or more, got %d" % params["cost"])
    if params.get("dest"):
        local = rt.add_store(("dest", params["dest"]), bundle.BundleFileStore(params["dest"], params["namespace"], check_mode=rt.check_mode))
    else:
        local = rt.store(params)
    remote_store = rt.side_store(params, remote, "remote.")
    same_place = not params.get("dest") and local.description == remote_store.description and remote["namespace"] == params["namespace"]
    if same_place or params.get("site_name") == remote["site_name"]:
        raise pki.PkiError("remote", "site %s (namespace %s) cannot link to itself" % (remote["site_name"], remote["namespace"]))
    if params["state"] == "absent":
        secret_result = engine.ensure_absent(local, params["namespace"], creds, rt.check_mode)
        link_result = _delete_link(local, params["namespace"], name, rt.check_mode) if v2 else None
        return _combine(secret_result, link_result)

    endpoints = check_endpoints(params["endpoints"]) if params.get("endpoints") else remote_endpoints(
        remote_store, remote["namespace"], remote["site_name"])
    _check_covered(remote_store, remote, endpoints, rt)
    spec_params = dict(params, name=creds, annotations={})
    spec = common.cert_spec(spec_params, params.get("common_name") or params.get("site_name") or params["namespace"], usage="client")
    labels, annotations = dict(params["labels"]), {}
    if not v2:
        token_labels, annotations = v1_token_metadata(remote_store, remote, endpoints, params["cost"])
        labels.update(token_labels)
    req = common.request(dict(spec_params, labels=labels, annotations=annotations), secret_type=layout.TYPE_TLS)
    try:
        issuer, trust = common.issuer_from_secret(remote_store, remote["namespace"], remote["ca_secret"], field="remote.ca_secret")
    except common.CaMissing as exc:
        if not rt.check_mode:
            raise
        secret_result = common.predict_without_ca(local, req, spec, exc.label)
    else:
        secret_result = engine.ensure(local, req, common.leaf_material(spec, issuer, trust), rt.check_mode)
    link_result = None
    if v2:
        link = {"apiVersion": "skupper.io/v2alpha1", "kind": "Link",
                "metadata": {"name": name, "namespace": params["namespace"], "labels": dict(params["labels"])},
                "spec": {"endpoints": endpoints, "tlsCredentials": creds, "cost": params["cost"]}}
        link_result = engine.ensure_object(local, link, adopt=params["adopt"], check_mode=rt.check_mode)
    result = _combine(secret_result, link_result)
    result["endpoints"] = endpoints
    if params.get("dest"):
        result["dest"] = params["dest"]
    return result


# --------------------------------------------------------------------------------------------------------------------
# A whole site, and all of a site's links


class Collector(object):
    """Results of the objects one site-level call ensures, in order, and their summary."""

    def __init__(self):
        self.items = []
        self.diffs = []

    def add(self, kind, label, result):
        entry = dict((k, v) for k, v in result.items() if k != "diff")
        entry.update(kind=kind, object=label)
        self.items.append(entry)
        diff = result.get("diff")
        if diff is not None:
            self.diffs.append(dict(diff, before_header="%s %s" % (kind, label), after_header="%s %s" % (kind, label)))
        return result

    def result(self, **extra):
        counts = {}
        for item in self.items:
            counts[item["action"]] = counts.get(item["action"], 0) + 1
        out = {"changed": any(i.get("changed") for i in self.items), "results": self.items, "actions": counts,
               "deferred": ["%s: %s" % (i["object"], reason) for i in self.items for reason in i.get("deferred", [])]}
        out.update(extra)
        out["diff"] = self.diffs
        return out


def _sub(base, spec, rules, field, **params):
    return args.validated(spec, rules, dict(base, **params), field)


def ensure_site(rt, params):
    """Everything one site owns: site CA + server, local CA + server (+ v1 client), service CA + client + services."""
    name, namespace = params["name"], params["namespace"]
    v1 = params["skupper_version"] == 1
    parts = params["parts"]
    connection = dict((k, params[k]) for k in CONNECTION_KEYS if params.get(k) is not None)
    base = dict(connection, namespace=namespace, adopt=params["adopt"], **dict((k, params[k]) for k in OPTION_KEYS if params.get(k) is not None))
    out = Collector()

    def ca(secret, rt=rt, **extra):
        p = _sub(base, args.ca_argument_spec(), args.CA_RULES, secret, name=secret, **extra)
        return out.add("Secret", "%s/%s" % (p["namespace"], secret), ensure_ca(rt, p))

    def cert(secret, rt=rt, **extra):
        p = _sub(base, args.cert_argument_spec(), args.CERT_RULES, secret, name=secret, **extra)
        return out.add("Secret", "%s/%s" % (p["namespace"], secret), ensure_cert(rt, p))

    if "site" in parts:
        ca("skupper-site-ca", site_name=name)
        try:
            hosts = params["server_hosts"] if params.get("server_hosts") is not None else status_server_hosts(rt, params)
        except layout.EndpointsUnknown as exc:
            # No certificate is better than one no link can verify: say so, write nothing, and carry on.
            rt.warn(str(exc))
            out.add("Secret", "%s/%s" % (namespace, layout.SITE_SERVER), {"changed": False, "action": "pending", "reasons": ["endpoints: %s" % exc]})
        else:
            cert(layout.SITE_SERVER, ca_secret="skupper-site-ca", common_name="skupper-router", hosts=hosts)
    if "local" in parts:
        if params.get("local_server_hosts") is None:
            raise pki.PkiError("local_server_hosts", "required when parts include local")
        ca("skupper-local-ca", site_name=name)
        cert("skupper-local-server", ca_secret="skupper-local-ca", common_name="skupper-router-local", hosts=params["local_server_hosts"])
        if v1:
            if not params.get("connect_json"):
                raise pki.PkiError("connect_json", "required for a Skupper v1 site's skupper-local-client")
            cert("skupper-local-client", ca_secret="skupper-local-ca", common_name="skupper-router-local",
                 extra_data={"connect.json": params["connect_json"]})
    if "service" in parts:
        source = params.get("service_source")
        services = [dict(s, secret=s.get("secret") or "skupper-tls-%s" % s["name"]) for s in params["services"]]
        if source:
            _ensure_service_source(rt, source, out, ca, cert)
            src_conn = dict((k, source[k]) for k in CONNECTION_KEYS if source.get(k) is not None)
            src_services = [dict(s, secret=s.get("secret") or "skupper-tls-%s" % s["name"]) for s in source["services"]]
            ca("skupper-service-ca", copy_from=dict(src_conn, name="skupper-service-ca", namespace=source["namespace"]))
            for svc in src_services:
                cert(svc["secret"], copy_from=dict(src_conn, name=svc["secret"], namespace=source["namespace"]))
        else:
            ca("skupper-service-ca", site_name=name)
            for svc in services:
                cert(svc["secret"], ca_secret="skupper-service-ca", common_name=svc["name"], hosts=svc.get("hosts") or [svc["name"]])
        cert("skupper-service-client", ca_secret="skupper-service-ca", common_name="skupper-service-client", usage="client", ca_only=v1)
    return out.result(site=name, namespace=namespace)


def status_server_hosts(rt, params):
    """The SANs of skupper-site-server from what Skupper reports: RouterAccess ``skupper-router``'s status, else the
    Site's (reference 2.1, 5.1; layout.site_server_hosts). Raises layout.EndpointsUnknown when neither has a host."""
    store = rt.store(params)
    namespace = params["namespace"]
    hosts = []
    if params["skupper_version"] == 2:
        access = store.get(ObjRef("skupper.io/v2alpha1", "RouterAccess", namespace, layout.DEFAULT_ROUTER_ACCESS))
        hosts = layout.endpoint_hosts(access) if access else []
        if not hosts:
            site = store.get(ObjRef("skupper.io/v2alpha1", "Site", namespace, params["name"]))
            hosts = layout.endpoint_hosts(site, groups=layout.router_groups(params["ha"])) if site else []
    return layout.site_server_hosts(namespace, hosts, params["skupper_version"], ha=params["ha"])


def _ensure_service_source(rt, source, out, ca, cert):
    """Shared service TLS: make sure the source site's service CA and certificates exist before copying them.

    With AWX job slicing the source site may be in a slice that has not run yet; ensuring its material here with
    its own parameters is idempotent, and a concurrent creation by the source's own run ends in a 409 that the
    engine resolves by reading again, so exactly one CA exists whichever run comes first.
    """
    conn = dict((k, source[k]) for k in CONNECTION_KEYS if source.get(k) is not None)
    opts = dict((k, source[k]) for k in OPTION_KEYS if source.get(k) is not None)
    side = rt.for_side(source)
    ca("skupper-service-ca", rt=side, site_name=source["site_name"], namespace=source["namespace"], **dict(conn, **opts))
    for svc in source["services"]:
        cert(svc.get("secret") or "skupper-tls-%s" % svc["name"], rt=side, ca_secret="skupper-service-ca", common_name=svc["name"],
             hosts=svc.get("hosts") or [svc["name"]], namespace=source["namespace"], **dict(conn, **opts))


def ensure_links(rt, params):
    """Every link of one site: per link a client credential signed by the peer's site CA, and the Link."""
    connection = dict((k, params[k]) for k in CONNECTION_KEYS if params.get(k) is not None)
    opts = dict((k, params[k]) for k in OPTION_KEYS if params.get(k) is not None)
    out = Collector()
    for index, link in enumerate(params["links"]):
        remote = link["remote"]
        if link.get("peer_ca"):
            _ensure_peer_ca(rt, remote, link["peer_ca"], out)
        p = args.validated(args.link_argument_spec(), args.LINK_RULES,
                           dict(connection, namespace=params["namespace"], site_name=params["site_name"], remote=remote,
                                endpoints=link.get("endpoints"), cost=link["cost"], name=link.get("name"), labels=params["labels"],
                                adopt=params["adopt"], **opts),
                           "links[%d]" % index)
        label = "%s -> %s" % (params["site_name"], remote["site_name"])
        out.add("Link", label, ensure_link(rt, p))
    return out.result(site=params["site_name"], namespace=params["namespace"])


def _ensure_peer_ca(rt, remote, peer_ca, out):
    """Job slicing: the peer's slice may not have created its site CA yet. Read it; when it is missing, create it
    with the peer's own parameters (what the peer's run would create), so this run converges in one pass."""
    store = rt.side_store({}, remote, "remote.")
    ca_name = remote.get("ca_secret") or "skupper-site-ca"
    if store.get(layout.secret_ref(remote["namespace"], ca_name)) is not None:
        return
    conn = dict((k, remote[k]) for k in CONNECTION_KEYS if remote.get(k) is not None)
    p = args.validated(args.ca_argument_spec(), args.CA_RULES,
                       dict(conn, name=ca_name, namespace=remote["namespace"], site_name=peer_ca["site_name"],
                            **dict((k, peer_ca[k]) for k in OPTION_KEYS if peer_ca.get(k) is not None)),
                       "peer_ca")
    out.add("Secret", "%s/%s" % (remote["namespace"], ca_name), ensure_ca(rt.for_side(remote), p))
