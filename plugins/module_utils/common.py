# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameters in, engine inputs out: ``Request`` (where the Secret goes) and ``Material`` (what it must hold).

Used by the operations in ``ops.py``; nothing here talks to a store except through what it is handed.
"""

from __future__ import annotations

from ansible_collections.skupper.tls.plugins.module_utils import engine, layout, pki, policy, rotation, validate

KEY_SIZE_DEFAULT = {"rsa": 2048, "ecdsa": 256}


def copy_source(rt, params, field="copy_from"):
    """``(label, decoded data)`` of the Secret ``params[field]`` points at; CaMissing when it does not exist (yet)."""
    src = params[field]
    namespace = src.get("namespace") or params["namespace"]
    validate.k8s_name(src["name"], field + ".name")
    validate.namespace(namespace, field + ".namespace")
    store = rt.side_store(params, src, field + ".")
    label = "%s/%s" % (namespace, src["name"])
    obj = store.get(layout.secret_ref(namespace, src["name"]))
    if not obj:
        raise CaMissing("%s: Secret %s to copy from not found on %s" % (field, label, store.description), label)
    return label, layout.decode_data(obj)


# --------------------------------------------------------------------------------------------------------------------
# Material providers: one interface (engine.Material), one class per way a Secret's material comes to be.


def ca_bundle(own_pems, cert_pem, data, omit_if_alone):
    """A CA's ``ca.crt``: its own certificate(s), then a pending and a retired CA if the Secret holds them."""
    if cert_pem is None and not own_pems:
        return None
    parts = list(own_pems) if own_pems else [cert_pem]
    for key in (layout.NEXT_CRT, layout.PREV_CRT):
        if data.get(key):
            parts.append(data[key])
    if omit_if_alone and len(parts) == 1:
        return None
    return rotation.bundle(*parts)


class GeneratedCa(engine.Material):
    """A self-signed CA skupper.tls generates. A new CA key breaks every link signed by the old one until all holders
    trust it: a CA is never replaced silently, whatever made it due (expiry window, new subject or site name, new key
    type or size), so those checks are deferred (reported) and a rotation carries the change."""

    defer = policy.CA_DEFERRED

    def __init__(self, spec, v1):
        self.spec, self.v1 = spec, v1

    def desired(self):
        return policy.Desired(spec=self.spec, issuer=None, bundle_pem=None)

    def issue(self):
        return issue_pems(self.spec)

    def bundle(self, cert_pem, data):
        return ca_bundle(None, cert_pem, data, self.v1)


class ImportedCa(engine.Material):
    """A CA given as PEM (certificate_content): the Secret must hold exactly it; its chain goes into ca.crt."""

    def __init__(self, issuer, spec, v1):
        self.ca, self.spec, self.v1 = issuer, spec, v1
        self.pems = (pki.certs_to_pem([issuer.cert]), pki.key_to_pem(issuer.key))

    def desired(self):
        return policy.Desired(spec=self.spec, issuer=None, bundle_pem=None, fixed=(self.ca.cert, self.ca.key))

    def issue(self):
        return self.pems

    def bundle(self, cert_pem, data):
        return ca_bundle([pki.certs_to_pem(self.ca.chain)], cert_pem, data, self.v1)


class Copied(engine.Material):
    """Exactly another Secret's tls.crt, tls.key and ca.crt (shared custom certificates, a shared service CA)."""

    def __init__(self, source, field, ca=False):
        self.source, self.field, self.ca = source, field, ca   # source() -> (label, decoded data); CaMissing when absent
        self.data = self.cert = self.key = None

    def load(self):
        label, data = self.source()
        for key in (layout.TLS_CRT, layout.TLS_KEY):
            if not data.get(key):
                raise pki.PkiError(self.field, "Secret %s to copy from has no %s" % (label, key))
        self.cert = pki.load_certificates(data[layout.TLS_CRT], field="%s %s tls.crt" % (self.field, label))[0]
        self.key = pki.load_private_key(data[layout.TLS_KEY], field="%s %s tls.key" % (self.field, label))
        if self.ca:
            pki.Issuer.load(data[layout.TLS_CRT], data[layout.TLS_KEY], field="%s %s" % (self.field, label))
        self.data = data
        return self

    def desired(self):
        return policy.Desired(spec=None, issuer=None, bundle_pem=self._bundle(), fixed=(self.cert, self.key))

    def _bundle(self):
        return self.data.get(layout.CA_CRT) or self.data[layout.TLS_CRT]

    def issue(self):
        return self.data[layout.TLS_CRT], self.data[layout.TLS_KEY]

    def bundle(self, cert_pem, data):
        return self._bundle()

    def planned(self):
        return pki.facts(self.cert)


