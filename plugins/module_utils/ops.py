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

from ansible_collections.skupper.tls.plugins.module_utils import args, bundle, common, engine, layout, pki, rotation, validate
from ansible_collections.skupper.tls.plugins.module_utils.store import Forbidden

CERT_RESERVED_KEYS = (layout.TLS_CRT, layout.TLS_KEY, layout.CA_CRT, layout.NEXT_CRT, layout.NEXT_KEY, layout.PREV_CRT)
LINK_ORDER = ["created", "adopted", "reissued", "updated_trust", "updated", "deleted", "foreign", "unchanged"]
CONNECTION_KEYS = tuple(args.auth_argument_spec()) + tuple(args.target_argument_spec())
OPTION_KEYS = ("key_type", "key_size", "validity_days", "renew_before_days", "skupper_version")


def _given(params, keys):
    """The options of ``keys`` that ``params`` sets (connection options, certificate options)."""
    return dict((k, params[k]) for k in keys if params.get(k) is not None)


def _service_secret(service):
    """A service's Secret: its ``secret``, else ``skupper-tls-<name>``."""
    return service.get("secret") or "skupper-tls-%s" % service["name"]


def _renamed(exc, field):
    """The same ValidationError under another option name (the caller's view of a nested option)."""
    return validate.ValidationError(field, exc.value, exc.problem, exc.allowed, exc.secret)


# --------------------------------------------------------------------------------------------------------------------
# CA


def ca_material(rt, params):
    """The material provider of a CA: copied from another Secret, imported from PEM, or generated."""
    v1 = params["skupper_version"] == 1
    if params.get("copy_from"):
        return common.Copied(lambda: common.copy_source(rt, params), "copy_from", ca=True)
    if params.get("certificate_content"):
        issuer = common.load_issuer(params, "certificate_content", "private_key_content", "chain_content")
        facts = pki.facts(issuer.cert)   # common.load_issuer refused an expired, not yet valid or weak CA
        now = datetime.datetime.now(datetime.timezone.utc)
        if pki.not_after(issuer.cert) - now <= datetime.timedelta(days=params["renew_before_days"]):
            rt.warn("the given CA %r expires on %s, within renew_before_days (%d): replace it (see the rotation playbook)"
                    % (facts["common_name"], facts["not_after"], params["renew_before_days"]))
        spec = pki.CertSpec(common_name=facts["common_name"] or params["name"], is_ca=True, usage=pki.usage_of(issuer.cert) or "both",
                            hosts=tuple(sorted(pki.host_set(issuer.cert))), validity=pki.not_after(issuer.cert) - pki.not_before(issuer.cert),
                            renew_before=datetime.timedelta(0), key=pki.key_spec_of(issuer.key))
        return common.ImportedCa(issuer, spec, v1)
    return common.GeneratedCa(generated_ca_spec(params), v1)


def generated_ca_spec(params):
    """The CertSpec of a CA skupper.tls generates; a bad subject is reported under the option it came from."""
    subject = params.get("subject") or layout.default_ca_subject(params["name"], params["skupper_version"], params.get("site_name"))
    cn_field = "subject" if params.get("subject") else ("site_name" if subject != params["name"] else "name")
    return common.cert_spec(params, subject, is_ca=True, fields={"common_name": cn_field})


def _warn_signing_key(rt, params, mat):
    """Skupper signs with its own CAs and reads only RSA (PKCS#1) CA keys."""
    if params["name"] not in layout.SKUPPER_SIGNING_CAS:
        return
    if isinstance(mat, common.Copied):
        if mat.key is None:
            return   # not loaded (the source is missing): nothing known yet
        key = pki.key_spec_of(mat.key)
    else:
        key = mat.spec.key
    if key.type != "rsa":
        rt.warn("%s is a CA Skupper signs with itself, and Skupper reads only RSA (PKCS#1) CA keys: with a %s key its controller "
                "cannot issue certificates from it" % (params["name"], key.describe()))


def check_ca(params):
    """Everything about a CA's parameters that can be checked without a store; returns the Request. Raises
    ValidationError naming the option. ``ensure_site`` calls it for every CA before anything is written."""
    req = common.request(params)
    if params.get("site_name") is not None:
        validate.site_name(params["site_name"], "site_name")
    validate.lifetime(params["validity_days"], params["renew_before_days"])
    if params["state"] == "present" and params.get("certificate_content"):
        common.load_issuer(params, "certificate_content", "private_key_content", "chain_content")
    elif params["state"] == "present" and not params.get("copy_from"):
        generated_ca_spec(params)
    elif params.get("copy_from"):
        validate.k8s_name(params["copy_from"]["name"], "copy_from.name")
        validate.namespace(params["copy_from"].get("namespace") or params["namespace"], "copy_from.namespace")
    return req


