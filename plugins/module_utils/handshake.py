# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One mutual-TLS handshake on loopback between PEM material held in memory.

``handshake(server, client, host, method)`` starts a TLS server on ``127.0.0.1`` (a free port chosen by the
kernel) with the server's certificate and key, connects a client to it that verifies the server's certificate
against its trust bundle *with host name checking for* ``host`` (IP hosts are matched against IP SANs), and
returns a result dict. The server requires a client certificate, and verifies it against the server's trust
bundle, when the client has one; a trust-only client (no certificate) makes a server-authenticated handshake.

Two implementations, so that a certificate accepted by one TLS stack is also checked by the other:

* ``python``: the standard library ``ssl`` module (``check_hostname=True``, ``server_hostname=host``), server in a
  thread. The client reads one message from the server after the handshake: with TLS 1.3 the server judges the
  client certificate after the client's handshake has completed, and its rejection only shows on that read.
* ``openssl``: the ``openssl s_server`` and ``s_client`` binaries (``-verify_hostname``/``-verify_ip``,
  ``-verify_return_error``). Success needs both sides: ``s_client`` exits 0 with ``Verify return code: 0 (ok)``
  and ``s_server`` printed the negotiated cipher (and received the client certificate, when there is one)
  without a verification error.

Key material is written only into files (mode 0600) inside a fresh ``tempfile.mkdtemp()`` directory (mode 0700),
removed when the handshake is over; ``openssl`` processes are always killed. Every step is bounded by ``timeout``
seconds. Results never contain key bytes nor the tools' raw output (``s_server`` prints session secrets).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from ansible_collections.skupper.tls.plugins.module_utils import pki, validate

METHODS = ("python", "openssl")
DEFAULT_TIMEOUT = 10.0
# Maximum number of intermediate CAs s_server accepts in a client's chain (openssl's -Verify depth).
VERIFY_DEPTH = 9
# What the server sends after the handshake, and the client must read back.
GREETING = b"skupper.tls verify\n"

_PEM_CERT_RE = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----", re.S)
_OPENSSL_ERROR_RE = re.compile(r"^[0-9A-Fa-f]+:error:[0-9A-Fa-f]+:[^:]*:([^:]*):([^:]*)")
_SSL_LOCATION_RE = re.compile(r"\s*\(_ssl\.c:\d+\)$")


class HandshakeError(Exception):
    """Why a handshake could not be made or failed; ``str()`` is the message for the result's ``error``."""


class _Failed(HandshakeError):
    """A failed handshake that still learnt something (subjects, version)."""

    def __init__(self, message, partial):
        super().__init__(message)
        self.partial = partial


def empty_result(method, host):
    return {"method": method, "host": host, "ok": False, "error": None, "server_subject": None, "client_subject": None, "tls_version": None}


def handshake(server, client, host, method="python", timeout=DEFAULT_TIMEOUT):
    """One handshake; returns ``{method, host, ok, error, server_subject, client_subject, tls_version}``.

    ``server``: mapping with ``cert``, ``key`` (PEM, bytes or str) and ``ca`` (PEM bundle the server trusts for client
    certificates; needed when the client has a certificate). ``client``: mapping with ``ca`` (PEM bundle the client
    trusts) and optionally ``cert`` + ``key``. ``host``: DNS name or IP address the server certificate must be valid for.
    Never raises for a failed handshake or unusable material: ``ok`` is False and ``error`` says why.
    """
    result = empty_result(method, host)
    workdir = None
    try:
        if method not in METHODS:
            raise HandshakeError("unknown method %r (one of %s)" % (method, ", ".join(METHODS)))
        host = _check_host(host)
        material = _material(server, client)
        workdir = tempfile.mkdtemp(prefix="skupper-tls-verify-")
        os.chmod(workdir, 0o700)
        files = dict((name, _write(workdir, name, data)) for name, data in material.items() if data.strip())
        runner = _python_handshake if method == "python" else _openssl_handshake
        result.update(runner(files, host, float(timeout)))
        result["ok"] = True
    except _Failed as exc:
        result.update(exc.partial)
        result["error"] = str(exc)
    except HandshakeError as exc:
        result["error"] = str(exc)
    except (OSError, subprocess.SubprocessError) as exc:
        result["error"] = "cannot run the %s handshake: %s" % (method, exc)
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- material