class Leaf(engine.Material):
    """A certificate signed by a CA (read from its Secret or given as PEM); ``ca.crt`` is the CA's trust bundle."""

    def __init__(self, spec, signer):
        self.spec, self.signer = spec, signer   # signer() -> (Issuer, trust bundle PEM); CaMissing when absent
        self.predict_spec = spec
        self.ca = self.trust = None

    def load(self):
        self.ca, self.trust = self.signer()
        self.issuer = self.ca.cert
        return self

    def desired(self):
        return policy.Desired(spec=self.spec, issuer=self.ca, bundle_pem=self.trust)

    def issue(self):
        return issue_pems(self.spec, self.ca)

    def planned(self):
        self.ca.signing_key()   # check mode: a CA key that would be refused at signing is refused here too
        return super(Leaf, self).planned()

    def bundle(self, cert_pem, data):
        return self.trust


class TrustOnly(engine.Material):
    """A Secret holding only ``ca.crt`` (v1 ``skupper-service-client``): a CA's trust bundle, no key of its own."""

    def __init__(self, source):
        self.source = source   # source() -> (trust bundle PEM, x509 issuer or None); CaMissing when absent
        self.trust = None

    def load(self):
        self.trust, self.issuer = self.source()
        return self

    def desired(self):
        return policy.Desired(spec=None, issuer=None, bundle_pem=self.trust)

    def issue(self):
        raise engine.EngineError("a trust-only Secret is never issued")

    def bundle(self, cert_pem, data):
        return self.trust


def key_spec(params):
    key_type = params["key_type"]
    size = params.get("key_size") or KEY_SIZE_DEFAULT[key_type]
    spec = pki.KeySpec(type=key_type, size=size)
    spec.validate()
    return spec


def cert_spec(params, common_name, hosts=(), usage="both", is_ca=False, fields=None):
    """A validated CertSpec from module parameters; the ValidationError names the option (``fields`` maps CertSpec
    attributes to option names when they differ: ``subject`` for a CA's common name)."""
    validity, renew = validate.lifetime(params["validity_days"], params["renew_before_days"])
    spec = pki.CertSpec(common_name=common_name, hosts=hosts or (), usage=usage, is_ca=is_ca,
                        validity=validity, renew_before=renew, key=key_spec(params))
    return spec.validate(fields)


def request(params, secret_type=layout.TYPE_TLS, extra_data=None, router_profile=False):
    validate.k8s_name(params["name"], "name")
    validate.namespace(params["namespace"])
    layout.validate_metadata(params["labels"], params["annotations"])
    return engine.Request(namespace=params["namespace"], name=params["name"], secret_type=secret_type,
                          labels=dict(params["labels"]), annotations=dict(params["annotations"]),
                          extra_data=dict(extra_data or {}), adopt=params["adopt"], force=params["force"], router_profile=router_profile)


def load_issuer(params, cert_field, key_field, chain_field):
    """An Issuer from PEM options, each problem reported under its own option name: certificates only in the
    certificate options (a pasted key is refused, never echoed), exactly one key, and a CA able to sign now (a CA
    certificate, not expired, not before its start, RSA of at least 2048 bits or a P-256/384/521 key)."""
    validate.ca_certificate(params[cert_field], cert_field, key_field=key_field)
    pki.load_certificates(params[cert_field], field=cert_field, key_field=key_field)
    pki.load_private_key(params[key_field], field=key_field, cert_field=cert_field)
    if params.get(chain_field):
        pki.load_certificates(params[chain_field], field=chain_field, key_field=key_field)
    return pki.Issuer.load(params[cert_field], params[key_field], chain_pem=params.get(chain_field) or None, field=cert_field)


def issue_pems(spec, issuer=None):
    """A new key and certificate as ``(cert_pem, key_pem)``."""
    cert, key = pki.issue(spec, issuer=issuer)
    return pki.certs_to_pem([cert]), pki.key_to_pem(key, generated=True)


CaMissing = engine.CaMissing


def issuer_from_secret(store, namespace, name, field="ca_secret", found=None):
    """(Issuer, trust bundle PEM) read from a CA Secret (ours or not); ``found``: that Secret as the same task has
    just read it (then it is not read again)."""
    validate.k8s_name(name, field)
    obj = found if found is not None else store.get(layout.secret_ref(namespace, name))
    if not obj:
        raise CaMissing("%s: CA Secret %s/%s not found on %s; create it first (skupper.tls.skupper_ca)" % (field, namespace, name, store.description),
                        "%s/%s" % (namespace, name))
    data = layout.decode_data(obj)
    if not data.get(layout.TLS_CRT) or not data.get(layout.TLS_KEY):
        raise pki.PkiError(field, "CA Secret %s/%s has no %s; it cannot sign" % (
            namespace, name, " and ".join(k for k in (layout.TLS_CRT, layout.TLS_KEY) if not data.get(k))))
    # the key's RSA check waits until it signs (a re-run reads every CA and usually signs nothing)
    issuer = pki.Issuer.load(data[layout.TLS_CRT], data[layout.TLS_KEY], field="%s %s/%s" % (field, namespace, name), check_key=False)
    validate.ca_certificate(data[layout.TLS_CRT], "%s %s/%s" % (field, namespace, name))
    bundle = data.get(layout.CA_CRT) or pki.certs_to_pem([issuer.cert])
    return issuer, bundle
