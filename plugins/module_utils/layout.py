# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How Skupper's TLS Secrets are shaped, and who owns them.

Pure functions on API-shaped dicts: no Ansible, no Kubernetes client, no cryptography.

* data keys: ``tls.crt`` (certificate only, no chain), ``tls.key``, ``ca.crt`` (trust
  bundle), and for rotation ``next.crt``/``next.key`` (pending CA) and ``prev.crt``
  (retired CA still trusted).
* ownership: the ``app.kubernetes.io/managed-by: skupper.tls`` label. A Secret without it is
  *foreign*. Skupper's own control markers (reference section 5.1) are never added by us and
  are removed when a Secret is adopted.
* metadata merge: labels, annotations and owner references others put on a Secret survive
  every write (Skupper adds ``internal.skupper.io/tls-profile-context`` to Secrets it uses).
"""

from __future__ import annotations

import base64
import collections
import copy
import json
import re

from ansible_collections.skupper.tls.plugins.module_utils import validate

MANAGED_BY = "app.kubernetes.io/managed-by"
OWNER = "skupper.tls"
SKUPPER_CONTROLLED = "internal.skupper.io/controlled"

# Which object: the key of every store (defined here so that layout needs nothing from storage).
ObjRef = collections.namedtuple("ObjRef", ["api_version", "kind", "namespace", "name"])

TLS_CRT = "tls.crt"
TLS_KEY = "tls.key"
CA_CRT = "ca.crt"
NEXT_CRT = "next.crt"
NEXT_KEY = "next.key"
PREV_CRT = "prev.crt"

TYPE_TLS = "kubernetes.io/tls"
TYPE_OPAQUE = "Opaque"

# CA Secrets Skupper itself signs with: its controller parses their key as PKCS#1 RSA only.
SKUPPER_SIGNING_CAS = ("skupper-site-ca", "skupper-local-ca", "skupper-service-ca")


class LayoutError(validate.ValidationError):
    """Bad input about names or metadata; ``str()`` is ``"<field>: <message>"`` (a ValidationError, so every boundary
    that reports bad input reports it the same way)."""

    def __init__(self, message):
        ValueError.__init__(self, message)  # pylint: disable=non-parent-init-called
        field, _sep, rest = message.partition(": ")
        self.field, self.message, self.problem = field, rest or message, rest or message
        self.value, self.allowed, self.secret = None, None, False


def secret_ref(namespace, name):
    return ObjRef("v1", "Secret", namespace, name)


def validate_metadata(labels, annotations, fields=("labels", "annotations")):
    """Labels and annotations the user asked for (Kubernetes' rules, validate.labels/annotations), plus ours: the
    managed-by label is how skupper.tls marks what it owns, and Skupper's controlled annotation is never set."""
    validate.labels(labels, fields[0])
    validate.annotations(annotations, fields[1])
    if (labels or {}).get(MANAGED_BY, OWNER) != OWNER:
        raise validate.ValidationError("%s[%s]" % (fields[0], MANAGED_BY), labels[MANAGED_BY], "cannot be set: it is how skupper.tls marks what it owns",
                                       "%r or unset" % OWNER)
    if SKUPPER_CONTROLLED in (annotations or {}):
        raise validate.ValidationError(fields[1], SKUPPER_CONTROLLED, "would make Skupper regenerate this Secret and overwrite it; it is never set",
                                       "any annotation but %s" % SKUPPER_CONTROLLED)


def is_ours(obj):
    return bool(obj) and ((obj.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) == OWNER


def skupper_controlled(obj):
    """Skupper's own test (reference 5.1): the controlled annotation, or a Certificate owner reference."""
    meta = (obj or {}).get("metadata") or {}
    if SKUPPER_CONTROLLED in (meta.get("annotations") or {}):
        return True
    return any(_is_certificate_owner(ref) for ref in meta.get("ownerReferences") or [])


def _is_certificate_owner(ref):
    return ref.get("kind") == "Certificate" and ref.get("apiVersion") == "skupper.io/v2alpha1"


def decode_data(obj):
    """Secret ``data`` as bytes by key (base64 decoded). Undecodable values become b""."""
    out = {}
    for key, value in ((obj or {}).get("data") or {}).items():
        try:
            out[key] = base64.b64decode(value or "", validate=True)
        except (ValueError, TypeError):
            out[key] = b""
    return out


def encode_data(data):
    return dict((key, base64.b64encode(value).decode("ascii")) for key, value in sorted(data.items()))


def default_ca_subject(name, skupper_version, site_name):
    """Skupper's CN for a CA it would create: v2 ``<site> site CA`` / ``<site> local CA``, otherwise the Secret name."""
    if skupper_version == 2 and name in ("skupper-site-ca", "skupper-local-ca"):
        if not site_name:
            raise LayoutError("site_name: required to derive the subject of %s in Skupper v2 ('<site> %s CA'); give site_name or subject"
                              % (name, name.split("-")[1]))
        return "%s %s CA" % (site_name, name.split("-")[1])
    return name


def build_secret(existing, namespace, name, secret_type, data, labels=None, annotations=None, remove_keys=(), adopt=False):
    """The Secret to write: ``existing`` (or nothing) updated with our data and metadata.

    Data keys we do not manage are kept; ``remove_keys`` are dropped. Labels, annotations,
    owner references and finalizers of others are kept, except Skupper's control markers
    (the controlled annotation always, a Certificate owner reference when adopting). The type of an existing Secret is immutable and therefore kept.
    """
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}, "type": secret_type}
    if existing:
        old_meta = existing.get("metadata") or {}
        obj["metadata"] = dict((k, copy.deepcopy(old_meta[k])) for k in ("labels", "annotations", "ownerReferences", "finalizers", "resourceVersion")
                               if k in old_meta)
        obj["metadata"].update(name=name, namespace=namespace)
        obj["type"] = existing.get("type") or secret_type
    meta = obj["metadata"]
    meta["labels"] = dict(meta.get("labels") or {}, **(labels or {}))
    meta["labels"][MANAGED_BY] = OWNER
    merged_annotations = dict(meta.get("annotations") or {}, **(annotations or {}))
    # Skupper's controlled annotation never stays on a Secret we write, adopted or already labelled as ours (a
    # forged label): with it Skupper would regenerate the Secret over ours.
    merged_annotations.pop(SKUPPER_CONTROLLED, None)
    if adopt:
        owners = [ref for ref in meta.get("ownerReferences") or [] if not _is_certificate_owner(ref)]
        if owners:
            meta["ownerReferences"] = owners
        else:
            meta.pop("ownerReferences", None)
    if merged_annotations:
        meta["annotations"] = merged_annotations
    else:
        meta.pop("annotations", None)
    merged = decode_data(existing) if existing else {}
    for key in remove_keys:
        merged.pop(key, None)
    merged.update(data)
    obj["data"] = encode_data(merged)
    return obj