def _check_host(host):
    try:
        return pki.validate_hosts([host], field="host")[0]
    except pki.PkiError as exc:
        raise HandshakeError(str(exc))


def _pem(value):
    if value is None:
        return b""
    return value.encode("ascii", "replace") if isinstance(value, str) else bytes(value)


def _material(server, client):
    """The PEM files to write, checked: names are ``server.crt``, ``server.key``, ``server-ca.crt``, ``client*``."""
    server, client = server or {}, client or {}
    data = {
        "server.crt": _pem(server.get("cert")), "server.key": _pem(server.get("key")), "server-ca.crt": _pem(server.get("ca")),
        "client.crt": _pem(client.get("cert")), "client.key": _pem(client.get("key")), "client-ca.crt": _pem(client.get("ca")),
    }
    for name, what in (("server.crt", "server certificate (tls.crt)"), ("server.key", "server key (tls.key)"),
                       ("client-ca.crt", "client trust bundle (ca.crt)")):
        if not data[name].strip():
            raise HandshakeError("no %s" % what)
    if bool(data["client.crt"].strip()) != bool(data["client.key"].strip()):
        raise HandshakeError("the client has a certificate without a key, or a key without a certificate")
    if data["client.crt"].strip() and not data["server-ca.crt"].strip():
        raise HandshakeError("no server trust bundle (ca.crt) to verify the client certificate with")
    for name in ("server.crt", "server-ca.crt", "client.crt", "client-ca.crt"):
        if data[name].strip():
            try:
                pki.load_certificates(data[name], field=name)
            except pki.PkiError as exc:
                raise HandshakeError(str(exc))
    return data


def _write(directory, name, data):
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def _subject(pem_or_der):
    """RFC 4514 subject of a certificate (PEM text or DER bytes), or None."""
    try:
        if isinstance(pem_or_der, bytes) and not pem_or_der.startswith(b"-----"):
            pem_or_der = ssl.DER_cert_to_PEM_cert(pem_or_der)
        return pki.load_certificates(pem_or_der)[0].subject.rfc4514_string()
    except (pki.PkiError, ValueError, TypeError):
        return None


class _Deadline(object):
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.05, self.end - time.monotonic())


# --------------------------------------------------------------------------- python


def _ssl_message(exc):
    """A short message for an ssl/socket exception, without the C source location."""
    if isinstance(exc, ssl.SSLCertVerificationError) and getattr(exc, "verify_message", None):
        return "certificate verify failed: %s" % exc.verify_message
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    return _SSL_LOCATION_RE.sub("", str(exc)) or type(exc).__name__


def _contexts(files):
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = True
    client_ctx.verify_mode = ssl.CERT_REQUIRED
    try:
        server_ctx.load_cert_chain(files["server.crt"], files["server.key"])
    except (ssl.SSLError, OSError) as exc:
        raise HandshakeError("server: cannot use its certificate and key: %s" % _ssl_message(exc))
    try:
        client_ctx.load_verify_locations(cafile=files["client-ca.crt"])
        if "client.crt" in files:
            client_ctx.load_cert_chain(files["client.crt"], files["client.key"])
    except (ssl.SSLError, OSError) as exc:
        raise HandshakeError("client: cannot use its certificate, key or trust bundle: %s" % _ssl_message(exc))
    if "client.crt" in files:
        server_ctx.verify_mode = ssl.CERT_REQUIRED
        try:
            server_ctx.load_verify_locations(cafile=files["server-ca.crt"])
        except (ssl.SSLError, OSError) as exc:
            raise HandshakeError("server: cannot use its trust bundle: %s" % _ssl_message(exc))
    else:
        server_ctx.verify_mode = ssl.CERT_NONE
    return server_ctx, client_ctx


def _serve(listener, server_ctx, deadline, state):
    """Server thread: accept one connection, handshake, send GREETING, wait for the client to close."""
    try:
        listener.settimeout(deadline.left())
        conn, _addr = listener.accept()
        conn.settimeout(deadline.left())
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            peer = tls.getpeercert(binary_form=True)
            state["client_subject"] = _subject(peer) if peer else None
            state["server_version"] = tls.version()
            tls.sendall(GREETING)
            state["server_ok"] = True
            try:
                tls.recv(64)
            except (OSError, ValueError):
                pass
    except (OSError, ValueError) as exc:
        state["server_error"] = _ssl_message(exc)


