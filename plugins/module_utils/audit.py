# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet audit: every site's TLS Secrets and Links in, findings and one report dict out (docs/AUDIT.md).

Pure apart from ``collect()``, which reads objects through any Store (``get(ObjRef)``). ``build_report()`` takes
the ``skupper.tls.site`` inventory models and the objects found, and returns the report: per object its
ownership, certificate facts, days to expiry, rotation phase and what Skupper's own controller would do with
it; per link A->B whether A's credential chains to what B's server trusts and whether B's server certificate
verifies for every host A dials (static, no network); findings with a severity and a message naming the
site, the object and the reason. Never a key byte or Secret ``data`` value in the report: only data key
names, certificate facts and fingerprints.

The rules of "what Skupper would do" follow /work/shared/reference/skupper-tls.md (cited as "reference §n"),
which was read against github.com/skupperproject/skupper: v2 ``internal/kube/certificates/mgr.go``
(``isSecretControlled``, ``isSecretCorrect``, ``updateSecret``, ``certificateDeleted``; tags v2.0.0-2.2.1) and
v1 ``client/router_update.go`` / ``cmd/service-controller/token_handler.go`` (tag 1.9.6).
"""

from __future__ import annotations

import datetime

from ansible_collections.skupper.tls.plugins.module_utils import layout, pki
from ansible_collections.skupper.tls.plugins.module_utils.store import ObjRef

SCHEMA_VERSION = 1
SEVERITIES = ("ok", "info", "warning", "critical")
RANK = dict((s, i) for i, s in enumerate(SEVERITIES))

# check name -> (worst severity it can report, what it looks at); the catalogue in docs/AUDIT.md
CHECKS = {
    "read": ("critical", "the site's cluster or directory could not be read (connection, permissions)"),
    "present": ("critical", "a Secret or Link the inventory implies is missing"),
    "parse": ("critical", "tls.crt / ca.crt / next.crt unparseable or missing, CA without tls.key"),
    "key_pair": ("critical", "tls.key missing, unreadable, not the key of tls.crt, or an RSA key failing cryptography's consistency check"),
    "expiry": ("critical", "days until a leaf certificate expires, against audit_warn_days / audit_fail_days"),
    "ca_expiry": ("critical", "days until a CA (signer, pending CA) expires, against the same thresholds"),
    "chain": ("critical", "the certificate is not signed by any certificate of its own ca.crt"),
    "issuer": ("critical", "a leaf is not signed by the current signer of its CA Secret (warning: by the previous/pending CA)"),
    "trust_bundle": ("warning", "a leaf's ca.crt does not hold the current signer of its CA Secret"),
    "sans": ("critical", "a server certificate does not cover a host that clients dial (Link endpoints, Site status, service hosts)"),
    "spec": ("warning", "a foreign Secret differs from what the collection would write (CN, hosts, issuer, renew window)"),
    "ownership": ("warning", "foreign Secret (info when it satisfies the spec) or Secret controlled by Skupper"),
    "skupper": ("critical", "what Skupper's controller does with the Secret: not ready (warning), regenerate or delete (critical)"),
    "rotation": ("critical", "a CA rotation left half-way (warning), or a pending CA without its key (critical)"),
    "link": ("critical", "the Link object: tlsCredentials, endpoints (v1: the connection-token label and annotations)"),
    "link_trust": ("critical", "A's link credential does not chain to what B's skupper-site-server trusts (ca.crt)"),
    "link_server": ("critical", "B's skupper-site-server does not verify, for an endpoint host A dials, against A's link ca.crt"),
    "handshake": ("critical", "a live mutual-TLS handshake of skupper.tls.verify failed (optional)"),
}

REF_CONTROLLED = "reference §5.1 (internal/kube/certificates/mgr.go isSecretControlled, updateSecret)"
REF_CORRECT = "reference §5.1 (mgr.go isSecretCorrect; 2.2.0+ exact host set, earlier superset)"
REF_PROVIDED = "reference §5.2 (Link/Listener/Connector tlsCredentials are never generated on Kubernetes)"
REF_DELETE = "reference §5.4 (mgr.go certificateDeleted deletes the same-named Secret)"
REF_V1_CA = "reference §8 (v1 kube.NewCertAuthority uses an existing Secret as is; skupper revoke-access regenerates the site CA)"
REF_V1_CLIENT = "reference §8 (v1 router_update.go: skupper-local-client is deleted and recreated when connect.json differs)"
REF_V1_TOKEN = "reference §8 (v1 service controller acts on Secrets labelled skupper.io/type=connection-token)"

SITE_REF = ("skupper.io/v2alpha1", "Site")
LINK_REF = ("skupper.io/v2alpha1", "Link")

# roles a Secret plays; CA role of a leaf = the CA Secret (same site) that signs it
CA_OF = {"site_server": "skupper-site-ca", "local_server": "skupper-local-ca", "local_client": "skupper-local-ca",
         "service": "skupper-service-ca", "service_client": "skupper-service-ca"}


# --------------------------------------------------------------------------- what each site should have


def expected(site):
    """``[(kind, name, role, extra)]`` the inventory model implies for ``site`` (a ``skupper.tls.site`` dict)."""
    found = [("Secret", "skupper-site-ca", "site_ca", {}), ("Secret", "skupper-site-server", "site_server", {}),
             ("Secret", "skupper-local-ca", "local_ca", {}), ("Secret", "skupper-local-server", "local_server", {})]
    if site["version"] == 1:
        found.append(("Secret", "skupper-local-client", "local_client", {}))
    if site.get("services"):
        found += [("Secret", "skupper-service-ca", "service_ca", {}), ("Secret", "skupper-service-client", "service_client", {})]
        found += [("Secret", svc["secret"], "service", {"service": svc}) for svc in site["services"]]
    for link in site.get("links") or []:
        found.append(("Secret", "link-%s" % link["to"], "link_secret", {"to": link["to"]}))
        if site["version"] == 2:
            found.append(("Link", "link-%s" % link["to"], "link", {"to": link["to"]}))
    return found


def collect(site, store):
    """Read what ``expected(site)`` names (and the v2 Site object) from ``store``; ``{(kind, name): obj or None}``."""
    objects = {}
    for kind, name, _role, _extra in expected(site):
        api = "v1" if kind == "Secret" else LINK_REF[0]
        objects[(kind, name)] = store.get(ObjRef(api, kind, site["namespace"], name))
    if site["version"] == 2:
        objects[("Site", site["name"])] = store.get(ObjRef(SITE_REF[0], "Site", site["namespace"], site["name"]))
    return objects


# --------------------------------------------------------------------------- small helpers


def _worst(severities, default="ok"):
    found = [s for s in severities if s]
    return max(found, key=lambda s: RANK[s]) if found else default


def _certs(pem):
    try:
        return pki.load_certificates(pem) if pem else []
    except pki.PkiError:
        return None


def _days_left(cert, now):
    return int((pki.not_after(cert) - now).total_seconds() // 86400)


def _brief(cert):
    f = pki.facts(cert)
    return {"common_name": f["common_name"], "fingerprint_sha256": f["fingerprint_sha256"], "not_after": f["not_after"]}


def _signer_in(cert, bundle):
    """The certificate of ``bundle`` that signed ``cert``, or None."""
    return next((c for c in bundle or [] if pki.signed_by(cert, c)), None)


def _fp(cert):
    return pki.fingerprint(cert)


def _release_tuple(release):
    try:
        return tuple(int(p) for p in str(release).split(".")[:2])
    except ValueError:
        return (2, 2)


class Context(object):
    """Everything one report is built from."""

    def __init__(self, sites, objects, now, warn_days, fail_days, skupper_release, handshakes):
        self.sites = dict((s["host"], s) for s in sites)
        self.by_name = dict((s["name"], s) for s in sites)
        self.order = [s["host"] for s in sites]
        self.objects = objects
        self.now = now
        self.warn_days, self.fail_days = warn_days, fail_days
        self.release = _release_tuple(skupper_release)
        self.handshakes = handshakes or []
        self.findings = []
        self.records = {}   # (host, kind, name) -> object record
        self.parsed = {}    # (host, name) -> decoded facts for cross-site checks

    def add(self, severity, check, site, kind, name, message, link=None, reference=None):
        finding = {"severity": severity, "check": check, "site": site["name"],
                   "object": {"kind": kind, "namespace": site["namespace"], "name": name},
                   "message": "site %s: %s %s/%s: %s" % (site["name"], kind, site["namespace"], name, message)}
        if link:
            finding["link"] = link
        if reference:
            finding["reference"] = reference
        self.findings.append(finding)
        record = self.records.get((site["host"], kind, name))
        if record is not None:
            record["health"] = _worst([record["health"], severity])
        return finding

    def peer(self, host):
        return self.sites.get(host) or self.by_name.get(host)


# --------------------------------------------------------------------------- one Secret


def _ownership(obj):
    if not obj:
        return "absent"
    if layout.skupper_controlled(obj):
        return "skupper"
    return "ours" if layout.is_ours(obj) else "foreign"


def _parse_secret(obj):
    """Decoded certificates of a Secret; the key is only compared to tls.crt, never kept."""
    data = layout.decode_data(obj)
    out = {"keys": sorted(data), "cert": None, "bundle": [], "next": None, "prev": None, "errors": [], "key": None}
    for field, slot in ((layout.TLS_CRT, "cert"), (layout.NEXT_CRT, "next"), (layout.PREV_CRT, "prev")):
        if field in data:
            certs = _certs(data[field])
            if not certs:
                out["errors"].append("%s does not hold a PEM certificate" % field)
            else:
                out[slot] = certs[0]
    if layout.CA_CRT in data:
        certs = _certs(data[layout.CA_CRT])
        if not certs:
            out["errors"].append("ca.crt does not hold a PEM certificate")
        else:
            out["bundle"] = certs
    if out["cert"] is not None and data.get(layout.TLS_KEY):
        try:
            key = pki.load_private_key(data[layout.TLS_KEY], field="tls.key", check=False)
            out["key"] = pki.key_matches(out["cert"], key)
            if out["key"]:
                pki.load_private_key(data[layout.TLS_KEY], field="tls.key")   # the RSA check a signature runs first
        except pki.PkiError as exc:
            out["key"] = False
            out["key_error"] = str(exc)
    out["has_key"] = bool(data.get(layout.TLS_KEY))
    out["has_next_key"] = bool(data.get(layout.NEXT_KEY))
    out["connect_json"] = data.get("connect.json")
    del data
    return out


def _phase(parsed):
    if parsed["next"] is not None:
        return "prepared"
    if parsed["prev"] is not None:
        return "activated"
    return "steady"


def _expiry(ctx, site, name, cert, what, check):
    days = _days_left(cert, ctx.now)
    label = "%s %s" % (what, pki.describe(cert))
    if days < 0:
        ctx.add("critical", check, site, "Secret", name, "%s expired %d days ago (%s)" % (label, -days, pki.format_time(pki.not_after(cert))))
    elif days <= ctx.fail_days:
        ctx.add("critical", check, site, "Secret", name, "%s expires in %d days (%s), within audit_fail_days=%d"
                % (label, days, pki.format_time(pki.not_after(cert)), ctx.fail_days))
    elif days <= ctx.warn_days:
        ctx.add("warning", check, site, "Secret", name, "%s expires in %d days (%s), within audit_warn_days=%d"
                % (label, days, pki.format_time(pki.not_after(cert)), ctx.warn_days))
    return days


def _spec_for(site, role, extra):
    """(common name, hosts or None) the collection writes for this role (roles/*, plugin_utils/inventory.py)."""
    if role in ("site_ca", "local_ca"):
        return layout.default_ca_subject("skupper-%s-ca" % role.split("_")[0], site["version"], site["name"]), None
    if role == "service_ca":
        return None, None   # shared mode copies the first site's CA: its name is not this site's to judge
    if role == "site_server":
        return "skupper-router", site["server_hosts"]
    if role == "local_server":
        return "skupper-router-local", site["local_server_hosts"]
    if role == "local_client":
        return "skupper-router-local", None
    if role == "service":
        return extra["service"]["name"], extra["service"]["hosts"]
    if role == "service_client":
        return "skupper-service-client", None
    return site["name"], None   # link_secret: CN = the linking site's name


def _skupper_certificate(ctx, site, role):
    """(subject, demanded hosts, where the hosts came from) of the Certificate Skupper v2 keeps for this Secret, or None."""
    if role == "site_ca":
        return "%s site CA" % site["name"], [], "Site"
    if role == "local_ca":
        return "%s local CA" % site["name"], [], "Site"
    if role == "local_server":
        ns = site["namespace"]
        return "skupper-router-local", ["skupper-router-local", "skupper-router-local.%s" % ns, "skupper-router-local.%s.svc.cluster.local" % ns], "Site"
    if role == "site_server":
        base = ["skupper-router", "skupper-router.%s" % site["namespace"]]
        status = _site_status_hosts(ctx, site)
        if status is not None:
            return "skupper-router", base + [h for h in status if h not in base], "Site %s status.endpoints" % site["name"]
        hosts = base + [h for h in site.get("external_hosts", []) + [ep.get("host") for ep in site.get("endpoints") or []] if h and h not in base]
        return "skupper-router", list(dict.fromkeys(hosts)), "inventory endpoints (no Site status read)"
    return None


def _site_status_hosts(ctx, site):
    obj = ctx.objects.get(site["host"], {}).get(("Site", site["name"]))
    if not obj:
        return None
    hosts = [ep.get("host") for ep in ((obj.get("status") or {}).get("endpoints") or []) if ep.get("host")]
    return list(dict.fromkeys(hosts)) if hosts else None


def _skupper_verdict(ctx, site, role, obj, parsed, ownership):
    """What Skupper's controller does with this Secret: ``{verdict, reason, reference}`` (+ a finding when it matters)."""
    if site["version"] == 1:
        return _skupper_v1(ctx, site, role, obj, parsed)
    certificate = _skupper_certificate(ctx, site, role)
    if certificate is None:
        return {"verdict": "use", "reason": "Skupper has no Certificate for it on Kubernetes; it only uses the Secret by name", "reference": REF_PROVIDED}
    subject, hosts, source = certificate
    problems = []
    cert = parsed["cert"]
    if cert is None:
        problems.append("tls.crt has no certificate")
    else:
        if _days_left(cert, ctx.now) < 0 or pki.not_after(cert) < ctx.now:
            problems.append("expired")
        if pki.common_name(cert) != subject:
            problems.append("CN %r is not %r" % (pki.common_name(cert), subject))
        have = pki.host_set(cert)
        missing = [h for h in hosts if h not in have]
        if missing:
            problems.append("hosts %s missing (demanded from %s)" % (", ".join(missing), source))
        extra = sorted(have - set(hosts))
        if extra and ctx.release >= (2, 2):
            problems.append("extra hosts %s (Skupper 2.2+ wants exactly %s)" % (", ".join(extra), ", ".join(sorted(hosts)) or "none"))
    controlled = ownership == "skupper"
    if not problems:
        reason = "Certificate %s is Ready: CN, hosts and expiry match (Skupper accepts it%s)" % (
            obj["metadata"]["name"], "" if controlled else " as user-provided")
        return {"verdict": "accept", "reason": reason, "reference": REF_CORRECT, "note": _delete_note(role)}
    why = "; ".join(problems)
    if controlled:
        ctx.add("critical", "skupper", site, "Secret", obj["metadata"]["name"],
                "Skupper controls this Secret and judges it incorrect (%s): it regenerates it with a new key, replacing what is there" % why,
                reference=REF_CORRECT)
        return {"verdict": "regenerate", "reason": why, "reference": REF_CONTROLLED}
    ctx.add("warning", "skupper", site, "Secret", obj["metadata"]["name"],
            "Skupper reports Certificate %s not ready ('secret exists but is not controlled by skupper': %s); the router still uses the Secret"
            % (obj["metadata"]["name"], why), reference=REF_CORRECT)
    return {"verdict": "not_ready", "reason": why, "reference": REF_CONTROLLED, "note": _delete_note(role)}


def _delete_note(role):
    if role in ("site_ca", "local_ca", "local_server", "site_server"):
        return "deleted by Skupper together with its Certificate (e.g. when the Site is deleted): keep a copy (%s)" % REF_DELETE
    return None


def _skupper_v1(ctx, site, role, obj, parsed):
    name = obj["metadata"]["name"]
    if role in ("site_ca", "local_ca", "service_ca"):
        note = "skupper revoke-access regenerates it in place" if role == "site_ca" else None
        return {"verdict": "use", "reason": "an existing CA Secret is used as is (name-based)", "reference": REF_V1_CA, "note": note}
    if role == "local_client":
        wanted = layout.v1_connect_json(site["namespace"]).decode("ascii")
        have = (parsed.get("connect_json") or b"").decode("utf-8", "replace")
        if have.lower() != wanted.lower():
            ctx.add("critical", "skupper", site, "Secret", name,
                    "connect.json differs from Skupper v1's exact text: skupper update (1.5.3+) and the site controller at start delete and "
                    "recreate this Secret with a new key", reference=REF_V1_CLIENT)
            return {"verdict": "delete", "reason": "connect.json differs", "reference": REF_V1_CLIENT}
        return {"verdict": "use", "reason": "connect.json matches Skupper's text", "reference": REF_V1_CLIENT}
    if role == "link_secret":
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if labels.get("skupper.io/type") != "connection-token":
            return {"verdict": "ignore", "reason": "no label skupper.io/type=connection-token", "reference": REF_V1_TOKEN}
        return {"verdict": "use", "reason": "connection token (label skupper.io/type=connection-token)", "reference": REF_V1_TOKEN}
    return {"verdict": "use", "reason": "an existing Secret is kept (AlreadyExists tolerated)", "reference": "reference §8 (v1 kube.NewSecret)"}


def _inspect_secret(ctx, site, role, name, extra, obj):
    record = ctx.records[(site["host"], "Secret", name)]
    ownership = _ownership(obj)
    record["ownership"] = ownership
    if not obj:
        what = "the credential of the link to %s" % extra["to"] if role == "link_secret" else "expected from the inventory"
        ctx.add("critical", "present", site, "Secret", name, "missing (%s)" % what, link=_link_id(site, extra))
        return None
    parsed = _parse_secret(obj)
    ctx.parsed[(site["host"], name)] = parsed
    record.update(type=obj.get("type"), data_keys=parsed["keys"])
    is_ca_role = role in ("site_ca", "local_ca", "service_ca")
    trust_only = role == "service_client" and site["version"] == 1
    link = _link_id(site, extra)
    for error in parsed["errors"]:
        ctx.add("critical", "parse", site, "Secret", name, error, link=link)
    cert = parsed["cert"]
    if cert is None and not trust_only:
        if layout.TLS_CRT not in parsed["keys"]:
            ctx.add("critical", "parse", site, "Secret", name, "has no tls.crt", link=link)
    if parsed["bundle"]:
        record["trust_bundle"] = [_brief(c) for c in parsed["bundle"]]
    if cert is not None:
        facts = pki.facts(cert)
        facts["days_left"] = _days_left(cert, ctx.now)
        record["certificate"] = facts
        if not parsed["has_key"]:
            ctx.add("critical", "key_pair", site, "Secret", name, "has tls.crt but no tls.key", link=link)
        elif parsed.get("key_error"):
            ctx.add("critical", "key_pair", site, "Secret", name, parsed["key_error"], link=link)
        elif parsed["key"] is False:
            ctx.add("critical", "key_pair", site, "Secret", name, "tls.key is not the private key of tls.crt %s" % pki.describe(cert), link=link)
        _expiry(ctx, site, name, cert, "CA" if is_ca_role else "certificate", "ca_expiry" if is_ca_role else "expiry")
        if not is_ca_role:
            if parsed["bundle"] and _signer_in(cert, parsed["bundle"]) is None:
                ctx.add("critical", "chain", site, "Secret", name, "certificate %s (issuer %s) is not signed by any certificate of its own ca.crt (%s)"
                        % (pki.describe(cert), facts["issuer"], ", ".join(repr(pki.common_name(c)) for c in parsed["bundle"])), link=link)
    if is_ca_role:
        _inspect_ca(ctx, site, name, record, parsed)
    if role == "service_client" and site["version"] == 1 and not parsed["bundle"]:
        ctx.add("critical", "parse", site, "Secret", name, "has no ca.crt (Skupper v1 service client is ca.crt only)")
    record["skupper"] = _skupper_verdict(ctx, site, role, obj, parsed, ownership)
    if role == "link_secret" and site["version"] == 1:
        _check_v1_token(ctx, site, name, obj, extra)
    return parsed


def _inspect_ca(ctx, site, name, record, parsed):
    phase = _phase(parsed)
    record["rotation"] = {"phase": phase}
    if parsed["cert"] is not None and not pki.is_ca(parsed["cert"]):
        ctx.add("critical", "parse", site, "Secret", name, "tls.crt %s is not a CA certificate" % pki.describe(parsed["cert"]))
    if parsed["next"] is not None:
        record["rotation"]["pending"] = _brief(parsed["next"])
        _expiry(ctx, site, name, parsed["next"], "pending CA", "ca_expiry")
        if not parsed["has_next_key"]:
            ctx.add("critical", "rotation", site, "Secret", name, "pending CA next.crt %s has no next.key: activate cannot use it"
                    % pki.describe(parsed["next"]))
        else:
            ctx.add("warning", "rotation", site, "Secret", name, "half-finished CA rotation: pending CA %s prepared, not activated; "
                    "run skupper.tls.rotate rotate_phase=activate once every holder trusts it" % pki.describe(parsed["next"]))
    if parsed["prev"] is not None:
        record["rotation"]["previous"] = _brief(parsed["prev"])
        if parsed["next"] is None:
            ctx.add("warning", "rotation", site, "Secret", name, "half-finished CA rotation: new CA active, the previous CA %s is still trusted "
                    "(prev.crt); run skupper.tls.rotate rotate_phase=finalize once every holder is signed by the new CA" % pki.describe(parsed["prev"]))


def _check_v1_token(ctx, site, name, obj, extra):
    meta = obj.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    link = _link_id(site, extra)
    if labels.get("skupper.io/type") != "connection-token":
        ctx.add("critical", "link", site, "Secret", name, "no label skupper.io/type=connection-token: Skupper v1's service controller ignores it, "
                "the link to %s is never made" % extra["to"], link=link, reference=REF_V1_TOKEN)
    role = "edge" if site.get("edge") else "inter-router"
    if not annotations.get("%s-host" % role):
        ctx.add("critical", "link", site, "Secret", name, "no %s-host annotation: the connector to %s has no host" % (role, extra["to"]),
                link=link, reference=REF_V1_TOKEN)


def _link_id(site, extra):
    return "%s->%s" % (site["name"], extra["to"]) if extra and extra.get("to") else None


# --------------------------------------------------------------------------- leaves against their CA Secret


def _check_issuers(ctx, site):
    for name, role in [(n, r) for (k, n, r, _e) in expected(site) if k == "Secret" and r in CA_OF]:
        leaf = ctx.parsed.get((site["host"], name))
        ca = ctx.parsed.get((site["host"], CA_OF[role]))
        if not leaf or not ca or leaf["cert"] is None or ca["cert"] is None:
            continue
        cert = leaf["cert"]
        signer = ca["cert"]
        if not pki.signed_by(cert, signer):
            other = next((label for label, c in (("pending", ca["next"]), ("previous", ca["prev"])) if c is not None and pki.signed_by(cert, c)), None)
            if other:
                ctx.add("warning", "issuer", site, "Secret", name, "signed by the %s CA of %s, not its current signer %s (rotation in progress)"
                        % (other, CA_OF[role], pki.describe(signer)))
            else:
                ctx.add("critical", "issuer", site, "Secret", name, "certificate %s is not signed by %s (its signer is %s, issuer of the leaf %s)"
                        % (pki.describe(cert), CA_OF[role], pki.describe(signer), cert.issuer.rfc4514_string()))
        # held: the very certificate, or a re-issue of it (same subject and key: it verifies the same signatures)
        held = any(_fp(c) == _fp(signer) or (c.subject == signer.subject and pki.signed_by(signer, c)) for c in leaf["bundle"])
        if leaf["bundle"] and not held:
            ctx.add("warning", "trust_bundle", site, "Secret", name, "ca.crt does not hold the current signer %s of %s: clients trusting this ca.crt "
                    "reject certificates it issues" % (pki.describe(signer), CA_OF[role]))


def _check_spec(ctx, site):
    """Foreign Secrets: do they satisfy what the collection would write? (a site run fails on them unless adopt: true)."""
    for kind, name, role, extra in expected(site):
        record = ctx.records[(site["host"], kind, name)]
        if kind != "Secret" or record.get("ownership") not in ("foreign", "skupper"):
            continue
        parsed = ctx.parsed.get((site["host"], name)) or {}
        cert = parsed.get("cert")
        reasons = []
        cn, hosts = _spec_for(site, role, extra)
        if cert is not None:
            if cn and pki.common_name(cert) != cn:
                reasons.append("CN %r, wanted %r" % (pki.common_name(cert), cn))
            missing = [h for h in hosts or [] if h not in pki.host_set(cert)]
            if missing:
                reasons.append("hosts %s missing" % ", ".join(missing))
            renew = site.get("certificate_options", {}).get("renew_before_days", 30)
            if _days_left(cert, ctx.now) <= renew:
                reasons.append("expires within renew_before_days=%d" % renew)
        elif not (role == "service_client" and site["version"] == 1):
            reasons.append("no certificate")
        record["satisfies_spec"] = not reasons
        if record["ownership"] == "skupper":
            ctx.add("warning", "ownership", site, kind, name, "controlled by Skupper (annotation internal.skupper.io/controlled or a Certificate owner): "
                    "Skupper regenerates its data with a new key whenever it judges it incorrect; skupper.tls will not write it without adopt: true",
                    link=_link_id(site, extra), reference=REF_CONTROLLED)
        if reasons:
            ctx.add("warning", "spec", site, kind, name, "foreign Secret (no app.kubernetes.io/managed-by: skupper.tls label) does not satisfy the spec: "
                    "%s; the site playbook fails on it unless adopt: true" % "; ".join(reasons), link=_link_id(site, extra))
        elif record["ownership"] == "foreign":
            ctx.add("info", "ownership", site, kind, name, "foreign Secret (not managed by skupper.tls) satisfies the spec and is used as it is",
                    link=_link_id(site, extra))


# --------------------------------------------------------------------------- links


def _endpoints_of(ctx, site, to):
    """Hosts A dials for the link to ``to``: the Link's endpoints (v2), the token annotations (v1); None if unknown."""
    peer = ctx.peer(to)
    if site["version"] == 2:
        link = ctx.objects.get(site["host"], {}).get(("Link", "link-%s" % to))
        if not link:
            return None
        return [ep for ep in ((link.get("spec") or {}).get("endpoints") or []) if isinstance(ep, dict)]
    obj = ctx.objects.get(site["host"], {}).get(("Secret", "link-%s" % to)) or {}
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    del peer
    return [{"name": role, "host": annotations["%s-host" % role], "port": annotations.get("%s-port" % role)}
            for role in ("inter-router", "edge") if annotations.get("%s-host" % role)]


def _check_link_object(ctx, site, to):
    link = ctx.objects.get(site["host"], {}).get(("Link", "link-%s" % to))
    name, lid = "link-%s" % to, "%s->%s" % (site["name"], to)
    record = ctx.records[(site["host"], "Link", name)]
    record["ownership"] = _ownership(link)
    if not link:
        ctx.add("critical", "present", site, "Link", name, "missing: the router has no connector to %s" % to, link=lid)
        return
    spec = link.get("spec") or {}
    record["endpoints"] = [dict((k, ep.get(k)) for k in ("name", "host", "port", "group") if ep.get(k)) for ep in spec.get("endpoints") or []]
    record["cost"] = spec.get("cost")
    if spec.get("tlsCredentials") != name:
        ctx.add("critical", "link", site, "Link", name, "tlsCredentials is %r, not the link Secret %r" % (spec.get("tlsCredentials"), name), link=lid)
    if not [ep for ep in spec.get("endpoints") or [] if ep.get("host")]:
        ctx.add("critical", "link", site, "Link", name, "has no endpoint with a host", link=lid)


def _check_link(ctx, site, entry):
    to = entry["to"]
    peer = ctx.peer(to)
    lid = "%s->%s" % (site["name"], to)
    name = "link-%s" % to
    result = {"id": lid, "from": site["name"], "to": peer["name"] if peer else to, "secret": "%s/%s" % (site["namespace"], name),
              "cost": entry.get("cost", 1), "credential_trusted": None, "server_verified": {}, "health": "ok"}
    if site["version"] == 2:
        _check_link_object(ctx, site, to)
    if peer is None:
        ctx.add("critical", "link", site, "Secret", name, "links to %r, which is not a site of this audit" % to, link=lid)
        return result
    cred = ctx.parsed.get((site["host"], name))
    server = ctx.parsed.get((peer["host"], "skupper-site-server"))
    if cred and server and cred["cert"] is not None and server["cert"] is not None:
        trust = server["bundle"] or []
        try:
            if not trust:
                raise pki.PkiError("ca.crt", "%s/skupper-site-server has no ca.crt" % peer["namespace"])
            pki.verify_chain(cred["cert"], trust, usage="client", now=ctx.now)
            result["credential_trusted"] = True
        except pki.PkiError as exc:
            result["credential_trusted"] = False
            anchors = ", ".join(repr(pki.common_name(c)) for c in trust) or "empty"
            ctx.add("critical", "link_trust", site, "Secret", name, "credential %s (issuer %s) is not trusted by %s's skupper-site-server (its ca.crt: %s): "
                    "the router of %s rejects this link (%s)"
                    % (pki.describe(cred["cert"]), cred["cert"].issuer.rfc4514_string(), peer["name"], anchors, peer["name"], exc), link=lid)
        endpoints = _endpoints_of(ctx, site, to) or []
        if not cred["bundle"]:
            ctx.add("critical", "link_server", site, "Secret", name, "has no ca.crt: the router cannot verify %s's server" % peer["name"], link=lid)
        for host in list(dict.fromkeys(ep.get("host") for ep in endpoints if ep.get("host"))):
            if not cred["bundle"]:
                break
            try:
                pki.verify_chain(server["cert"], cred["bundle"], usage="server", host=host, now=ctx.now)
                result["server_verified"][host] = True
            except (pki.PkiError, ValueError) as exc:   # ValueError: cryptography refuses the host as a DNS name
                result["server_verified"][host] = False
                covered = host in pki.host_set(server["cert"])
                why = ("not signed by a CA in this link's ca.crt" if covered else "does not cover host %s (SANs: %s)"
                       % (host, ", ".join(pki.sans_of(server["cert"])) or "none"))
                ctx.add("critical", "link_server", site, "Secret", name, "%s's skupper-site-server %s %s: the link to %s:%s fails hostname/chain "
                        "verification (%s)" % (peer["name"], pki.describe(server["cert"]), why, host, next(
                            (ep.get("port") for ep in endpoints if ep.get("host") == host), "?"), exc), link=lid)
    return result


def _check_server_sans(ctx, site):
    """skupper-site-server against every host a peer's Link dials and the Site status endpoints."""
    server = ctx.parsed.get((site["host"], "skupper-site-server"))
    if not server or server["cert"] is None:
        return
    have = pki.host_set(server["cert"])
    dialed = {}
    for other in ctx.order:
        src = ctx.sites[other]
        for link in src.get("links") or []:
            if ctx.peer(link["to"]) is site:
                for ep in _endpoints_of(ctx, src, link["to"]) or []:
                    if ep.get("host"):
                        dialed.setdefault(ep["host"], []).append("%s's Link link-%s" % (src["name"], site["name"]))
    for host in _site_status_hosts(ctx, site) or []:
        dialed.setdefault(host, []).append("Site %s status.endpoints" % site["name"])
    for host, sources in sorted(dialed.items()):
        if host not in have:
            ctx.add("critical", "sans", site, "Secret", "skupper-site-server", "does not cover host %s, dialled by %s (SANs: %s)"
                    % (host, ", ".join(dict.fromkeys(sources)), ", ".join(pki.sans_of(server["cert"])) or "none"))


def _check_local_sans(ctx, site):
    for kind, name, role, extra in expected(site):
        if role not in ("local_server", "service"):
            continue
        parsed = ctx.parsed.get((site["host"], name))
        if not parsed or parsed["cert"] is None:
            continue
        hosts = site["local_server_hosts"] if role == "local_server" else extra["service"]["hosts"]
        missing = [h for h in hosts if h not in pki.host_set(parsed["cert"])]
        if missing:
            ctx.add("critical", "sans", site, kind, name, "does not cover host %s that clients dial (SANs: %s)"
                    % (", ".join(missing), ", ".join(pki.sans_of(parsed["cert"])) or "none"))


def _check_handshakes(ctx, links):
    by_id = dict((link["id"], link) for link in links)
    for row in ctx.handshakes:
        site = ctx.by_name.get(row.get("site")) or ctx.peer(row.get("site"))
        if site is None:
            continue
        check = str(row.get("check", ""))
        to = check[len("link to "):] if check.startswith("link to ") else None
        lid = "%s->%s" % (site["name"], to) if to else None
        if lid in by_id:
            by_id[lid].setdefault("handshakes", []).append(dict((k, row.get(k)) for k in ("host", "method", "ok", "python", "openssl") if k in row))
        if "ok" in row:
            failed = not row["ok"]
        else:
            failed = any(str(row.get(m, "-")).lower() not in ("ok", "-", "skipped") for m in ("python", "openssl"))
        if failed:
            name = "link-%s" % to if to else check
            ctx.add("critical", "handshake", site, "Secret", name, "live handshake %s to host %s failed (%s)"
                    % (check, row.get("host"), ", ".join("%s: %s" % (m, row.get(m)) for m in ("python", "openssl") if row.get(m, "-") != "-")), link=lid)


# --------------------------------------------------------------------------- the report


def build_report(sites, objects, now=None, warn_days=30, fail_days=7, skupper_release="2.2", handshakes=None, stores=None, read_errors=None):
    """The audit report (schema ``SCHEMA_VERSION``, docs/AUDIT.md).

    ``sites``: ``skupper.tls.site`` models (one per inventory host); ``objects``: ``{host: collect(site, store)}``;
    ``stores``: ``{host: store description}``; ``handshakes``: rows of skupper.tls.verify (optional);
    ``read_errors``: ``{host: message}`` for sites whose store could not be read (one critical finding each).
    """
    if warn_days < fail_days:
        raise ValueError("audit_warn_days (%d) must be at least audit_fail_days (%d)" % (warn_days, fail_days))
    now = pki.to_utc(now or pki.utcnow())
    ctx = Context(sites, objects, now, warn_days, fail_days, skupper_release, handshakes)
    for host in ctx.order:
        site = ctx.sites[host]
        for kind, name, role, extra in expected(site):
            ctx.records[(host, kind, name)] = {"site": site["name"], "kind": kind, "namespace": site["namespace"], "name": name, "role": role,
                                               "present": bool(objects.get(host, {}).get((kind, name))), "health": "ok"}
            if extra.get("to"):
                ctx.records[(host, kind, name)]["link"] = "%s->%s" % (site["name"], extra["to"])
    for host, message in sorted((read_errors or {}).items()):
        site = ctx.sites[host]
        ctx.add("critical", "read", site, "Site", site["name"], "cannot be read: %s" % message)
    for host in ctx.order:
        site = ctx.sites[host]
        if host in (read_errors or {}):
            continue
        for kind, name, role, extra in expected(site):
            if kind == "Secret":
                _inspect_secret(ctx, site, role, name, extra, objects.get(host, {}).get((kind, name)))
    links = []
    for host in ctx.order:
        site = ctx.sites[host]
        if host in (read_errors or {}):
            continue
        _check_issuers(ctx, site)
        _check_spec(ctx, site)
        _check_server_sans(ctx, site)
        _check_local_sans(ctx, site)
        links += [_check_link(ctx, site, entry) for entry in site.get("links") or []]
    _check_handshakes(ctx, links)
    return _assemble(ctx, links, stores or {})


def _assemble(ctx, links, stores):
    findings = sorted(ctx.findings, key=lambda f: (-RANK[f["severity"]], f["site"], f["object"]["kind"], f["object"]["name"], f["check"]))
    for link in links:
        link["health"] = _worst(f["severity"] for f in findings if f.get("link") == link["id"])
        link["health"] = _worst([link["health"], _worst(f["severity"] for f in findings if f["site"] == link["to"]
                                                        and f["object"]["name"] == "skupper-site-server")])
    certificates = []
    sites = []
    for host in ctx.order:
        site = ctx.sites[host]
        records = [r for (h, _k, _n), r in ctx.records.items() if h == host]
        for record in records:
            cert = record.get("certificate")
            if cert:
                certificates.append({"site": site["name"], "namespace": site["namespace"], "secret": record["name"], "role": record["role"],
                                     "common_name": cert["common_name"], "not_after": cert["not_after"], "days_left": cert["days_left"],
                                     "is_ca": cert["is_ca"], "health": record["health"]})
            pending = (record.get("rotation") or {}).get("pending")
            if pending:
                certificates.append({"site": site["name"], "namespace": site["namespace"], "secret": record["name"] + " (next.crt)", "role": "pending_ca",
                                     "common_name": pending["common_name"], "not_after": pending["not_after"],
                                     "days_left": _days_from(pending["not_after"], ctx.now), "is_ca": True, "health": record["health"]})
        site_findings = [f for f in findings if f["site"] == site["name"]]
        sites.append({"name": site["name"], "host": host, "namespace": site["namespace"], "version": site["version"], "target": site["target"],
                      "store": stores.get(host), "site_object": bool(ctx.objects.get(host, {}).get(("Site", site["name"]))),
                      "health": _worst(f["severity"] for f in site_findings),
                      "ca_phases": dict((r["name"], r["rotation"]["phase"]) for r in records if r.get("rotation")),
                      "counts": _counts(site_findings)})
    certificates.sort(key=lambda c: (c["not_after"], c["site"], c["secret"]))
    counts = _counts(findings)
    status = _worst(f["severity"] for f in findings)
    summary = {"status": status, "counts": counts, "sites": len(sites), "links": len(links), "certificates": len(certificates),
               "objects": len(ctx.records), "next_expiry": certificates[0] if certificates else None,
               "links_unhealthy": sorted(link["id"] for link in links if RANK[link["health"]] >= RANK["warning"])}
    return {"schema_version": SCHEMA_VERSION, "generated_at": pki.format_time(ctx.now),
            "thresholds": {"warn_days": ctx.warn_days, "fail_days": ctx.fail_days}, "skupper_release": "%d.%d" % ctx.release,
            "summary": summary, "sites": sites, "links": links, "objects": [ctx.records[k] for k in sorted(ctx.records)],
            "certificates": certificates, "findings": findings, "checks": dict((k, {"max_severity": v[0], "description": v[1]}) for k, v in CHECKS.items())}


def _days_from(text, now):
    when = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return int((when - now).total_seconds() // 86400)


def _counts(findings):
    counts = dict((s, 0) for s in SEVERITIES if s != "ok")
    for finding in findings:
        if finding["severity"] in counts:
            counts[finding["severity"]] += 1
    return counts


def critical(report):
    """Messages of the critical findings (the play fails on these)."""
    return [f["message"] for f in report["findings"] if f["severity"] == "critical"]
