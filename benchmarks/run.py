"""Benchmark harness (issues 6 and 11): skupper.tls's site playbook ("ours") against the hand-written
community.crypto + kubernetes.core playbook ("baseline"), on N sites served by real kube-apiserver clusters
(tests/realkube, sites as namespaces, 10 per cluster by default) or by test API servers (tests/kubeapi).

For each server kind, N and system, on fresh API servers: a first run and a re-run of
`ansible-playbook -f 5`, each measured for wall time, CPU time, peak RSS, API requests by verb
(from the real servers' audit logs or the test servers' request logs) and the play recap (changed/failed).
Then results.json, results.md and bench.png in benchmarks/results/. See benchmarks/README.md.

  benchmarks/.venv/bin/python benchmarks/run.py [--server real|test|both] [--sizes 3,10,30] [--systems ours,baseline]

Run with any python3.11: it creates benchmarks/.venv from benchmarks/requirements.txt when
missing and re-executes itself there. All traffic goes to 127.0.0.1.
"""

import argparse
import collections
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VENV_PY = os.path.join(VENV, "bin", "python")
REQUIREMENTS = os.path.join(HERE, "requirements.txt")
STAMP = os.path.join(VENV, ".requirements-sha256")
# the collections path both systems run with; BENCH_COLLECTIONS points "ours" at another checkout (an experiment)
FARM = os.path.abspath(os.environ.get("BENCH_COLLECTIONS") or os.path.join(REPO, "tests", "output", "collections"))
RESULTS = os.path.join(HERE, "results")
WORK = os.path.abspath(os.environ.get("BENCH_WORK") or os.path.join(HERE, "work"))  # another one for a parallel invocation
BASELINE_PLAYBOOK = os.path.join(HERE, "baseline", "site.yml")
OURS_FQCN = "skupper.tls.site"
FORKS = 5
RUN_TIMEOUT = 3600  # seconds, per ansible-playbook run
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
VERBS = ("get", "list", "create", "update", "patch", "delete", "discovery")
CONTROLLER_ACTIONS = {  # run inside the controller process: no module shipped, no interpreter started
    "ansible.builtin.set_fact", "set_fact", "ansible.builtin.include_tasks", "include_tasks",
    "ansible.builtin.import_tasks", "ansible.builtin.debug", "debug", "ansible.builtin.assert", "assert",
    "ansible.builtin.meta", "meta", "ansible.builtin.fail", "fail", "ansible.builtin.include_role",
    "include_role", "ansible.builtin.add_host", "ansible.builtin.group_by", "ansible.builtin.include_vars",
    "include_vars", "ansible.builtin.set_stats", "ansible.builtin.validate_argument_spec", "validate_argument_spec",
}


def in_controller(action):
    """An action run in the worker process without shipping a module: ansible's own, or skupper.tls's (ControllerAction)."""
    if action in CONTROLLER_ACTIONS:
        return True
    parts = action.split(".")
    return len(parts) == 3 and parts[:2] == ["skupper", "tls"] and _controller_action(
        os.path.join(REPO, "plugins", "action", parts[2] + ".py"))


# --------------------------------------------------------------------------- environment


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def ensure_venv(argv):
    """Re-exec under benchmarks/.venv, creating/updating it from requirements.txt first."""
    wanted = _sha256(REQUIREMENTS)
    fresh = os.path.exists(STAMP) and open(STAMP).read().strip() == wanted
    if not fresh:
        print(f"bench: installing {REQUIREMENTS} into {VENV}", flush=True)
        if not os.path.exists(VENV_PY):
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([VENV_PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", REQUIREMENTS])
        with open(STAMP, "w") as f:
            f.write(wanted)
    if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__)] + argv)


def ensure_farm():
    """tests/output/collections/ansible_collections/skupper/tls -> the repo root (relative symlink)."""
    link = os.path.join(FARM, "ansible_collections", "skupper", "tls")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(REPO, os.path.dirname(link)), link)
    return FARM


def ours_playbook():
    """`skupper.tls.site` when the collection ships playbooks/site.yml, else None (ours unavailable)."""
    for name in ("site.yml", "site.yaml"):
        if os.path.exists(os.path.join(REPO, "playbooks", name)):
            return OURS_FQCN
    return None


def playbook_env(workdir, timing_file):
    """The same environment for both systems: isolated temp dirs, only our collection farm + the venv's collections."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "K8S_AUTH_", "PYTHON")) and k not in ("KUBECONFIG", "VIRTUAL_ENV")}
    tmp = os.path.join(workdir, "tmp")
    os.makedirs(tmp, exist_ok=True)
    env.update({
        "PATH": os.path.join(VENV, "bin") + os.pathsep + env.get("PATH", ""),
        "VIRTUAL_ENV": VENV,
        "TMPDIR": tmp,  # kubernetes.core keeps its discovery cache here: per system and N, kept for the re-run
        "HOME": os.environ.get("HOME", "/root"),
        "ANSIBLE_CONFIG": os.path.join(workdir, "ansible.cfg"),
        "ANSIBLE_HOME": os.path.join(workdir, "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "ansible-local-tmp"),
        "ANSIBLE_REMOTE_TMP": os.path.join(workdir, "ansible-remote-tmp"),
        "ANSIBLE_COLLECTIONS_PATH": ensure_farm(),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(HERE, "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "bench_timing",
        "BENCH_TIMING_FILE": timing_file,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
    })
    with open(env["ANSIBLE_CONFIG"], "w") as f:
        f.write("[defaults]\n# written by benchmarks/run.py; the settings are in the environment\n")
    return env


# --------------------------------------------------------------------------- test API servers


def start_clusters(count, directory):
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from kubeapi import process  # noqa: E402  (tests/kubeapi, the test API server)

    os.makedirs(directory, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(count, 8)) as pool:
        futures = [pool.submit(process.start, f"c{i}", os.path.join(directory, f"c{i}"), 60) for i in range(1, count + 1)]
        clusters = []
        errors = []
        for fut in futures:
            try:
                clusters.append(fut.result())
            except Exception as exc:  # pylint: disable=broad-except
                errors.append(exc)
    if errors:
        stop_clusters(clusters)
        raise errors[0]
    return clusters


def stop_clusters(clusters):
    for cluster in clusters:
        try:
            cluster.stop()
        except Exception:  # pylint: disable=broad-except
            pass


# --------------------------------------------------------------------------- real kube-apiservers (tests/realkube)


AUDIT_METHODS = {"get": "GET", "list": "GET", "watch": "GET", "create": "POST", "update": "PUT", "patch": "PATCH",
                 "delete": "DELETE", "deletecollection": "DELETE"}


class RealServer:
    """A tests/realkube cluster (kube-apiserver + etcd) behind the interface bench_one uses for a test API server:
    kubeconfig/context, create_namespace, api_client, clear_log/requests (from the audit log, since a mark), pids, stop."""

    def __init__(self, cluster, kubeconfig):
        self.cluster = cluster
        self.name = cluster.name
        self.kubeconfig = kubeconfig  # one file for all servers of a run, one context per server (named after it)
        self.context = cluster.context
        self._mark = cluster.mark()

    def create_namespace(self, name):
        return self.cluster.create_namespace(name)

    def api_client(self):
        from kubernetes import config

        return config.new_client_from_config(config_file=self.kubeconfig, context=self.context)

    def clear_log(self):
        self._mark = self.cluster.mark()

    def requests(self):
        """The audit events since the mark, as the test server logs requests: method, path, status, dry_run (and the
        Kubernetes verb; requests without an object reference are discovery). The admin identity only: the playbooks'."""
        out = []
        for event in self.cluster.events(self._mark, user="admin"):
            uri = event.get("requestURI") or ""
            out.append({"method": AUDIT_METHODS.get(event["verb"], event["verb"].upper()), "path": uri.split("?")[0],
                        "status": (event.get("responseStatus") or {}).get("code"), "dry_run": "dryRun=All" in uri,
                        "verb": event["verb"] if event.get("objectRef") else "discovery"})
        return out

    def pids(self):
        return [p.pid for p in self.cluster.processes]

    def stop(self):
        self.cluster.stop()


