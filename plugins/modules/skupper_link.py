#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_link
short_description: Link one Skupper site to another, with a client credential per link
version_added: 1.0.0
description:
  - Links site A (the local side, where this module writes) to site B (the O(remote) side, which accepts the link).
  - Issues a client certificate signed by B's site CA (read from B's cluster only to sign; its key never leaves
    memory), and writes into A's namespace a Secret holding it with B's trust bundle as C(ca.crt), plus a Skupper v2
    C(Link) with B's endpoints; or, for Skupper v1, a C(connection-token) Secret carrying the endpoints as annotations.
  - Endpoints come from O(endpoints), or from B's C(Site) C(status.endpoints).
  - Idempotent like the other modules. The credential is kept while it is ours, valid, signed by B's current CA and
    outside its renew window; a changed trust bundle on B rewrites only C(ca.crt); changed endpoints or cost update the Link in place.
  - With O(dest) the same objects are written to a YAML file (what C(skupper link generate) prints) instead of being applied.
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.certificate.attributes
  - skupper.tls.target
  - skupper.tls.auth
  - skupper.tls.side.remote
options:
  name:
    description:
      - Name of the C(Link) (Skupper v2) or of the token Secret (Skupper v1). Defaults to C(link-<remote site_name>).
    type: str
  namespace:
    description:
      - Namespace of the local site A, where the link is written.
    type: str
    required: true
  site_name:
    description:
      - Name of the local site A. Used as the client certificate's common name (default O(namespace)) and to refuse a link to itself.
    type: str
  endpoints:
    description:
      - B's link endpoints. When omitted, read from B's C(Site) C(status.endpoints).
    type: list
    elements: dict
    suboptions:
      name:
        description: Router role, V(inter-router) or V(edge).
        type: str
        required: true
      host:
        description: Host name or IP address of B's endpoint.
        type: str
        required: true
      port:
        description: Port, as a string (the Link CRD types it as string), for example C("55671").
        type: raw
        required: true
      group:
        description: Router group, for example C(skupper-router).
        type: str
  cost:
    description: Link cost.
    type: int
    default: 1
  tls_credentials:
    description: Name of the credential Secret in A's namespace. Defaults to C(link-<remote site_name>).
    type: str
  common_name:
    description: Common name of the client certificate. Defaults to O(site_name), else O(namespace).
    type: str
  key_type:
    description: Client key algorithm.
    type: str
    choices: [rsa, ecdsa]
    default: rsa
  key_size:
    description: RSA size or ECDSA curve size (2048 for RSA, 256 for ECDSA by default).
    type: int
  validity_days:
    description: Lifetime of the client certificate in days.
    type: int
    default: 1825
  renew_before_days:
    description: Reissue the client certificate when it expires within this many days.
    type: int
    default: 30
  skupper_version:
    description: V(2) writes a C(Link) and a C(kubernetes.io/tls) Secret; V(1) writes a C(connection-token) Secret.
    type: int
    choices: [1, 2]
    default: 2
  labels:
    description: Labels to set on what is written. Labels others set are kept.
    type: dict
    default: {}
  adopt:
    description: Take over a Link or Secret of that name that skupper.tls does not own.
    type: bool
    default: false
  force:
    description: Reissue the client certificate even if it satisfies the spec.
    type: bool
    default: false
  state:
    description: V(absent) removes the Link and its Secret, if skupper.tls owns them.
    type: str
    choices: [present, absent]
    default: present
  dest:
    description:
      - Write the Link(s) and the Secret to this YAML file (mode 0600) instead of applying them to A.
        Nothing is written to A's cluster; B is still read.
    type: path
notes:
  - B's CA private key is read only to sign, and is never returned, logged or written anywhere but the credential's certificate signature.
seealso:
  - module: skupper.tls.skupper_ca
  - module: skupper.tls.skupper_cert
requirements:
  - cryptography >= 41.0
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Link west to east (east's endpoints from its Site status)
  skupper.tls.skupper_link:
    namespace: west
    site_name: west
    context: west-cluster
    remote:
      namespace: east
      site_name: east
      context: east-cluster

- name: Link with explicit endpoints, written to a file for GitOps
  skupper.tls.skupper_link:
    namespace: west
    site_name: west
    remote:
      namespace: east
      site_name: east
      kubeconfig: /secure/east.kubeconfig
    endpoints:
      - {name: inter-router, host: east.example.com, port: "55671", group: skupper-router}
      - {name: edge, host: east.example.com, port: "45671", group: skupper-router}
    cost: 2
    dest: ./west/link-east.yaml
"""

RETURN = r"""
action:
  description: What happened overall (the credential's action, else the Link's).
  returned: always
  type: str
  choices: [created, reissued, updated_trust, updated, adopted, foreign, unchanged, deleted]
reasons:
  description: Why, prefixed with what it is about (C(secret) or C(link)).
  returned: always
  type: list
  elements: str
  sample: ["link: spec.cost: is 1, wanted 2"]
secret:
  description: The credential Secret's result (action, reasons, certificate facts, trust bundle). Never key material.
  returned: always
  type: dict
link:
  description: The Link's result (action, reasons, endpoints). Absent for Skupper v1.
  returned: when skupper_version is 2
  type: dict
endpoints:
  description: The endpoints used.
  returned: when state is present
  type: list
  elements: dict
  sample: [{name: inter-router, host: east.example.com, port: "55671", group: skupper-router}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.skupper.tls.plugins.module_utils import args, bundle, common, engine, layout, pki
from ansible_collections.skupper.tls.plugins.module_utils.store import ObjRef

ORDER = ["created", "adopted", "reissued", "updated_trust", "updated", "deleted", "foreign", "unchanged"]


def argument_spec():
    remote = dict(
        namespace=dict(type="str", required=True),
        site_name=dict(type="str", required=True),
        ca_secret=dict(type="str", default="skupper-site-ca", no_log=False),
    )
    remote = common.side_argument_spec(**remote)
    spec = dict(
        name=dict(type="str"),
        namespace=dict(type="str", required=True),
        site_name=dict(type="str"),
        remote=dict(type="dict", required=True, options=remote),
        endpoints=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True), host=dict(type="str", required=True), port=dict(type="raw", required=True), group=dict(type="str"))),
        cost=dict(type="int", default=1),
        tls_credentials=dict(type="str"),
        common_name=dict(type="str"),
        key_type=dict(type="str", default="rsa", choices=["rsa", "ecdsa"]),
        key_size=dict(type="int"),
        validity_days=dict(type="int", default=1825),
        renew_before_days=dict(type="int", default=30),
        skupper_version=dict(type="int", default=2, choices=[1, 2]),
        labels=dict(type="dict", default={}),
        adopt=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        dest=dict(type="path"),
    )
    spec.update(args.target_argument_spec())
    spec.update(args.auth_argument_spec())
    return spec