def ensure_ca(rt, params):
    req = check_ca(params)
    if params["state"] == "absent":
        return engine.ensure_absent(rt.store(params), req.namespace, req.name, rt.check_mode)
    mat = ca_material(rt, params)
    if params["rotation"]:
        if not isinstance(mat, common.GeneratedCa):
            raise pki.PkiError("rotation", "rotates CAs generated by skupper.tls; an imported or copied CA is replaced by giving the new one")

        def change(data):
            try:
                return rotation.plan(params["rotation"], data, mat.issue)
            except rotation.RotationError as exc:
                raise engine.EngineError("rotation %s of %s: %s" % (params["rotation"], req.label, exc), action="failed", reasons=[str(exc)])
        return engine.transform(rt.store(params), req, change, rt.check_mode)
    try:
        result = engine.ensure(rt.store(params), req, mat, rt.check_mode)
    finally:
        _warn_signing_key(rt, params, mat)
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
    validate.namespace(ca_namespace, "ca_namespace")
    ca_store = rt.side_store(params, params["ca_cluster"], "ca_cluster.") if params.get("ca_cluster") else store
    return common.issuer_from_secret(ca_store, ca_namespace, params["ca_secret"])


def check_cert(params):
    """Everything about a certificate's parameters that can be checked without a store: ``(Request, CertSpec or
    None)``. Raises ValidationError naming the option; ``ensure_site`` calls it for every certificate first."""
    extra = {}
    for key, value in params["extra_data"].items():
        validate.data_key(key, "extra_data")
        if key in CERT_RESERVED_KEYS:
            raise pki.PkiError("extra_data", "key %r is reserved for the certificate material" % key)
        try:
            extra[key] = (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")
        except (TypeError, ValueError, UnicodeError):
            raise validate.ValidationError("extra_data[%s]" % key, value, "cannot be written as text", "a string or JSON-serializable value") from None
    secret_type = params.get("secret_type") or (layout.TYPE_OPAQUE if params["ca_only"] else layout.TYPE_TLS)
    if params["ca_only"] and secret_type == layout.TYPE_TLS:
        raise pki.PkiError("secret_type", "kubernetes.io/tls Secrets must hold tls.crt and tls.key; with ca_only use Opaque")
    req = common.request(params, secret_type=secret_type, extra_data=extra,
                         router_profile=params["skupper_version"] == 2 and not params["ca_only"])
    spec = None
    if params["state"] == "present":
        if params.get("copy_from"):
            validate.k8s_name(params["copy_from"]["name"], "copy_from.name")
            validate.namespace(params["copy_from"].get("namespace") or params["namespace"], "copy_from.namespace")
        else:
            spec = common.cert_spec(params, params.get("common_name") or params["name"], hosts=params["hosts"], usage=params["usage"],
                                    fields={"common_name": "common_name" if params.get("common_name") else "name"})
            if params.get("ca_certificate_content"):
                common.load_issuer(params, "ca_certificate_content", "ca_private_key_content", "ca_chain_content")
            else:
                validate.k8s_name(params["ca_secret"], "ca_secret")
                validate.namespace(params.get("ca_namespace") or params["namespace"], "ca_namespace")
    return req, spec


def ensure_cert(rt, params):
    req, spec = check_cert(params)
    store = rt.store(params)
    if params["state"] == "absent":
        return engine.ensure_absent(store, req.namespace, req.name, rt.check_mode)
    if params.get("copy_from"):
        def source():
            return common.copy_source(rt, params)
        if params["ca_only"]:
            def trust():
                data = source()[1]
                return data.get(layout.CA_CRT) or data.get(layout.TLS_CRT), None
            return engine.ensure(store, req, common.TrustOnly(trust), rt.check_mode)
        return engine.ensure(store, req, common.Copied(source, "copy_from"), rt.check_mode)

    def signer():
        return _issuer_and_bundle(rt, params, store)
    if params["ca_only"]:
        def trust():
            issuer, bundle_pem = signer()
            return bundle_pem, issuer.cert
        return engine.ensure(store, req, common.TrustOnly(trust), rt.check_mode)
    return engine.ensure(store, req, common.Leaf(spec, signer), rt.check_mode)


# --------------------------------------------------------------------------------------------------------------------
# Link


ENDPOINT_NAMES = ("inter-router", "edge")


def check_endpoints(endpoints, field="endpoints"):
    """Endpoints as the Link CRD stores them, each value exactly as given and validated (validate.py): name
    inter-router or edge, host an IP address or DNS name, port an ASCII digit string 1-65535, optional group."""
    if not isinstance(endpoints, list):
        raise validate.ValidationError(field, endpoints, "is not a list", "a list of {name, host, port[, group]}")
    out = []
    for index, ep in enumerate(endpoints):
        where = "%s[%d]" % (field, index)
        if not isinstance(ep, dict):
            raise validate.ValidationError(where, ep, "is not a mapping", "a mapping {name, host, port[, group]}")
        validate.choice(ep.get("name"), where + ".name", ENDPOINT_NAMES)
        validate.host(ep.get("host"), where + ".host", wildcard=False)
        validate.port(ep.get("port"), where + ".port")
        if ep.get("group") is not None:
            validate.k8s_name(ep["group"], where + ".group", "group name")
        out.append(dict((k, ep[k]) for k in ("name", "host", "port", "group") if ep.get(k)))
    return out


def remote_endpoints(remote_store, namespace, site_name):
    site = remote_store.get(layout.ObjRef("skupper.io/v2alpha1", "Site", namespace, site_name))
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
    try:
        obj = remote_store.get(layout.secret_ref(remote["namespace"], layout.SITE_SERVER))
    except Forbidden as exc:
        # a peer reached with a CA-reader identity (meta/rbac/peer-ca-reader.yaml) may not read its server Secret
        rt.warn("link to %s: the endpoint hosts %s could not be checked against %s/%s's SANs: %s"
                % (remote["site_name"], layout.link_dialed_hosts(endpoints), remote["namespace"], layout.SITE_SERVER, exc))
        return
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
    site_cm = remote_store.get(layout.ObjRef("v1", "ConfigMap", namespace, layout.V1_SITE_CONFIGMAP))
    if not site_cm or not (site_cm.get("metadata") or {}).get("uid"):
        raise pki.PkiError("remote", "Skupper v1 site %s: ConfigMap %s/%s not found on %s. A v1 token names its origin by that "
                           "ConfigMap's UID (without it every later `skupper link create` on this site fails with 'A secret has no "
                           "author.'): install Skupper v1 on site %s first (skupper init)" % (
                               remote["site_name"], namespace, layout.V1_SITE_CONFIGMAP, remote_store.description, remote["site_name"]))
    internal = remote_store.get(layout.ObjRef("v1", "ConfigMap", namespace, layout.V1_INTERNAL_CONFIGMAP))
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
    result = engine.delete(store, layout.ObjRef("skupper.io/v2alpha1", "Link", namespace, name), "Link %s/%s" % (namespace, name), check_mode)
    result.pop("diff", None)
    return result


def check_link(params):
    """Everything about a link's parameters that can be checked without a store: ``(name, tls_credentials name,
    endpoints or None, CertSpec)``. Raises ValidationError naming the option."""
    remote = params["remote"]
    v2 = params["skupper_version"] == 2
    validate.namespace(params["namespace"])
    validate.namespace(remote["namespace"], "remote.namespace")
    validate.site_name(remote["site_name"], "remote.site_name")
    if params.get("site_name") is not None:
        validate.site_name(params["site_name"], "site_name")
    name = params.get("name") or "link-%s" % remote["site_name"]
    creds = params.get("tls_credentials") or ("link-%s" % remote["site_name"] if v2 else name)
    validate.k8s_name(name, "name" if params.get("name") else "remote.site_name")
    validate.k8s_name(creds, "tls_credentials" if params.get("tls_credentials") else "remote.site_name")
    if v2:
        problems = layout.link_name_problems(name, creds)
        if problems:
            raise pki.PkiError("name" if problems[0].startswith("Link") else "tls_credentials", "; ".join(problems))
    validate.integer(params["cost"], "cost", 1, validate.INT32_MAX)
    if params.get("dest") is not None:
        validate.file_path(params["dest"], "dest")
    if params.get("common_name") is not None:
        validate.common_name(params["common_name"])
    layout.validate_metadata(params["labels"], {})
    if params.get("site_name") == remote["site_name"]:
        raise pki.PkiError("remote", "site %s (namespace %s) cannot link to itself" % (remote["site_name"], remote["namespace"]))
    endpoints = check_endpoints(params["endpoints"]) if params.get("endpoints") else None
    spec = common.cert_spec(dict(params, name=creds), params.get("common_name") or params.get("site_name") or params["namespace"], usage="client",
                            fields={"common_name": "common_name" if params.get("common_name") else ("site_name" if params.get("site_name") else "namespace")})
    return name, creds, endpoints, spec


def check_not_self(params, local, remote_store):
    """Refuse a link from a site to itself: the same place whatever the options that reach it (another context of the
    same cluster, another spelling of its URL, a symlinked directory) - the stores' resolved locations - and the
    same namespace."""
    remote = params["remote"]
    same_store = (local.location is not None and local.location == remote_store.location) or local.description == remote_store.description
    if same_store and remote["namespace"] == params["namespace"]:
        raise pki.PkiError("remote", "site %s (namespace %s on %s) cannot link to itself: %s is the same cluster and namespace"
                           % (remote["site_name"], remote["namespace"], remote_store.description, local.description))


def ensure_link(rt, params, peer_ca=None):
    """One link. ``peer_ca``: what ``_ensure_peer_ca`` found of the peer's CA Secret (``{"object": ...}``), read
    just before by the same task, so that the signer does not read it again."""
    remote = params["remote"]
    v2 = params["skupper_version"] == 2
    name, creds, endpoints, spec = check_link(params)
    if params.get("dest"):
        local = rt.add_store(("dest", params["dest"]), bundle.BundleFileStore(params["dest"], params["namespace"], check_mode=rt.check_mode))
    else:
        local = rt.store(params)
    remote_store = rt.side_store(params, remote, "remote.")
    if not params.get("dest"):
        check_not_self(params, local, remote_store)
    if params["state"] == "absent":
        secret_result = engine.ensure_absent(local, params["namespace"], creds, rt.check_mode)
        link_result = _delete_link(local, params["namespace"], name, rt.check_mode) if v2 else None
        return _combine(secret_result, link_result)

    if endpoints is None:
        endpoints = remote_endpoints(remote_store, remote["namespace"], remote["site_name"])
    _check_covered(remote_store, remote, endpoints, rt)
    spec_params = dict(params, name=creds, annotations={})
    labels, annotations = dict(params["labels"]), {}
    if not v2:
        token_labels, annotations = v1_token_metadata(remote_store, remote, endpoints, params["cost"])
        labels.update(token_labels)
    req = common.request(dict(spec_params, labels=labels, annotations=annotations), secret_type=layout.TYPE_TLS, router_profile=v2)

    def signer():
        return common.issuer_from_secret(remote_store, remote["namespace"], remote["ca_secret"], field="remote.ca_secret",
                                         found=(peer_ca or {}).get("object"))
    secret_result = engine.ensure(local, req, common.Leaf(spec, signer), rt.check_mode)
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


class Plan(object):
    """The steps of a site-level operation, each validated when it is added; run only once all of them are valid,
    so that bad input anywhere in a site (a service host, a link's port) fails before anything is written."""

    def __init__(self, out):
        self.out, self.steps = out, []

    def add(self, kind, label, check, run):
        """``check()`` validates now (raises ValidationError naming the option); ``run()`` is called by ``run``."""
        check()
        self.steps.append((kind, label, run))

    def note(self, kind, label, result):
        self.steps.append((kind, label, lambda: result))

    def run(self):
        for kind, label, step in self.steps:
            result = step()
            if result is not None:   # None: nothing to do and nothing to report (a peer's CA that exists)
                self.out.add(kind, label, result)
        return self.out


def _needs_action(params):
    if params.get("inventory_host"):
        raise pki.PkiError("inventory_host", "is read by the action plugin, which fills the other options from the inventory; "
                                             "run the task through Ansible (not the module file alone), or give the options")


def ensure_site(rt, params):
    """Everything one site owns: site CA + server, local CA + server (+ v1 client), service CA + client + services.

    Every Secret's parameters are built and validated first (``Plan``); nothing is written unless all are valid."""
    _needs_action(params)
    name, namespace = params["name"], params["namespace"]
    validate.site_name(name, "name")
    validate.namespace(namespace)
    v1 = params["skupper_version"] == 1
    parts = params["parts"]
    connection = _given(params, CONNECTION_KEYS)
    base = dict(connection, namespace=namespace, adopt=params["adopt"], **_given(params, OPTION_KEYS))
    plan = Plan(Collector())

    def ca(secret, rt=rt, **extra):
        p = _sub(base, args.ca_argument_spec(), args.CA_RULES, secret, name=secret, **extra)
        plan.add("Secret", "%s/%s" % (p["namespace"], secret), lambda: check_ca(p), lambda: ensure_ca(rt, p))

    def cert(secret, rt=rt, field=None, **extra):
        p = _sub(base, args.cert_argument_spec(), args.CERT_RULES, secret, name=secret, **extra)

        def check():
            try:
                check_cert(p)
            except validate.ValidationError as exc:
                if field and (exc.field == "hosts" or exc.field.startswith("hosts[")):
                    raise _renamed(exc, field + exc.field[len("hosts"):]) from None
                raise
        plan.add("Secret", "%s/%s" % (p["namespace"], secret), check, lambda: ensure_cert(rt, p))

    if "site" in parts:
        ca("skupper-site-ca", site_name=name)
        try:
            hosts = params["server_hosts"] if params.get("server_hosts") is not None else status_server_hosts(rt, params)
        except layout.EndpointsUnknown as exc:
            # No certificate is better than one no link can verify: say so, write nothing, and carry on.
            rt.warn(str(exc))
            plan.note("Secret", "%s/%s" % (namespace, layout.SITE_SERVER), {"changed": False, "action": "pending", "reasons": ["endpoints: %s" % exc]})
        else:
            cert(layout.SITE_SERVER, field="server_hosts" if params.get("server_hosts") is not None else "site status endpoints",
                 ca_secret="skupper-site-ca", common_name="skupper-router", hosts=hosts)
    if "local" in parts:
        if params.get("local_server_hosts") is None:
            raise pki.PkiError("local_server_hosts", "required when parts include local")
        ca("skupper-local-ca", site_name=name)
        cert("skupper-local-server", field="local_server_hosts", ca_secret="skupper-local-ca", common_name="skupper-router-local",
             hosts=params["local_server_hosts"])
        if v1:
            if not params.get("connect_json"):
                raise pki.PkiError("connect_json", "required for a Skupper v1 site's skupper-local-client")
            cert("skupper-local-client", ca_secret="skupper-local-ca", common_name="skupper-router-local",
                 extra_data={"connect.json": params["connect_json"]})
    if "service" in parts:
        source = params.get("service_source")
        if source:
            _ensure_service_source(rt, source, ca, cert)
            src_conn = _given(source, CONNECTION_KEYS)
            ca("skupper-service-ca", copy_from=dict(src_conn, name="skupper-service-ca", namespace=source["namespace"]))
            for svc in source["services"]:
                cert(_service_secret(svc), copy_from=dict(src_conn, name=_service_secret(svc), namespace=source["namespace"]))
        else:
            ca("skupper-service-ca", site_name=name)
            for index, svc in enumerate(params["services"]):
                where = "services[%d]" % index
                validate.dns_label(svc["name"], where + ".name", "Service name")
                secret = _service_secret(svc)
                validate.k8s_name(secret, where + (".secret" if svc.get("secret") else ".name"))
                cert(secret, field=where + ".hosts" if svc.get("hosts") else where + ".name", ca_secret="skupper-service-ca",
                     common_name=svc["name"], hosts=svc.get("hosts") or [svc["name"]])
        cert("skupper-service-client", ca_secret="skupper-service-ca", common_name="skupper-service-client", usage="client", ca_only=v1)
    return plan.run().result(site=name, namespace=namespace)


def status_server_hosts(rt, params):
    """The SANs of skupper-site-server from what Skupper reports: RouterAccess ``skupper-router``'s status, else the
    Site's (reference 2.1, 5.1; layout.site_server_hosts). Raises layout.EndpointsUnknown when neither has a host."""
    store = rt.store(params)
    namespace = params["namespace"]
    hosts = []
    if params["skupper_version"] == 2:
        access = store.get(layout.ObjRef("skupper.io/v2alpha1", "RouterAccess", namespace, layout.DEFAULT_ROUTER_ACCESS))
        hosts = layout.endpoint_hosts(access) if access else []
        if not hosts:
            site = store.get(layout.ObjRef("skupper.io/v2alpha1", "Site", namespace, params["name"]))
            hosts = layout.endpoint_hosts(site, groups=layout.router_groups(params["ha"])) if site else []
    return layout.site_server_hosts(namespace, hosts, params["skupper_version"], ha=params["ha"])


def _ensure_service_source(rt, source, ca, cert):
    """Shared service TLS: make sure the source site's service CA and certificates exist before copying them.

    With AWX job slicing the source site may be in a slice that has not run yet; ensuring its material here with
    its own parameters is idempotent, and a concurrent creation by the source's own run ends in a 409 that the
    engine resolves by reading again, so exactly one CA exists whichever run comes first.
    """
    validate.site_name(source["site_name"], "service_source.site_name")
    validate.namespace(source["namespace"], "service_source.namespace")
    conn = _given(source, CONNECTION_KEYS)
    opts = _given(source, OPTION_KEYS)
    side = rt.for_side(source)
    ca("skupper-service-ca", rt=side, site_name=source["site_name"], namespace=source["namespace"], **dict(conn, **opts))
    for index, svc in enumerate(source["services"]):
        where = "service_source.services[%d]" % index
        validate.dns_label(svc["name"], where + ".name", "Service name")
        cert(_service_secret(svc), rt=side, field=where + (".hosts" if svc.get("hosts") else ".name"),
             ca_secret="skupper-service-ca", common_name=svc["name"], hosts=svc.get("hosts") or [svc["name"]], namespace=source["namespace"],
             **dict(conn, **opts))


def ensure_links(rt, params):
    """Every link of one site: per link a client credential signed by the peer's site CA, and the Link.
    Every link's parameters are validated before the first is written."""
    _needs_action(params)
    validate.site_name(params["site_name"], "site_name")
    connection = _given(params, CONNECTION_KEYS)
    opts = _given(params, OPTION_KEYS)
    plan = Plan(Collector())
    for index, link in enumerate(params["links"]):
        remote = link["remote"]
        seen = _ensure_peer_ca(rt, connection, remote, link["peer_ca"], plan, "links[%d]." % index) if link.get("peer_ca") else {}
        p = args.validated(args.link_argument_spec(), args.LINK_RULES,
                           dict(connection, namespace=params["namespace"], site_name=params["site_name"], remote=remote,
                                endpoints=link.get("endpoints"), cost=link["cost"], name=link.get("name"), labels=params["labels"],
                                adopt=params["adopt"], **opts),
                           "links[%d]" % index)
        label = "%s -> %s" % (params["site_name"], remote["site_name"])
        plan.add("Link", label, _prefixed("links[%d]." % index, lambda p: (check_link(p), check_not_self(
            p, rt.store(p), rt.side_store(p, p["remote"], "remote."))), p), lambda p=p, seen=seen: ensure_link(rt, p, peer_ca=seen))
    return plan.run().result(site=params["site_name"], namespace=params["namespace"])


def _prefixed(prefix, check, params):
    """``check(params)`` whose ValidationError names the option under ``prefix`` (``links[2].endpoints[0].port``)."""
    def run():
        try:
            check(params)
        except validate.ValidationError as exc:
            raise _renamed(exc, prefix + exc.field) from None
    return run


def _ensure_peer_ca(rt, connection, remote, peer_ca, plan, prefix):
    """Job slicing: the peer's slice may not have created its site CA yet. Read it; when it is missing, create it
    with the peer's own parameters (what the peer's run would create), so this run converges in one pass.

    Returns a dict that holds the CA Secret under ``"object"`` once the step has found it present, for the link's
    signer: one read of the peer CA per link, not two."""
    ca_name = remote.get("ca_secret") or "skupper-site-ca"
    # the peer's cluster as the link reaches it: its own connection options, else this site's (ensure_link's rule)
    conn = _given(remote, CONNECTION_KEYS) if args.own_connection(remote) else connection
    p = args.validated(args.ca_argument_spec(), args.CA_RULES,
                       dict(conn, name=ca_name, namespace=remote["namespace"], site_name=peer_ca["site_name"],
                            **_given(peer_ca, OPTION_KEYS)),
                       prefix + "peer_ca")

    seen = {}

    def run():
        store = rt.side_store(connection, remote, "remote.")
        found = store.get(layout.secret_ref(remote["namespace"], ca_name))
        if found is not None:
            seen["object"] = found
            return None
        return ensure_ca(rt.for_side(remote), p)
    plan.add("Secret", "%s/%s" % (remote["namespace"], ca_name), _prefixed(prefix + "peer_ca.", check_ca, p), run)
    return seen