def start_real_servers(count, directory):
    """`count` real clusters in parallel (tests/realkube.cluster.start_many) and one kubeconfig with a context each."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    from realkube import cluster as realkube  # noqa: E402  (real kube-apiserver + etcd, KUBE_APISERVER_BIN / ETCD_BIN)

    os.makedirs(directory, exist_ok=True)
    clusters = realkube.start_many([f"c{i}" for i in range(1, count + 1)], base_dir=directory)
    kubeconfig = realkube.write_kubeconfig(os.path.join(directory, "kubeconfig"), clusters)
    return [RealServer(c, kubeconfig) for c in clusters]


def server_cpu(clusters):
    import psutil

    total = 0.0
    for cluster in clusters:
        for pid in cluster.pids() if hasattr(cluster, "pids") else [cluster.info["pid"]]:
            try:
                t = psutil.Process(pid).cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
    return total


def classify(entry):
    """Kubernetes verb of a logged request: get/list/create/update/patch/delete, or discovery."""
    if entry.get("verb"):  # a real server's audit event
        return entry["verb"]
    parts = [p for p in entry["path"].split("/") if p]
    if parts[:2] == ["api", "v1"]:
        rest = parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        rest = parts[3:]
    else:
        return "discovery"  # /version, /api, /apis, /apis/<group>
    if not rest:
        return "discovery"  # /api/v1, /apis/<group>/<version>
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    named = len(rest) >= 2
    method = entry["method"]
    if method == "GET":
        return "get" if named else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


def api_counts(clusters):
    by_verb = collections.Counter()
    by_method = collections.Counter()
    writes = dry_runs = errors = 0
    for cluster in clusters:
        for entry in cluster.requests():
            by_verb[classify(entry)] += 1
            by_method[entry["method"]] += 1
            if entry["method"] in WRITE_METHODS:
                if entry.get("dry_run"):
                    dry_runs += 1
                else:
                    writes += 1
            if (entry.get("status") or 0) >= 400:
                errors += 1
    return {"total": sum(by_verb.values()), "by_verb": {v: by_verb.get(v, 0) for v in VERBS},
            "by_method": dict(by_method), "writes": writes, "dry_run_writes": dry_runs, "error_responses": errors}


# --------------------------------------------------------------------------- what was stored


def secret_profile(secret):
    """What a Secret holds, without key bytes: certificate CN/SANs/CA/usages/key type, issuer CN, fingerprints."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    data = secret.get("data") or {}
    out = {"type": secret.get("type"), "keys": sorted(data)}
    if "tls.crt" not in data:
        return out
    cert = x509.load_pem_x509_certificate(base64.b64decode(data["tls.crt"]))

    def ext(cls):
        try:
            return cert.extensions.get_extension_for_class(cls)
        except x509.ExtensionNotFound:
            return None

    san = ext(x509.SubjectAlternativeName)
    bc = ext(x509.BasicConstraints)
    ku = ext(x509.KeyUsage)
    eku = ext(x509.ExtendedKeyUsage)
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    icn = cert.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    pub = cert.public_key()
    key_desc = f"RSA-{pub.key_size}" if isinstance(pub, rsa.RSAPublicKey) else (
        f"EC-{pub.curve.name}" if isinstance(pub, ec.EllipticCurvePublicKey) else type(pub).__name__)
    key_label = None
    if "tls.key" in data:
        first = base64.b64decode(data["tls.key"]).split(b"\n", 1)[0].decode(errors="replace")
        key_label = first.strip("- ").replace("BEGIN ", "")
    out.update({
        "subject": ",".join(a.value for a in cn) or cert.subject.rfc4514_string(),
        "issuer": ",".join(a.value for a in icn) or cert.issuer.rfc4514_string(),
        "sans": (sorted(f"DNS:{v}" for v in san.value.get_values_for_type(x509.DNSName))
                 + sorted(f"IP:{v}" for v in san.value.get_values_for_type(x509.IPAddress))) if san else [],
        "ca": bool(bc and bc.value.ca), "basic_constraints_critical": bool(bc and bc.critical),
        "key_usage": sorted(k for k in ("digital_signature", "key_encipherment", "key_cert_sign")
                            if ku and getattr(ku.value, k)),
        "ext_key_usage": sorted(o._name for o in eku.value) if eku else [],  # pylint: disable=protected-access
        "key": key_desc, "key_pem": key_label,
        "validity_days": (cert.not_valid_after_utc - cert.not_valid_before_utc).days,
        "fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
        "same_ca_crt": data.get("ca.crt") == data.get("tls.crt") if "ca.crt" in data else None,
    })
    return out


# Fields of a Secret's profile (secret_profile) left out of the ours/baseline comparison: the fingerprint (every key is
# new). Objects only one system writes are reported, not hidden.
PROFILE_IGNORE = ("fingerprint",)
# Fields compared with a tolerance: field -> test(ours, baseline). skupper.tls never lets a leaf outlive its CA
# (pki.leaf_end caps it at the CA's end); with the default lifetimes (CA and leaf both 1825 days) a leaf issued a few
# seconds after its CA ends with the CA, 1824.99 days later, which whole days round down to 1824.
PROFILE_TOLERATE = {"validity_days": lambda ours, baseline: ours in (baseline, baseline - 1)}
PROFILE_IGNORE_WHY = ("certificate fingerprints (every key is new)",
                      "validity_days may be one day shorter in ours: a leaf never outlives its CA, so one issued seconds after its CA "
                      "(both 1825 days) is capped at the CA's end, 1824.99 days")
EXPECTED = ("skupper-site-ca", "skupper-site-server", "skupper-local-ca", "skupper-local-server")


def expected_objects(site):
    """What both systems must write for a site (issue 6): four Secrets, and per link a Secret and a Link."""
    names = [f"Secret/{n}" for n in EXPECTED]
    for link in site["links"]:
        names += [f"Secret/link-{link['to']}", f"Link/link-{link['to']}"]
    return names


