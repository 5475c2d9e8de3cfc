# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the hostile suites share: key material that must never leak, a real module run in-process, the checks.

``run_module`` runs a module's real ``main()`` (``runtime.SkupperModule``, so the syslog invocation log and the
``no_log`` handling are Ansible's own) with ``patch_module_args``; the invocation log is captured instead of being
sent to syslog/journald. Every case then asserts the four promises of the README's security section.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import stat

from ansible.module_utils.testing import patch_module_args
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.skupper.tls.plugins.module_utils import pki, runtime

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
EC256 = pki.KeySpec("ecdsa", 256)


def _pems(cert, key):
    return pki.certs_to_pem([cert]).decode("ascii"), pki.key_to_pem(key).decode("ascii")


def _ca(name, now=NOW, days=3650, key=None):
    cert, key = pki.issue(pki.CertSpec(name, is_ca=True, key=EC256, validity=datetime.timedelta(days=days),
                                       renew_before=datetime.timedelta(days=1)), key=key, now=now)
    return cert, key


def _weak_ca():
    """A self-signed RSA-1024 CA (pki refuses to make one, so it is built by hand)."""
    key = rsa.generate_private_key(65537, 1024)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak CA")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(NOW + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


class Material(object):
    """PEM inputs, good and bad, made once per session (keys are slow)."""

    def __init__(self):
        ca_cert, ca_key = _ca("good CA")
        self.ca_pem, self.ca_key_pem = _pems(ca_cert, ca_key)
        other_cert, other_key = _ca("other CA")
        self.other_key_pem = _pems(other_cert, other_key)[1]
        self.expired_pem, self.expired_key_pem = _pems(*_ca("expired CA", now=NOW - datetime.timedelta(days=30), days=10))
        self.future_pem, self.future_key_pem = _pems(*_ca("future CA", now=NOW + datetime.timedelta(days=30)))
        self.weak_pem, self.weak_key_pem = _pems(*_weak_ca())
        leaf, leaf_key = pki.issue(pki.CertSpec("leaf", key=EC256), issuer=pki.Issuer(ca_cert, ca_key), now=NOW)
        self.leaf_pem, self.leaf_key_pem = _pems(leaf, leaf_key)
        self.token = "hostile-token-" + base64.b32encode(os.urandom(10)).decode("ascii").lower()
        self.client_key_data = base64.b64encode(self.other_key_pem.encode("ascii")).decode("ascii")
        # What must never appear in any output, log or file the failing task produced.
        self.secrets = [self.ca_key_pem, self.other_key_pem, self.expired_key_pem, self.future_key_pem, self.weak_key_pem,
                        self.leaf_key_pem, self.token, self.client_key_data]

    def leaks(self, text):
        """The secrets (as short labels) whose material appears in ``text``: any 24-character window of a key body."""
        found = []
        if "-----BEGIN" in text:
            found.append("a PEM block")
        for secret in self.secrets:
            body = "".join(line for line in secret.splitlines() if not line.startswith("-----"))
            for start in range(0, max(len(body) - 24, 1), 24):
                if body[start:start + 24] in text:
                    found.append("%s..." % secret[:30])
                    break
        return found


_MATERIAL = []


def material():
    if not _MATERIAL:
        _MATERIAL.append(Material())
    return _MATERIAL[0]


def snapshot(top):
    """Every entry below ``top``: kind, mode, and content or link target (never following links)."""
    out = {}
    for directory, dirs, files in os.walk(str(top), followlinks=False):
        for name in dirs + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                detail = "link->" + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    detail = handle.read()
            else:
                detail = stat.S_IFMT(info.st_mode)
            out[os.path.relpath(path, str(top))] = (stat.S_IMODE(info.st_mode), info.st_nlink if stat.S_ISREG(info.st_mode) else 0, detail)
    return out


class ModuleRun(object):
    def __init__(self, result, logs):
        self.result, self.logs = result, logs

    @property
    def text(self):
        return json.dumps(self.result, default=str) + "\n".join(self.logs)


def run_module(module, args, monkeypatch, capsys):
    """``module.main()`` in-process with ``args``; returns the printed result and the invocation log lines."""
    logs = []

    def log(self, msg, log_args=None):
        logs.append(msg + (" " + json.dumps(log_args, default=str) if log_args else ""))

    monkeypatch.setattr(runtime.SkupperModule, "log", log)
    capsys.readouterr()
    with patch_module_args(dict(args, _ansible_remote_tmp="/tmp", _ansible_keep_remote_files=False)):
        try:
            module.main()
        except SystemExit:
            pass
    out = capsys.readouterr().out
    return ModuleRun(json.loads(out), logs)


def assert_refused(run, field, written_before, written_after, secrets=None):
    """The four promises: failed; the message names the field; nothing written; no key material anywhere."""
    result = run.result
    assert result.get("failed"), result
    assert field in result["msg"], "field %r not named in: %s" % (field, result["msg"])
    assert "exception" not in result and "MODULE FAILURE" not in result["msg"], "a crash, not a message: %s" % result
    assert written_before == written_after, "something was written"
    leaks = (secrets or material()).leaks(run.text)
    assert not leaks, "key material in the output or logs: %s\n%s" % (leaks, run.text[:2000])
