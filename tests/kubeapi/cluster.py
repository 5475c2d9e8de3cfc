"""`Cluster`: what tests hold, the same for a server in this process and one run as a separate process."""

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Cluster:
    """A running test cluster.

    `control` is the server itself (in process) or a `process.RemoteControl` speaking the control API;
    both have put/get/requests/clear_log/inject/clear_faults/stop.
    """

    def __init__(self, info, control):
        self.info = dict(info)
        self.name = info["name"]
        self.url = info["url"]
        self.kubeconfig = info["kubeconfig"]
        self.context = info["context"]
        self.ca_file = info["ca_file"]
        self.token = info["token"]
        self.limited_token = info["limited_token"]
        self.client_cert_file = info["client_cert_file"]
        self.client_key_file = info["client_key_file"]
        self._control = control

    def __repr__(self):
        return f"<Cluster {self.name} {self.url}>"

    def create_namespace(self, name):
        return self.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def put(self, obj):
        """Store obj directly (status included, no validation, namespace created if missing); return it as stored."""
        return self._control.put(obj)

    def get(self, kind, namespace, name):
        """The stored object, or None; kind is a kind or plural ("Secret", "links"); namespace None for Namespaces."""
        return self._control.get(kind, namespace, name)

    def requests(self, method=None, path_contains=None):
        """Logged API requests (control API excluded): dicts with method, path, query, status, user, time, dry_run, fault."""
        return self._control.requests(method, path_contains)

    def writes(self):
        """Number of POST/PUT/PATCH/DELETE requests received, dry-runs excluded (failed and faulted attempts count)."""
        return sum(1 for r in self.requests() if r["method"] in WRITE_METHODS and not r["dry_run"])

    def clear_log(self):
        self._control.clear_log()

    def inject(self, method, path_regex, fault, count=1, **kw):
        """The next `count` requests with this method (None: any) whose path matches path_regex (re.search) get `fault`:
        500, 503, 429 (kw retry_after=1), 409, "hang" (kw seconds=30, then the connection is closed) or "drop"."""
        self._control.inject(method, path_regex, fault, count, **kw)

    def clear_faults(self):
        self._control.clear_faults()

    def api_client(self, context=None):
        """A `kubernetes.client.ApiClient` for this cluster (context: None, "<name>-cert" or "<name>-limited")."""
        from kubernetes import config
        return config.new_client_from_config(config_file=self.kubeconfig, context=context or self.context)

    def stop(self):
        self._control.stop()