def prune(value):
    """Drop empty values recursively, as ``skupper link generate`` does before printing."""
    if isinstance(value, dict):
        pruned = dict((k, prune(v)) for k, v in value.items())
        return dict((k, v) for k, v in pruned.items() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


# --------------------------------------------------------------------------- Skupper rules
#
# Each function below restates one rule of Skupper's own source as pure data. The citation
# names the Go file and the tag or commit read (repository skupperproject/skupper; HEAD is
# 80b1ba6de37f98756e0cf0a67f3450e0c202962d). docs/SKUPPER.md explains each rule; the facts
# with line numbers are in the research notes the lead keeps.

SITE_SERVER = "skupper-site-server"
DEFAULT_ROUTER_ACCESS = "skupper-router"
ROUTER_GROUPS = ("skupper-router", "skupper-router-2")
ROLES = ("inter-router", "edge")
DEFAULT_PORTS = {"inter-router": "55671", "edge": "45671"}
SKUPPER_NAMES_V2 = ("skupper-site-ca", "skupper-local-ca", "skupper-local-server", SITE_SERVER)
PRIOR_VALID_REVISIONS = "skupper.io/tls-prior-valid-revisions"
SITE_PRIOR_VALID_REVISIONS = "tls-prior-valid-revisions"


class EndpointsUnknown(LayoutError):
    """No host a peer dials is known yet, so no server certificate a link can verify can be issued."""


def router_groups(ha):
    """Router groups of a v2 site: ``skupper-router``, plus ``skupper-router-2`` with ``spec.ha``.

    Source: internal/kube/site/site.go ``groups`` (2.0.0..HEAD 80b1ba6d, line 332).
    """
    return list(ROUTER_GROUPS if ha else ROUTER_GROUPS[:1])


def secured_access_names(ha, router_access=DEFAULT_ROUTER_ACCESS):
    """SecuredAccess names of one RouterAccess: ``<ra>``, plus ``<ra>-2`` for the second HA group.

    Source: internal/kube/site/site.go ``checkSecuredAccess`` (HEAD line 1660: ``%s-%d`` with i+1 for i > 0).
    """
    return [router_access] + (["%s-2" % router_access] if ha else [])


def endpoint_hosts(status, groups=None):
    """Distinct non-empty ``host`` values of ``status.endpoints``, in endpoint order.

    ``status`` is the ``status`` of a Site, RouterAccess or SecuredAccess (or the whole object).
    ``groups`` keeps only endpoints of those router groups. Skupper's own set is built the same
    way, without order (internal/kube/securedaccess/access.go ``getHosts``, 2.0.0..HEAD).
    A Site's status lists the endpoints of every RouterAccess (site.go ``endpoints``); the ones
    the site server certificate must cover are those of RouterAccess ``skupper-router``.
    """
    if isinstance(status, dict) and "status" in status and "endpoints" not in status:
        status = status.get("status")
    found = []
    for index, endpoint in enumerate((status or {}).get("endpoints") or []):
        if not isinstance(endpoint, dict):
            raise LayoutError("status.endpoints[%d]: must be a mapping with host, port, name, group; got %r" % (index, endpoint))
        if groups is not None and endpoint.get("group") not in groups:
            continue
        host = endpoint.get("host")
        if host and host not in found:
            found.append(str(host))
    return found


def site_server_hosts(namespace, endpoint_hosts, version=2, ha=False, router_access=DEFAULT_ROUTER_ACCESS, require_endpoints=True):
    """The SANs ``skupper-site-server`` must carry so links verify and Skupper accepts the Secret.

    v2: the sorted, de-duplicated union of every endpoint host and, per SecuredAccess ``sa`` of the
    RouterAccess (``skupper-router``, and ``skupper-router-2`` with HA), ``sa`` and ``sa.<ns>``.
    Sources: internal/kube/securedaccess/access.go ``getHosts`` (HEAD line 618) and
    internal/kube/certificates/ownermappings.go ``CombinedHosts`` (sorted union, HEAD line 89).
    From 2.2.0 ``isSecretCorrect`` (mgr.go line 445) wants exactly this set: no name more, no name less.

    v1: ``skupper-router.<ns>``, ``skupper-router.<ns>.svc.cluster.local``, then the resolved hosts
    (client/router_create.go lines 973-975 and 1420-1425, tag 1.9.6).

    With ``require_endpoints`` and no endpoint host, raises ``EndpointsUnknown``: such a certificate
    only names the in-cluster Service, so every link from another cluster fails the router's
    hostname check (v1 refuses too: ``Failed to resolve SANs``, router_create.go line 1418).
    """
    validate.namespace(namespace)
    hosts = [h for h in endpoint_hosts or [] if h]   # exactly as given: validate.hosts checks them where they are written
    if require_endpoints and not hosts:
        raise EndpointsUnknown(
            "%s in %s: no endpoint host is known (no skupper_external_hosts, and the Site/RouterAccess %s status has no endpoints yet); "
            "a certificate naming only the in-cluster Service would fail every link's hostname check. Set skupper_external_hosts, "
            "or run again once the Site reports status.endpoints" % (SITE_SERVER, namespace, router_access))
    if version == 1:
        out = ["skupper-router.%s" % namespace, "skupper-router.%s.svc.cluster.local" % namespace]
        return out + [h for i, h in enumerate(hosts) if h not in out and h not in hosts[:i]]
    if version != 2:
        raise LayoutError("skupper_version: must be 1 or 2, got %r" % (version,))
    wanted = set(hosts)
    for sa in secured_access_names(ha, router_access):
        wanted.update((sa, "%s.%s" % (sa, namespace)))
    return sorted(wanted)


def skupper_hosts_correct(dns_names, ip_addresses, spec_hosts, exact=True):
    """Skupper's host test of a Secret against its Certificate ``spec.hosts``.

    ``dns_names``/``ip_addresses``: the certificate's SAN values (strings). Empty DNS names are
    ignored; an IP counts once however it is written. ``exact`` (2.2.0+): set equality; otherwise
    (2.0.0-2.1.4) every wanted host must be present and extra names are allowed.
    Source: internal/kube/certificates/mgr.go ``isSecretCorrect`` (HEAD line 445; 2.2.0 commit 40826c8d).
    Returns ``(missing, extra)``: both empty means Skupper's Certificate reports Ready.
    """
    have = set(n for n in dns_names or [] if n) | set(str(ip) for ip in ip_addresses or [])
    wanted = set(spec_hosts or [])
    missing = sorted(wanted - have)
    extra = sorted(have - wanted) if exact else []
    return missing, extra


def _label_match(pattern, label):
    # Proton compares the text before the first '*' with the label's start and the text after it
    # with the label's end, independently (so they may overlap: 'ab*ba' matches 'aba').
    if "*" not in pattern:
        return pattern == label
    prefix, _star, suffix = pattern.partition("*")
    return label.startswith(prefix) and len(label) >= len(suffix) and label.endswith(suffix)


def proton_name_matches(pattern, host):
    """Proton's ``match_dns_pattern``: case-insensitive; a ``*`` matches inside one label, label counts equal.

    Source: qpid-proton c/src/ssl/openssl.c ``match_dns_pattern`` line 247 (main caf0f45c; same in 0.37.0-0.40.0).
    """
    if not pattern or not host:
        return False
    pattern, host = pattern.lower(), host.lower()
    if "*" not in pattern:
        return pattern == host
    plabels, hlabels = pattern.split("."), host.split(".")
    return len(plabels) == len(hlabels) and all(_label_match(p, h) for p, h in zip(plabels, hlabels))


def _dns_sans(sans):
    out = []
    for san in sans or []:
        kind, sep, value = str(san).partition(":")
        if sep and kind == "DNS" and value:
            out.append(value)
    return out


def router_verifies(sans, common_name, host):
    """Whether the router (Proton, ``verifyHostname`` true, the default) accepts a server cert for ``host``.

    ``sans`` in ``pki.sans_of`` form (``DNS:x``, ``IP:y``). Only DNS entries count: an IP host must
    be written as ``DNS:<ip>`` (IP SANs are never read), then the CN is tried even when DNS SANs exist.
    Sources: qpid-proton c/src/ssl/openssl.c ``verify_callback`` lines 334-370 (main caf0f45c); skupper-router
    src/adaptors/amqp/server_config.c (verifyHostname default true); reference 4.5.
    """
    names = _dns_sans(sans)
    if common_name:
        names.append(common_name)
    return any(proton_name_matches(name, host) for name in names)


def uncovered_hosts(sans, common_name, hosts):
    """The ``hosts`` (in order, de-duplicated) a server certificate does not cover for the router."""
    out = []
    for host in hosts or []:
        if host and host not in out and not router_verifies(sans, common_name, host):
            out.append(host)
    return out


def link_dialed_hosts(endpoints, role=None):
    """The hosts a Link's router connector dials: the ``host`` of its endpoints named ``role``.

    The connector uses the endpoint whose ``name`` is the local router role (``inter-router``, or
    ``edge`` on an edge site): internal/site/link.go ``Apply`` (HEAD). With ``role`` None every
    endpoint's host is returned, since a site may change role later.
    """
    out = []
    for endpoint in endpoints or []:
        if role is not None and endpoint.get("name") != role:
            continue
        host = endpoint.get("host")
        if host and host not in out:
            out.append(host)
    return out


# --------------------------------------------------------------------------- link names (reference 4.4)

def link_name_problems(link_name, secret_name, ha_possible=True):
    """Why a Link / link Secret name collides with a name Skupper uses in the same namespace.

    * A Link named ``skupper-router``/``skupper-router-2`` shares its router connector name with the
      HA inter-group connector (internal/site/routeraccess.go ``desiredConnectors``: connector
      name = group name), so one replaces the other in group 2's router config.
    * A Secret named like a Certificate Skupper creates is judged (and, if the Certificate is
      deleted, deleted) by Skupper's certificate manager (internal/kube/certificates/mgr.go
      ``certificateDeleted``, 2.0.0..HEAD).
    * A Secret ``X-profile`` is read instead of ``X`` for the Link's sslProfile ``X-profile``
      (internal/kube/secrets/manager.go ``profileSecrets``).
    """
    problems = []
    if link_name in ROUTER_GROUPS and ha_possible:
        problems.append("Link name %r is the name of the HA inter-group router connector; the two would replace each other" % link_name)
    if secret_name in SKUPPER_NAMES_V2:
        problems.append("Secret name %r is a Certificate Skupper creates in every site namespace; deleting the Site deletes this Secret" % secret_name)
    if secret_name.endswith("-profile"):
        problems.append("Secret name %r ends in -profile: Skupper would read it as the sslProfile of Secret %r" % (secret_name, secret_name[:-8]))
    return problems


def certificate_deletion_risk(secret_name, certificates):
    """Reason a Secret can be deleted by Skupper, or None (reference 5.4).

    When a Certificate CR is deleted, Skupper deletes the Secret of the same name in that namespace
    whoever created it (internal/kube/certificates/mgr.go ``certificateDeleted``, HEAD line 272,
    same body 2.0.0..HEAD). ``certificates``: the Certificate CRs (dicts) of the Secret's namespace.
    """
    for cert in certificates or []:
        meta = cert.get("metadata") or {}
        if meta.get("name") != secret_name:
            continue
        owners = ["%s/%s" % (ref.get("kind"), ref.get("name")) for ref in meta.get("ownerReferences") or []]
        when = ("when %s is deleted (Kubernetes then deletes the Certificate)" % " or ".join(owners)) if owners \
            else "when someone deletes that Certificate (it has no owner: e.g. made by `skupper link generate`)"
        return "Certificate %s/%s exists: Skupper deletes this Secret %s" % (meta.get("namespace", "?"), secret_name, when)
    return None


# --------------------------------------------------------------------------- Skupper v1 (tag 1.9.6)

V1_CONNECT_JSON_TEMPLATE = (
    '\n{\n    "scheme": "amqps",\n    "host": "%s",\n    "port": "5671",\n    "tls": {\n'
    '        "ca": "/etc/messaging/ca.crt",\n        "cert": "/etc/messaging/tls.crt",\n'
    '        "key": "/etc/messaging/tls.key",\n        "verify": true\n    }\n}\n')

V1_TYPE_LABEL = "skupper.io/type"
V1_TOKEN = "connection-token"
V1_GENERATED_BY = "skupper.io/generated-by"
V1_SITE_VERSION = "skupper.io/site-version"
V1_COST = "skupper.io/cost"
V1_SERVICE_GENERATED_PREFIX = "skupper-tls-"
V1_MINIMUM_VERSION = (0, 8, 0)


def v1_connect_json(namespace):
    """``skupper-local-client`` ``connect.json`` exactly as v1 writes it (bytes).

    Not compact JSON: a leading and a trailing newline, 4/8-space indent, ``"port"`` a string.
    ``skupper update`` (1.5.3+) and the site controller at start-up delete and recreate
    ``skupper-local-client`` when the text differs (case-insensitively) from this.
    Sources: pkg/utils/configs/config.go ``ConnectJson`` lines 3-18; client/router_update.go line 424;
    api/types/types.go ``QualifiedServiceName`` line 842 (tag 1.9.6).
    """
    validate.namespace(namespace)
    return (V1_CONNECT_JSON_TEMPLATE % ("skupper-router-local.%s.svc.cluster.local" % namespace)).encode("ascii")


def v1_token_metadata(remote_site_id, remote_site_version, endpoints, cost=None):
    """Labels and annotations of a v1 cert token Secret that ``skupper link create`` accepts.

    ``endpoints``: ``[{name: inter-router|edge, host, port}]`` of the remote (issuing) site.
    ``remote_site_id``: UID of the remote namespace's ConfigMap ``skupper-site``;
    ``remote_site_version``: the remote router config's site version (e.g. ``1.9.6``).
    Sources: client/connector_token_create.go ``annotateConnectorToken`` lines 85-121;
    pkg/domain/link.go ``VerifyNotSelfOrDuplicate`` line 151, ``VerifySecretCompatibility`` line 181;
    pkg/domain/token.go ``VerifyToken`` line 25 (tag 1.9.6; same checks 1.4.4-1.9.6).
    """
    if not remote_site_id or not isinstance(remote_site_id, str):
        raise LayoutError("remote site id: required for %s (the UID of the remote ConfigMap skupper-site); without it every later "
                          "`skupper link create` on this site fails with 'A secret has no author.', got %r" % (V1_GENERATED_BY, remote_site_id))
    if not remote_site_version or not isinstance(remote_site_version, str):
        raise LayoutError("remote site version: required for %s (`skupper link create` refuses an undefined version), got %r"
                          % (V1_SITE_VERSION, remote_site_version))
    annotations = {V1_GENERATED_BY: remote_site_id, V1_SITE_VERSION: remote_site_version}
    by_role = dict((ep.get("name"), ep) for ep in endpoints or [])
    for role in ROLES:
        ep = by_role.get(role)
        if not ep or not ep.get("host"):
            raise LayoutError("endpoints: a v1 token needs an %s endpoint with a host (annotation %s-host), got %r" % (role, role, endpoints))
        annotations["%s-host" % role] = str(ep["host"])
        annotations["%s-port" % role] = str(ep.get("port") or DEFAULT_PORTS[role])
    if cost is not None:
        annotations[V1_COST] = str(int(cost))
    return {V1_TYPE_LABEL: V1_TOKEN}, annotations


def _version_tuple(text):
    match = re.match(r"^v?(\d+)[.+-](\d+)?(\.(\d+))?", text or "")
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2) or 0), int(match.group(4) or 0))


