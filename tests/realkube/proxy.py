"""A fault-injecting HTTPS proxy in front of a real kube-apiserver (loopback only).

Clients speak TLS to the proxy (its own CA, made now) and send their own credentials (bearer token,
impersonation headers), which the proxy forwards to the API server unchanged; answers come back byte for byte.
`inject(method, path_regex, fault, count)` makes the next `count` matching requests fail instead of reaching
the server: 500, 503, 429 (kw retry_after), 409, "hang" (kw seconds, then the connection is closed) or "drop"
(closed without an answer), the same faults and the same signature as the test API server (tests/kubeapi); "lost"
forwards the request (the real server applies it) and closes the connection instead of passing the answer on.
"""

import http.client
import os
import ssl
import threading
import time
from urllib.parse import urlsplit

from kubeapi.pki import make_pki
from kubeapi.faults import Faults, status_error  # the same faults, and the same TLS front, as the test API server
from kubeapi.server import _HTTPServer

from .cluster import write_kubeconfig

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "accept-encoding", "te", "upgrade",
              "proxy-authorization", "proxy-connection"}


class FaultProxy:
    """Proxy for `cluster` (a RealCluster). Attributes: url ca_file kubeconfig context name cluster;
    methods: inject clear_faults faulted stop; get/events/writes/mark/requests are the real cluster's."""

    def __init__(self, cluster, directory):
        os.makedirs(directory, exist_ok=True)
        self.cluster = cluster
        self.name = cluster.name + "-proxy"
        self._faults = Faults()
        self.faulted = self._faults.taken  # (method, path, fault) of every request that got a fault
        self._stopping = threading.Event()
        paths = make_pki(directory, self.name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(paths["server_cert_file"], paths["server_key_file"])
        self.ca_file = paths["ca_file"]
        self.httpd = _HTTPServer(self, context)
        self.url = "https://127.0.0.1:%d" % self.httpd.server_address[1]
        self.token = cluster.token
        self.kubeconfig = write_kubeconfig(os.path.join(directory, "kubeconfig"), [self])
        self.context = self.name
        upstream = urlsplit(cluster.url)
        self._upstream = (upstream.hostname, upstream.port)
        self._upstream_ssl = ssl.create_default_context(cafile=cluster.ca_file)
        self._local = threading.local()
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def __getattr__(self, attr):
        if attr in ("get", "put", "events", "writes", "mark", "requests", "sync", "create_namespace", "service_account_token"):
            return getattr(self.cluster, attr)
        raise AttributeError(attr)

    def __repr__(self):
        return "<FaultProxy %s -> %s>" % (self.url, self.cluster.url)

    # faults

    def inject(self, method=None, path_regex="", fault=500, count=1, **kw):
        self._faults.inject(method, path_regex, fault, count, **kw)

    def clear_faults(self):
        self._faults.clear()

    # forwarding

    def handle(self, handler):
        method, path = handler.command, urlsplit(handler.path).path
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        fault = self._faults.take(method, path)
        if fault and fault["fault"] in ("hang", "drop"):
            self._stopping.wait(fault.get("seconds", 30) if fault["fault"] == "hang" else 0)
            handler.drop()
            return
        if fault and fault["fault"] != "lost":
            err = status_error(fault)
            handler.respond(err.code, err.status(), err.headers)
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            status, reason, out_headers, data = self._forward(method, handler.path, body if body or method in ("POST", "PUT", "PATCH") else None,
                                                              headers)
        except (OSError, http.client.HTTPException):
            handler.drop()
            return
        if fault:   # "lost": the server applied it; the client never hears
            handler.drop()
            return
        handler.send_response(status, reason)
        for key, value in out_headers:
            if key.lower() not in HOP_BY_HOP:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _forward(self, method, target, body, headers):
        """One upstream keep-alive connection per proxy thread; reconnect once if the server closed it."""
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPSConnection(*self._upstream, context=self._upstream_ssl, timeout=60)
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.reason, response.getheaders(), response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def stop(self):
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.close_connections()
        self.httpd.server_close()
        self._thread.join(5)


def start_proxy(cluster, directory):
    proxy = FaultProxy(cluster, directory)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not proxy._thread.is_alive():  # pylint: disable=protected-access
        time.sleep(0.01)
    return proxy
