# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameters in, engine inputs out: ``Request`` (where the Secret goes) and ``Material`` (what it must hold).

Used by the operations in ``ops.py``; nothing here talks to a store except through what it is handed.
"""

from __future__ import annotations

import datetime

from ansible_collections.skupper.tls.plugins.module_utils import engine, layout, pki, policy
from ansible_collections.skupper.tls.plugins.module_utils.store import StoreError

KEY_SIZE_DEFAULT = {"rsa": 2048, "ecdsa": 256}


def copy_source(rt, params, field="copy_from"):
    """``(label, decoded data)`` of the Secret ``params[field]`` points at; CaMissing when it does not exist (yet)."""
    src = params[field]
    namespace = src.get("namespace") or params["namespace"]
    layout.validate_name(src["name"], field + ".name")
    layout.validate_namespace(namespace, field + ".namespace")
    store = rt.side_store(params, src, field + ".")
    label = "%s/%s" % (namespace, src["name"])
    obj = store.get(layout.secret_ref(namespace, src["name"]))
    if not obj:
        raise CaMissing("%s: Secret %s to copy from not found on %s" % (field, label, store.description), label)
    return label, layout.decode_data(obj)


def copy_material(data, label, field, ca=False):
    """Material that makes a Secret hold exactly the source's tls.crt, tls.key and ca.crt (shared custom certificates)."""
    for key in (layout.TLS_CRT, layout.TLS_KEY):
        if not data.get(key):
            raise pki.PkiError(field, "Secret %s to copy from has no %s" % (label, key))
    cert = pki.load_certificates(data[layout.TLS_CRT], field="%s %s tls.crt" % (field, label))[0]
    key = pki.load_private_key(data[layout.TLS_KEY], field="%s %s tls.key" % (field, label))
    if ca:
        pki.Issuer.load(data[layout.TLS_CRT], data[layout.TLS_KEY], field="%s %s" % (field, label))
    bundle = data.get(layout.CA_CRT) or data[layout.TLS_CRT]
    desired = policy.Desired(spec=None, issuer=None, bundle_pem=bundle, fixed=(cert, key))
    return engine.Material(desired=desired, issue=lambda: (data[layout.TLS_CRT], data[layout.TLS_KEY]), bundle=lambda cert_pem, d: bundle,
                           planned=pki.facts(cert))


def key_spec(params):
    key_type = params["key_type"]
    size = params.get("key_size") or KEY_SIZE_DEFAULT[key_type]
    spec = pki.KeySpec(type=key_type, size=size)
    spec.validate()
    return spec


def cert_spec(params, common_name, hosts=(), usage="both", is_ca=False):
    """A validated CertSpec from module parameters; PkiError names the bad field."""
    validity, renew = params["validity_days"], params["renew_before_days"]
    if validity is None or validity < 1:
        raise pki.PkiError("validity_days", "must be at least 1, got %r" % (validity,))
    if renew is None or renew < 0:
        raise pki.PkiError("renew_before_days", "must be 0 or more, got %r" % (renew,))
    if validity <= renew:
        raise pki.PkiError("validity_days", "%d must be greater than renew_before_days (%d): the certificate would be due for renewal "
                                            "as soon as it is issued" % (validity, renew))
    spec = pki.CertSpec(common_name=common_name, hosts=pki.validate_hosts(hosts or ()), usage=usage, is_ca=is_ca,
                        validity=datetime.timedelta(days=validity), renew_before=datetime.timedelta(days=renew), key=key_spec(params))
    spec.validate()
    return spec


def request(params, secret_type=layout.TYPE_TLS, extra_data=None):
    layout.validate_name(params["name"], "name")
    layout.validate_namespace(params["namespace"])
    layout.validate_metadata(params["labels"], params["annotations"])
    return engine.Request(namespace=params["namespace"], name=params["name"], secret_type=secret_type,
                          labels=dict(params["labels"]), annotations=dict(params["annotations"]),
                          extra_data=dict(extra_data or {}), adopt=params["adopt"], force=params["force"])


def load_issuer(params, cert_field, key_field, chain_field):
    """An Issuer from PEM options, each problem reported under its own option name."""
    pki.load_certificates(params[cert_field], field=cert_field)
    pki.load_private_key(params[key_field], field=key_field)
    if params.get(chain_field):
        pki.load_certificates(params[chain_field], field=chain_field)
    return pki.Issuer.load(params[cert_field], params[key_field], chain_pem=params.get(chain_field) or None, field=cert_field)


def issuing(spec, issuer=None):
    """``Material.issue`` for a new key and certificate."""
    def issue():
        cert, key = pki.issue(spec, issuer=issuer)
        return pki.certs_to_pem([cert]), pki.key_to_pem(key)
    return issue


def leaf_material(spec, issuer, bundle_pem):
    """A leaf signed by ``issuer`` whose ``ca.crt`` is the CA's trust bundle."""
    desired = policy.Desired(spec=spec, issuer=issuer, bundle_pem=bundle_pem)
    return engine.Material(desired=desired, issue=issuing(spec, issuer), bundle=lambda cert_pem, data: bundle_pem, issuer=issuer.cert)


class CaMissing(StoreError):
    """The CA Secret to sign with (or the Secret to copy from) does not exist (yet); ``label`` is its namespace/name."""

    def __init__(self, message, label):
        super(CaMissing, self).__init__(message)
        self.label = label


def issuer_from_secret(store, namespace, name, field="ca_secret"):
    """(Issuer, trust bundle PEM) read from a CA Secret (ours or not)."""
    layout.validate_name(name, field)
    obj = store.get(layout.secret_ref(namespace, name))
    if not obj:
        raise CaMissing("%s: CA Secret %s/%s not found on %s; create it first (skupper.tls.skupper_ca)" % (field, namespace, name, store.description),
                        "%s/%s" % (namespace, name))
    data = layout.decode_data(obj)
    if not data.get(layout.TLS_CRT) or not data.get(layout.TLS_KEY):
        raise pki.PkiError(field, "CA Secret %s/%s has no %s; it cannot sign" % (
            namespace, name, " and ".join(k for k in (layout.TLS_CRT, layout.TLS_KEY) if not data.get(k))))
    issuer = pki.Issuer.load(data[layout.TLS_CRT], data[layout.TLS_KEY], field="%s %s/%s" % (field, namespace, name))
    bundle = data.get(layout.CA_CRT) or pki.certs_to_pem([issuer.cert])
    return issuer, bundle


def predict_without_ca(store, req, spec, ca_label):
    """Check mode before the CA exists: the run would create the CA first, then (re)issue this Secret with it."""
    existing = store.get(req.ref)
    reason = "issuer: CA Secret %s does not exist yet; in a real run it is created first and signs this certificate" % ca_label
    result = {"changed": True, "action": "reissued" if existing else "created", "reasons": [reason],
              "secret": {"namespace": req.namespace, "name": req.name, "type": req.secret_type, "store": store.description},
              "certificate": engine.planned_facts(spec, None) if spec else {}}
    if existing and not layout.is_ours(existing) and not req.adopt:
        result.update(changed=False, action="foreign", reasons=[reason, "foreign: %s is not managed by skupper.tls" % req.label])
    result["diff"] = {"before": {"secret": req.label}, "after": {"secret": req.label, "planned": True, "certificate": result["certificate"]}}
    return result