def _python_handshake(files, host, timeout):
    deadline = _Deadline(timeout)
    server_ctx, client_ctx = _contexts(files)
    state = {}
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    thread = None
    out, client_error = {}, None
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        thread = threading.Thread(target=_serve, args=(listener, server_ctx, deadline, state), name="skupper-verify-server", daemon=True)
        thread.start()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=deadline.left()) as sock:
                with client_ctx.wrap_socket(sock, server_hostname=host) as tls:
                    out["server_subject"] = _subject(tls.getpeercert(binary_form=True))
                    out["tls_version"] = tls.version()
                    received = b""
                    while len(received) < len(GREETING):
                        chunk = tls.recv(len(GREETING) - len(received))
                        if not chunk:
                            break
                        received += chunk
                    if received != GREETING:
                        client_error = "the server closed the connection after the handshake"
        except (OSError, ValueError) as exc:
            client_error = _ssl_message(exc)
        thread.join(deadline.left())
    finally:
        listener.close()
    if thread is not None and thread.is_alive():
        state.setdefault("server_error", "no answer within %gs" % timeout)
    out["client_subject"] = state.get("client_subject")
    errors = []
    if client_error:
        errors.append("client: %s" % client_error)
    if state.get("server_error") or not state.get("server_ok"):
        errors.append("server: %s" % (state.get("server_error") or "handshake not completed"))
    if errors:
        raise _Failed("; ".join(errors), out)
    return out


# --------------------------------------------------------------------------- openssl


_VERSION_CACHE = {}


def openssl_binary():
    """Path of the openssl binary, or None."""
    return shutil.which("openssl")


def _openssl_major(binary):
    """Major version of an OpenSSL binary (1 for 1.1.x, 3 for 3.x; 0 when unknown, e.g. LibreSSL)."""
    if binary not in _VERSION_CACHE:
        try:
            proc = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=5, check=False)
            match = re.match(r"OpenSSL (\d+)\.", proc.stdout)
            _VERSION_CACHE[binary] = int(match.group(1)) if match else 0
        except (OSError, subprocess.SubprocessError):
            _VERSION_CACHE[binary] = 0
    return _VERSION_CACHE[binary]


def _no_default_trust(binary):
    """Options that keep openssl from trusting the system's CA directory and store besides -CAfile."""
    options = ["-no-CApath"]
    if _openssl_major(binary) >= 3:
        options.append("-no-CAstore")
    return options


def openssl_errors(text, limit=3):
    """The verification/handshake error lines of openssl output, shortened; never other output.

    The verification result is preferred (``Verify return code: 62 (hostname mismatch)``, ``verify error:num=20:...``),
    else the library's error lines (``tls_process_client_certificate: certificate verify failed``).
    """
    codes, verify, errors, other = [], [], [], []
    for line in (text or "").splitlines():
        line = line.strip()
        match = _OPENSSL_ERROR_RE.match(line)
        if match:
            errors.append("%s: %s" % (match.group(1), match.group(2)))
        elif re.match(r"^Verify return code: [1-9]", line):
            codes.append(line)
        elif line.startswith("verify error:num="):
            verify.append(line)
        elif line.startswith(("connect:errno=", "Could not ", "unable to ", "Unable to ")) and len(line) < 200:
            other.append(line)
    chosen = codes or verify or errors or other
    found = []
    for line in chosen:
        if line not in found:
            found.append(line)
    return "; ".join(found[:limit])


