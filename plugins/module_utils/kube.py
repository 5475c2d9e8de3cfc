# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes access: kubernetes.core-compatible authentication, and ``KubeStore`` over the REST API.

Authentication follows kubernetes.core (``module_utils/k8s/client.py``): each option comes from the
module parameter, else from ``K8S_AUTH_<OPTION>`` (or the client library's name for it), so AWX/AAP
credentials and ``module_defaults`` work unchanged. The ``kubernetes`` library provides configuration
loading, TLS and the HTTP pool; paths come from ``store.KINDS`` and the JSON is handled here (no
discovery, no DynamicClient).
"""

from __future__ import annotations

import json
import os
import random
import time
import traceback
from urllib.parse import quote

from ansible_collections.skupper.tls.plugins.module_utils import validate
from ansible_collections.skupper.tls.plugins.module_utils.store import (
    KINDS,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Store,
    StoreError,
    Unauthorized,
    ref_of,
)

try:
    import kubernetes
    import urllib3
except ImportError:
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # validate_certs=false is the user's choice, as in kubernetes.core
    _HeaderDict = getattr(urllib3, "HTTPHeaderDict", None) or urllib3.response.HTTPHeaderDict  # top level since urllib3 2.0

# option -> the K8S_AUTH_* variables read for it, in order: the option's own name, then the client library's name
AUTH_ENV = {
    "kubeconfig": ("K8S_AUTH_KUBECONFIG",),
    "context": ("K8S_AUTH_CONTEXT",),
    "host": ("K8S_AUTH_HOST",),
    "api_key": ("K8S_AUTH_API_KEY",),
    "username": ("K8S_AUTH_USERNAME",),
    "password": ("K8S_AUTH_PASSWORD",),
    "validate_certs": ("K8S_AUTH_VALIDATE_CERTS", "K8S_AUTH_VERIFY_SSL"),
    "ca_cert": ("K8S_AUTH_CA_CERT", "K8S_AUTH_SSL_CA_CERT"),
    "client_cert": ("K8S_AUTH_CLIENT_CERT", "K8S_AUTH_CERT_FILE"),
    "client_key": ("K8S_AUTH_CLIENT_KEY", "K8S_AUTH_KEY_FILE"),
    "proxy": ("K8S_AUTH_PROXY",),
    "no_proxy": ("K8S_AUTH_NO_PROXY",),
    "persist_config": ("K8S_AUTH_PERSIST_CONFIG",),
    "impersonate_user": ("K8S_AUTH_IMPERSONATE_USER",),
    "impersonate_groups": ("K8S_AUTH_IMPERSONATE_GROUPS",),
}
PROXY_HEADERS = ("proxy_basic_auth", "basic_auth", "user_agent")
_BOOLEANS = ("validate_certs", "persist_config")
# keys of a kubeconfig whose string values are credentials (kubernetes.core's list, plus OIDC's id-token and client-secret)
SENSITIVE_KUBECONFIG_KEYS = validate.SECRET_KUBECONFIG_KEYS

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
# answers after which a write may or may not have happened
_AMBIGUOUS_STATUSES = frozenset((500, 502, 504))


def _env_bool(value):
    return value.lower() not in ("0", "false", "no")


def resolve_auth(params, use_env=True, env=None):
    """The auth options: each from ``params``, else (``use_env``) from its K8S_AUTH_* variable; None when unset.

    ``use_env=False`` is for a second cluster's nested options: the environment describes the main cluster only.
    ``env`` is the environment to read (default ``os.environ``); an action plugin passes the task's environment.
    """
    params = params or {}
    environ = os.environ if env is None else env
    auth = {}
    for option, names in AUTH_ENV.items():
        value = params.get(option)
        if value is None and use_env:
            value = next((environ[name] for name in names if environ.get(name)), None)
            if value is not None and option in _BOOLEANS:
                value = _env_bool(value)
            elif value is not None and option == "impersonate_groups":
                value = [group for group in value.split(",") if group]
        auth[option] = value
    if auth["kubeconfig"] is None and use_env and env is not None and env.get("KUBECONFIG"):
        # the kubernetes library reads $KUBECONFIG from the process; a task's own environment must win, as for a module
        auth["kubeconfig"] = env["KUBECONFIG"]
    headers = params.get("proxy_headers")
    if headers is None and use_env:
        headers = {key: environ["K8S_AUTH_PROXY_HEADERS_" + key.upper()] for key in PROXY_HEADERS if "K8S_AUTH_PROXY_HEADERS_" + key.upper() in environ}
    auth["proxy_headers"] = {key: value for key, value in (headers or {}).items() if value is not None} or None
    return auth


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def validate_auth(auth, prefix=""):
    """Check resolved auth options (from parameters or K8S_AUTH_*) before any library sees them, so that a bad value
    is reported naming the option (with ``prefix``: ``remote.``), never as a library traceback, and a secret never
    appears in the message (a token with a trailing newline from a file lookup is the usual mistake). Returns auth."""
    if auth.get("api_key") is not None:
        validate.token(auth["api_key"], prefix + "api_key")
    for option in ("password", "proxy_headers"):
        value = auth.get(option)
        if isinstance(value, str) and validate._control_char(value) is not None:  # pylint: disable=protected-access
            raise validate.ValidationError(prefix + option, None, "contains control characters (a trailing newline?)",
                                           "a string without control characters", secret=True)
    kubeconfig = auth.get("kubeconfig")
    if kubeconfig is not None and not isinstance(kubeconfig, dict):
        validate.string(kubeconfig, prefix + "kubeconfig", 4096, what="a kubeconfig path (or ':'-separated paths) or a kubeconfig dict")
    for option in ("context", "username", "impersonate_user", "ca_cert", "client_cert", "client_key"):
        if auth.get(option) is not None:
            validate.string(auth[option], prefix + option, 4096)
    if auth.get("host") is not None:
        validate.url(auth["host"], prefix + "host", ("https", "http"))
    if auth.get("proxy") is not None:
        validate.url(auth["proxy"], prefix + "proxy", PROXY_SCHEMES)
    if auth.get("no_proxy") is not None:
        validate.string(auth["no_proxy"], prefix + "no_proxy", 4096)
    for index, group in enumerate(auth.get("impersonate_groups") or []):
        validate.string(group, "%simpersonate_groups[%d]" % (prefix, index), 4096)
    return auth


def api_location(url):
    """The canonical form of an API server URL (scheme and host lower-cased, default port explicit, no trailing
    slash), so that two contexts or two spellings of one cluster compare equal."""
    from urllib.parse import urlsplit  # pylint: disable=import-outside-toplevel

    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
        host = (parts.hostname or "").lower()
    except ValueError:
        return url
    return "%s://%s:%s%s" % (parts.scheme.lower(), "[%s]" % host if ":" in host else host, port, parts.path.rstrip("/"))


def sensitive_values(params):
    """Credential strings inside a dict ``kubeconfig`` parameter, for ``module.no_log_values``."""
    return sorted(validate.kubeconfig_secrets((params or {}).get("kubeconfig")))


def _load_kubeconfig(auth, configuration):
    """Load ``auth['kubeconfig']`` (path, ':'-separated paths, dict, or None for $KUBECONFIG / ~/.kube/config); return the context used."""
    kubeconfig = auth["kubeconfig"]
    options = dict(context=auth["context"], client_configuration=configuration, persist_config=bool(auth["persist_config"]))
    if isinstance(kubeconfig, dict):
        kubernetes.config.load_kube_config_from_dict(config_dict=kubeconfig, **options)
        return auth["context"] or kubeconfig.get("current-context")
    kubernetes.config.load_kube_config(config_file=kubeconfig, **options)
    if auth["context"]:
        return auth["context"]
    return kubernetes.config.list_kube_config_contexts(kubeconfig)[1].get("name")


def _describe_source(auth):
    kubeconfig = auth["kubeconfig"]
    if isinstance(kubeconfig, dict):
        return "the kubeconfig given as a dictionary"
    return "kubeconfig %s" % (kubeconfig or kubernetes.config.kube_config.KUBE_CONFIG_DEFAULT_LOCATION)


def build_configuration(auth):
    """A ``kubernetes.client.Configuration`` for resolved ``auth`` (see resolve_auth); returns (configuration, context or None).

    As kubernetes.core: host plus a token, username+password or client certificate+key needs no kubeconfig; else a
    kubeconfig or context loads the kubeconfig; else in-cluster configuration, then the default kubeconfig. The
    explicit options then override what was loaded. The library's global default configuration is never touched.
    """
    if not HAS_KUBERNETES:
        raise StoreError("the kubernetes Python library is required to talk to a cluster")

    def given(*names):
        return all(auth.get(name) for name in names)

    if auth.get("host"):
        auth["host"] = auth["host"].rstrip("/")
    configuration = kubernetes.client.Configuration()
    context = None
    try:
        if given("host", "api_key") or given("host", "username", "password") or given("host", "client_cert", "client_key"):
            pass
        elif given("kubeconfig") or given("context"):
            context = _load_kubeconfig(auth, configuration)
        else:
            try:
                kubernetes.config.load_incluster_config(client_configuration=configuration)
            except kubernetes.config.ConfigException as in_cluster:
                try:
                    context = _load_kubeconfig(auth, configuration)
                except Exception as err:  # pylint: disable=broad-except
                    raise StoreError("no Kubernetes credentials: not running in a pod (%s) and cannot load %s (%s); set kubeconfig, context or host "
                                     "(or the K8S_AUTH_* environment variables)" % (in_cluster, _describe_source(auth), err)) from None
    except StoreError:
        raise
    except Exception as err:  # pylint: disable=broad-except  # the loader raises ConfigException, OSError, YAML and key errors
        raise StoreError("cannot load %s: %s" % (_describe_source(auth), err)) from None

    for option, attribute in (("host", "host"), ("username", "username"), ("password", "password"), ("validate_certs", "verify_ssl"),
                              ("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"), ("client_key", "key_file"), ("proxy", "proxy"),
                              ("no_proxy", "no_proxy")):
        if auth.get(option) is not None:
            setattr(configuration, attribute, auth[option])
    if auth.get("api_key"):
        token = "Bearer " + auth["api_key"]
        configuration.api_key = {"BearerToken": token, "authorization": token}  # both names: older and newer clients
        configuration.api_key_prefix = {}
        configuration.refresh_api_key_hook = None  # an in-cluster token refresh must not override an explicit api_key
    if auth.get("proxy_headers"):
        configuration.proxy_headers = urllib3.util.make_headers(**auth["proxy_headers"])
    for option in ("ca_cert", "client_cert", "client_key"):
        path = auth.get(option)
        if path and not os.path.isfile(path):
            raise StoreError("%s %s does not exist or is not a file" % (option, path))
    configuration.retries = False  # KubeStore retries itself, with a bound and backoff; urllib3 must not retry underneath
    return configuration, context


def new_api_client(params, use_env=True, env=None, auth=None):
    """(``kubernetes.client.ApiClient``, context or None) for the auth options in ``params`` (or already resolved ``auth``)."""
    auth = auth if auth is not None else resolve_auth(params, use_env=use_env, env=env)
    configuration, context = build_configuration(auth)
    api_client = kubernetes.client.ApiClient(configuration)
    api_client.user_agent = "skupper.tls"
    if auth.get("impersonate_user"):
        api_client.set_default_header("Impersonate-User", auth["impersonate_user"])
    if auth.get("impersonate_groups"):
        api_client.set_default_header("Impersonate-Group", list(auth["impersonate_groups"]))
    return api_client, context


def _decode(raw):
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw


def _is_status(payload):
    return isinstance(payload, dict) and payload.get("kind") == "Status"


def _retry_after(headers):
    try:
        return float((headers or {}).get("Retry-After"))
    except (TypeError, ValueError):
        return None


class KubeStore(Store):
    """The Store interface over a Kubernetes API server, through a ``kubernetes.client.ApiClient`` (auth, TLS, proxy).

    Each request gets up to ``retries`` more attempts on 429/500/502/503/504, timeouts and dropped or refused
    connections, sleeping ``backoff`` seconds doubling each time, capped at ``backoff_cap`` (with jitter; a
    ``Retry-After`` is honoured up to the cap). Other 4xx answers are never retried.
    """

    def __init__(self, api_client, timeout=(5, 30), retries=5, backoff=0.2, backoff_cap=3.0, context=None):
        self.api_client = api_client
        self.host = api_client.configuration.host.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.context = context
        self.description = "cluster %s" % self.host + (" (context %s)" % context if context else "")
        self.location = ("kubernetes", api_location(self.host))
        self.last_attempts = 0  # attempts made by the last request, for diagnostics

    @classmethod
    def from_params(cls, params, use_env=True, env=None, auth=None, **kwargs):
        """A KubeStore for the auth options in ``params`` (module params, or a nested dict with ``use_env=False``)."""
        api_client, context = new_api_client(params, use_env=use_env, env=env, auth=auth)
        return cls(api_client, context=context, **kwargs)

    # HTTP

    def _headers(self):
        configuration = self.api_client.configuration
        headers = _HeaderDict({"Accept": "application/json", "Content-Type": "application/json"})  # repeated headers: one Impersonate-Group each
        for name, value in self.api_client.default_headers.items():
            for item in value if isinstance(value, list) else [value]:
                headers.add(name, item)
        try:
            auth_settings = configuration.auth_settings()
        except Exception as err:  # pylint: disable=broad-except  # token refresh hooks (exec plugins, token files)
            raise StoreError("cannot get credentials for %s: %s" % (self.description, err)) from None
        for setting in auth_settings.values():
            if setting.get("in") == "header" and setting.get("value"):
                value = setting["value"]
                if value[:7].lower() == "bearer ":
                    value = "Bearer " + value[7:]  # the in-cluster loader writes "bearer"; some proxies only know "Bearer"
                headers[setting["key"]] = value
        if "authorization" not in headers and configuration.username and configuration.password:
            headers["authorization"] = configuration.get_basic_auth_token()
        return headers

    def _send(self, method, url, body):
        """(status, payload, headers, transport error or None); raises StoreError on errors no retry can fix."""
        try:
            response = self.api_client.rest_client.request(method, url, headers=self._headers(), body=body, _request_timeout=self.timeout)
            raw = response.read() if callable(getattr(response, "read", None)) else response.data  # clients before v33 preload ``data``
            return response.status, _decode(raw), response.getheaders(), None
        except kubernetes.client.exceptions.ApiException as err:
            if err.status:  # clients before v33 raise on non-2xx answers
                return err.status, _decode(err.body), err.headers, None
            reason = str(err.reason or "")
            if "EOF" in reason or "reset" in reason.lower():  # the connection dropped during the TLS handshake
                return None, None, None, reason.replace("\n", ": ")
            raise StoreError("TLS failure talking to %s: %s" % (self.description, reason.replace("\n", ": "))) from None
        except (urllib3.exceptions.TimeoutError, urllib3.exceptions.ProtocolError, urllib3.exceptions.MaxRetryError, ConnectionError) as err:
            return None, None, None, "%s: %s" % (type(err).__name__, err)
        except urllib3.exceptions.HTTPError as err:
            raise StoreError("cannot reach %s: %s" % (self.description, err)) from None

    def _call(self, method, path, body=None):
        """Send with retries; return (status, payload, ambiguous) where ``ambiguous`` says an earlier attempt may have been applied."""
        url = self.host + path
        started = time.monotonic()
        ambiguous = False
        last = None
        for attempt in range(1, self.retries + 2):
            self.last_attempts = attempt
            status, payload, headers, error = self._send(method, url, body)
            if error is None and status not in RETRY_STATUSES:
                return status, payload, ambiguous
            if method != "GET" and (error is not None or status in _AMBIGUOUS_STATUSES):
                ambiguous = True
            last = error or "%s %s" % (status, payload.get("message") if _is_status(payload) else str(payload or "").strip())
            if attempt > self.retries:
                break
            delay = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
            delay = random.uniform(delay / 2, delay)
            retry_after = _retry_after(headers)
            if retry_after is not None:
                delay = min(self.backoff_cap, max(delay, retry_after))
            time.sleep(delay)
        raise StoreError("%s %s on %s failed after %d attempts over %.1f s; last error: %s"
                         % (method, path, self.description, self.last_attempts, time.monotonic() - started, last))

    # paths and errors

    @staticmethod
    def _path(ref, named=True):
        if ref.kind not in KINDS:
            raise StoreError("unsupported kind %r (supported: %s)" % (ref.kind, ", ".join(sorted(KINDS))))
        if not ref.namespace or (named and not ref.name):
            raise StoreError("%s needs a namespace and a name, got %s/%s" % (ref.kind, ref.namespace, ref.name))
        prefix, plural = KINDS[ref.kind]
        path = "%s/namespaces/%s/%s" % (prefix, quote(ref.namespace, safe=""), plural)
        return path + "/" + quote(ref.name, safe="") if named else path

    def _error(self, status, payload, verb, ref, ambiguous=False):
        """The StoreError for a final non-success answer to ``verb`` (create, read, replace, delete) on ``ref``."""
        doing = "cannot %s %s %s/%s on %s" % (verb, ref.kind, ref.namespace, ref.name, self.description)
        if not _is_status(payload):
            text = str(payload or "").strip() or "no details"
            if status == 404:
                group_version = KINDS[ref.kind][0][len("/apis/"):] if KINDS[ref.kind][0].startswith("/apis/") else "v1"
                if group_version.startswith("skupper.io/"):
                    return StoreError("the Skupper CRDs (%s) are not installed on %s: %s %s answered '%s'"
                                      % (group_version, self.description, verb, ref.kind, text))
                return StoreError("%s: the API %s is not served (%s)" % (doing, group_version, text))
            return StoreError("%s: HTTP %s: %s" % (doing, status, text))
        message = payload.get("message") or payload.get("reason") or "HTTP %s" % status
        if status == 401:
            error = Unauthorized("%s: credentials rejected by %s (401 Unauthorized): check the token, client certificate or kubeconfig"
                                 % (doing, self.host))
        elif status == 403:
            error = Forbidden("%s: %s" % (doing, message))
        elif status == 404 and (payload.get("details") or {}).get("kind") == "namespaces":
            error = NotFound("namespace '%s' does not exist on %s" % (ref.namespace, self.description))
        elif status == 404:
            error = NotFound("%s: %s" % (doing, message))
        elif status == 409:
            hint = " (an earlier attempt that got no answer may have done it)" if ambiguous else ""
            error = Conflict("%s: %s%s" % (doing, message, hint))
            error.ambiguous = ambiguous
        elif status in (400, 422):
            error = Invalid(message)
        else:
            error = StoreError("%s: %s %s" % (doing, status, message))
        error.status = status
        error.reason = payload.get("reason") or error.reason
        return error

    # Store interface

    def get(self, ref):
        status, payload = self._call("GET", self._path(ref))[:2]
        if status == 200:
            return payload
        if status == 404 and _is_status(payload):
            return None
        raise self._error(status, payload, "read", ref)

    def create(self, obj):
        ref = ref_of(obj)
        status, payload, ambiguous = self._call("POST", self._path(ref, named=False), body=obj)
        if status in (200, 201, 202):
            return payload
        raise self._error(status, payload, "create", ref, ambiguous)

    def replace(self, obj):
        ref = ref_of(obj)
        status, payload, ambiguous = self._call("PUT", self._path(ref), body=obj)
        if status in (200, 201):
            return payload
        raise self._error(status, payload, "replace", ref, ambiguous)

    def delete(self, ref, resource_version=None):
        body = None
        if resource_version:
            body = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"resourceVersion": resource_version}}
        status, payload, ambiguous = self._call("DELETE", self._path(ref), body=body)
        if status in (200, 202):
            return True
        if status == 404 and _is_status(payload):
            return ambiguous  # gone; deleted by us if an earlier attempt got no answer
        raise self._error(status, payload, "delete", ref, ambiguous)
