#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_verify
short_description: Prove that Skupper TLS Secrets work together, with real TLS handshakes
version_added: 1.0.0
description:
  - Reads a server Secret (for example site B's C(skupper-site-server)) and optionally a client Secret (for example
    site A's link Secret C(link-B)), and makes mutual-TLS handshakes between them on the loopback interface of the
    host running the module. Nothing is written anywhere, and nothing listens beyond C(127.0.0.1).
  - The server presents the server Secret's C(tls.crt) and C(tls.key). When the client has a certificate, the server
    requires it and verifies it against the server Secret's C(ca.crt), as Skupper's router does.
  - The client trusts its Secret's C(ca.crt) and presents its C(tls.crt) and C(tls.key) if it has them; a client
    Secret with only C(ca.crt) (Skupper v1 C(skupper-service-client)) makes a server-authenticated handshake. Without
    O(client) the client trusts the server Secret's C(ca.crt) and presents no certificate.
  - The client checks the server certificate with host name verification against each of O(hosts) (an IP address is
    matched against the certificate's IP SANs), while connecting to C(127.0.0.1).
  - Each handshake is made once per method in O(methods) - Python's C(ssl) module and the C(openssl s_server)/C(s_client)
    binaries - so that two TLS implementations agree.
  - The module fails when any handshake fails, or when the Secrets or the Link cannot be read; RV(results) and
    RV(rows) are returned either way.
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.auth
  - skupper.tls.target
attributes:
  check_mode:
    support: full
    description: The module never writes; in check mode it runs the same handshakes and reports the same results.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no difference to show.
  idempotent:
    support: full
    description: Read-only; never reports a change.
  action_group:
    support: full
    membership:
      - skupper.tls.k8s
    description:
      - Use C(group/skupper.tls.k8s) in C(module_defaults) to set connection options once.
      - The top-level connection options are used by O(server) and O(client) when they set none of their own.
options:
  server:
    description:
      - The server side. Its Secret must hold C(tls.crt) and C(tls.key), and C(ca.crt) when the client presents a certificate.
      - Connection options (the same as this module's, without the C(K8S_AUTH_*) environment variables) select where it is;
        without any, it is read through this module's own connection.
    type: dict
    required: true
    suboptions: &side_options
      secret:
        description:
          - Name of the Secret.
          - For O(server), the TLS server's Secret (for example C(skupper-site-server), C(skupper-local-server), C(skupper-tls-<service>)).
          - For O(client), the client's Secret (for example a link Secret C(link-<site>), C(skupper-local-client), C(skupper-service-client)).
        type: str
        required: true
      namespace:
        description: Namespace of the Secret.
        type: str
        required: true
      target:
        description:
          - Where the Secret is read from, V(kubernetes) or V(directory) (manifests below the C(directory) suboption).
        type: str
        choices: [kubernetes, directory]
        default: kubernetes
      directory:
        description: Root directory of the manifests when the target is V(directory).
        type: path
      kubeconfig:
        description: Path(s) or content of the kubeconfig to load, as the top-level O(kubeconfig).
        type: raw
      context:
        description: The kubeconfig context to use.
        type: str
      host:
        description: URL of the Kubernetes API server.
        type: str
      api_key:
        description: Bearer token for the API server.
        type: str
      username:
        description: User name for HTTP basic authentication.
        type: str
      password:
        description: Password for HTTP basic authentication.
        type: str
      validate_certs:
        description: Whether to verify the API server's TLS certificate.
        type: bool
        aliases: [verify_ssl]
      ca_cert:
        description: Path to the CA certificate(s) of the API server.
        type: path
        aliases: [ssl_ca_cert]
      client_cert:
        description: Path to a client certificate to authenticate to the API server with.
        type: path
        aliases: [cert_file]
      client_key:
        description: Path to the private key of that client certificate.
        type: path
        aliases: [key_file]
      proxy:
        description: URL of a proxy to reach the API server through.
        type: str
      no_proxy:
        description: Comma-separated hosts reached without the proxy.
        type: str
      proxy_headers:
        description: Headers sent to the proxy.
        type: dict
        suboptions:
          proxy_basic_auth:
            description: V(user:password) for the proxy's basic authentication.
            type: str
          basic_auth:
            description: V(user:password) for basic authentication.
            type: str
          user_agent:
            description: User-Agent header for the proxy.
            type: str
      persist_config:
        description: Whether to write refreshed credentials back to the kubeconfig file.
        type: bool
      impersonate_user:
        description: User to act as.
        type: str
      impersonate_groups:
        description: Groups to act as.
        type: list
        elements: str
  client:
    description:
      - The client side, with the same suboptions as O(server). Its Secret must hold C(ca.crt), and C(tls.crt) with
        C(tls.key) to present a client certificate.
      - Without connection options of its own, it is read through this module's own connection.
      - When omitted, the client trusts the O(server) Secret's C(ca.crt) and presents no certificate.
    type: dict
    suboptions: *side_options
  hosts:
    description:
      - Host names or IP addresses the server certificate is checked against, one handshake (per method) each.
      - When empty, O(link) gives them.
    type: list
    elements: str
    default: []
  link:
    description:
      - Name of a Skupper v2 C(Link) in the O(client) namespace, read from the client's cluster or directory. When
        O(hosts) is empty, the hosts of its C(spec.endpoints) are checked.
      - When there is no C(Link) of that name, a Skupper v1 C(connection-token) Secret of that name gives them
        (its C(inter-router-host) and C(edge-host) annotations).
      - Requires O(client).
    type: str
  methods:
    description: The TLS implementations to make each handshake with.
    type: list
    elements: str
    choices: [python, openssl]
    default: [python, openssl]
  timeout:
    description: Seconds each handshake may take at most.
    type: float
    default: 10
  label:
    description:
      - Name of this check in RV(rows). Defaults to C(<client namespace>/<client secret> -> <server namespace>/<server secret>).
    type: str
notes:
  - The Secrets' private keys are written only to files of mode C(0600) in a new private temporary directory, removed
    after each handshake. They are never returned or logged.
  - The O(methods=[openssl]) method needs the C(openssl) command on the host running the module.
  - E(K8S_AUTH_*) environment variables apply to this module's own connection, so to a side that sets no connection option.
seealso:
  - module: skupper.tls.skupper_cert
  - module: skupper.tls.skupper_link
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0 (for a side with target V(kubernetes))
  - the C(openssl) command, for method V(openssl)
"""

EXAMPLES = r"""
- name: Verify west's link to east against each endpoint host of the Link
  skupper.tls.skupper_verify:
    server:
      secret: skupper-site-server
      namespace: east
      context: east-cluster
    client:
      secret: link-east
      namespace: west
      context: west-cluster
    link: link-east

- name: Verify the local router certificate for its service names (no client certificate)
  skupper.tls.skupper_verify:
    server:
      secret: skupper-local-server
      namespace: west
    hosts: [skupper-router-local, skupper-router-local.west]
    methods: [python]

- name: Verify a service certificate written as manifests
  skupper.tls.skupper_verify:
    target: directory
    directory: ./manifests/west
    server:
      secret: skupper-tls-backend
      namespace: west
    client:
      secret: skupper-service-client
      namespace: west
    hosts: [backend, backend.west]
  register: backend_tls

- name: Show the results
  ansible.builtin.debug:
    var: backend_tls.rows
"""

RETURN = r"""
ok:
  description: Whether every handshake succeeded.
  returned: always
  type: bool
  sample: true
results:
  description: One entry per host and method, in that order.
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: V(python) or V(openssl).
      type: str
    host:
      description: The host name or IP address the server certificate was checked against.
      type: str
    ok:
      description: Whether the handshake succeeded on both sides.
      type: bool
    error:
      description: Why it failed, prefixed with the side that saw it (C(client:) or C(server:)); null when it succeeded.
      type: str
    server_subject:
      description: Subject of the certificate the server presented, as the client received it.
      type: str
    client_subject:
      description: Subject of the certificate the client presented, as the server received it; null for a trust-only client.
      type: str
    tls_version:
      description: Negotiated protocol version, for example C(TLSv1.3).
      type: str
  sample:
    - {method: python, host: east.example.com, ok: true, error: null, server_subject: CN=skupper-router, client_subject: CN=west,
       tls_version: TLSv1.3}
rows:
  description: The results as a matrix, one row per host, each method's outcome (V(ok), V(FAIL), or V(-) when not run).
  returned: always
  type: list
  elements: dict
  sample:
    - {check: "west/link-east -> east/skupper-site-server", host: east.example.com, python: ok, openssl: ok, ok: true, error: ""}
hosts:
  description: The hosts checked (from O(hosts) or from O(link)).
  returned: always
  type: list
  elements: str
server:
  description: The server Secret and facts of its certificate (never key material).
  returned: when the server Secret could be read
  type: dict
  sample: {secret: east/skupper-site-server, store: "cluster https://east:6443", certificate: {common_name: skupper-router}}
client:
  description: The client Secret, facts of its certificate (empty for a trust-only client), and whether it presents one.
  returned: when the client Secret could be read, or no client was given
  type: dict
  sample: {secret: west/link-east, trust_only: false, certificate: {common_name: west}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.skupper.tls.plugins.module_utils import args, engine, handshake, layout, pki, runtime
from ansible_collections.skupper.tls.plugins.module_utils.store import ObjRef, StoreError

V1_TOKEN_HOSTS = ("inter-router-host", "edge-host")


def side_argument_spec():
    return args.side_argument_spec(secret=dict(type="str", required=True, no_log=False), namespace=dict(type="str", required=True))


def argument_spec():
    spec = dict(
        server=dict(type="dict", required=True, options=side_argument_spec()),
        client=dict(type="dict", options=side_argument_spec()),
        hosts=dict(type="list", elements="str", default=[]),
        link=dict(type="str"),
        methods=dict(type="list", elements="str", choices=list(handshake.METHODS), default=list(handshake.METHODS)),
        timeout=dict(type="float", default=handshake.DEFAULT_TIMEOUT),
        label=dict(type="str"),
    )
    spec.update(args.auth_argument_spec())
    spec.update(args.target_argument_spec())
    return spec


class Unusable(Exception):
    """The material for the handshakes cannot be had; every handshake fails with this message."""


def read_secret(store, side, what):
    label = "%s Secret %s/%s" % (what, side["namespace"], side["secret"])
    obj = store.get(layout.secret_ref(side["namespace"], side["secret"]))
    if not obj:
        raise Unusable("%s not found on %s" % (label, store.description))
    return label, layout.decode_data(obj)


def certificate_facts(pem, label):
    try:
        return pki.facts(pki.load_certificates(pem, field=label)[0])
    except pki.PkiError as exc:
        raise Unusable(str(exc))


def link_hosts(store, namespace, name):
    """Hosts of a v2 Link's spec.endpoints, else of a v1 connection-token Secret's annotations."""
    link = store.get(ObjRef("skupper.io/v2alpha1", "Link", namespace, name))
    if link:
        hosts = [ep.get("host") for ep in ((link.get("spec") or {}).get("endpoints") or []) if ep.get("host")]
        where = "Link %s/%s" % (namespace, name)
        if not hosts:
            raise Unusable("%s on %s has no endpoint hosts in spec.endpoints" % (where, store.description))
    else:
        token = store.get(layout.secret_ref(namespace, name))
        if not token:
            raise Unusable("link: neither a Link nor a connection-token Secret %s/%s on %s" % (namespace, name, store.description))
        annotations = (token.get("metadata") or {}).get("annotations") or {}
        hosts = [annotations[key] for key in V1_TOKEN_HOSTS if annotations.get(key)]
        if not hosts:
            raise Unusable("link: Secret %s/%s on %s has no %s annotation (not a connection token)" % (
                namespace, name, store.description, " or ".join(V1_TOKEN_HOSTS)))
    try:
        return list(pki.validate_hosts(hosts, field="link %s/%s endpoint hosts" % (namespace, name)))
    except pki.PkiError as exc:
        raise Unusable(str(exc))


def load_material(rt, params, out):
    """Server and client PEM material (dicts for handshake.handshake); fills ``out`` with hosts and facts. Raises Unusable."""
    server_side, client_side = params["server"], params.get("client")
    try:
        client_store = rt.side_store(params, client_side, "client.") if client_side else None
        if params.get("link") and not out["hosts"]:
            out["hosts"] = link_hosts(client_store, client_side["namespace"], params["link"])
        server_store = rt.side_store(params, server_side, "server.")
        label, data = read_secret(server_store, server_side, "server")
        missing = [key for key in (layout.TLS_CRT, layout.TLS_KEY) if not data.get(key)]
        if missing:
            raise Unusable("%s on %s has no %s" % (label, server_store.description, " and ".join(missing)))
        server = {"cert": data[layout.TLS_CRT], "key": data[layout.TLS_KEY], "ca": data.get(layout.CA_CRT)}
        out["server"] = {"secret": "%s/%s" % (server_side["namespace"], server_side["secret"]), "store": server_store.description,
                         "certificate": certificate_facts(server["cert"], "%s tls.crt" % label)}
        if not client_side:
            if not server["ca"]:
                raise Unusable("%s has no ca.crt for a client without a Secret of its own to trust" % label)
            out["client"] = {"secret": None, "trust_only": True, "certificate": {}}
            return server, {"ca": server["ca"]}
        clabel, cdata = read_secret(client_store, client_side, "client")
        if not cdata.get(layout.CA_CRT):
            raise Unusable("%s on %s has no ca.crt to trust the server with" % (clabel, client_store.description))
        if not cdata.get(layout.TLS_CRT) and cdata.get(layout.TLS_KEY):
            raise Unusable("%s has a tls.key but no tls.crt" % clabel)
        if cdata.get(layout.TLS_CRT) and not cdata.get(layout.TLS_KEY):
            raise Unusable("%s has a tls.crt but no tls.key" % clabel)
        client = {"ca": cdata[layout.CA_CRT], "cert": cdata.get(layout.TLS_CRT), "key": cdata.get(layout.TLS_KEY)}
        out["client"] = {"secret": "%s/%s" % (client_side["namespace"], client_side["secret"]), "store": client_store.description,
                         "trust_only": not client["cert"],
                         "certificate": certificate_facts(client["cert"], "%s tls.crt" % clabel) if client["cert"] else {}}
        if client["cert"] and not server["ca"]:
            raise Unusable("%s has no ca.crt to verify the client certificate of %s with" % (label, clabel))
        return server, client
    except (StoreError, pki.PkiError, layout.LayoutError) as exc:
        raise Unusable(str(exc))


def default_label(params):
    server, client = params["server"], params.get("client")
    target = "%s/%s" % (server["namespace"], server["secret"])
    return "%s/%s -> %s" % (client["namespace"], client["secret"], target) if client else "trust ca.crt -> %s" % target


def matrix(label, hosts, methods, results):
    rows = []
    for host in hosts:
        row = {"check": label, "host": host if host is not None else "-", "ok": True, "error": ""}
        errors = []
        for method in handshake.METHODS:
            found = [r for r in results if r["host"] == host and r["method"] == method]
            if method not in methods or not found:
                row[method] = "-"
                continue
            row[method] = "ok" if found[0]["ok"] else "FAIL"
            if not found[0]["ok"]:
                row["ok"] = False
                errors.append("%s: %s" % (method, found[0]["error"]))
        row["error"] = "; ".join(errors)
        rows.append(row)
    return rows


def execute(rt, params):
    for side in ("server", "client"):
        if params.get(side):
            layout.validate_namespace(params[side]["namespace"], "%s.namespace" % side)
            layout.validate_name(params[side]["secret"], "%s.secret" % side)
    if params.get("link"):
        layout.validate_name(params["link"], "link")
        if not params.get("client"):
            raise pki.PkiError("link", "requires client: the Link is read from the client's namespace")
    if not params["hosts"] and not params.get("link"):
        raise pki.PkiError("hosts", "give the hosts to check the server certificate against, or a link to read them from")
    if not params["methods"]:
        raise pki.PkiError("methods", "give at least one of %s" % ", ".join(handshake.METHODS))
    if params["timeout"] <= 0:
        raise pki.PkiError("timeout", "must be more than 0, got %r" % params["timeout"])
    methods = list(dict.fromkeys(params["methods"]))
    out = {"changed": False, "hosts": list(pki.validate_hosts(params["hosts"])) if params["hosts"] else []}
    label = params.get("label") or default_label(params)
    try:
        server, client = load_material(rt, params, out)
    except Unusable as exc:
        results = [dict(handshake.empty_result(method, host), error=str(exc)) for host in (out["hosts"] or [None]) for method in methods]
    else:
        results = [handshake.handshake(server, client, host, method, timeout=params["timeout"]) for host in out["hosts"] for method in methods]
    out.update(results=results, ok=all(r["ok"] for r in results), rows=matrix(label, out["hosts"] or [None], methods, results))
    if not out["ok"]:
        failures = [r for r in results if not r["ok"]]
        raise engine.EngineError("%s: %d of %d handshakes failed: %s" % (label, len(failures), len(results), "; ".join(
            "%s %s: %s" % (r["method"], r["host"] if r["host"] is not None else "-", r["error"]) for r in failures)), **out)
    return out


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    runtime.run(module, execute)


if __name__ == "__main__":
    main()
