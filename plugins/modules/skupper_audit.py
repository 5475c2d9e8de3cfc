#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: skupper_audit
short_description: One report of the TLS health of every Skupper site, as JSON, Markdown and a self-contained HTML page
version_added: 1.1.0
description:
  - Reads, for every site of O(sites), the Secrets, Links and the Skupper v2 C(Site) that its C(skupper.tls.site) inventory model
    implies, from its cluster or manifest directory (O(connections)), and reports for each one who owns it (C(ours), C(foreign),
    C(skupper)-controlled), its certificate facts and days to expiry, whether it chains to its own C(ca.crt), the rotation phase of
    each CA, and what Skupper's own controller would do with it (accept, report the Certificate not ready, regenerate, delete).
  - For every link A to B it checks, without any network connection, that A's link credential chains to what B's C(skupper-site-server)
    trusts, and that B's C(skupper-site-server) verifies, with host name verification, for every endpoint host A dials.
  - Findings carry a severity (C(info), C(warning), C(critical)), a check name, the site, the object and a message naming the site, the
    object and the reason. The JSON schema and the catalogue of checks are in C(docs/AUDIT.md).
  - Writes the JSON report to O(json_path) and the HTML page to O(html_path) (also in check mode; they are reports, not managed state),
    returns a Markdown summary, and fails when a finding is critical (see O(fail_on_critical)).
  - Reads only. Never returns, logs or writes a key byte or a Secret C(data) value.
author:
  - skupper.tls contributors (@skupper-tls)
extends_documentation_fragment:
  - skupper.tls.audit.connections
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode; it never writes to a cluster or a manifest directory.
  diff_mode:
    support: none
    description: Reports, it does not change anything.
  idempotent:
    support: full
    description: Reads only; never reports a change.
