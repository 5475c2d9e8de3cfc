# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make demo: the site playbook on the bundled 3-site inventory in directory mode, then verify, then a summary,
ending with the audit (playbooks/audit.yml): its HTML page is written to demo-output/audit/audit.html.

Run through ``make demo`` (which provides .venv and the collection path). Exit status is non-zero if a playbook
failed or a handshake did not pass.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INVENTORY = os.path.join(ROOT, "examples", "demo", "inventory.yml")
OUTPUT = os.environ.get("SKUPPER_DEMO_OUTPUT") or os.path.join(ROOT, "demo-output")
CALLBACKS = os.path.join(ROOT, "tests", "integration", "callback_plugins")
AUDIT_DIR = os.path.join(OUTPUT, "audit")

sys.path.insert(0, os.path.join(ROOT, "tests", "output", "collections"))
from ansible_collections.skupper.tls.plugins.module_utils import pki  # noqa: E402  pylint: disable=wrong-import-position


def play(name, records, extra=()):
    """Run playbooks/<name>.yml; return (rc, recorded task results)."""
    env = dict(os.environ, SKUPPER_DEMO_OUTPUT=OUTPUT, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="record",
               RECORD_FILE=records, ANSIBLE_DISPLAY_SKIPPED_HOSTS="false")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", INVENTORY, os.path.join(ROOT, "playbooks", name + ".yml")]
    cmd += list(extra)
    print("+ %s" % " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd), flush=True)
    rc = subprocess.call(cmd, env=env, cwd=ROOT)
    with open(records, encoding="utf-8") as handle:
        return rc, [json.loads(line) for line in handle if line.strip()]


def manifests():
    """(site -> Counter of kinds, list of (not_after, site, secret name, common name))."""
    kinds, expiries = collections.defaultdict(collections.Counter), []
    for dirpath, _dirs, files in os.walk(OUTPUT):
        for name in sorted(files):
            if not name.endswith(".yaml"):
                continue
            with open(os.path.join(dirpath, name), encoding="utf-8") as handle:
                obj = yaml.safe_load(handle)
            site = os.path.relpath(dirpath, OUTPUT).split(os.sep)[0]
            kinds[site][obj["kind"]] += 1
            crt = (obj.get("data") or {}).get("tls.crt")
            if crt:
                facts = pki.facts(pki.load_certificates(base64.b64decode(crt))[0])
                expiries.append((facts["not_after"], site, obj["metadata"]["name"], facts["common_name"]))
    return kinds, sorted(expiries)


def main():
    with tempfile.TemporaryDirectory(prefix="skupper-demo-") as tmp:
        site_rc, site_records = play("site", os.path.join(tmp, "site.jsonl"))
        verify_rc, verify_records = play("verify", os.path.join(tmp, "verify.jsonl")) if site_rc == 0 else (1, [])
        audit_rc, audit_records = play("audit", os.path.join(tmp, "audit.jsonl"), ["-e", "audit_output_dir=%s" % AUDIT_DIR]) if site_rc == 0 else (1, [])
    # skupper_site / skupper_links return one entry per Secret or Link they ensured, each with its action
    changes = [item for r in site_records if r["status"] in ("ok", "item_ok")
               for item in r["result"].get("results", []) if isinstance(item, dict) and item.get("changed")]
    handshakes = [h for r in verify_records for h in r["result"].get("results", []) if isinstance(h, dict) and "ok" in h]
    passed = sum(1 for h in handshakes if h["ok"])
    kinds, expiries = manifests()

    print("\n=== skupper.tls demo summary ===")
    print("Sites: %s (Skupper v2, directory mode), manifests in %s" % (", ".join(sorted(kinds)), os.path.relpath(OUTPUT, os.getcwd())))
    if changes:
        actions = collections.Counter(item.get("action", "changed") for item in changes)
        print("This run changed %d Secrets/Links: %s" % (len(changes), ", ".join("%d %s" % (n, a) for a, n in sorted(actions.items()))))
    else:
        print("This run changed nothing: every Secret and Link was already in place and valid (idempotent re-run).")
    for site in sorted(kinds):
        print("  %-6s %s" % (site, ", ".join("%d %s%s" % (n, k, "s" if n > 1 else "") for k, n in sorted(kinds[site].items()))))
    if expiries:
        first, last = expiries[0], expiries[-1]
        print("Certificates: %d; first expiry %s (%s/%s), last %s" % (len(expiries), first[0], first[1], first[2], last[0]))
    print("Handshakes: %d passed, %d failed (Python ssl and openssl s_server/s_client, hostname verification on)"
          % (passed, len(handshakes) - passed))
    audit = next((r["result"] for r in audit_records if "summary" in r["result"] and "html_path" in r["result"]), None)
    if audit:
        counts, nxt = audit["summary"]["counts"], audit["summary"]["next_expiry"]
        print("Audit: %s - %d critical, %d warning, %d info findings; next expiry %s/%s in %d days"
              % (audit["status"].upper(), counts["critical"], counts["warning"], counts["info"], nxt["site"], nxt["secret"], nxt["days_left"]))
        print("Audit page: %s" % audit["html_path"])
    ok = site_rc == 0 and verify_rc == 0 and audit_rc == 0 and handshakes and passed == len(handshakes)
    if not ok:
        print("demo: FAILED (site rc=%s, verify rc=%s, audit rc=%s)" % (site_rc, verify_rc, audit_rc))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
