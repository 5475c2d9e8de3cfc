"""The HTTPS front: authentication, RBAC, routing and discovery, fault injection, the request log, the control API.

One `KubeAPIServer` is one cluster: its own CA, serving certificate, tokens, kubeconfig and objects.
"""

import json
import os
import re
import secrets
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .errors import (ApiError, PageNotFound, bad_request, forbidden_path, method_not_allowed, not_found_path,
                     unauthorized)
from .faults import Faults, status_error
from .pki import make_pki, write_kubeconfig
from .store import State

CONTROL = "/_kubeapi/"
ADMIN = ("admin", ("system:masters", "system:authenticated"))
LIMITED = ("system:serviceaccount:rbac-test:limited", ("system:serviceaccounts", "system:serviceaccounts:rbac-test", "system:authenticated"))
# RBAC for identities outside system:masters: (verb, API group, resource, namespace)
RULES = {LIMITED[0]: {("get", "", "secrets", "rbac-test")}}
VERSION = {"major": "1", "minor": "25", "gitVersion": "v1.25.16", "gitCommit": "c5f43560a4f98f2af3743a59299fb79f07924373",
           "gitTreeState": "clean", "buildDate": "2023-11-15T22:28:05Z", "goVersion": "go1.20.10", "compiler": "gc",
           "platform": "linux/amd64"}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api, context):
        self.api = api
        self.connections = set()
        super().__init__(("127.0.0.1", 0), _Handler)
        # the TLS handshake happens in the request thread, so a stuck client blocks no one
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup
        self.server_name, self.server_port = "localhost", self.server_address[1]

    def handle_error(self, request, client_address):
        """Failed handshakes and clients that went away are not the server's problem."""

    def close_connections(self):
        for conn in list(self.connections):
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)  # the TCP socket under TLS, from another thread
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubeapi"
    timeout = 60

    def setup(self):
        self.request.settimeout(self.timeout)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle/delayed-ACK stall per answer
        self.server.connections.add(self.request)
        self.request.do_handshake()
        super().setup()

    def finish(self):
        self.server.connections.discard(self.request)
        super().finish()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """The request log is the server's own; stderr stays quiet."""

    def do_GET(self):
        self.server.api.handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def respond(self, status, body, headers=None):
        if isinstance(body, str):
            data, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            data, content_type = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def drop(self):
        """Close the TCP connection without an answer (and without a TLS close_notify)."""
        self.close_connection = True
        try:
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            pass


def _first(params, key, default=None):
    return params.get(key, [default])[0]