options:
  sites:
    description:
      - The C(skupper.tls.site) model of every site, for example
        C(ansible_play_hosts_all | map('extract', hostvars) | map('skupper.tls.site', playbook_dir)).
      - The C(connection) key of each model is not used; give the connections in O(connections).
    type: list
    elements: dict
    required: true
  warn_days:
    description: A certificate that expires within this many days is a C(warning).
    type: int
    default: 30
  fail_days:
    description: A certificate that expires within this many days, or has expired, is C(critical). At most O(warn_days).
    type: int
    default: 7
  skupper_release:
    description:
      - The Skupper v2 release whose controller rules are applied, as C(major.minor).
      - From V(2.2) Skupper wants exactly the demanded host set on its Certificates' Secrets; before, a superset is accepted.
    type: str
    default: "2.2"
  handshakes:
    description:
      - Rows of a live handshake matrix (the RV(skupper.tls.skupper_verify#module:rows) of C(skupper.tls.skupper_verify), each with
        C(site) added), to report failed handshakes and show them per link. Optional.
    type: list
    elements: dict
    default: []
  json_path:
    description: Write the JSON report here (parent directories are created).
    type: path
  html_path:
    description: Write the HTML page here (parent directories are created).
    type: path
  title:
    description: Title of the HTML page.
    type: str
    default: Skupper TLS fleet audit
  fail_on_critical:
    description: Fail the task when a finding is C(critical), after writing the reports (so that a schedule alerts).
    type: bool
    default: true
seealso:
  - module: skupper.tls.skupper_verify
  - module: skupper.tls.skupper_trust_info
requirements:
  - cryptography >= 42.0
  - kubernetes >= 24.2.0 (for sites on clusters)
notes:
  - The static link checks cannot see the network - DNS, load balancers, what the routers have loaded. Run the live handshakes
    of C(skupper.tls.verify) for that (C(audit_handshakes=true) in the C(skupper.tls.audit) playbook).
"""

EXAMPLES = r"""
- name: Audit every site of the inventory once
  skupper.tls.skupper_audit:
    sites: "{{ audit_sites }}"
    connections: "{{ audit_sites | map(attribute='connection') | list }}"
    json_path: "{{ playbook_dir }}/audit/audit.json"
    html_path: "{{ playbook_dir }}/audit/audit.html"
    warn_days: 30
    fail_days: 7
  vars:
    audit_sites: "{{ ansible_play_hosts_all | map('extract', hostvars) | map('skupper.tls.site', playbook_dir) | list }}"
  run_once: true
  register: audit
"""

RETURN = r"""
status:
  description: The worst severity found, V(ok), V(info), V(warning) or V(critical).
  returned: always
  type: str
summary:
  description: Counts by severity, numbers of sites, links and certificates, the next certificate to expire, the unhealthy links.
  returned: always
  type: dict
findings:
  description: Every finding, worst first - C(severity), C(check), C(site), C(object) (kind, namespace, name), C(message), and C(link),
    C(reference) when they apply.
  returned: always
  type: list
  elements: dict
links:
  description: One entry per link A to B - C(id), C(from), C(to), C(secret), C(credential_trusted), C(server_verified) (host to boolean),
    C(health), and C(handshakes) when given.
  returned: always
  type: list
  elements: dict
sites:
  description: One entry per site - C(name), C(namespace), C(version), C(store), C(health), C(ca_phases), C(counts).
  returned: always
  type: list
  elements: dict
markdown:
  description: A Markdown summary (status, next expiry, links, findings).
  returned: always
  type: str
json_path:
  description: Where the JSON report was written.
  returned: when O(json_path) is set
  type: str
html_path:
  description: Where the HTML page was written.
  returned: when O(html_path) is set
  type: str
"""

import json
import os
import tempfile


from ansible_collections.skupper.tls.plugins.module_utils import args, audit, audit_render, engine, pki, runtime
from ansible_collections.skupper.tls.plugins.module_utils.store import StoreError

REQUIRED_MODEL_KEYS = ("host", "name", "namespace", "version", "target", "server_hosts", "local_server_hosts", "links", "services")


def _write(path, text):
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".audit-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _check_sites(sites, connections):
    if len(sites) != len(connections):
        raise pki.PkiError("connections", "has %d entries for %d sites; give one per site, in the same order" % (len(connections), len(sites)))
    names = set()
    for index, site in enumerate(sites):
        missing = [k for k in REQUIRED_MODEL_KEYS if k not in site]
        if missing:
            raise pki.PkiError("sites[%d]" % index, "is not a skupper.tls.site model (missing %s)" % ", ".join(missing))
        if site["name"] in names:
            raise pki.PkiError("sites[%d]" % index, "site name %r appears twice" % site["name"])
        names.add(site["name"])


def argument_spec():
    return dict(
        sites=dict(type="list", elements="dict", required=True),
        connections=dict(type="list", elements="dict", required=True, options=args.side_argument_spec()),
        warn_days=dict(type="int", default=30),
        fail_days=dict(type="int", default=7),
        skupper_release=dict(type="str", default="2.2"),
        handshakes=dict(type="list", elements="dict", default=[]),
        json_path=dict(type="path"),
        html_path=dict(type="path"),
        title=dict(type="str", default="Skupper TLS fleet audit"),
        fail_on_critical=dict(type="bool", default=True),
    )


def execute(rt, params):
    sites, connections = params["sites"], params["connections"]
    _check_sites(sites, connections)
    if params["fail_days"] < 0 or params["warn_days"] < params["fail_days"]:
        raise pki.PkiError("warn_days", "must be at least fail_days and fail_days at least 0, got warn_days=%d fail_days=%d"
                           % (params["warn_days"], params["fail_days"]))
    objects, stores, errors = {}, {}, {}
    for index, (site, conn) in enumerate(zip(sites, connections)):
        try:
            if conn.get("target") == "directory" and conn.get("directory") and not os.path.isdir(conn["directory"]):
                raise StoreError("directory %s does not exist (no manifests written yet?)" % conn["directory"])
            store = rt.store(conn, prefix="connections[%d]." % index, use_env=False)
            stores[site["host"]] = store.description
            objects[site["host"]] = audit.collect(site, store)
        except StoreError as exc:
            errors[site["host"]] = str(exc)
    report = audit.build_report(sites, objects, warn_days=params["warn_days"], fail_days=params["fail_days"],
                                skupper_release=params["skupper_release"], handshakes=params["handshakes"], stores=stores, read_errors=errors)
    result = {"changed": False, "status": report["summary"]["status"], "summary": report["summary"], "findings": report["findings"],
              "links": report["links"], "sites": report["sites"], "markdown": audit_render.markdown(report)}
    if params["json_path"]:
        result["json_path"] = _write(params["json_path"], json.dumps(report, indent=2, sort_keys=True) + "\n")
    if params["html_path"]:
        result["html_path"] = _write(params["html_path"], audit_render.html_page(report, title=params["title"]))
    critical = audit.critical(report)
    if critical and params["fail_on_critical"]:
        raise engine.EngineError("%d critical finding(s): %s" % (len(critical), "; ".join(critical[:5]) + (" ..." if len(critical) > 5 else "")),
                                 **result)
    return result


def main():
    module = runtime.SkupperModule(argument_spec=argument_spec(), supports_check_mode=True)
    runtime.run(module, execute)


if __name__ == "__main__":
    main()
