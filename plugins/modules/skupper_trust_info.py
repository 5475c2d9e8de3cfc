#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_trust_info
short_description: Report where a CA stands across every Secret that holds it (for CA rotation)
version_added: 1.0.0
description:
  - Reads a CA Secret (its signer C(tls.crt), its pending C(next.crt) and its retired C(prev.crt)) and a list of holder Secrets,
    possibly on other clusters, and reports for each holder whether its C(ca.crt) trusts each of those CAs and which one signed its C(tls.crt).
  - Tells which holders are behind for the next rotation phase, so a play can refuse to go on and say which site is behind.
  - Reads only; never returns key material.
  - The top-level connection options are the default for O(ca) and every entry of O(holders) that sets none.
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.target
  - skupper.tls.auth
  - skupper.tls.side.ca
  - skupper.tls.side.holders
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode; it never writes.
  diff_mode:
    support: none
    description: Reports, it does not change anything.
  idempotent:
    support: full
    description: Reads only.
  action_group:
    support: full
    membership:
      - skupper.tls.k8s
    description: Use C(group/skupper.tls.k8s) in C(module_defaults) to set connection options once.
seealso:
  - module: skupper.tls.skupper_ca
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0 (for Secrets on clusters)
"""

EXAMPLES = r"""
- name: Before activating the pending site CA of east, check every holder trusts it
  skupper.tls.skupper_trust_info:
    ca: {name: skupper-site-ca, namespace: east, context: east-cluster}
    holders:
      - {name: skupper-site-server, namespace: east, context: east-cluster}
      - {name: link-east, namespace: west, context: west-cluster}
  register: east_trust

- name: Refuse to activate while a holder is behind
  ansible.builtin.assert:
    that: east_trust.behind.activate | length == 0
    fail_msg: "Not yet trusting the pending CA: {{ east_trust.behind.activate }}"
"""

RETURN = r"""
ca:
  description: Facts (common name, fingerprint, expiry) of the CA Secret's C(current), C(pending) and C(previous) CA, when present.
  returned: always
  type: dict
phase:
  description: Where the CA Secret itself is - C(steady), C(prepared) (a pending CA exists) or C(activated) (a previous CA is still trusted).
  returned: always
  type: str
holders:
  description: One entry per holder - C(secret), C(store), C(exists), C(trusts) (current/pending/previous booleans), C(signed_by) (current, pending,
    previous, other, or none for a trust-only Secret).
  returned: always
  type: list
  elements: dict
behind:
  description:
    - C(activate) lists holders whose C(ca.crt) does not trust the pending CA yet (activating now would break them).
    - C(finalize) lists holders not signed by the current CA or not trusting it yet (finalizing now would break them).
    - C(old_trusted) lists holders whose C(ca.crt) still trusts the previous CA.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.skupper.tls.plugins.module_utils import args, layout, pki, runtime


def _certs(pem):
    try:
        return pki.load_certificates(pem) if pem else []
    except pki.PkiError:
        return []


def _brief(cert):
    f = pki.facts(cert)
    return {"common_name": f["common_name"], "fingerprint_sha256": f["fingerprint_sha256"], "not_after": f["not_after"]}


def argument_spec():
    side = args.side_argument_spec(name=dict(type="str", required=True), namespace=dict(type="str", required=True))
    return args.side_argument_spec(ca=dict(type="dict", required=True, options=side),
                                   holders=dict(type="list", elements="dict", default=[], options=side))


RULES = dict(required_if=[("target", "directory", ["directory"])])


def execute(rt, params):
    ca_side = params["ca"]
    ca_store = rt.side_store(params, ca_side, "ca.")
    obj = ca_store.get(layout.secret_ref(ca_side["namespace"], ca_side["name"]))
    if not obj:
        raise pki.PkiError("ca", "CA Secret %s/%s not found on %s" % (ca_side["namespace"], ca_side["name"], ca_store.description))
    data = layout.decode_data(obj)
    cas = {}
    for role, key in (("current", layout.TLS_CRT), ("pending", layout.NEXT_CRT), ("previous", layout.PREV_CRT)):
        certs = _certs(data.get(key))
        if certs:
            cas[role] = certs[0]
    phase = "prepared" if "pending" in cas else ("activated" if "previous" in cas else "steady")
    holders, behind = [], {"activate": [], "finalize": [], "old_trusted": []}
    for index, holder in enumerate(params["holders"]):
        store = rt.side_store(params, holder, "holders[%d]." % index)
        label = "%s/%s on %s" % (holder["namespace"], holder["name"], store.description)
        found = store.get(layout.secret_ref(holder["namespace"], holder["name"]))
        entry = {"secret": "%s/%s" % (holder["namespace"], holder["name"]), "store": store.description, "exists": bool(found)}
        if found:
            hdata = layout.decode_data(found)
            bundle = set(pki.fingerprint(c) for c in _certs(hdata.get(layout.CA_CRT) or hdata.get(layout.TLS_CRT)))
            entry["trusts"] = dict((role, pki.fingerprint(cert) in bundle) for role, cert in cas.items())
            leaf = _certs(hdata.get(layout.TLS_CRT))
            signed = "none"
            if leaf and hdata.get(layout.CA_CRT):
                signed = next((role for role, cert in cas.items() if pki.signed_by(leaf[0], cert)), "other")
            entry["signed_by"] = signed
        holders.append(entry)
        trusts = entry.get("trusts", {})
        if "pending" in cas and not trusts.get("pending"):
            behind["activate"].append(label)
        if not trusts.get("current") or entry.get("signed_by") not in ("current", "none"):
            behind["finalize"].append(label)
        if "previous" in cas and trusts.get("previous"):
            behind["old_trusted"].append(label)
    return {"changed": False, "ca": dict((role, _brief(cert)) for role, cert in cas.items()), "phase": phase, "holders": holders, "behind": behind}


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True, **RULES)
    runtime.run(module, execute)


if __name__ == "__main__":
    main()