def v1_token_problems(secret, local_site_id=None, other_tokens=()):
    """What ``skupper link create`` (tag 1.9.6) would refuse in a token Secret, as messages.

    Mirrors ``VerifyToken`` (label or deduced type, data keys), ``VerifyNotSelfOrDuplicate``
    (origin present, not self, no other token from the same origin, every other token has an
    origin) and ``VerifySecretCompatibility`` (a defined site version). The minimum-version test
    (0.8.0) is applied only when the version parses, as in pkg/utils/version.go ``IsValidFor``.
    """
    meta = (secret or {}).get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations")
    data = (secret or {}).get("data") or {}
    problems = []
    kind = labels.get(V1_TYPE_LABEL) or (V1_TOKEN if "tls.crt" in data else None)
    if kind != V1_TOKEN:
        problems.append("label %s is %r: not a cert token (%s)" % (V1_TYPE_LABEL, labels.get(V1_TYPE_LABEL), V1_TOKEN))
    for key in (TLS_KEY, TLS_CRT, CA_CRT):
        if key not in data:
            problems.append("Expected %s field in secret data" % key)
    if annotations is None:
        return problems + ["The secret has not annotations"]
    origin = annotations.get(V1_GENERATED_BY)
    if origin is None:
        problems.append("Can't find secret origin. (annotation %s missing)" % V1_GENERATED_BY)
    elif local_site_id and origin == local_site_id:
        problems.append("Can't create connection to self with token")
    for other in other_tokens or []:
        other_meta = other.get("metadata") or {}
        if other_meta.get("name") == meta.get("name"):
            continue
        other_origin = (other_meta.get("annotations") or {}).get(V1_GENERATED_BY)
        if other_origin is None:
            problems.append("A secret has no author. (%s has no %s)" % (other_meta.get("name"), V1_GENERATED_BY))
        elif origin is not None and other_origin == origin:
            problems.append("Already connected to \"%s\". (by %s)" % (origin, other_meta.get("name")))
    version = annotations.get(V1_SITE_VERSION) or ""
    if not version:
        problems.append("annotation %s missing: remote site version is undefined" % V1_SITE_VERSION)
    elif _version_tuple(version) is not None and (0, 0, 0) < _version_tuple(version) < V1_MINIMUM_VERSION:
        problems.append("minimum version required 0.8.0 - remote site version is %s" % version)
    return problems