def snapshot(sites):
    """Profiles of every Secret and Link in every site's namespace. Read with list requests after the run's
    request log was counted, so they are not part of any figure."""
    from kubernetes import client as kclient

    apis, snap = {}, {}
    try:
        for site in sites:
            cluster, ns = site["cluster"], site["namespace"]
            if cluster.name not in apis:
                apis[cluster.name] = cluster.api_client()
            api = apis[cluster.name]
            entry = {}
            for secret in kclient.CoreV1Api(api).list_namespaced_secret(ns).items:
                obj = api.sanitize_for_serialization(secret)
                entry[f"Secret/{obj['metadata']['name']}"] = secret_profile(obj)
            links = kclient.CustomObjectsApi(api).list_namespaced_custom_object("skupper.io", "v2alpha1", ns, "links")
            for obj in links.get("items", []):
                entry[f"Link/{obj['metadata']['name']}"] = obj.get("spec")
            snap[site["name"]] = entry
    finally:
        for api in apis.values():
            api.close()
    return snap


def compare_profiles(a, b, ignore=("fingerprint",), labels=("first", "second"), tolerate=None):
    """Differences between two snapshots (site -> object -> field), ignoring the given fields; ``tolerate`` maps a
    field to a test(a's value, b's value) that accepts an intended difference."""
    tolerate = tolerate or {}
    diffs = []
    for site in sorted(set(a) | set(b)):
        sa, sb = a.get(site, {}), b.get(site, {})
        for obj in sorted(set(sa) | set(sb)):
            pa, pb = sa.get(obj), sb.get(obj)
            if obj not in sa or obj not in sb:
                diffs.append(f"{site} {obj}: only in {labels[1] if obj not in sa else labels[0]}")
                continue
            if not obj.startswith("Secret/"):
                if pa != pb:
                    diffs.append(f"{site} {obj}: {pa} != {pb}")
                continue
            for field in sorted(set(pa) | set(pb)):
                if field in ignore:
                    continue
                if field in tolerate and tolerate[field](pa.get(field), pb.get(field)):
                    continue
                if pa.get(field) != pb.get(field):
                    diffs.append(f"{site} {obj} {field}: {pa.get(field)!r} != {pb.get(field)!r}")
    return diffs


