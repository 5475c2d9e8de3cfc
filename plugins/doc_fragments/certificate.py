# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Options of every certificate Secret (skupper_ca, skupper_cert).
    DOCUMENTATION = r"""
options:
  name:
    description:
      - Name of the Secret. A lower-case RFC 1123 subdomain.
    type: str
    required: true
  namespace:
    description:
      - Namespace of the Secret (the Skupper site's namespace).
    type: str
    required: true
  state:
    description:
      - V(present) ensures the Secret; V(absent) deletes it, but only if skupper.tls owns it
        (label C(app.kubernetes.io/managed-by=skupper.tls)). Foreign Secrets are never deleted.
    type: str
    choices: [present, absent]
    default: present
  skupper_version:
    description:
      - Which Skupper's Secret layout to write. V(2) (Skupper 2.x) or V(1) (Skupper 1.x, where CA Secrets
        hold no C(ca.crt) and CA subjects are the Secret name).
    type: int
    choices: [1, 2]
    default: 2
  key_type:
    description:
      - Private key algorithm. Skupper's controller signs only with RSA CA keys, so keep V(rsa) for CAs
        Skupper may sign with.
    type: str
    choices: [rsa, ecdsa]
    default: rsa
  key_size:
    description:
      - RSA modulus size (V(2048), V(3072), V(4096)) or ECDSA curve size (V(256) for P-256, V(384) for P-384).
      - Defaults to V(2048) for RSA and V(256) for ECDSA.
    type: int
  validity_days:
    description:
      - Lifetime of a newly issued certificate, in days. Skupper uses 5 years.
      - A change applies at the next issue; use O(force) to apply it now.
    type: int
    default: 1825
  renew_before_days:
    description:
      - Reissue when the certificate expires within this many days (or has expired). Must be smaller than O(validity_days).
    type: int
    default: 30
  labels:
    description:
      - Labels to set on the Secret. Labels others set are kept.
    type: dict
    default: {}
  annotations:
    description:
      - Annotations to set on the Secret. Annotations others set (for example Skupper's
        C(internal.skupper.io/tls-profile-context)) are kept. C(internal.skupper.io/controlled) is refused.
    type: dict
    default: {}
  adopt:
    description:
      - Take over a Secret that exists but is not owned by skupper.tls. Without it such a Secret is used as
        it is if it satisfies the spec (reported RV(ignore:action=foreign)), and the task fails otherwise.
      - Adopting removes Skupper's control markers (annotation C(internal.skupper.io/controlled), Certificate
        owner references) so the Skupper controller stops regenerating the Secret.
    type: bool
    default: false
  force:
    description:
      - Reissue the key and certificate even if the current ones satisfy the spec.
    type: bool
    default: false
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Reports the same RV(ignore:action) and RV(ignore:reasons) a real run would, and writes nothing.
  diff_mode:
    support: full
    description: Shows certificate facts (subject, SANs, serial, dates, fingerprints) before and after, never key bytes or Secret data.
  idempotent:
    support: full
    description: A second run with the same options changes nothing and makes no write request (unless O(force=true)).
  action_group:
    support: full
    membership:
      - skupper.tls.k8s
    description: Use C(group/skupper.tls.k8s) in C(module_defaults) to set connection options once.
"""

    # skupper_site / skupper_links: the same attributes; they have no force option
    SITE_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Reports the same RV(ignore:action) and RV(ignore:reasons) a real run would, and writes nothing.
  diff_mode:
    support: full
    description: Shows certificate facts (subject, SANs, serial, dates, fingerprints) before and after, never key bytes or Secret data.
  idempotent:
    support: full
    description: A second run with the same options changes nothing and makes no write request.
  action_group:
    support: full
    membership:
      - skupper.tls.k8s
    description: Use C(group/skupper.tls.k8s) in C(module_defaults) to set connection options once.
"""