class KubeAPIServer:
    """One cluster. `start()` serves in a background thread; `stop()` ends it."""

    def __init__(self, name, directory):
        os.makedirs(directory, exist_ok=True)
        self.name = name
        self.state = State()
        self.token, self.limited_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._tokens = {self.token: ADMIN, self.limited_token: LIMITED}
        self._lock = threading.Lock()
        self._faults = Faults()
        self._log = []
        self._stopping = threading.Event()
        self._thread = None
        self.pki = make_pki(directory, name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki["server_cert_file"], self.pki["server_key_file"])
        context.load_verify_locations(self.pki["ca_file"])
        context.verify_mode = ssl.CERT_OPTIONAL  # client certificates authenticate when present
        self.httpd = _HTTPServer(self, context)
        self.port = self.httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = write_kubeconfig(os.path.join(directory, "kubeconfig"), name, self.url, self.pki["ca_file"], self.token,
                                           self.limited_token, self.pki["client_cert_file"], self.pki["client_key_file"])

    def info(self):
        return {"name": self.name, "url": self.url, "port": self.port, "kubeconfig": self.kubeconfig, "context": self.name,
                "ca_file": self.pki["ca_file"], "token": self.token, "limited_token": self.limited_token,
                "client_cert_file": self.pki["client_cert_file"], "client_key_file": self.pki["client_key_file"], "pid": os.getpid()}

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), name=f"kubeapi-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()  # ends injected hangs early
        if self._thread:
            self.httpd.shutdown()
            self._thread.join()
            self._thread = None
        self.httpd.server_close()
        self.httpd.close_connections()  # keep-alive connections must not outlive the cluster

    # -- what tests call (in process, or through the control API) --------------------------------

    def put(self, obj):
        return self.state.seed(obj)

    def get(self, kind, namespace, name):
        return self.state.peek(kind, namespace, name)

    def requests(self, method=None, path_contains=None):
        with self._lock:
            return [dict(e) for e in self._log
                    if (not method or e["method"] == method.upper()) and (not path_contains or path_contains in e["path"])]

    def clear_log(self):
        with self._lock:
            self._log.clear()

    def inject(self, method=None, path_regex="", fault=500, count=1, **kw):
        """The next `count` requests matching method and path_regex get `fault` (see faults.Faults.inject)."""
        self._faults.inject(method, path_regex, fault, count, **kw)

    def clear_faults(self):
        self._faults.clear()

    # -- request handling ----------------------------------------------------------------------------

    def handle(self, handler):
        url = urlsplit(handler.path)
        method, path, params = handler.command, url.path, parse_qs(url.query)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        user = self._authenticate(handler)
        if path.startswith(CONTROL):
            handler.respond(*self._answer(lambda: self._control(method, path, params, raw, user)))
            return
        entry = {"method": method, "path": path, "query": url.query, "status": None, "user": user[0] if user else None,
                 "time": time.time(), "dry_run": "All" in params.get("dryRun", []), "fault": None}
        with self._lock:
            self._log.append(entry)
        fault = self._faults.take(method, path)
        if fault:
            entry["fault"] = fault["fault"]
        if fault and fault["fault"] in ("hang", "drop"):
            self._stopping.wait(fault.get("seconds", 30) if fault["fault"] == "hang" else 0)
            handler.drop()
            return

        def serve():
            if fault and fault["fault"] != "lost":
                raise self._fault_error(fault, path)
            if user is None:
                raise unauthorized()
            return self._serve(method, path, params, raw, user, handler.headers)

        status, body, headers = self._answer(serve)
        entry["status"] = status
        if fault and fault["fault"] == "lost":   # applied, but the client never hears of it
            handler.drop()
            return
        handler.respond(status, body, headers)

    @staticmethod
    def _answer(serve):
        """(status, body, headers) of serve(), errors included."""
        try:
            status, body = serve()
            return status, body, {}
        except ApiError as err:
            return err.code, err.status(), err.headers
        except PageNotFound:
            return 404, "404 page not found\n", {}
        except Exception as exc:  # a bug in this server: answer it rather than drop the connection
            return 500, ApiError(500, "InternalError", f"Internal error occurred: {exc!r}").status(), {}

    def _authenticate(self, handler):
        """Client certificate signed by the cluster CA (CN user, O groups), else bearer token; None if neither."""
        cert = handler.connection.getpeercert()
        if cert:
            subject = [attr for rdn in cert["subject"] for attr in rdn]
            groups = tuple(v for k, v in subject if k == "organizationName") + ("system:authenticated",)
            username = next((v for k, v in subject if k == "commonName"), None)
            return (username, groups) if username else None
        auth = handler.headers.get("Authorization", "")
        return self._tokens.get(auth[7:].strip()) if auth.startswith("Bearer ") else None

    def _fault_error(self, rule, path):
        """status_error, except that a 409 on an object's path is the conflict its resource answers."""
        if rule["fault"] == 409:
            try:
                res, _namespace, name, _sub = self._resolve(path)
                return res.conflict(name or "")
            except (ApiError, PageNotFound, ValueError, TypeError):
                return ApiError(409, "Conflict", rule.get("message") or "Operation cannot be fulfilled: the object has been modified", {})
        return status_error(rule)

    def _serve(self, method, path, params, raw, user, headers):
        if path.rstrip("/") == "/version":
            return self._discovery(method, VERSION)
        target = self._resolve(path)
        if isinstance(target, dict):
            return self._discovery(method, target)
        res, namespace, name, sub = target
        verb = {("GET", False): "list", ("POST", False): "create", ("GET", True): "get", ("PUT", True): "update",
                ("PATCH", True): "patch", ("DELETE", True): "delete"}.get((method, name is not None))
        if verb is None or (sub and verb == "delete") or (namespace is None and res.namespaced and verb == "create"):
            raise method_not_allowed()
        if _first(params, "watch") in ("1", "true"):
            raise method_not_allowed()  # watches are not served
        self._authorize(user, verb, res, namespace, name, sub)
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise bad_request(f"couldn't get version/kind; json parse error: {exc}")
        dry_run = "All" in params.get("dryRun", [])
        manager = _first(params, "fieldManager") or headers.get("User-Agent", "unknown").split("/")[0]
        if verb == "get":
            return 200, self.state.get(res, namespace, name)
        if verb == "list":
            return 200, self.state.list(res, namespace, _first(params, "labelSelector"), _first(params, "fieldSelector"))
        if verb == "create":
            return 201, self.state.create(res, namespace, body, dry_run, manager)
        if verb == "update":
            return 200, self.state.replace(res, namespace, name, body, dry_run, manager, sub)
        if verb == "patch":
            content_type = headers.get("Content-Type", "").split(";")[0].strip()
            return 200, self.state.patch(res, namespace, name, body, content_type, dry_run, manager, sub)
        return 200, self.state.delete(res, namespace, name, body, dry_run)

    @staticmethod
    def _discovery(method, document):
        if method != "GET":
            raise method_not_allowed()
        return 200, document

    def _resolve(self, path):
        """A discovery document, or (resource, namespace, name, subresource); unknown groups raise PageNotFound."""
        parts = [p for p in path.split("/") if p]
        groups = self.state.groups()
        if parts == ["api"]:
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.port}"}]}
        if parts == ["apis"]:
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self._group(g, v) for g, v in groups.items()]}
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and parts[1] in groups and (len(parts) == 2 or parts[2] in groups[parts[1]]):
            if len(parts) == 2:
                return dict(self._group(parts[1], groups[parts[1]]), kind="APIGroup", apiVersion="v1")
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise PageNotFound()
        if not rest:
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{version}" if group else version,
                    "resources": [e for r in self.state.resources.values() if (r.group, r.version) == (group, version) for e in r.discovery()]}
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        res = self.state.resources.get((group, version, rest[0]))
        name, sub = (rest + [None, None])[1:3]
        if (res is None or len(rest) > 3 or (sub and not (sub == "status" and res.status_subresource))
                or (namespace is not None and not res.namespaced) or (namespace is None and res.namespaced and name)):
            raise not_found_path()
        return res, namespace, name, sub

    @staticmethod
    def _group(group, versions):
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": entries, "preferredVersion": entries[0]}

    def _authorize(self, user, verb, res, namespace, name, sub):
        username, groups = user
        if res.plural == "namespaces" and not res.group and name:
            namespace = name  # as the real authorizer sees requests for a namespace object
        if "system:masters" in groups or (verb, res.group, res.plural + (f"/{sub}" if sub else ""), namespace) in RULES.get(username, ()):
            return
        resource = res.plural + (f"/{sub}" if sub else "")
        target = f'{res.qualified} "{name}"' if name else res.qualified
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        raise ApiError(403, "Forbidden", f'{target} is forbidden: User "{username}" cannot {verb} resource "{resource}" in API group "{res.group}" {scope}',
                       res.details(name))

    def _control(self, method, path, params, raw, user):
        """The test-only API under /_kubeapi/ (system:masters only): log, faults, direct object access."""
        if user is None:
            raise unauthorized()
        if "system:masters" not in user[1]:
            raise forbidden_path(user[0], method.lower(), path)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise bad_request(str(exc))
        route = (method, path.rstrip("/")[len(CONTROL):])
        if route == ("GET", "log"):
            return 200, {"items": self.requests(_first(params, "method"), _first(params, "path_contains"))}
        if route == ("DELETE", "log"):
            self.clear_log()
            return 200, {}
        if route == ("POST", "faults"):
            try:
                self.inject(**body)
            except (TypeError, ValueError, re.error) as exc:
                raise bad_request(str(exc))
            return 201, {}
        if route == ("DELETE", "faults"):
            self.clear_faults()
            return 200, {}
        if route == ("POST", "objects"):
            return 201, self.put(body)
        if route == ("GET", "objects"):
            obj = self.get(_first(params, "kind", ""), _first(params, "namespace"), _first(params, "name"))
            if obj is None:
                raise not_found_path()
            return 200, obj
        raise not_found_path()
