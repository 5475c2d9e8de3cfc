"""Real Kubernetes API servers for tests: unmodified etcd + kube-apiserver, envtest-style (no controllers).

`find_binaries()` locates them (env `KUBE_APISERVER_BIN` / `ETCD_BIN`, default `<repo>/../shared/kube/`);
`start_many(names)` starts several clusters in parallel (own etcd, PKI made now, tokens.csv, JSON audit log,
Skupper CRDs installed and Established). See README.md here.
"""

import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kubeapi.errors import ApiError
from kubeapi.pki import make_pki

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED_KUBE = os.path.join(os.path.dirname(ROOT), "shared", "kube")
CRD_DIRS = (os.path.join(ROOT, "tests", "kubeapi", "crds"), os.path.join(os.path.dirname(ROOT), "shared", "reference", "skupper-crds"))
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")

# Every request is logged at Metadata level (who, verb, resource, namespace, name, status code), except the API
# server's own loopback traffic and health probes; RequestReceived is omitted so each request is one line.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "None", "users": ["system:apiserver"]},
        {"level": "None", "nonResourceURLs": ["/healthz*", "/readyz*", "/livez*"]},
        {"level": "Metadata"},
    ],
}


class Unavailable(Exception):
    """The binaries are not there (tests skip with this reason unless SKUPPER_TLS_REQUIRE_REAL_KUBE=1)."""


def find_binaries():
    """(kube-apiserver, etcd) paths; raises Unavailable naming what is missing and where it was looked for."""
    found, missing = [], []
    for env, name in (("KUBE_APISERVER_BIN", "kube-apiserver"), ("ETCD_BIN", "etcd")):
        path = os.environ.get(env) or os.path.join(SHARED_KUBE, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            found.append(path)
        else:
            missing.append("%s (set %s)" % (path, env))
    if missing:
        raise Unavailable("real kube-apiserver/etcd binaries not found: " + ", ".join(missing))
    return tuple(found)


def free_ports(count):
    socks = []
    try:
        for _index in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _write(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def _crd_files():
    for directory in CRD_DIRS:
        if os.path.isdir(directory):
            return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".yaml"))
    return []


