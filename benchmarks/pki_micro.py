"""Micro-benchmark of the PKI engine alone (issue 6): keys/s and certificates/s.

Uses skupper.tls's own PKI core (plugins/module_utils/pki.py: generate_key(KeySpec),
issue(CertSpec, Issuer)) with no Ansible, no Kubernetes: the floor under any playbook.

  keygen    generate_key(KeySpec(type, size))
  issue     issue(CertSpec(skupper-router profile, 3 SANs), issuer, key=<pre-generated>):
            build + sign only, the key generation excluded
  issue+key issue(...) generating the key too: what a first run pays per certificate

Each figure is the mean over --repeat rounds of a bounded count (RSA key generation is
random in cost: the mean is what many keys cost); the best round is in the JSON too. Run: benchmarks/.venv/bin/python benchmarks/pki_micro.py
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FARM = os.path.join(REPO, "tests", "output", "collections")


def ensure_farm():
    """tests/output/collections/ansible_collections/skupper/tls -> repo root (relative symlink), created if missing."""
    link = os.path.join(FARM, "ansible_collections", "skupper", "tls")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(REPO, os.path.dirname(link)), link)
    if FARM not in sys.path:
        sys.path.insert(0, FARM)
    return FARM


def _rate(fn, count, repeat):
    """Mean over all rounds (RSA key generation cost is random: the mean is what many keys cost), plus the best round."""
    rounds = []
    cpu0 = time.process_time()
    for dummy in range(repeat):
        t0 = time.perf_counter()
        for dummy in range(count):
            fn()
        rounds.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    total = sum(rounds)
    return {"count": count * repeat, "seconds": round(total, 4), "cpu_seconds": round(cpu, 4),
            "per_second": round(count * repeat / total, 1), "ms_each": round(1000 * total / (count * repeat), 3),
            "best_round_per_second": round(count / min(rounds), 1)}


def run(repeat=3, quick=False):
    ensure_farm()
    from ansible_collections.skupper.tls.plugins.module_utils import pki  # noqa: E402

    results = {}
    for ktype, size, kcount, ccount in (("rsa", 2048, 20, 200), ("ecdsa", 256, 200, 400)):
        if quick:
            kcount, ccount = max(3, kcount // 5), max(10, ccount // 5)
        spec = pki.KeySpec(type=ktype, size=size)
        ca_cert, ca_key = pki.issue(pki.CertSpec(common_name="bench site CA", is_ca=True, key=spec))
        issuer = pki.Issuer(cert=ca_cert, key=ca_key)
        leaf_key = pki.generate_key(spec)
        leaf = pki.CertSpec(common_name="skupper-router", key=spec,
                            hosts=("skupper-router", "skupper-router.site-1", "site-1.skupper.test", "127.0.10.1"))
        results[spec.describe()] = {
            "keygen": _rate(lambda: pki.generate_key(spec), kcount, repeat),
            "issue": _rate(lambda: pki.issue(leaf, issuer, key=leaf_key), ccount, repeat),
            "issue+key": _rate(lambda: pki.issue(leaf, issuer), kcount, repeat),
            "to_pem": _rate(lambda: (pki.key_to_pem(leaf_key), pki.certs_to_pem([ca_cert])), ccount, repeat),
        }
    return results


def markdown(results):
    lines = ["| key | keys/s | ms/key | certs/s (sign only) | ms/cert | certs/s (key + sign) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        lines.append(f"| {name} | {r['keygen']['per_second']} | {r['keygen']['ms_each']} | {r['issue']['per_second']} | "
                     f"{r['issue']['ms_each']} | {r['issue+key']['per_second']} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller counts")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    results = run(max(1, min(args.repeat, 10)), args.quick)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