def check_endpoints(endpoints, field="endpoints"):
    out = []
    for index, ep in enumerate(endpoints):
        where = "%s[%d]" % (field, index)
        port = ep.get("port")
        if not isinstance(port, str):
            raise pki.PkiError(where + ".port", "must be a string such as \"55671\" (the Link CRD types port as string), got %s %r"
                               % (type(port).__name__, port))
        if not port.isdigit() or not 0 < int(port) < 65536:
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


def combine(secret_result, link_result):
    parts = [("secret", secret_result)] + ([("link", link_result)] if link_result else [])
    actions = [r["action"] for _n, r in parts]
    result = {
        "changed": any(r.get("changed") for _n, r in parts),
        "action": sorted(actions, key=ORDER.index)[0],
        "reasons": ["%s: %s" % (n, reason) for n, r in parts for reason in r.get("reasons", [])],
        "secret": dict((k, v) for k, v in secret_result.items() if k not in ("diff", "changed")),
        "diff": {"before": dict((n, r.get("diff", {}).get("before")) for n, r in parts),
                 "after": dict((n, r.get("diff", {}).get("after")) for n, r in parts)},
    }
    if link_result:
        result["link"] = dict((k, v) for k, v in link_result.items() if k not in ("diff", "changed"))
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, required_if=[("target", "directory", ["directory"])])
    common.check_libraries(module)
    params = module.params
    remote = params["remote"]

    def execute():
        v2 = params["skupper_version"] == 2
        layout.validate_namespace(params["namespace"])
        layout.validate_namespace(remote["namespace"], "remote.namespace")
        name = params.get("name") or "link-%s" % remote["site_name"]
        creds = params.get("tls_credentials") or ("link-%s" % remote["site_name"] if v2 else name)
        layout.validate_name(name, "name")
        layout.validate_name(creds, "tls_credentials")
        if params["cost"] < 1:
            raise pki.PkiError("cost", "must be 1 or more, got %d" % params["cost"])
        local = bundle.BundleFileStore(params["dest"], params["namespace"]) if params.get("dest") else args.open_store(params, module)
        remote_store = common.side_store(module, params, remote, "remote.")
        same_place = not params.get("dest") and local.description == remote_store.description and remote["namespace"] == params["namespace"]
        if same_place or params.get("site_name") == remote["site_name"]:
            raise pki.PkiError("remote", "site %s (namespace %s) cannot link to itself" % (remote["site_name"], remote["namespace"]))
        if params["state"] == "absent":
            secret_result = engine.ensure_absent(local, params["namespace"], creds, module.check_mode)
            link_result = None
            if v2:
                link_result = _delete_link(local, params["namespace"], name, module.check_mode)
            return combine(secret_result, link_result)

        endpoints = check_endpoints(params["endpoints"]) if params.get("endpoints") else remote_endpoints(
            remote_store, remote["namespace"], remote["site_name"])
        spec_params = dict(params, name=creds, annotations={})
        spec = common.cert_spec(spec_params, params.get("common_name") or params.get("site_name") or params["namespace"], usage="client")
        labels, annotations = dict(params["labels"]), {}
        if not v2:
            labels["skupper.io/type"] = "connection-token"
            for role in ("inter-router", "edge"):
                ep = next((e for e in endpoints if e["name"] == role), None)
                if ep:
                    annotations["%s-host" % role], annotations["%s-port" % role] = ep["host"], ep["port"]
            annotations["skupper.io/cost"] = str(params["cost"])
        req = common.request(dict(spec_params, labels=labels, annotations=annotations), secret_type=layout.TYPE_TLS)
        try:
            issuer, trust = common.issuer_from_secret(remote_store, remote["namespace"], remote["ca_secret"], field="remote.ca_secret")
        except common.CaMissing as exc:
            if not module.check_mode:
                raise
            secret_result = common.predict_without_ca(local, req, spec, exc.label)
        else:
            secret_result = engine.ensure(local, req, common.leaf_material(spec, issuer, trust), module.check_mode)
        link_result = None
        if v2:
            link = {"apiVersion": "skupper.io/v2alpha1", "kind": "Link",
                    "metadata": {"name": name, "namespace": params["namespace"], "labels": dict(params["labels"])},
                    "spec": {"endpoints": endpoints, "tlsCredentials": creds, "cost": params["cost"]}}
            link_result = engine.ensure_object(local, link, adopt=params["adopt"], check_mode=module.check_mode)
        result = combine(secret_result, link_result)
        result["endpoints"] = endpoints
        if params.get("dest"):
            result["dest"] = params["dest"]
        return result

    common.run(module, execute)


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


if __name__ == "__main__":
    main()