def v1_service_secret_name(service):
    """Name of a pre-provisioned v1 service TLS Secret: ``skupper-service-tls-<service>``.

    v1 only loads a Secret it did not generate under a name that does not start with ``skupper-tls-``
    (given with ``--tls-cert``): for a ``skupper-tls-*`` name that already exists it adds no sslProfile,
    and it deletes that Secret when the service goes away. Source: pkg/kube/qdr/tls_handler.go
    ``EnableTlsSupport``, ``DisableTlsSupport``, ``isGeneratedBySkupper`` line 179 (tag 1.9.6).
    """
    validate.k8s_name(service, "service name")
    name = "skupper-service-tls-%s" % service
    return validate.k8s_name(name, "service Secret name")


def v1_service_name_problem(secret_name):
    """Why a v1 service TLS Secret name will not be loaded by Skupper v1, or None."""
    if secret_name.startswith(V1_SERVICE_GENERATED_PREFIX):
        return ("%r starts with %r: Skupper v1 treats it as its own (never adds its sslProfile when it already exists, deletes it with "
                "the service); use a name like %r with --tls-cert" % (secret_name, V1_SERVICE_GENERATED_PREFIX,
                                                                      "skupper-service-tls-" + secret_name[len(V1_SERVICE_GENERATED_PREFIX):]))
    return None


V1_SITE_CONFIGMAP = "skupper-site"
V1_INTERNAL_CONFIGMAP = "skupper-internal"
V1_ROUTER_CONFIG_KEY = "skrouterd.json"


def v1_site_version(router_config):
    """The site version v1 puts in a token's ``skupper.io/site-version``: ``version`` in the ``metadata`` JSON of the
    ``router`` entity of ``skrouterd.json`` (ConfigMap ``skupper-internal``); None when it cannot be read.

    Sources: pkg/qdr/qdr.go ``GetSiteMetadata`` line 255, ``RouterConfig`` marshalling (entities as
    ``[type, attributes]`` pairs) and ``types.TransportConfigFile`` (tag 1.9.6).
    """
    try:
        entities = json.loads(router_config) if isinstance(router_config, (str, bytes)) else None
        for entity in entities or []:
            if isinstance(entity, list) and len(entity) == 2 and entity[0] == "router" and isinstance(entity[1], dict):
                meta = entity[1].get("metadata")
                version = (json.loads(meta) if isinstance(meta, str) else meta or {}).get("version")
                return str(version) if version else None
    except (ValueError, TypeError, AttributeError):
        return None
    return None