def load_profile(system, n, server="test"):
    """The snapshot bench_one left in work/<system>-<server>-n<N>/profile.json, or None."""
    try:
        with open(os.path.join(WORK, f"{system}-{server}-n{n}", "profile.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def kept(before, after):
    """How many certificates the re-run kept (same fingerprint) and which it reissued."""
    same, reissued = 0, []
    for site, objs in after.items():
        for name, prof in objs.items():
            if not isinstance(prof, dict) or "fingerprint" not in prof:
                continue
            old = (before.get(site) or {}).get(name) or {}
            if old.get("fingerprint") == prof["fingerprint"]:
                same += 1
            else:
                reissued.append(f"{site}/{name}")
    return same, reissued


# --------------------------------------------------------------------------- one ansible-playbook run


RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                      r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


def parse_recap(text):
    totals = collections.Counter()
    hosts = 0
    for m in RECAP_RE.finditer(text):
        hosts += 1
        for key, value in zip(("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"), m.groups()[1:]):
            totals[key] += int(value)
    return dict(totals, hosts=hosts)


def _sample_rss(pid, stop, peak):
    """Every 100 ms: the sum of RSS over the ansible-playbook process tree (shared pages count once per process),
    the number of processes, and the CPU time of the main process itself."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        total = 0
        try:
            procs = [root] + root.children(recursive=True)
        except psutil.Error:
            break
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        peak[1] = max(peak[1], len(procs))
        try:
            t = root.cpu_times()
            peak[2] = t.user + t.system  # the controller process itself, without its workers and modules
        except psutil.Error:
            pass
        stop.wait(0.1)


def run_playbook(args, env, cwd, log_path, clusters):
    """Run ansible-playbook once; wall, CPU (the process tree, via wait4), peak RSS, server CPU."""
    srv0 = server_cpu(clusters)
    load0 = os.getloadavg()[0]
    with open(log_path, "w") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        stop, peak = threading.Event(), [0, 0, 0.0]
        sampler = threading.Thread(target=_sample_rss, args=(proc.pid, stop, peak), daemon=True)
        sampler.start()
        timer = threading.Timer(RUN_TIMEOUT, lambda: os.killpg(proc.pid, signal.SIGKILL))
        timer.start()
        try:
            status, usage = os.wait4(proc.pid, 0)[1:]
        finally:
            timer.cancel()
            stop.set()
            sampler.join(5)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(log_path) as f:
        text = f.read()
    return {
        "rc": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_user_s": round(usage.ru_utime, 3),
        "cpu_sys_s": round(usage.ru_stime, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_max_process_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB; the largest single process of the tree
        "peak_rss_tree_mb": round(peak[0] / 2 ** 20, 1),
        "peak_processes": peak[1],
        "controller_process_cpu_s": round(peak[2], 3),  # ansible-playbook's main process alone (sampled, up to 100 ms early)
        "server_cpu_s": round(server_cpu(clusters) - srv0, 3),
        "loadavg_1m_before": round(load0, 2),
        "recap": parse_recap(text),
        "timed_out": proc.returncode == -signal.SIGKILL,
    }


def timing_summary(path):
    """From the bench_timing callback: task results by action and status, and host-task time by action."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    by_action = {}
    for r in data["results"]:
        a = by_action.setdefault(r["action"], {"results": 0, "changed": 0, "skipped": 0, "failed": 0, "host_seconds": 0.0})
        a["results"] += 1
        a["host_seconds"] = round(a["host_seconds"] + r["duration"], 3)
        if r["status"] in ("changed", "skipped", "failed"):
            a[r["status"]] += 1
    module_results = sum(a["results"] - a["skipped"] for k, a in by_action.items() if not in_controller(k))
    controller_results = sum(a["results"] - a["skipped"] for k, a in by_action.items() if in_controller(k))
    changed_tasks = collections.Counter(r["task"] for r in data["results"] if r["status"] == "changed")
    return {"by_action": by_action, "module_results": module_results, "controller_results": controller_results,
            "changed_by_task": dict(changed_tasks.most_common(20))}


# --------------------------------------------------------------------------- one system at one size


def bench_one(system, playbook, n, sites_per_server, out_dir, log, server="test", profiler=None):
    import inventory  # benchmarks/inventory.py

    workdir = os.path.join(WORK, f"{system}-{server}-n{n}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    n_servers = -(-n // sites_per_server)
    t0 = time.perf_counter()
    start = start_real_servers if server == "real" else start_clusters
    clusters = start(n_servers, os.path.join(workdir, "servers"))
    startup = time.perf_counter() - t0
    try:
        sites = inventory.assign(n, clusters, sites_per_server)
        for site in sites:
            site["cluster"].create_namespace(site["namespace"])
        inv_path = inventory.write(os.path.join(workdir, "inventory.yml"), sites)
        built = inventory.build(sites)["all"]["children"][inventory.GROUP]["hosts"]
        for site in sites:
            site["links"] = built[site["name"]]["skupper_links"]
        result = {"system": system, "server": server, "n": n, "servers": n_servers, "sites_per_server": sites_per_server,
                  "forks": FORKS, "server_startup_s": round(startup, 2), "playbook": playbook,
                  "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        snaps = {}
        for run in ("first", "rerun"):
            for cluster in clusters:
                cluster.clear_log()
            timing = os.path.join(workdir, f"{run}-timing.json")
            env = playbook_env(workdir, timing)
            args = [os.path.join(VENV, "bin", "ansible-playbook"), "-i", inv_path, "-f", str(FORKS), playbook]
            if profiler == "cprofile":  # benchmarks/profile/sitecustomize.py: every worker and the main process under cProfile
                env["PYTHONPATH"] = os.path.join(HERE, "profile")
                env["BENCH_CPROFILE_DIR"] = os.path.join(workdir, f"{run}-cprofile")
                os.makedirs(env["BENCH_CPROFILE_DIR"], exist_ok=True)
            elif profiler:  # sampled stacks of every process of the tree (py-spy, not in requirements.txt); inflates CPU
                args = [shutil.which("py-spy") or "py-spy", "record", "--subprocesses", "--nonblocking", "--format", "raw",
                        "--rate", "200", "-o", os.path.join(workdir, f"{run}.stacks"), "--"] + args
            log(f"  {system} {server} N={n} {run}: ansible-playbook -f {FORKS} {os.path.relpath(playbook, HERE) if os.path.isabs(playbook) else playbook}")
            m = run_playbook(args, env, workdir, os.path.join(workdir, f"{run}.log"), clusters)
            m["api"] = api_counts(clusters)
            m["tasks"] = timing_summary(timing)
            snaps[run] = snapshot(sites)
            missing = [f"{site['name']} {o}" for site in sites for o in expected_objects(site)
                       if o not in snaps[run].get(site["name"], {})]
            m["objects_missing"] = missing
            m["ok"] = m["rc"] == 0 and not missing and m["recap"].get("failed", 0) == 0
            result[run] = m
            log(f"    rc={m['rc']} wall={m['wall_s']}s cpu={m['cpu_s']}s rss(max proc)={m['peak_rss_max_process_mb']}MB "
                f"requests={m['api']['total']} writes={m['api']['writes']} changed={m['recap'].get('changed')}"
                f" failed={m['recap'].get('failed')} missing={len(missing)}")
            if m["rc"] != 0:
                with open(os.path.join(workdir, f"{run}.log")) as f:
                    tail = f.read()[-3000:]
                log(f"    FAILED, tail of {workdir}/{run}.log:\n{tail}")
                break
        if "rerun" in snaps:
            same, reissued = kept(snaps["first"], snaps["rerun"])
            result["rerun"]["certificates_kept"] = same
            result["rerun"]["certificates_reissued"] = reissued
            result["rerun"]["objects_changed"] = compare_profiles(snaps["first"], snaps["rerun"], ignore=(),
                                                                  labels=("the first run", "the re-run"))
        profile = snaps.get("rerun") or snaps.get("first") or {}
        with open(os.path.join(workdir, "profile.json"), "w") as f:  # every Secret and Link of every site (work/, not kept)
            json.dump(profile, f, indent=1, sort_keys=True)
        result["profile_sample"] = {k: v for k, v in profile.items() if k == sites[0]["name"]} if sites else {}
        result["certificates"] = sum(1 for objs in (snaps.get("first") or {}).values() for p in objs.values()
                                     if isinstance(p, dict) and p.get("key"))
        if sites:
            result["rtt"] = measure_rtt(clusters[0], sites[0]["namespace"])
        return result
    finally:
        stop_clusters(clusters)


def measure_rtt(cluster, namespace, count=40):
    """Client-observed latency of one GET on a Secret through the kubernetes client: warm connection, and with a new
    client (TLS handshake included), as every module invocation pays for its first request. Bounded: 40 + 10 requests."""
    from kubernetes import client as kclient

    def one(api):
        t = time.perf_counter()
        try:
            api.read_namespaced_secret("skupper-site-ca", namespace)
        except kclient.ApiException:
            pass
        return time.perf_counter() - t

    api = kclient.CoreV1Api(cluster.api_client())
    one(api)
    warm = sorted(one(api) for dummy in range(count))
    cold = []
    for dummy in range(10):
        c = cluster.api_client()
        cold.append(one(kclient.CoreV1Api(c)))
        c.close()
    api.api_client.close()
    cold.sort()
    return {"warm_median_ms": round(1000 * warm[len(warm) // 2], 2), "new_client_median_ms": round(1000 * cold[len(cold) // 2], 2)}


# --------------------------------------------------------------------------- breakdown calibration


def calibrate(n_hosts, log, tasks=4):
    """Per-task Ansible overhead on this machine: the same inventory shape, forks 5, with tasks that do nothing.

    Three tiny playbooks: no task (fixed start-up), `tasks` x ansible.builtin.ping (a module task: AnsiballZ,
    fork, interpreter start, ansible.module_utils.basic import), `tasks` x set_fact (a controller-only task)."""
    import inventory

    workdir = os.path.join(WORK, f"calibrate-n{n_hosts}")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    fake = [{"name": f"site-{k}", "namespace": f"site-{k}", "kubeconfig": "/nonexistent", "context": "none"}
            for k in range(1, n_hosts + 1)]
    inv = inventory.write(os.path.join(workdir, "inventory.yml"), fake)
    out = {"hosts": n_hosts, "tasks": tasks}
    plays = {
        "empty": [],
        "module": [{"name": f"ping {i}", "ansible.builtin.ping": {}} for i in range(tasks)],
        "controller": [{"name": f"set_fact {i}", "ansible.builtin.set_fact": {f"x{i}": i}} for i in range(tasks)],
    }
    import yaml

    for kind, task_list in plays.items():
        pb = os.path.join(workdir, f"{kind}.yml")
        with open(pb, "w") as f:
            yaml.safe_dump([{"name": kind, "hosts": inventory.GROUP, "gather_facts": False, "tasks": task_list}], f)
        env = playbook_env(workdir, os.path.join(workdir, f"{kind}-timing.json"))
        m = run_playbook([os.path.join(VENV, "bin", "ansible-playbook"), "-i", inv, "-f", str(FORKS), pb], env, workdir,
                         os.path.join(workdir, f"{kind}.log"), [])
        out[kind] = {"wall_s": m["wall_s"], "cpu_s": m["cpu_s"], "rc": m["rc"]}
    results = n_hosts * tasks
    out["startup_cpu_s"] = out["empty"]["cpu_s"]
    out["startup_wall_s"] = out["empty"]["wall_s"]
    out["module_task_cpu_s"] = round(max(0.0, out["module"]["cpu_s"] - out["empty"]["cpu_s"]) / results, 4)
    out["module_task_wall_s"] = round(max(0.0, out["module"]["wall_s"] - out["empty"]["wall_s"]) / tasks, 4)
    out["controller_task_cpu_s"] = round(max(0.0, out["controller"]["cpu_s"] - out["empty"]["cpu_s"]) / results, 4)
    out["controller_task_wall_s"] = round(max(0.0, out["controller"]["wall_s"] - out["empty"]["wall_s"]) / tasks, 4)
    log(f"  calibration ({n_hosts} hosts x {tasks} tasks): start-up {out['startup_cpu_s']}s CPU, module task "
        f"{out['module_task_cpu_s']}s CPU/host, controller task {out['controller_task_cpu_s']}s CPU/host")
    return out


MODULE_UTILS_RE = re.compile(r"ansible_collections\.(\w+)\.(\w+)\.plugins\.(module_utils|plugin_utils)"
                             r"(?:\.([\w.]+)|[ \t]+import[ \t]*\(([^)]*)\)|[ \t]+import[ \t]+([\w \t,]+))")


def _collection_dir(ns, coll):
    for base in [ensure_farm()] + [p for p in sys.path if p.endswith("site-packages")]:
        path = os.path.join(base, "ansible_collections", ns, coll)
        if os.path.isdir(path):
            return path
    return None


def _controller_action(path):
    """True when an action plugin does the module's work itself (no module shipped): skupper.tls's ControllerAction."""
    try:
        with open(path, encoding="utf-8") as f:
            return "ControllerAction" in f.read()
    except OSError:
        return False


def module_imports(ns, coll, name):
    """The module and every module_utils file it can reach through its own imports, including imports done lazily inside
    functions (skupper.tls imports the kubernetes client only when it connects): what one invocation ends up importing."""
    base = _collection_dir(ns, coll)
    # a module run in the controller (skupper.tls: plugin_utils/controller.py) is its action plugin; its worker imports it
    kind = "action" if base and _controller_action(os.path.join(base, "plugins", "action", name + ".py")) else "modules"
    todo, seen = [f"ansible_collections.{ns}.{coll}.plugins.{kind}.{name}"], []
    while todo and len(seen) < 200:
        mod = todo.pop()
        if mod in seen:
            continue
        parts = mod.split(".")
        base = _collection_dir(parts[1], parts[2])
        if base is None:
            continue
        path = os.path.join(base, *parts[3:]) + ".py"
        if not os.path.exists(path):
            continue
        seen.append(mod)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in MODULE_UTILS_RE.finditer(text):
            prefix = f"ansible_collections.{m.group(1)}.{m.group(2)}.plugins.{m.group(3)}"
            if m.group(4):
                todo.append(f"{prefix}.{m.group(4)}")
            else:
                names = re.sub(r"#[^\n]*", "", m.group(5) or m.group(6)).split(",")
                todo += [f"{prefix}.{n.split()[0]}" for n in names if n.split()]
    return seen


def import_costs(actions):
    """CPU seconds a fresh interpreter spends importing what each module imports (see module_imports), less what
    ansible.module_utils.basic alone costs (already in the per-task overhead). Best of 3."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = ensure_farm()
    code = ("import importlib,sys,time\nt=time.process_time()\nfor m in sys.argv[1:]:\n"
            "    try:\n        importlib.import_module(m)\n    except Exception:\n        pass\n"
            "print(time.process_time()-t)")

    def measure(modules):
        best = None
        for dummy in range(3):
            try:
                out = subprocess.run([VENV_PY, "-c", code] + modules, env=env, capture_output=True, text=True, timeout=60, check=False)
                value = float(out.stdout.strip().splitlines()[-1])
            except (subprocess.SubprocessError, ValueError, IndexError):
                return None
            best = value if best is None or value < best else best
        return best

    base = measure(["ansible.module_utils.basic"]) or 0.0
    costs = {"ansible.module_utils.basic": round(base, 4)}
    for action in sorted(actions):
        if action in CONTROLLER_ACTIONS or action.count(".") != 2:  # controller actions of skupper.tls import their code
            continue
        ns, coll, name = action.split(".")
        value = measure(module_imports(ns, coll, name))
        if value is not None:
            costs[action] = round(max(0.0, value - base), 4)
    return costs


def breakdown(run, calib, imports, rsa_key_cpu_s, rtt, keys_generated):
    """Where a run's time goes, as estimates on this machine (see README): CPU seconds and request latency."""
    tasks = run.get("tasks") or {}
    by_action = tasks.get("by_action", {})
    module_results = sum(v["results"] - v["skipped"] for a, v in by_action.items() if not in_controller(a))
    controller_results = sum(v["results"] - v["skipped"] for a, v in by_action.items() if in_controller(a))
    overhead = calib["startup_cpu_s"] + module_results * calib["module_task_cpu_s"] + \
        controller_results * calib["controller_task_cpu_s"]
    # a module shipped to a fresh interpreter imports its code every time; an action run in the controller is loaded by
    # the strategy in the main process (linear.py: action_loader.get) and its workers inherit the imports: once per run
    imp = sum(imports.get(a, 0.0) * (1 if in_controller(a) else v["results"] - v["skipped"]) for a, v in by_action.items()
              if v["results"] > v["skipped"])
    keygen = keys_generated * rsa_key_cpu_s
    api = run["api"]["total"] * rtt["warm_median_ms"] / 1000.0
    rest = run["cpu_s"] - overhead - imp - keygen
    return {"total_cpu_s": run["cpu_s"], "wall_s": run["wall_s"], "module_task_results": module_results,
            "controller_task_results": controller_results,
            "ansible_task_overhead_cpu_s": round(overhead, 2), "python_imports_cpu_s": round(imp, 2),
            "key_generation_cpu_s": round(keygen, 2), "keys_generated": keys_generated,
            "api_round_trips_s": round(api, 2), "api_requests": run["api"]["total"],
            "rest_cpu_s": round(rest, 2)}


# --------------------------------------------------------------------------- reports


def _fit(points):
    """Least-squares line through (n, y): slope (per-site cost), intercept, r^2."""
    if len(points) < 2:
        return None
    xs, ys = zip(*points)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    icpt = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (icpt + slope * x)) ** 2 for x, y in zip(xs, ys))
    return {"per_site_s": round(slope, 3), "intercept_s": round(icpt, 2), "r2": round(1 - ss_res / ss_tot, 4) if ss_tot else 1.0}


def _ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return round(a / b, 3)


SERVERS = ("real", "test")
SERVER_SYSTEMS = tuple((server, system) for server in SERVERS for system in ("ours", "baseline"))


def entries(doc, system, server=None):
    return sorted((e for e in doc["runs"].values() if e["system"] == system and e.get("first")
                   and server in (None, e.get("server", "test"))), key=lambda e: e["n"])


def upgrade(doc):
    """Results written before --server existed: every run was on test servers (keys system:N -> system:test:N)."""
    runs = {}
    for e in doc.get("runs", {}).values():
        e.setdefault("server", "test")
        runs[f"{e['system']}:{e['server']}:{e['n']}"] = e
    doc["runs"] = runs
    doc["profile_check"] = {(k if ":" in k else f"test:{k}"): v for k, v in (doc.get("profile_check") or {}).items()}
    doc["breakdown"] = {(k if k.count(":") == 3 else "{0}:test:{1}:{2}".format(*k.split(":"))): v
                        for k, v in (doc.get("breakdown") or {}).items()}
    meta = doc.get("meta")
    if meta and not isinstance(meta.get("sites_per_server"), dict):
        meta["sites_per_server"] = {"test": meta.get("sites_per_server", 1)}
    return doc


def write_markdown(doc, path):
    L = []
    meta = doc["meta"]
    L.append("# skupper.tls benchmark results")
    L.append("")
    L.append(f"Generated by `make bench` (benchmarks/run.py) on {meta['updated']}. Machine: {meta['machine']}. "
             f"ansible-core {meta['versions'].get('ansible-core')}, community.crypto {meta['versions'].get('community.crypto')}, "
             f"kubernetes.core {meta['versions'].get('kubernetes.core')}; `ansible-playbook -f {FORKS}`; "
             "one namespace per site; sites per API server: " +
             ", ".join(f"{k} {v}" for k, v in sorted((meta.get("sites_per_server") or {}).items())) +
             " (real: kube-apiserver v1.28.7 + etcd clusters of tests/realkube, requests and writes from their audit logs; "
             "test: the Python test API server of tests/kubeapi, requests from its log).")
    if doc.get("unavailable"):
        L.append("")
        for system, why in doc["unavailable"].items():
            L.append(f"**{system}: not measured** ({why}).")
    L.append("")
    L.append("## Runs")
    L.append("")
    L.append("CPU s: user+sys of the whole ansible-playbook process tree (wait4). Peak RSS: the largest single process "
             "(ru_maxrss) / the sum over the tree sampled every 100 ms. Requests: every request of the run, from the real "
             "servers' audit logs or the test servers' request logs. Writes: create/update/patch/delete (dry-runs excluded). "
             "Changed: PLAY RECAP sum over hosts. "
             "Load: 1-minute load average of the machine when the run started (other work on the machine inflates wall time).")
    L.append("")
    L.append("| server | system | N | run | wall s | CPU s | CPU s per site | peak RSS MB (largest process / tree) | requests | get "
             "| list | create | patch | update | delete | discovery | writes | changed | failed | load |")
    L.append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for server, system in SERVER_SYSTEMS:
        for e in entries(doc, system, server):
            for run in ("first", "rerun"):
                m = e.get(run)
                if not m:
                    continue
                tree_rss = "?" if m.get("peak_rss_tree_mb") is None else round(m["peak_rss_tree_mb"])
                v = collections.defaultdict(lambda: "?", m["api"].get("by_verb") or {})  # "?": only the run's log line was kept
                L.append(f"| {server} | {system} | {e['n']} | {run} | {m['wall_s']:.1f} | {m['cpu_s']:.1f} | {m['cpu_s'] / e['n']:.2f} | "
                         f"{m['peak_rss_max_process_mb']:.0f} / {tree_rss} | {m['api']['total']} | "
                         f"{v['get']} | {v['list']} | {v['create']} | {v['patch']} | {v['update']} | {v['delete']} | {v['discovery']} | "
                         f"{m['api']['writes']} | {m['recap'].get('changed', '?')} | {m['recap'].get('failed', '?')} | "
                         f"{m.get('loadavg_1m_before', '?')} |")
    # ratios, per-site cost, re-run: per server kind
    L.append("")
    L.append("## Ratio ours / baseline")
    L.append("")
    L.append("Targets (issue 11): ours' CPU ≤ 0.10 of the baseline's, first run and re-run. On this 2-core machine both "
             "systems are CPU-bound, so the CPU ratio is the figure that does not depend on what else the machine was doing; "
             "the wall ratio does (see the load column above).")
    L.append("")
    L.append("| server | N | run | wall | CPU | peak RSS (largest process) | peak RSS (tree) | requests | writes | CPU ≤ 0.10 |")
    L.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for server in SERVERS:
        ours = {e["n"]: e for e in entries(doc, "ours", server)}
        base = {e["n"]: e for e in entries(doc, "baseline", server)}
        for n in sorted(set(ours) & set(base)):
            for run in ("first", "rerun"):
                a, b = ours[n].get(run), base[n].get(run)
                if not a or not b:
                    continue
                rc = _ratio(a["cpu_s"], b["cpu_s"])
                L.append(f"| {server} | {n} | {run} | {_ratio(a['wall_s'], b['wall_s'])} | {rc} | "
                         f"{_ratio(a['peak_rss_max_process_mb'], b['peak_rss_max_process_mb'])} | "
                         f"{_ratio(a.get('peak_rss_tree_mb'), b.get('peak_rss_tree_mb'))} | {_ratio(a['api']['total'], b['api']['total'])} | "
                         f"{_ratio(a['api']['writes'], b['api']['writes']) if b['api']['writes'] else '-'} | "
                         f"{'met' if rc is not None and rc <= 0.10 else 'missed'} |")
    L.append("")
    L.append("## Per-site cost")
    L.append("")
    L.append("Least-squares line through (N, seconds) over the measured sizes: the slope is the cost of one more site, "
             "r² near 1 means the cost grows linearly in N. CPU / N per size in the last column. Targets (issue 11) for ours: "
             "≤ 1.0 CPU-s per site on a first run, ≤ 0.3 on a re-run, linear in N.")
    L.append("")
    L.append("| server | system | run | sizes | wall s per site | CPU s per site (slope) | r² (CPU) | r² (wall) | CPU / N |")
    L.append("|---|---|---|---|---:|---:|---:|---:|---|")
    for server, system in SERVER_SYSTEMS:
        es = entries(doc, system, server)
        for run in ("first", "rerun"):
            pts = [(e["n"], e[run]["wall_s"]) for e in es if e.get(run)]
            cpts = [(e["n"], e[run]["cpu_s"]) for e in es if e.get(run)]
            if not pts:
                continue
            fw, fc = _fit(pts), _fit(cpts)
            per = ", ".join(f"N={n}: {c / n:.2f}" for n, c in cpts)
            L.append(f"| {server} | {system} | {run} | {','.join(str(n) for n, _c in cpts)} | {fw['per_site_s'] if fw else '-'} | "
                     f"{fc['per_site_s'] if fc else '-'} | {fc['r2'] if fc else '-'} | {fw['r2'] if fw else '-'} | {per} |")
    L.append("")
    L.append("## Re-run")
    L.append("")
    L.append("Writes: on real servers, create/update/patch/delete events in the kube-apiserver audit log (dry-runs excluded); "
             "on test servers, POST/PUT/PATCH/DELETE in its request log.")
    L.append("")
    L.append("| server | system | N | changed | writes | certificates kept | reissued | objects changed by the re-run | changed tasks |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for server, system in SERVER_SYSTEMS:
        for e in entries(doc, system, server):
            m = e.get("rerun")
            if not m:
                continue
            tasks = (m.get("tasks") or {}).get("changed_by_task", {})
            top = "; ".join(f"{t} ×{c}" for t, c in list(tasks.items())[:4])
            L.append(f"| {server} | {system} | {e['n']} | {m['recap'].get('changed')} | {m['api']['writes']} | {m.get('certificates_kept')} | "
                     f"{len(m.get('certificates_reissued', []))} | {len(m.get('objects_changed', []))} | {top} |")
    # breakdown
    if doc.get("breakdown"):
        L.append("")
        L.append("## Where the time goes")
        L.append("")
        L.append("Estimates for the largest N measured per system and server kind (method in benchmarks/README.md). CPU seconds "
                 "are summed over all processes (total = per site × N, share of the run's CPU); API round trips are requests × "
                 "the median warm request latency, a wall-clock figure that overlaps the CPU rows.")
        L.append("")
        L.append("| system | server | N | run | wall s | CPU s | CPU s per site | Ansible per-task overhead | Python imports | key generation "
                 "| rest of module/controller work | API round trips (s) | requests |")
        L.append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, b in sorted(doc["breakdown"].items()):
            system, server, n, run = key.split(":")
            cpu = b["total_cpu_s"] or 1

            def pct(v, n=int(n)):
                return f"{v:.1f} = {v / n:.3f}/site ({100 * v / cpu:.0f}%)"
            L.append(f"| {system} | {server} | {n} | {run} | {b['wall_s']:.1f} | {b['total_cpu_s']:.1f} | {b['total_cpu_s'] / int(n):.2f} | "
                     f"{pct(b['ansible_task_overhead_cpu_s'])} | "
                     f"{pct(b['python_imports_cpu_s'])} | {pct(b['key_generation_cpu_s'])} ({b['keys_generated']} keys) | "
                     f"{pct(b['rest_cpu_s'])} | {b['api_round_trips_s']:.1f} | {b['api_requests']} |")
    if doc.get("calibration"):
        c = doc["calibration"]
        L.append("")
        L.append(f"Calibration ({c['hosts']} hosts, forks {FORKS}): ansible-playbook start-up {c['startup_cpu_s']} s CPU; "
                 f"a module task (ansible.builtin.ping) {c['module_task_cpu_s']} s CPU per host; a controller-only task (set_fact) "
                 f"{c['controller_task_cpu_s']} s CPU per host.")
    if doc.get("imports"):
        L.append("")
        L.append("Import cost per module invocation (CPU s, beyond ansible.module_utils.basic = "
                 f"{doc['imports'].get('ansible.module_utils.basic')} s): " +
                 ", ".join(f"{k} {v}" for k, v in sorted(doc["imports"].items()) if k != "ansible.module_utils.basic") + ".")
    # profile comparison
    if doc.get("profile_check"):
        L.append("")
        L.append("## Same certificates")
        L.append("")
        if doc.get("profile_ignore"):
            L.append("Not compared (intended differences): " + "; ".join(doc["profile_ignore"]) + ".")
            L.append("")
        for key, diffs in sorted(doc["profile_check"].items(), key=lambda kv: (kv[0].split(":")[0], int(kv[0].split(":")[1]))):
            server, n = key.split(":")
            n = f"{n} ({server} server)"
            if diffs:
                L.append(f"- N={n}: ours and baseline differ in {len(diffs)} field(s), e.g. " + "; ".join(diffs[:5]))
            else:
                L.append(f"- N={n}: ours and baseline store the same subjects, SANs, issuers, key types, usages and Link specs.")
    if doc.get("pki_micro"):
        import pki_micro

        L.append("")
        L.append("## PKI engine alone (the floor)")
        L.append("")
        L.append("skupper.tls `module_utils/pki.py` with no Ansible and no API server (benchmarks/pki_micro.py):")
        L.append("")
        L.append(pki_micro.markdown(doc["pki_micro"]))
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))
    return "\n".join(L)


README = os.path.join(HERE, "README.md")
README_START, README_END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


def update_readme(md):
    """Quote the latest results.md in README.md between the bench:results markers (headings one level down)."""
    try:
        with open(README) as f:
            text = f.read()
    except OSError:
        return
    if README_START not in text or README_END not in text:
        return
    body = "\n".join(("#" + line if line.startswith("## ") else line) for line in md.splitlines()[1:]).strip()
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    with open(README, "w") as f:
        f.write(f"{head}{README_START}\n{body}\n{README_END}{tail}")


def plot(doc, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {"ours": ("tab:green", "skupper.tls site playbook"), "baseline": ("tab:red", "community.crypto + kubernetes.core")}
    for ax, metric, label in ((axes[0], "wall_s", "wall time (s)"), (axes[1], "cpu_s", "CPU time (s), ansible-playbook tree")):
        for system, (color, name) in styles.items():
            for server, ls in (("real", "-"), ("test", ":")):
                es = entries(doc, system, server)
                for run, marker in (("first", "o"), ("rerun", "s")):
                    pts = [(e["n"], e[run][metric]) for e in es if e.get(run)]
                    if pts:
                        xs, ys = zip(*pts)
                        ax.plot(xs, ys, ls, marker=marker, color=color, alpha=1.0 if run == "first" else 0.6,
                                label=f"{name}, {server} server, {'first run' if run == 'first' else 're-run'}")
        ax.set_xlabel("sites (N)")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"skupper.tls benchmark: time vs number of sites (forks {FORKS})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def versions():
    out = {"python": platform.python_version()}
    try:
        from importlib.metadata import version

        for dist in ("ansible-core", "ansible", "kubernetes", "cryptography"):
            out[dist] = version(dist)
    except Exception:  # pylint: disable=broad-except
        pass
    import sysconfig

    base = os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections")
    for coll in ("community/crypto", "kubernetes/core"):
        try:
            with open(os.path.join(base, coll, "MANIFEST.json")) as f:
                out[coll.replace("/", ".")] = json.load(f)["collection_info"]["version"]
        except (OSError, ValueError, KeyError):
            pass
    try:
        out["repo_head"] = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                                          text=True, timeout=10, check=False).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def profile_check(doc):
    """Same certificates? ours vs baseline, per server kind and size measured for both (the snapshots in work/)."""
    doc.setdefault("profile_check", {})
    for server, n in sorted({(e["server"], e["n"]) for e in doc["runs"].values()}):
        a, b = load_profile("ours", n, server), load_profile("baseline", n, server)
        if a and b:
            doc["profile_check"][f"{server}:{n}"] = compare_profiles(
                a, b, ignore=PROFILE_IGNORE, labels=("ours", "baseline"), tolerate=PROFILE_TOLERATE)
    doc["profile_ignore"] = list(PROFILE_IGNORE_WHY)


def compute_breakdown(doc, cal_n, quick, log):
    """Calibrate on this machine, measure import costs, and split the largest N of each system (see README)."""
    log(f"bench: calibration on {cal_n} hosts")
    doc["calibration"] = calibrate(cal_n, log, tasks=2 if quick else 4)
    actions = set()
    for e in doc["runs"].values():
        for run in ("first", "rerun"):
            actions |= set(((e.get(run) or {}).get("tasks") or {}).get("by_action", {}))
    doc["imports"] = import_costs(actions)
    rsa = (doc.get("pki_micro") or {}).get("RSA-2048", {}).get("keygen", {})
    rsa_cpu = rsa.get("cpu_seconds", 0) / max(1, rsa.get("count", 1))
    doc["breakdown"] = {}
    for system, server in ((a, b) for a in ("ours", "baseline") for b in ("real", "test")):
        es = [e for e in entries(doc, system, server) if e.get("rtt")]
        if not es:
            continue
        e = max(es, key=lambda x: x["n"])
        for run in ("first", "rerun"):
            m = e.get(run)
            if not m:
                continue
            if run == "first":
                keys = e.get("certificates", 0)
            else:
                keys = len(m.get("certificates_reissued", []))
            doc["breakdown"][f"{system}:{server}:{e['n']}:{run}"] = breakdown(m, doc["calibration"], doc["imports"], rsa_cpu, e["rtt"], keys)


# --------------------------------------------------------------------------- main


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=None, help="comma-separated N values (default 3,10,30; --quick: 3)")
    parser.add_argument("--systems", default="ours,baseline", help="comma-separated: ours, baseline")
    parser.add_argument("--quick", action="store_true", help="N=3 only (unless --sizes), smaller calibration and micro-benchmark")
    parser.add_argument("--server", choices=("real", "test", "both"), default="real",
                        help="real: kube-apiserver + etcd clusters (tests/realkube, the default); test: the Python test API "
                             "server (tests/kubeapi); both: real, then test")
    parser.add_argument("--sites-per-server", type=int, default=None,
                        help="sites (namespaces) sharing one API server (default: 10 on real clusters, 1 on test servers)")
    parser.add_argument("--fresh", action="store_true", help="discard earlier results.json entries instead of merging")
    parser.add_argument("--no-breakdown", action="store_true", help="skip calibration, import and micro-benchmark")
    parser.add_argument("--ours-playbook", default=None, help="playbook for 'ours' (default skupper.tls.site)")
    parser.add_argument("--results", default=None, help="results directory (default benchmarks/results)")
    parser.add_argument("--profile", choices=("py-spy", "cprofile"), default=None,
                        help="py-spy: record every run under py-spy (pip install py-spy into benchmarks/.venv), folded stacks "
                             "in work/<system>-<server>-n<N>/<run>.stacks (misses most short-lived workers); cprofile: every "
                             "worker and the main process under cProfile (CPU clock), work/.../<run>-cprofile/*.prof. "
                             "CPU figures are inflated: use --results elsewhere")
    parser.add_argument("--report-only", action="store_true", help="rewrite results.md and bench.png from results.json")
    parser.add_argument("--recompute-breakdown", action="store_true",
                        help="with --report-only: calibrate and measure import costs again, recompute 'where the time goes'")
    args = parser.parse_args(argv)
    ensure_venv(argv)
    sys.path.insert(0, HERE)
    global RESULTS  # pylint: disable=global-statement
    RESULTS = os.path.abspath(args.results) if args.results else RESULTS
    json_path = os.path.join(RESULTS, "results.json")
    if args.report_only:
        with open(json_path) as f:
            doc = upgrade(json.load(f))
        profile_check(doc)
        if args.recompute_breakdown:
            compute_breakdown(doc, min(10, max(e["n"] for e in doc["runs"].values())), args.quick, print)
            upgrade(doc)
            with open(json_path, "w") as f:
                json.dump(doc, f, indent=1, sort_keys=True)
        md = write_markdown(doc, os.path.join(RESULTS, "results.md"))
        print(md)
        plot(doc, os.path.join(RESULTS, "bench.png"))
        if not args.results:
            update_readme(md)
        return 0

    sizes = [int(s) for s in (args.sizes or ("3" if args.quick else "3,10,30")).split(",") if s.strip()]
    if not sizes or any(n < 1 or n > 100 for n in sizes):
        parser.error("sizes must be between 1 and 100")
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    for s in systems:
        if s not in ("ours", "baseline"):
            parser.error(f"unknown system {s!r}")
    servers = ["real", "test"] if args.server == "both" else [args.server]
    spp = {server: max(1, args.sites_per_server or (10 if server == "real" else 1)) for server in servers}
    os.makedirs(RESULTS, exist_ok=True)
    os.makedirs(WORK, exist_ok=True)
    doc = {"runs": {}}
    if not args.fresh and os.path.exists(json_path):
        with open(json_path) as f:
            doc = upgrade(json.load(f))
    doc.setdefault("runs", {})
    doc["unavailable"] = {}

    def log(msg):
        print(msg, flush=True)

    playbooks = {"baseline": BASELINE_PLAYBOOK, "ours": args.ours_playbook or ours_playbook()}
    if "ours" in systems and not playbooks["ours"]:
        doc["unavailable"]["ours"] = "the collection has no playbooks/site.yml yet"
        log("bench: ours unavailable: the collection has no playbooks/site.yml yet")
        systems.remove("ours")

    micro = None
    if not args.no_breakdown:
        import pki_micro

        log("bench: PKI micro-benchmark")
        micro = pki_micro.run(repeat=2 if args.quick else 3, quick=args.quick)
        doc["pki_micro"] = micro
        log(pki_micro.markdown(micro))

    for server in servers:
        for n in sizes:
            for system in systems:
                log(f"bench: {system} N={n} on {server} server(s), {spp[server]} site(s) per server")
                res = bench_one(system, playbooks[system], n, spp[server], RESULTS, log, server=server, profiler=args.profile)
                doc["runs"][f"{system}:{server}:{n}"] = res
                # save as we go: a long invocation that dies keeps what it measured
                with open(json_path + ".partial", "w") as f:
                    json.dump(doc, f, indent=1, sort_keys=True)

    profile_check(doc)

    if not args.no_breakdown and systems:
        compute_breakdown(doc, min(10, max(sizes)), args.quick, log)

    load = os.getloadavg()
    doc["meta"] = {"updated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, Linux {platform.release()}, "
                              f"load average at the end {load[0]:.1f}",
                   "versions": versions(), "forks": FORKS,
                   "sites_per_server": dict(doc.get("meta", {}).get("sites_per_server") or {}, **spp)}
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    md = write_markdown(doc, os.path.join(RESULTS, "results.md"))
    plot(doc, os.path.join(RESULTS, "bench.png"))
    if not args.results:
        update_readme(md)
    log("")
    log(md)
    log(f"bench: wrote {json_path}, results.md, bench.png")
    failed = [k for k, e in doc["runs"].items() if e["system"] in systems and e["n"] in sizes
              and not all((e.get(r) or {}).get("ok") for r in ("first", "rerun"))]
    if failed:
        log(f"bench: runs with errors: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