def _free_port():
    """A port free on 127.0.0.1 right now (for openssl builds that do not print the port they bound)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
    finally:
        probe.close()


def _reader(stream, lines, ready):
    try:
        for line in iter(stream.readline, ""):
            lines.append(line)
            if line.startswith("ACCEPT"):
                ready.set()
    except (OSError, ValueError):
        pass
    ready.set()


def _stop(proc):
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _openssl_handshake(files, host, timeout):
    binary = openssl_binary()
    if not binary:
        raise HandshakeError("the openssl binary is not installed (needed by method openssl)")
    deadline = _Deadline(timeout)
    mutual = "client.crt" in files
    no_default = _no_default_trust(binary)
    # OpenSSL 3 binds port 0 and prints "ACCEPT 127.0.0.1:<port>"; older builds print a bare "ACCEPT".
    chosen = 0 if _openssl_major(binary) >= 3 else _free_port()
    server_cmd = [binary, "s_server", "-accept", "127.0.0.1:%d" % chosen, "-naccept", "1", "-cert", files["server.crt"], "-key", files["server.key"]]
    if mutual:
        server_cmd += ["-CAfile", files["server-ca.crt"]] + no_default + ["-Verify", str(VERIFY_DEPTH), "-verify_return_error"]
    client_cmd = [binary, "s_client", "-connect", None, "-CAfile", files["client-ca.crt"]] + no_default + ["-verify_return_error"]
    if validate.is_ip(host):
        client_cmd += ["-verify_ip", host, "-noservername"]
    else:
        client_cmd += ["-verify_hostname", host, "-servername", host]
    if mutual:
        client_cmd += ["-cert", files["client.crt"], "-key", files["client.key"]]
    env = dict(os.environ, LC_ALL="C")
    # stdin stays open (a pipe never written to): s_server ends the connection when its stdin reaches end of file.
    server = subprocess.Popen(server_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", env=env, cwd=os.path.dirname(files["server.crt"]))
    lines, ready = [], threading.Event()
    reader = threading.Thread(target=_reader, args=(server.stdout, lines, ready), name="skupper-verify-s_server", daemon=True)
    reader.start()
    try:
        ready.wait(deadline.left())
        accept = next((line for line in lines if line.startswith("ACCEPT")), None)
        if not accept:
            raise HandshakeError("server: openssl s_server did not start: %s" % (
                openssl_errors("".join(lines)) or "no ACCEPT line within %gs" % timeout))
        bound = re.search(r":(\d+)\s*$", accept)
        port = int(bound.group(1)) if bound else chosen
        if not port:
            raise HandshakeError("server: cannot tell which port openssl s_server listens on (%r)" % accept.strip())
        client_cmd[client_cmd.index(None)] = "127.0.0.1:%d" % port
        try:
            client = subprocess.run(client_cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", env=env,
                                    timeout=deadline.left(), check=False, cwd=os.path.dirname(files["server.crt"]))
            client_out, client_rc = client.stdout + "\n" + client.stderr, client.returncode
        except subprocess.TimeoutExpired:
            client_out, client_rc = "", None
        try:
            server.wait(timeout=deadline.left())
        except subprocess.TimeoutExpired:
            pass
    finally:
        _stop(server)
        reader.join(2)
        for stream in (server.stdin, server.stdout):
            try:
                stream.close()
            except OSError:
                pass
    server_out = "".join(lines)
    out = {}
    pems = _PEM_CERT_RE.findall(client_out.split("Server certificate", 1)[1]) if "Server certificate" in client_out else []
    out["server_subject"] = _subject(pems[0]) if pems else None
    version = re.search(r"^\s*Protocol\s*:\s*(\S+)", client_out, re.M) or re.search(r"^New, (\S+), Cipher is", client_out, re.M)
    out["tls_version"] = version.group(1) if version else None
    client_pems = _PEM_CERT_RE.findall(server_out.split("Client certificate", 1)[1]) if "Client certificate" in server_out else []
    out["client_subject"] = _subject(client_pems[0]) if client_pems else None
    errors = []
    if client_rc is None:
        errors.append("client: openssl s_client did not finish within %gs" % timeout)
    elif client_rc != 0 or "Verify return code: 0 (ok)" not in client_out:
        errors.append("client: %s" % (openssl_errors(client_out) or "openssl s_client exited with %d" % client_rc))
    server_done = re.search(r"^CIPHER is ", server_out, re.M) and not re.search(r"^ERROR$|^verify error", server_out, re.M)
    if not server_done:
        errors.append("server: %s" % (openssl_errors(server_out) or "handshake not completed"))
    elif mutual and not client_pems:
        errors.append("server: no client certificate was received")
    if errors:
        raise _Failed("; ".join(errors), out)
    return out
