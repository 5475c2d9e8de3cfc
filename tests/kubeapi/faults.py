"""Injected faults, shared by the test API server (server.py) and the fault proxy in front of a real kube-apiserver
(tests/realkube/proxy.py): rules matched by method and path, each for a number of requests."""

import re
import threading

from .errors import ApiError

FAULTS = (500, 503, 429, 409, "hang", "drop", "lost")  # lost: the request is served, its answer never sent


class Faults:
    """The pending fault rules and the log of faults given: ``taken`` holds (method, path, fault) per faulted request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self.taken = []

    def inject(self, method=None, path_regex="", fault=500, count=1, **kw):
        """The next `count` requests matching method (None for any) and path_regex (re.search) get `fault`.

        kw: `retry_after` (429, seconds, default 1), `seconds` (hang, default 30), `message` (status faults).
        "lost" serves the request (a write is applied) and closes the connection without the answer.
        """
        fault = int(fault) if str(fault).isdigit() else fault
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {FAULTS}, not {fault!r}")
        re.compile(path_regex)
        with self._lock:
            self._rules.append(dict(kw, method=method.upper() if method else None, path_regex=path_regex, fault=fault, count=count))

    def clear(self):
        with self._lock:
            self._rules.clear()

    def take(self, method, path):
        """The rule (a copy) that faults this request, counted down, or None."""
        with self._lock:
            for rule in self._rules:
                if rule["method"] in (None, "*", method) and re.search(rule["path_regex"], path):
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self._rules.remove(rule)
                    self.taken.append((method, path, rule["fault"]))
                    return dict(rule)
        return None


def status_error(rule):
    """The ApiError a status fault (429, 503, 409, 500) answers with, as a kube-apiserver words it."""
    code, message = rule["fault"], rule.get("message")
    if code == 429:
        after = rule.get("retry_after", 1)
        return ApiError(429, "TooManyRequests", message or "Too many requests, please try again later.",
                        {"retryAfterSeconds": after}, {"Retry-After": str(after)})
    if code == 503:
        return ApiError(503, "ServiceUnavailable", message or "the server is currently unable to handle the request", {})
    if code == 409:
        return ApiError(409, "Conflict", message or "Operation cannot be fulfilled: the object has been modified; "
                        "please apply your changes to the latest version and try again", {})
    message = message or "injected fault"
    return ApiError(500, "InternalError", "Internal error occurred: %s" % message, {"causes": [{"message": message}]})