def _die_with_parent():
    """In the child before exec: SIGTERM it when the spawning thread dies, even by SIGKILL (PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _matches(value, wanted):
    if wanted is None:
        return True
    return value in wanted if isinstance(wanted, (tuple, list, set, frozenset)) else value == wanted


class RealCluster:
    """One running cluster. Attributes like `kubeapi.cluster.Cluster`: name url kubeconfig context ca_file token
    limited_token client_cert_file client_key_file (+ user_tokens, audit_log, directory); methods: create_namespace
    get put apply_manifest request service_account_token mark sync events writes requests stop.
    No fault injection here: put a `proxy.FaultProxy` in front.
    """

    LIMITED_USERS = ("limited", "limited-2", "limited-3")  # tokens.csv users with no groups and no rights

    def __init__(self, name, directory):
        self.name = name
        self.directory = directory
        self.processes = []
        self.context = name
        self.kubeconfig = None

    @classmethod
    def start(cls, name, directory, binaries=None, timeout=90):
        return start_many([name], binaries=binaries, directories=[directory], timeout=timeout)[0]

    # Start-up in three steps, so that several clusters start in parallel while every process is spawned by
    # the main thread (PR_SET_PDEATHSIG is tied to the spawning thread): etcd + PKI, kube-apiserver, finish.

    def _spawn_etcd(self, binaries):
        self.binaries = binaries
        d = self.directory
        os.makedirs(os.path.join(d, "certs"), exist_ok=True)
        etcd_client, etcd_peer, secure = free_ports(3)
        self.etcd_url = "http://127.0.0.1:%d" % etcd_client
        peer = "http://127.0.0.1:%d" % etcd_peer
        self._spawn("etcd", [binaries[1], "--name", self.name, "--data-dir", os.path.join(d, "etcd"),
                             "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
                             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                             "--initial-cluster", "%s=%s" % (self.name, peer), "--initial-cluster-state", "new", "--log-level", "warn"])
        # the PKI while etcd starts
        self.paths = paths = make_pki(d, self.name)
        self.ca_file = paths["ca_file"]
        self.client_cert_file, self.client_key_file = paths["client_cert_file"], paths["client_key_file"]
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write(os.path.join(d, "sa.key"), sa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()).decode())
        _write(os.path.join(d, "sa.pub"), sa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        self.token = uuid.uuid4().hex
        self.user_tokens = {user: uuid.uuid4().hex for user in self.LIMITED_USERS}
        self.limited_token = self.user_tokens["limited"]
        lines = ['%s,admin,admin-uid,"system:masters"' % self.token]
        lines += ["%s,%s,%s-uid" % (tok, user, user) for user, tok in self.user_tokens.items()]  # no groups column at all
        _write(os.path.join(d, "tokens.csv"), "\n".join(lines) + "\n")
        _write(os.path.join(d, "audit-policy.yaml"), yaml.safe_dump(AUDIT_POLICY))
        self.audit_log = os.path.join(d, "audit.log")
        self.port = secure
        self.url = "https://127.0.0.1:%d" % secure
        self._ssl = ssl.create_default_context(cafile=self.ca_file)

    def _spawn_apiserver(self, timeout):
        d, paths = self.directory, self.paths
        self._wait(self._etcd_healthy, timeout, "etcd")
        self._spawn("kube-apiserver", [
            self.binaries[0], "--etcd-servers", self.etcd_url, "--bind-address", "127.0.0.1", "--secure-port", str(self.port),
            "--advertise-address", "127.0.0.1", "--endpoint-reconciler-type", "none", "--service-cluster-ip-range", "10.0.0.0/24",
            "--tls-cert-file", paths["server_cert_file"], "--tls-private-key-file", paths["server_key_file"],
            "--client-ca-file", self.ca_file, "--token-auth-file", os.path.join(d, "tokens.csv"),
            "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file", os.path.join(d, "sa.pub"), "--service-account-signing-key-file", os.path.join(d, "sa.key"),
            "--authorization-mode", "RBAC", "--cert-dir", os.path.join(d, "certs"), "--profiling=false",
            "--audit-log-path", self.audit_log, "--audit-log-format", "json", "--audit-log-maxsize", "0",
            "--audit-log-mode", "blocking", "--audit-policy-file", os.path.join(d, "audit-policy.yaml")])

    def _finish(self, timeout):
        self._wait(self._ready, timeout, "kube-apiserver /readyz")
        self.kubeconfig = write_kubeconfig(os.path.join(self.directory, "kubeconfig"), [self])
        self.install_crds(timeout)

    def _spawn(self, label, argv):
        log = open(os.path.join(self.directory, label + ".log"), "ab")
        try:
            # own session: a Ctrl-C in the terminal reaches pytest only, which then stops us in order
            process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True, preexec_fn=_die_with_parent)  # pylint: disable=subprocess-popen-preexec-fn
        finally:
            log.close()
        process.label = label
        self.processes.append(process)
        return process

    def _wait(self, probe, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError("%s of cluster %s exited with %s during start-up:\n%s"
                                       % (process.label, self.name, process.returncode, self.log_tail(process.label)))
            try:
                if probe():
                    return
            except (OSError, urllib.error.URLError, ApiError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("%s of cluster %s not ready after %ss:\n%s" % (what, self.name, timeout, self.log_tail("kube-apiserver")))
            time.sleep(0.1)

    def log_tail(self, label, lines=30):
        path = os.path.join(self.directory, label + ".log")
        if not os.path.exists(path):
            return "(no %s log)" % label
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])

    def _etcd_healthy(self):
        with urllib.request.urlopen(self.etcd_url + "/health", timeout=2) as response:
            return json.loads(response.read()).get("health") == "true"

    def _ready(self):
        return self.request("GET", "/readyz", timeout=3)[0] == 200

    def stop(self, remove=True):
        """SIGTERM kube-apiserver, then etcd (SIGKILL after 15 s); remove the directory."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes = []
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __repr__(self):
        return "<RealCluster %s %s>" % (self.name, getattr(self, "url", "?"))

    # HTTP

    def request(self, method, path, body=None, token=None, content_type="application/json", query=None, timeout=30, headers=None):
        """(status, parsed JSON body (or text), headers) as admin (or with `token`); never raises on HTTP errors."""
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Authorization": "Bearer %s" % (token or self.token), "Accept": "application/json"}
        if data is not None:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=timeout) as response:
                status, payload, hdrs = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as err:
            status, payload, hdrs = err.code, err.read(), dict(err.headers)
        try:
            return status, json.loads(payload or b"null"), hdrs
        except ValueError:
            return status, payload.decode(errors="replace"), hdrs

    def _ok(self, method, path, body=None, expect=(200, 201), **kw):
        status, payload, _headers = self.request(method, path, body, **kw)
        if status not in expect:
            payload = payload if isinstance(payload, dict) else {}
            raise ApiError(status, payload.get("reason", ""), "%s %s on %s: %s" % (method, path, self.name, payload.get("message", payload)),
                           payload.get("details"))
        return payload

    # objects (as admin)

    KINDS = {"namespace": ("/api/v1", "namespaces"), "secret": ("/api/v1", "secrets"), "configmap": ("/api/v1", "configmaps"),
             "serviceaccount": ("/api/v1", "serviceaccounts"),
             "role": ("/apis/rbac.authorization.k8s.io/v1", "roles"), "rolebinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings"),
             "clusterrole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles"),
             "clusterrolebinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings")}

    @classmethod
    def path_of(cls, kind, namespace=None, name=None):
        """The URL path of a kind ("Secret", "secrets", "Link", "links", ...; other kinds: skupper.io/v2alpha1)."""
        key = kind.lower()
        key = key[:-1] if key.endswith("s") and key[:-1] in cls.KINDS or key in ("links", "sites", "certificates") else key
        prefix, plural = cls.KINDS.get(key, ("/apis/skupper.io/v2alpha1", key + "s"))
        path = prefix + ("/namespaces/%s" % namespace if namespace and plural != "namespaces" else "") + "/" + plural
        return path + ("/" + name if name else "")

    def create_namespace(self, name):
        return self._ok("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def get(self, kind, namespace, name):
        """The object, or None."""
        status, payload, _headers = self.request("GET", self.path_of(kind, namespace, name))
        if status == 404:
            return None
        if status != 200:
            raise ApiError(status, payload.get("reason", ""), payload.get("message", ""), payload.get("details"))
        return payload

    def put(self, obj):
        """Create or replace obj as admin; a `status` in it is then written through the status subresource."""
        api_version, kind = obj["apiVersion"], obj["kind"]
        ns, name = obj["metadata"].get("namespace"), obj["metadata"]["name"]
        if api_version.startswith("skupper.io/"):
            path = "/apis/%s%s/%ss" % (api_version, "/namespaces/%s" % ns if ns else "", kind.lower())
        else:
            path = self.path_of(kind, ns)
        current = self.request("GET", path + "/" + name)
        if current[0] == 200:
            body = dict(obj, metadata=dict(obj["metadata"], resourceVersion=current[1]["metadata"]["resourceVersion"]))
            stored = self._ok("PUT", path + "/" + name, body)
        else:
            stored = self._ok("POST", path, obj)
        if "status" in obj and api_version.startswith("skupper.io/"):
            stored = self._ok("PUT", path + "/" + name + "/status", dict(stored, status=obj["status"]))
        return stored

    def apply_manifest(self, documents, namespace=None, substitutions=None):
        """put() every document (a list, YAML text or a file path); `namespace` fills in metadata.namespace of
        namespaced objects and RoleBinding subjects; `substitutions` replaces ${NAME} in YAML text first."""
        if isinstance(documents, str):
            if os.path.exists(documents):
                with open(documents) as f:
                    documents = f.read()
            for key, value in (substitutions or {}).items():
                documents = documents.replace("${%s}" % key, value)
            documents = [d for d in yaml.safe_load_all(documents) if d]
        documents = [item for d in documents for item in (d["items"] if d["kind"] == "List" else [d])]
        out = []
        for doc in documents:
            if namespace and doc["kind"] not in ("ClusterRole", "ClusterRoleBinding", "Namespace"):
                doc = dict(doc, metadata=dict(doc["metadata"], namespace=namespace))
            out.append(self.put(doc))
        return out

    def install_crds(self, timeout=60):
        names = []
        for path in _crd_files():
            with open(path) as f:
                for doc in yaml.safe_load_all(f):
                    if doc and doc.get("kind") == "CustomResourceDefinition":
                        self._ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", doc, expect=(201, 409))
                        names.append(doc["metadata"]["name"])
        if not names:
            raise RuntimeError("no Skupper CRDs found in %s" % (CRD_DIRS,))

        def established():
            for name in names:
                crd = self._ok("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + name)
                conditions = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
                if conditions.get("Established") != "True":
                    return False
            # discovery serves the group once established; the collection's first request must not 404
            return self.request("GET", "/apis/skupper.io/v2alpha1")[0] == 200
        self._wait(established, timeout, "Skupper CRDs Established")
        self.crds = names

    # identities

    def service_account_token(self, namespace, name, expiration=3600):
        """A bearer token for ServiceAccount namespace/name (created if missing), from the TokenRequest API."""
        if self.get("ServiceAccount", namespace, name) is None:
            self._ok("POST", self.path_of("serviceaccount", namespace),
                     {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}})
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": expiration}}
        return self._ok("POST", self.path_of("serviceaccount", namespace, name) + "/token", body)["status"]["token"]

    # the audit log

    def mark(self):
        """A position in the audit log: `events(mark)` / `writes(mark)` count what happened after it."""
        self.sync()
        return os.path.getsize(self.audit_log)

    def sync(self, timeout=10):
        """Wait until every request answered so far is in the audit log (a unique probe request, logged last)."""
        probe = "audit-sync-" + uuid.uuid4().hex[:12]
        self.request("GET", "/api/v1/namespaces/" + probe)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            size = os.path.getsize(self.audit_log)
            with open(self.audit_log, "rb") as f:
                f.seek(max(0, size - 65536))
                if probe.encode() in f.read():
                    return
            time.sleep(0.05)
        raise RuntimeError("audit log of %s did not record the sync probe within %ss" % (self.name, timeout))

    def events(self, since=0, verb=None, resource=None, namespace=None, user=None, dry_run=None):
        """Audit events (dicts) after `since` (a `mark()`); verb/resource/namespace/user filter (a value or a tuple);
        dry_run True/False keeps only dry-run / real requests. Sync probes are left out."""
        self.sync()
        with open(self.audit_log, "rb") as f:
            f.seek(since)
            lines = f.read().splitlines()
        out = []
        for line in lines:
            event = json.loads(line)
            ref = event.get("objectRef") or {}
            if (ref.get("name") or "").startswith("audit-sync-"):
                continue
            if not (_matches(event.get("verb"), verb) and _matches(ref.get("resource"), resource) and _matches(ref.get("namespace"), namespace)
                    and _matches((event.get("user") or {}).get("username"), user)):
                continue
            if dry_run is not None and ("dryRun=All" in (event.get("requestURI") or "")) != dry_run:
                continue
            out.append(event)
        return out

    def writes(self, since=0, **filters):
        """Number of write requests (create/update/patch/delete, failed ones included, dry-runs excluded) since the mark."""
        filters.setdefault("dry_run", False)
        return len(self.events(since, verb=WRITE_VERBS, **filters))

    def requests(self, since=0, **filters):
        """(verb, resource[/subresource], namespace, name, code, user) for each audited request since the mark."""
        out = []
        for event in self.events(since, **filters):
            ref = event.get("objectRef") or {}
            resource = ref.get("resource") or event.get("requestURI", "").split("?")[0]
            if ref.get("subresource"):
                resource += "/" + ref["subresource"]
            out.append((event["verb"], resource, ref.get("namespace"), ref.get("name"),
                        (event.get("responseStatus") or {}).get("code"), (event.get("user") or {}).get("username")))
        return out


def write_kubeconfig(path, clusters, users=None):
    """A kubeconfig with one context per cluster (admin token, namespace default), the first one current;
    `users` maps extra context names to (cluster, token, namespace) for limited identities."""
    config = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [], "preferences": {}}
    for c in clusters:
        config["clusters"].append({"name": c.name, "cluster": {"server": c.url, "certificate-authority": c.ca_file}})
        config["users"].append({"name": c.name + "-admin", "user": {"token": c.token}})
        config["contexts"].append({"name": c.name, "context": {"cluster": c.name, "user": c.name + "-admin", "namespace": "default"}})
    for context, (c, token, namespace) in (users or {}).items():
        if not any(entry["name"] == c.name for entry in config["clusters"]):
            config["clusters"].append({"name": c.name, "cluster": {"server": c.url, "certificate-authority": c.ca_file}})
        config["users"].append({"name": context, "user": {"token": token}})
        config["contexts"].append({"name": context, "context": {"cluster": c.name, "user": context, "namespace": namespace or "default"}})
    config["current-context"] = config["contexts"][0]["name"] if config["contexts"] else ""
    _write(path, yaml.safe_dump(config, sort_keys=False))
    return path


def start_many(names, base_dir=None, binaries=None, directories=None, timeout=90):
    """Start one cluster per name, in parallel; return them in order (all stopped again if one fails)."""
    binaries = binaries or find_binaries()
    if directories is None:
        base_dir = base_dir or tempfile.mkdtemp(prefix="realkube-")
        directories = [tempfile.mkdtemp(prefix=n + "-", dir=base_dir) for n in names]
    clusters = [RealCluster(n, d) for n, d in zip(names, directories)]
    errors = {}

    def finish(cluster):
        try:
            cluster._finish(timeout)  # pylint: disable=protected-access
        except BaseException as err:  # pylint: disable=broad-except
            errors[cluster.name] = err

    try:
        for c in clusters:
            c._spawn_etcd(binaries)  # pylint: disable=protected-access
        for c in clusters:
            c._spawn_apiserver(timeout)  # pylint: disable=protected-access
        threads = [threading.Thread(target=finish, args=(c,), daemon=True) for c in clusters]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            name, err = sorted(errors.items())[0]
            raise RuntimeError("could not start real cluster %s: %s" % (name, err)) from err
    except BaseException:
        for c in clusters:
            c.stop(remove=False)
        raise
    return clusters
