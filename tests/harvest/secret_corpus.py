"""A corpus of synthetic, format-valid secrets, each planted alone in an ordinary file (issue 14).

Formats follow public rule sets and test data: gitleaks (config/gitleaks.toml and
cmd/generate/config/rules/*.go), betterleaks (its successor's rules), trufflehog's
pkg/detectors/* and detect-secrets' plugins and tests. No value is copied from
them: every value is generated here at run time from `seed`, with the right prefix,
length, alphabet and, where the format has one, checksum:

- GitHub ghp_/gho_/ghs_ and npm npm_ tokens: CRC32 of the 30 random characters,
  base62-encoded in the last 6 (github.blog, "Behind GitHub's new authentication
  token formats", 2021);
- age secret keys: real Bech32 (BIP-173) with the checksum;
- PGP private key blocks: the CRC-24 armor checksum (RFC 4880);
- JWTs: a real HS256 signature;
- RSA/EC/OpenSSH keys: real keys from deterministic randomness when the
  `cryptography` package is present (else a well-formed DER-looking body).

The values are random and never live: they are synthetic by construction.

    corpus(seed=0) -> list[Case(family, filename, text, secret)]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import zlib
from dataclasses import dataclass

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "_-"
B32L = "abcdefghijklmnopqrstuvwxyz234567"


@dataclass(frozen=True)
class Case:
    family: str
    filename: str
    text: str
    secret: str


class Gen:
    """Format-valid random values from a seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        # Draw until the value has both a digit and a letter when the alphabet has both, so that
        # no value looks like a word or a plain number by chance.
        while True:
            v = "".join(self.r.choice(alphabet) for _ in range(n))
            has_d = any(c.isdigit() for c in alphabet)
            has_a = any(c.isalpha() for c in alphabet)
            if n < 8 or ((not has_d or any(c.isdigit() for c in v)) and (not has_a or any(c.isalpha() for c in v))):
                return v

    def hexs(self, n: int) -> str:
        return self.s(HEX, n)

    def digits(self, n: int) -> str:
        return str(self.r.randint(1, 9)) + "".join(self.r.choice(string.digits) for _ in range(n - 1))

    def bytes(self, n: int) -> bytes:
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def uuid(self) -> str:
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def password(self, n: int = 16, symbols: str = "!#%&*+-=?@^_") -> str:
        while True:
            v = self.s(ALNUM + symbols, n)
            if any(c in symbols for c in v) and any(c.isupper() for c in v) and any(c.islower() for c in v):
                return v

    # --- checksummed token formats -------------------------------------------------------
    @staticmethod
    def _b62(n: int) -> str:
        out = ""
        while n:
            n, rem = divmod(n, 62)
            out = B62[rem] + out
        return out or "0"

    def crc_b62_token(self, prefix: str) -> str:
        """prefix + 30 base62 + 6-char base62 CRC32 (GitHub's and npm's format)."""
        while True:
            body = self.s(ALNUM, 30)
            crc = zlib.crc32(body.encode())
            if crc >= 62**5:  # exactly 6 base62 digits, no padding question
                return prefix + body + self._b62(crc).rjust(6, "0")

    def age_key(self) -> str:
        return bech32_encode("age-secret-key-", self.bytes(32)).upper()


# --- Bech32 (BIP-173) --------------------------------------------------------------------
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def bech32_encode(hrp: str, data: bytes) -> str:
    acc, bits, five = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    hv = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(hv + five + [0] * 6) ^ 1
    check = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH[d] for d in five + check)


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _wrap(b64: str, width: int = 64) -> list[str]:
    return [b64[i : i + width] for i in range(0, len(b64), width)]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# --- keys --------------------------------------------------------------------------------
def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if n < 4:
        return n in (2, 3)
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(24):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        c = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _is_probable_prime(c, rng):
            return c


def rsa_pem(g: Gen, pkcs8: bool = False, bits: int = 2048) -> str:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:  # a well-formed DER-looking body, good enough for pattern rules
        body = base64.b64encode(b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + g.bytes(1180)).decode()
        label = "PRIVATE KEY" if pkcs8 else "RSA PRIVATE KEY"
        return "\n".join([f"-----BEGIN {label}-----", *_wrap(body), f"-----END {label}-----"]) + "\n"
    e = 65537
    while True:
        p, q = _prime(bits // 2, g.r), _prime(bits // 2, g.r)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            break
    n, d = p * q, pow(e, -1, phi)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, n)
    )
    key = numbers.private_key()
    fmt = serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def ec_pem(g: Gen) -> str:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError:
        body = base64.b64encode(b"\x30\x77\x02\x01\x01\x04\x20" + g.bytes(112)).decode()
        return "\n".join(["-----BEGIN EC PRIVATE KEY-----", *_wrap(body), "-----END EC PRIVATE KEY-----"]) + "\n"
    k = ec.derive_private_key(g.r.getrandbits(250) + 1, ec.SECP256R1())
    return k.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def _sshstr(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def openssh_ed25519(g: Gen, comment: str) -> str:
    """An unencrypted openssh-key-v1 ed25519 private key, built deterministically."""
    seed = g.bytes(32)
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    except ImportError:
        pub = g.bytes(32)
    pubblob = _sshstr(b"ssh-ed25519") + _sshstr(pub)
    check = g.bytes(4)
    priv = check + check + pubblob + _sshstr(seed + pub) + _sshstr(comment.encode())
    priv += bytes(range(1, 1 + (-len(priv)) % 8))
    blob = (
        b"openssh-key-v1\x00" + _sshstr(b"none") + _sshstr(b"none") + _sshstr(b"")
        + (1).to_bytes(4, "big") + _sshstr(pubblob) + _sshstr(priv)
    )
    body = base64.b64encode(blob).decode()
    return "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *_wrap(body, 70), "-----END OPENSSH PRIVATE KEY-----"]) + "\n"


def pgp_private_block(g: Gen) -> str:
    # A v4 secret-key packet (tag 5, new format) with an RSA-looking body.
    body = b"\x04" + g.bytes(4) + b"\x01" + b"\x08\x00" + g.bytes(256) + b"\x00\x11\x01\x00\x01" + b"\x00" + g.bytes(660)
    packet = b"\xc5" + b"\xff" + len(body).to_bytes(4, "big") + body
    b64 = base64.b64encode(packet).decode()
    crc = base64.b64encode(_crc24(packet).to_bytes(3, "big")).decode()
    return "\n".join(["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *_wrap(b64), "=" + crc, "-----END PGP PRIVATE KEY BLOCK-----"]) + "\n"


def jwt_hs256(g: Gen, payload: dict) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(g.bytes(32), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(sig)}"


# --- ordinary files around a secret ----------------------------------------------------------
PY_HEAD = '''"""Service configuration."""
import logging
import os

log = logging.getLogger(__name__)

DEBUG = os.environ.get("DEBUG", "0") == "1"
TIMEOUT_SECONDS = 30
'''

PY_TAIL = '''

def client_settings():
    """Settings passed to the HTTP client."""
    return {"timeout": TIMEOUT_SECONDS, "retries": 3, "debug": DEBUG}
'''


def py_assign(name: str, value: str) -> str:
    return PY_HEAD + f'{name} = "{value}"\n' + PY_TAIL


def py_call(call: str) -> str:
    return PY_HEAD + "\n\ndef make_client():\n    return " + call + "\n" + PY_TAIL


def yaml_nested(section: str, key: str, value: str, quote: bool = False) -> str:
    v = f'"{value}"' if quote else value
    return (
        "app:\n  name: billing-service\n  port: 8080\n  log_level: info\n"
        f"{section}:\n  enabled: true\n  {key}: {v}\n  region: eu-west-1\n"
        "features:\n  - invoices\n  - reports\n"
    )


def sh_export(name: str, value: str, quote: bool = True) -> str:
    v = f'"{value}"' if quote else value
    return (
        "#!/usr/bin/env bash\nset -euo pipefail\n\n"
        'APP_DIR="$(cd "$(dirname "$0")" && pwd)"\n'
        f"export {name}={v}\n\n"
        'echo "deploying from $APP_DIR"\n'
        "docker build -t registry.internal/app:latest .\n"
        "docker push registry.internal/app:latest\n"
    )


def sh_lines(*lines: str) -> str:
    return "#!/bin/sh\nset -e\n\n" + "\n".join(lines) + '\n\necho "done"\n'


def js_const(name: str, value: str) -> str:
    return (
        "'use strict';\n\nconst express = require('express');\nconst app = express();\n\n"
        f"const {name} = '{value}';\n\n"
        "app.get('/health', (req, res) => res.json({ ok: true }));\n\n"
        "app.listen(process.env.PORT || 3000, () => console.log('listening'));\n"
    )


def js_object(key: str, value: str) -> str:
    return (
        "import { createClient } from './client.js';\n\nexport const config = {\n"
        "  baseUrl: 'https://api.internal',\n"
        f"  {key}: '{value}',\n"
        "  retries: 3,\n};\n\nexport default createClient(config);\n"
    )


def ts_const(name: str, value: str) -> str:
    return (
        "import axios from 'axios';\n\n"
        f"export const {name}: string = \"{value}\";\n\n"
        "export async function fetchUsers(): Promise<unknown[]> {\n"
        "  const res = await axios.get('/api/users');\n  return res.data;\n}\n"
    )


def compose_env(name: str, value: str) -> str:
    return (
        "version: '3.8'\nservices:\n  web:\n    image: nginx:1.25\n    ports:\n      - \"8080:80\"\n"
        "  worker:\n    build: .\n    environment:\n      - LOG_LEVEL=info\n"
        f"      - {name}={value}\n"
        "    depends_on:\n      - web\n"
    )


def compose_map(name: str, value: str) -> str:
    return (
        "services:\n  api:\n    image: app/api:2.1\n    restart: unless-stopped\n    environment:\n"
        f"      {name}: \"{value}\"\n      WORKERS: \"4\"\n"
    )


def ipynb(code: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Data exploration\n", "Load the events table."]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [],
            "source": [line + "\n" for line in ["import pandas as pd", *code.split("\n")]],
        },
        {
            "cell_type": "code",
            "execution_count": 2,
            "metadata": {},
            "outputs": [],
            "source": ["df = pd.read_csv('events.csv')\n", "df.head()"],
        },
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1) + "\n"


def properties(key: str, value: str) -> str:
    return (
        "spring.application.name=orders\nserver.port=8081\n"
        "spring.datasource.url=jdbc:postgresql://db.internal:5432/orders\n"
        f"{key}={value}\n"
        "logging.level.root=INFO\n"
    )


def web_config(key: str, value: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>\n'
        '    <add key="Environment" value="Production" />\n'
        f'    <add key="{key}" value="{value}" />\n'
        "  </appSettings>\n  <system.web>\n    <compilation debug=\"false\" targetFramework=\"4.8\" />\n"
        "  </system.web>\n</configuration>\n"
    )


def go_const(name: str, value: str) -> str:
    return (
        "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\n"
        f"const {name} = \"{value}\"\n\n"
        "func main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {\n"
        "\t\tfmt.Fprintln(w, \"ok\")\n\t})\n\thttp.ListenAndServe(\":8080\", nil)\n}\n"
    )


def dockerfile_env(name: str, value: str) -> str:
    return (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        f"ENV {name}={value}\n"
        "COPY . .\nCMD [\"gunicorn\", \"app:app\", \"-b\", \"0.0.0.0:8000\"]\n"
    )


def json_cfg(key: str, value: str) -> str:
    return json.dumps({"service": "ingest", "port": 9000, "upstream": {"host": "api.internal", key: value}}, indent=2) + "\n"


def toml_cfg(section: str, key: str, value: str) -> str:
    return (
        "[server]\nhost = \"0.0.0.0\"\nport = 8000\n\n"
        f"[{section}]\n{key} = \"{value}\"\ntimeout = 10\n"
    )


def gha(name: str, value: str) -> str:
    return (
        "name: ci\non:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        f"    env:\n      {name}: {value}\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
    )


def k8s_env(name: str, value: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n          image: app/api:1.4\n"
        f"          env:\n            - name: {name}\n              value: \"{value}\"\n"
    )


def ruby_init(name: str, value: str) -> str:
    return (
        "# frozen_string_literal: true\n\nRails.application.configure do\n"
        "  config.cache_store = :memory_store\nend\n\n"
        f"{name} = '{value}'\n"
    )


def php_file(line: str) -> str:
    return (
        "<?php\n/** Application settings. */\n\ndefine('APP_ENV', 'production');\n"
        f"{line}\n"
        "$table_prefix = 'wp_';\n\nif (!defined('ABSPATH')) {\n    define('ABSPATH', __DIR__ . '/');\n}\n"
    )


def java_const(name: str, value: str) -> str:
    return (
        "package com.acme.billing;\n\npublic final class Settings {\n"
        "    public static final int TIMEOUT = 30;\n"
        f"    private static final String {name} = \"{value}\";\n\n"
        "    private Settings() {}\n}\n"
    )


def ini_cfg(section: str, key: str, value: str) -> str:
    return f"[general]\nname = reporting\nworkers = 4\n\n[{section}]\n{key} = {value}\nretries = 2\n"


def tf_cfg(block: str, key: str, value: str) -> str:
    return (
        'terraform {\n  required_version = ">= 1.5"\n}\n\n'
        f'provider "{block}" {{\n  {key} = "{value}"\n}}\n\n'
        'resource "null_resource" "noop" {}\n'
    )


def makefile(line: str) -> str:
    return ".PHONY: build deploy\n\nbuild:\n\tgo build ./...\n\ndeploy: build\n\t" + line + "\n"


def readme(block: str) -> str:
    return "# Billing API\n\nQuick start:\n\n```bash\n" + block + "\n```\n\nSee docs/ for more.\n"


def c_define(name: str, value: str) -> str:
    return f'#include <stdio.h>\n\n#define {name} "{value}"\n\nint main(void) {{\n    puts("ok");\n    return 0;\n}}\n'


def rust_const(name: str, value: str) -> str:
    return f'use std::env;\n\nconst {name}: &str = "{value}";\n\nfn main() {{\n    let port = env::var("PORT").unwrap_or_default();\n    println!("{{}}", port);\n}}\n'


# --- the families ----------------------------------------------------------------------------
def _cases(g: Gen) -> list[Case]:
    C: list[Case] = []

    def add(family: str, filename: str, text: str, secret: str) -> None:
        assert secret in text or json.dumps(secret)[1:-1] in text, (family, filename)
        C.append(Case(family, filename, text, secret))

    # AWS: access key id + secret access key (the pair is the credential).
    for fname, mk in [
        ("deploy.sh", lambda k, s: sh_lines(f"export AWS_ACCESS_KEY_ID={k}", f"export AWS_SECRET_ACCESS_KEY={s}", "aws s3 sync ./dist s3://static-site")),
        ("src/storage.py", lambda k, s: py_call(f'boto3.client("s3", aws_access_key_id="{k}",\n        aws_secret_access_key="{s}")')),
        ("docker-compose.yml", lambda k, s: compose_env("AWS_ACCESS_KEY_ID", k).replace("    depends_on", f"      - AWS_SECRET_ACCESS_KEY={s}\n    depends_on")),
        ("config/settings.yaml", lambda k, s: yaml_nested("aws", "access_key_id", k).replace("  region:", f"  secret_access_key: {s}\n  region:")),
    ]:
        k = g.r.choice(["AKIA", "AKIA", "ASIA"]) + g.s(string.ascii_uppercase + "234567", 16)
        s = g.s(ALNUM + "+/", 40)
        add("aws-access-key+secret", fname, mk(k, s), k)

    for fam, prefix, files in [
        ("github-pat-classic", "ghp_", [("config.py", py_assign, "GITHUB_TOKEN"), (".github/workflows/release.yml", gha, "GH_TOKEN"), ("scripts/sync.sh", sh_export, "GITHUB_TOKEN")]),
        ("github-oauth-gho", "gho_", [("app.js", js_const, "githubOauthToken"), ("settings.yaml", None, None)]),
        ("github-app-ghs", "ghs_", [("main.go", go_const, "installationToken"), ("Dockerfile", dockerfile_env, "GITHUB_APP_TOKEN")]),
    ]:
        for fname, fn, name in files:
            v = g.crc_b62_token(prefix)
            text = fn(name, v) if fn else yaml_nested("github", "oauth_token", v)
            add(fam, fname, text, v)
    for fname, text_of in [
        ("notebooks/explore.ipynb", lambda v: ipynb(f'from github import Github\ngh = Github("{v}")')),
        ("config/settings.toml", lambda v: toml_cfg("github", "token", v)),
        ("ci/publish.sh", lambda v: sh_export("GH_PAT", v)),
    ]:
        v = "github_pat_11" + g.s(string.ascii_uppercase + string.digits, 20) + "_" + g.s(ALNUM, 59)
        add("github-fine-grained-pat", fname, text_of(v), v)

    # GitLab: classic glpat- (20) and routable glpat- (base64url body . version + crc).
    for fname, text_of, v in [
        ("gitlab-ci-helper.py", lambda v: py_assign("GITLAB_TOKEN", v), "glpat-" + g.s(URLSAFE, 20)),
        ("settings.yaml", lambda v: yaml_nested("gitlab", "private_token", v), "glpat-" + g.s(URLSAFE, 20)),
        ("release.sh", lambda v: sh_lines(f'curl --header "PRIVATE-TOKEN: {v}" https://gitlab.com/api/v4/projects'), "glpat-" + g.s(URLSAFE, 27) + "." + "01." + g.s(string.ascii_lowercase + string.digits, 7)),
    ]:
        add("gitlab-pat", fname, text_of(v), v)

    for fname, fn in [("bot/config.py", lambda v: py_assign("SLACK_BOT_TOKEN", v)), ("slack.properties", lambda v: properties("slack.bot.token", v)), ("k8s/bot.yaml", lambda v: k8s_env("SLACK_BOT_TOKEN", v))]:
        v = f"xoxb-{g.digits(12)}-{g.digits(13)}-{g.s(ALNUM, 24)}"
        add("slack-bot-xoxb", fname, fn(v), v)
    for fname, fn in [("notify.js", lambda v: js_const("slackUserToken", v)), ("tools/export.sh", lambda v: sh_export("SLACK_TOKEN", v))]:
        v = f"xoxp-{g.digits(12)}-{g.digits(12)}-{g.digits(13)}-{g.hexs(32)}"
        add("slack-user-xoxp", fname, fn(v), v)
    for fname, fn in [("socket_mode.py", lambda v: py_assign("SLACK_APP_TOKEN", v)), ("docker-compose.yml", lambda v: compose_env("SLACK_APP_TOKEN", v)), ("app.ts", lambda v: ts_const("appLevelToken", v))]:
        v = f"xapp-1-A{g.s(string.ascii_uppercase + string.digits, 10)}-{g.digits(13)}-{g.hexs(64)}"
        add("slack-app-xapp", fname, fn(v), v)
    for fname, fn in [("alerts.py", lambda v: py_assign("WEBHOOK", v)), ("alertmanager.yml", lambda v: yaml_nested("slack", "api_url", v)), ("notify.sh", lambda v: sh_lines(f"curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"deployed\"}}' {v}"))]:
        v = f"https://hooks.slack.com/services/T{g.s(string.ascii_uppercase + string.digits, 8)}/B{g.s(string.ascii_uppercase + string.digits, 10)}/{g.s(ALNUM, 24)}"
        add("slack-webhook", fname, fn(v), v)

    for fam, prefix, files in [
        ("stripe-sk-live", "sk_live_", [("payments.py", lambda v: py_assign("stripe.api_key", v).replace("import os", "import os\nimport stripe")), ("checkout.js", lambda v: js_const("stripeSecret", v)), ("application.properties", lambda v: properties("stripe.secret-key", v))]),
        ("stripe-sk-test", "sk_test_", [("billing/settings.py", lambda v: py_assign("STRIPE_SECRET_KEY", v)), ("docker-compose.yml", lambda v: compose_map("STRIPE_KEY", v)), ("config/stripe.rb", lambda v: ruby_init("Stripe.api_key", v))]),
        ("stripe-rk-live", "rk_live_", [("reports.go", lambda v: go_const("stripeRestrictedKey", v)), ("settings.yaml", lambda v: yaml_nested("stripe", "restricted_key", v))]),
    ]:
        for fname, fn in files:
            v = prefix + "51" + g.s(ALNUM, g.r.choice([24, 97]))
            add(fam, fname, fn(v), v)

    for fname, fn in [("maps.js", lambda v: js_object("apiKey", v)), ("geocode.py", lambda v: py_call(f'googlemaps.Client(key="{v}")')), ("AndroidManifest.xml", None), ("config.json", lambda v: json_cfg("google_api_key", v))]:
        v = "AIza" + g.s(URLSAFE, 35)
        if fn is None:
            text = ('<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.acme.maps">\n'
                    '  <application android:label="Maps">\n    <meta-data android:name="com.google.android.geo.API_KEY"\n'
                    f'      android:value="{v}" />\n  </application>\n</manifest>\n')
        else:
            text = fn(v)
        add("google-api-key", fname, text, v)

    def gcp_sa(project: str, email_user: str) -> tuple[dict, str]:
        pem = rsa_pem(g, pkcs8=True)
        d = {
            "type": "service_account",
            "project_id": project,
            "private_key_id": g.hexs(40),
            "private_key": pem,
            "client_email": f"{email_user}@{project}.iam.gserviceaccount.com",
            "client_id": g.digits(21),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email_user}%40{project}.iam.gserviceaccount.com",
            "universe_domain": "googleapis.com",
        }
        return d, d["private_key_id"]

    d, _ = gcp_sa("acme-data-" + g.digits(6), "etl-runner")
    add("gcp-service-account", "config/bigquery.json", json.dumps(d, indent=2) + "\n", d["private_key"].splitlines()[1])
    d, _ = gcp_sa("acme-web-" + g.digits(6), "deployer")
    add("gcp-service-account", "gcp_auth.py", PY_HEAD + "\nSERVICE_ACCOUNT_INFO = " + json.dumps(d, indent=4) + "\n" + PY_TAIL, d["private_key"].splitlines()[1])
    d, _ = gcp_sa("acme-ml-" + g.digits(6), "notebook")
    add("gcp-service-account", "train.ipynb", ipynb("from google.oauth2 import service_account\ninfo = " + json.dumps(d)), d["private_key"].splitlines()[1])

    for fname, fn in [("auth_test_helpers.py", lambda v: py_assign("SESSION_JWT", v)), ("api.http", None), ("settings.yaml", lambda v: yaml_nested("auth", "bearer", v))]:
        v = jwt_hs256(g, {"sub": g.digits(8), "name": "svc-reporting", "iat": 1700000000 + g.r.randint(0, 9**7), "exp": 1900000000})
        text = fn(v) if fn else f"### list users\nGET https://api.internal/v1/users\nAuthorization: Bearer {v}\nAccept: application/json\n"
        add("jwt", fname, text, v)

    pem = rsa_pem(g)
    add("private-key-pem", "certs_helper.py", PY_HEAD + f'\nTLS_KEY = """{pem}"""\n' + PY_TAIL, pem.splitlines()[1])
    pem = ec_pem(g)
    add("private-key-pem", "values.yaml", "ingress:\n  enabled: true\ntls:\n  key: |\n" + "".join("    " + l + "\n" for l in pem.splitlines()) + "  cert: from-secret\n", pem.splitlines()[1])
    pem = rsa_pem(g, pkcs8=True)
    add("private-key-pem", "server/tls.go", "package server\n\nvar keyPEM = []byte(`" + pem + "`)\n\nfunc Key() []byte { return keyPEM }\n", pem.splitlines()[1])

    for fname, wrap in [("deploy/ssh_setup.sh", lambda k: sh_lines("mkdir -p ~/.ssh", "cat > ~/.ssh/deploy_key <<'EOF'\n" + k + "EOF", "chmod 600 ~/.ssh/deploy_key")),
                        ("ansible/group_vars/all.yml", lambda k: "deploy_user: ci\ndeploy_key: |\n" + "".join("  " + l + "\n" for l in k.splitlines())),
                        ("provision.py", lambda k: PY_HEAD + f'\nDEPLOY_KEY = """\\\n{k}"""\n' + PY_TAIL)]:
        k = openssh_ed25519(g, "ci@build")
        add("openssh-private-key", fname, wrap(k), k.splitlines()[1])

    for fname, wrap in [("release/signing.sh", lambda k: sh_lines("gpg --batch --import <<'EOF'\n" + k + "EOF", "gpg --list-secret-keys")),
                        ("signing_key.asc.txt", lambda k: "Release signing key (CI only)\n\n" + k)]:
        k = pgp_private_block(g)
        add("pgp-private-key", fname, wrap(k), k.splitlines()[2])

    for fname, fn, legacy in [("llm.py", lambda v: py_call(f'OpenAI(api_key="{v}")').replace("import os", "import os\nfrom openai import OpenAI"), False),
                              ("chat.js", lambda v: js_object("openaiKey", v), False),
                              ("summarize.ipynb", lambda v: ipynb(f'import openai\nopenai.api_key = "{v}"'), True),
                              ("config/llm.toml", lambda v: toml_cfg("openai", "api_key", v), False)]:
        if legacy:
            v = "sk-" + g.s(ALNUM, 20) + "T3BlbkFJ" + g.s(ALNUM, 20)
        else:
            v = "sk-" + g.r.choice(["proj", "svcacct"]) + "-" + g.s(URLSAFE, 74) + "T3BlbkFJ" + g.s(URLSAFE, 74)
        add("openai-api-key", fname, fn(v), v)

    for fname, fn in [("agent.py", lambda v: py_call(f'anthropic.Anthropic(api_key="{v}")')), ("docker-compose.yml", lambda v: compose_map("ANTHROPIC_API_KEY", v)), ("bot.ts", lambda v: ts_const("anthropicKey", v))]:
        v = "sk-ant-api03-" + g.s(URLSAFE, 93) + "AA"
        add("anthropic-api-key", fname, fn(v), v)

    for fname, fn in [("sms.py", lambda v: py_call(f'Client("AC{g.hexs(32)}", "{g.hexs(32)}")').replace("return Client", f'Client  # api key below\n\nTWILIO_API_KEY = "{v}"\n\n\ndef make_client2():\n    return Client')),
                      ("notify.js", lambda v: js_const("twilioApiKey", v)),
                      ("twilio.properties", lambda v: properties("twilio.api.key", v))]:
        v = "SK" + g.hexs(32)
        add("twilio-api-key", fname, fn(v), v)

    for fname, fn in [("mailer.py", lambda v: py_assign("SENDGRID_API_KEY", v)), ("mail.js", lambda v: js_const("sendgridKey", v)), ("appsettings.json", lambda v: json_cfg("SendGridKey", v))]:
        v = "SG." + g.s(URLSAFE, 22) + "." + g.s(URLSAFE, 43)
        add("sendgrid-api-key", fname, fn(v), v)

    for fname, fn in [("vault_client.py", lambda v: py_call(f'hvac.Client(url="https://vault.internal:8200", token="{v}")')), ("deploy.sh", lambda v: sh_export("VAULT_TOKEN", v)), ("vault.tf", lambda v: tf_cfg("vault", "token", v))]:
        v = "hvs.CAESI" + g.s(URLSAFE, 43) + "Gh4KHGh2cy4" + g.s(URLSAFE, 38)
        add("vault-token-hvs", fname, fn(v), v)

    for fname, fn in [("droplets.py", lambda v: py_assign("DO_TOKEN", v)), ("provider.tf", lambda v: tf_cfg("digitalocean", "token", v)), ("Makefile", lambda v: makefile(f"doctl auth init --access-token {v}"))]:
        v = "dop_v1_" + g.hexs(64)
        add("digitalocean-pat", fname, fn(v), v)

    for fname, fn in [("bot.py", lambda v: py_assign("TELEGRAM_BOT_TOKEN", v)), ("docker-compose.yml", lambda v: compose_env("TELEGRAM_TOKEN", v)), ("notify.go", lambda v: go_const("telegramToken", v))]:
        v = g.digits(10) + ":AA" + g.s(URLSAFE, 33)
        add("telegram-bot-token", fname, fn(v), v)

    for fname, fn in [("hooks.py", lambda v: py_assign("DISCORD_WEBHOOK_URL", v)), ("notify.sh", lambda v: sh_lines(f'curl -H "Content-Type: application/json" -d \'{{"content":"build ok"}}\' "{v}"')), ("config.json", lambda v: json_cfg("discordWebhook", v))]:
        v = f"https://discord.com/api/webhooks/{g.digits(18)}/{g.s(ALNUM + '-', 68)}"
        add("discord-webhook", fname, fn(v), v)

    for fname, fn in [("teams_notify.py", lambda v: py_assign("TEAMS_WEBHOOK", v)), ("pipeline.yml", lambda v: gha("TEAMS_WEBHOOK_URL", v)), ("alerts.ps1", lambda v: f'$ErrorActionPreference = "Stop"\n$uri = "{v}"\n$body = @{{ text = "Build finished" }} | ConvertTo-Json\nInvoke-RestMethod -Method Post -Uri $uri -Body $body -ContentType "application/json"\n')]:
        v = f"https://acme{g.digits(3)}.webhook.office.com/webhookb2/{g.uuid()}@{g.uuid()}/IncomingWebhook/{g.hexs(32)}/{g.uuid()}"
        add("teams-webhook", fname, fn(v), v)

    for fname, fn in [("newman.sh", lambda v: sh_export("POSTMAN_API_KEY", v)), ("sync_collections.py", lambda v: py_assign("POSTMAN_KEY", v)), (".github/workflows/api.yml", lambda v: gha("POSTMAN_API_KEY", v))]:
        v = f"PMAK-{g.hexs(24)}-{g.hexs(34)}"
        add("postman-api-key", fname, fn(v), v)

    for fname, fn in [("Dockerfile", lambda v: dockerfile_env("DOPPLER_TOKEN", v)), ("secrets.py", lambda v: py_assign("DOPPLER_TOKEN", v)), ("run.sh", lambda v: sh_lines(f"doppler run --token {v} -- ./server"))]:
        v = "dp.pt." + g.s(ALNUM, 43)
        add("doppler-token", fname, fn(v), v)

    for fname, fn in [("dashboards.py", lambda v: py_assign("GRAFANA_TOKEN", v)), ("grafana.tf", lambda v: tf_cfg("grafana", "auth", v)), ("provisioning.yaml", lambda v: yaml_nested("grafana", "service_account_token", v))]:
        v = "glsa_" + g.s(ALNUM, 32) + "_" + g.hexs(8)
        add("grafana-service-account-glsa", fname, fn(v), v)
    for fname, fn in [("otel.yaml", lambda v: yaml_nested("exporter", "password", v)), ("push_metrics.go", lambda v: go_const("grafanaCloudToken", v))]:
        payload = json.dumps({"o": g.digits(6), "n": "stack-" + g.digits(6) + "-hm-read", "k": g.s(ALNUM, 24), "m": {"r": "prod-eu-west-2"}}, separators=(",", ":"))
        v = "glc_" + base64.b64encode(payload.encode()).decode().rstrip("=")
        add("grafana-cloud-glc", fname, fn(v), v)

    for fname, fn, pre in [("db.py", lambda v: py_assign("PLANETSCALE_TOKEN", v), "pscale_tkn_"), ("database.yml", lambda v: yaml_nested("production", "password", v), "pscale_pw_"), ("docker-compose.yml", lambda v: compose_env("DATABASE_PASSWORD", v), "pscale_pw_")]:
        v = pre + g.s(URLSAFE, 43)
        add("planetscale", fname, fn(v), v)

    for fname, fn in [("backup.sh", lambda v: sh_lines(f'echo "{v}" > /run/age.key', "age -d -i /run/age.key backup.tar.age | tar x")), ("keys.py", lambda v: py_assign("AGE_IDENTITY", v)), ("sops.yaml", lambda v: yaml_nested("sops", "age_key", v))]:
        v = g.age_key()
        add("age-secret-key", fname, fn(v), v)

    for fname, fn, v2 in [("Procfile.sh", lambda v: sh_export("HEROKU_API_KEY", v), True), ("heroku_deploy.py", lambda v: py_assign("HEROKU_API_KEY", v), False), ("app.json", lambda v: json_cfg("HEROKU_API_KEY", v), True)]:
        v = "HRKU-AA" + g.s(URLSAFE, 58) if v2 else g.uuid()
        add("heroku-api-key", fname, fn(v), v)

    for fname, fn in [("mail.py", lambda v: py_assign("MAILGUN_API_KEY", v)), ("mailgun.js", lambda v: js_object("mailgunApiKey", v)), ("settings.yaml", lambda v: yaml_nested("mailgun", "api_key", v))]:
        v = "key-" + g.hexs(32)
        add("mailgun-api-key", fname, fn(v), v)

    for fname, fn in [("ci/docker-login.sh", lambda v: sh_lines(f"echo {v} | docker login -u acmebuild --password-stdin")), ("publish.py", lambda v: py_assign("DOCKERHUB_TOKEN", v)), (".gitlab-ci.yml", lambda v: "stages: [build]\nvariables:\n  DOCKER_DRIVER: overlay2\n  DOCKERHUB_TOKEN: \"" + v + "\"\nbuild:\n  script:\n    - docker build .\n")]:
        v = "dckr_pat_" + g.s(URLSAFE, 27)
        add("docker-hub-pat", fname, fn(v), v)

    for fname, fn in [("train.py", lambda v: py_call(f'login(token="{v}")')), ("inference.ipynb", lambda v: ipynb(f'from huggingface_hub import login\nlogin("{v}")')), ("docker-compose.yml", lambda v: compose_env("HF_TOKEN", v))]:
        v = "hf_" + g.s(string.ascii_letters, 34)
        add("huggingface-token", fname, fn(v), v)

    for fname, fn in [("npmrc.sh", lambda v: sh_lines(f'echo "//registry.npmjs.org/:_authToken={v}" > "$HOME/.npmrc"', "npm publish")), ("publish.js", lambda v: js_const("NPM_TOKEN", v)), (".github/workflows/npm.yml", lambda v: gha("NODE_AUTH_TOKEN", v))]:
        v = g.crc_b62_token("npm_")
        add("npm-token", fname, fn(v), v)

    for fname, fn in [("release.sh", lambda v: sh_lines(f"twine upload -u __token__ -p {v} dist/*")), ("publish.py", lambda v: py_assign("PYPI_TOKEN", v)), ("setup.cfg", lambda v: ini_cfg("upload", "password", v))]:
        mac = b"\x02\x01\x08pypi.org\x02" + bytes([g.r.randint(30, 40)]) + b"\x00\x01" + g.bytes(12) + b"\x00\x02" + g.bytes(100)
        v = "pypi-" + b64url(mac)
        add("pypi-token", fname, fn(v), v)

    for fname, fn, new in [("azure-pipelines.sh", lambda v: sh_lines(f"echo {v} | az devops login --organization https://dev.azure.com/acme-corp"), False),
                           ("ado_client.py", lambda v: py_assign("AZURE_DEVOPS_PAT", v) + '\nORG_URL = "https://dev.azure.com/acme-corp"\n', False),
                           ("NuGet.Config.xml", lambda v: '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSources>\n    <add key="acme" value="https://pkgs.dev.azure.com/acme-corp/_packaging/feed/nuget/v3/index.json" />\n  </packageSources>\n  <packageSourceCredentials>\n    <acme>\n      <add key="Username" value="build" />\n      <add key="ClearTextPassword" value="' + v + '" />\n    </acme>\n  </packageSourceCredentials>\n</configuration>\n', True)]:
        if new:
            v = g.s(ALNUM, 52) + "JQQJ99" + g.s(ALNUM, 1) + g.r.choice("ABC") + g.s(ALNUM, 5) + "AZDO" + g.s(ALNUM, 4)
        else:
            v = g.s(B32L, 52)
        add("azure-devops-pat", fname, fn(v), v)

    for fname, fn in [("storage.py", lambda v: py_assign("AZURE_STORAGE_CONNECTION_STRING", v)), ("appsettings.json", lambda v: json_cfg("StorageConnection", v)), ("web.config", lambda v: web_config("StorageConnectionString", v))]:
        key = base64.b64encode(g.bytes(64)).decode()
        v = f"DefaultEndpointsProtocol=https;AccountName=acmestore{g.digits(4)};AccountKey={key};EndpointSuffix=core.windows.net"
        add("azure-storage-connection-string", fname, fn(v), key)

    for fname, fn, pre in [("shop.py", lambda v: py_assign("SHOPIFY_ACCESS_TOKEN", v), "shpat_"), ("shopify.yml", lambda v: yaml_nested("shopify", "shared_secret", v), "shpss_"), ("sync.js", lambda v: js_const("shopifyToken", v), "shpca_")]:
        v = pre + g.hexs(32)
        add("shopify-token", fname, fn(v), v)

    for fname, fn, kind in [("square_pay.py", lambda v: py_assign("SQUARE_ACCESS_TOKEN", v), "EAAA"), ("square.properties", lambda v: properties("square.access-token", v), "sq0atp-"), ("oauth.js", lambda v: js_const("squareAppSecret", v), "sq0csp-")]:
        v = kind + g.s(URLSAFE, 60 if kind == "EAAA" else (22 if kind == "sq0atp-" else 43))
        add("square-token", fname, fn(v), v)

    for fname, fn in [("jira_sync.py", lambda v: py_assign("ATLASSIAN_API_TOKEN", v)), ("confluence.yaml", lambda v: yaml_nested("confluence", "api_token", v)), ("jira.sh", lambda v: sh_lines(f"curl -u bot@acme.io:{v} https://acme.atlassian.net/rest/api/3/myself"))]:
        body = "ATATT3xFfGF0" + g.s(URLSAFE, 171)
        v = body + "=" + format(zlib.crc32(body.encode()), "08X")
        add("atlassian-api-token", fname, fn(v), v)

    for fname, fn in [("linear.py", lambda v: py_assign("LINEAR_API_KEY", v)), ("issues.ts", lambda v: ts_const("linearKey", v)), ("docker-compose.yml", lambda v: compose_map("LINEAR_API_KEY", v))]:
        v = "lin_api_" + g.s(ALNUM, 40)
        add("linear-api-key", fname, fn(v), v)

    for fname, fn in [("jobs.py", lambda v: py_assign("DATABRICKS_TOKEN", v)), ("databricks.tf", lambda v: tf_cfg("databricks", "token", v)), ("run_job.sh", lambda v: sh_export("DATABRICKS_TOKEN", v))]:
        v = "dapi" + g.hexs(32)
        add("databricks-token", fname, fn(v), v)

    for fname, fn in [("newrelic_alerts.py", lambda v: py_assign("NEW_RELIC_API_KEY", v)), ("newrelic.tf", lambda v: tf_cfg("newrelic", "api_key", v)), ("settings.yaml", lambda v: yaml_nested("newrelic", "user_api_key", v))]:
        v = "NRAK-" + g.s(string.ascii_uppercase + string.digits, 27)
        add("newrelic-user-key", fname, fn(v), v)

    for fname, fn, org in [("sentry_release.sh", lambda v: sh_export("SENTRY_AUTH_TOKEN", v), False), ("sentry.properties", lambda v: "defaults.url=https://sentry.io/\ndefaults.org=acme\ndefaults.project=web\nauth.token=" + v + "\n", True), ("settings.py", lambda v: py_assign("SENTRY_AUTH_TOKEN", v), False)]:
        if org:
            payload = json.dumps({"iat": 1700000000 + g.r.randint(0, 9**6), "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "acme"}, separators=(",", ":"))
            v = "sntrys_" + base64.b64encode(payload.encode()).decode() + "_" + g.s(ALNUM + "+/", 43)
        else:
            v = "sntryu_" + g.hexs(64)
        add("sentry-token", fname, fn(v), v)

    for fname, fn in [("Pulumi.prod.sh", lambda v: sh_export("PULUMI_ACCESS_TOKEN", v)), ("infra.py", lambda v: py_assign("PULUMI_ACCESS_TOKEN", v)), (".github/workflows/infra.yml", lambda v: gha("PULUMI_ACCESS_TOKEN", v))]:
        v = "pul-" + g.hexs(40)
        add("pulumi-token", fname, fn(v), v)

    for fname, fn in [("terraform.rc.sh", lambda v: sh_lines("cat > ~/.terraformrc <<EOF", 'credentials "app.terraform.io" {', f'  token = "{v}"', "}", "EOF")), ("tfc.py", lambda v: py_assign("TFC_TOKEN", v)), ("backend.tf", lambda v: tf_cfg("tfe", "token", v))]:
        v = g.s(ALNUM, 14) + ".atlasv1." + g.s(ALNUM, 67)
        add("terraform-cloud-token", fname, fn(v), v)

    for fname, fn, kind in [("fly_deploy.sh", lambda v: sh_export("FLY_API_TOKEN", v), "FlyV1"), ("machines.py", lambda v: py_assign("FLY_API_TOKEN", v), "fo1"), (".github/workflows/fly.yml", lambda v: gha("FLY_API_TOKEN", v), "fm2")]:
        if kind == "fo1":
            v = "fo1_" + g.s(URLSAFE, 43)
        else:
            v = ("FlyV1 " if kind == "FlyV1" else "") + "fm2_lJPE" + base64.b64encode(g.bytes(420)).decode().rstrip("=")
        add("flyio-token", fname, fn(v), v)

    for fname, fn, kind in [("supabase_admin.py", lambda v: py_assign("SUPABASE_ACCESS_TOKEN", v), "sbp"), ("supabaseClient.js", lambda v: js_const("SUPABASE_SERVICE_ROLE_KEY", v) + "const SUPABASE_URL = 'https://abcdefghijklmnopqrst.supabase.co';\n", "jwt"), ("docker-compose.yml", lambda v: compose_map("SUPABASE_ACCESS_TOKEN", v), "sbp")]:
        if kind == "sbp":
            while True:
                v = "sbp_" + g.hexs(40)
                if sum(c.isdigit() for c in v) >= 2:
                    break
        else:
            v = jwt_hs256(g, {"iss": "supabase", "ref": g.s(string.ascii_lowercase, 20), "role": "service_role", "iat": 1700000000, "exp": 2000000000})
        add("supabase-key", fname, fn(v), v)

    for fname, fn in [("push.py", lambda v: py_assign("FCM_SERVER_KEY", v)), ("firebase-messaging.js", lambda v: js_const("firebaseServerKey", v))]:
        v = "AAAA" + g.s(URLSAFE, 7) + ":APA91b" + g.s(URLSAFE, 134)
        add("firebase", fname, fn(v), v)
    d, _ = gcp_sa("acme-app-" + g.digits(5), "firebase-adminsdk-" + g.s(string.ascii_lowercase + string.digits, 5))
    add("firebase", "firebase_admin.py", PY_HEAD + "\nimport firebase_admin\nCRED = " + json.dumps(d, indent=4) + "\n" + PY_TAIL, d["private_key"].splitlines()[1])

    # Passwords in URLs, including = $ + % in the password.
    for fname, scheme, fn in [
        ("settings.py", "postgresql", lambda u: py_assign("DATABASE_URL", u)),
        ("docker-compose.yml", "mongodb+srv", lambda u: compose_env("MONGO_URL", u)),
        ("application.properties", "redis", lambda u: properties("spring.redis.url", u)),
        ("worker.js", "amqp", lambda u: js_const("brokerUrl", u)),
        ("mirror.sh", "https", lambda u: sh_lines(f"git clone {u}")),
    ]:
        pw = g.password(14, symbols="=$+!")
        pw = pw[:3] + g.r.choice("=$+") + pw[3:7] + g.r.choice(["%2F", "%40", "%25"]) + pw[7:]
        host = {"postgresql": "db.internal:5432/orders", "mongodb+srv": "cluster0.ab1cd.mongodb.net/app", "redis": "cache.internal:6379/0", "amqp": "mq.internal:5672/%2F", "https": "git.internal/acme/app.git"}[scheme]
        user = g.r.choice(["app", "svc_orders", "deploy"])
        u = f"{scheme}://{user}:{pw}@{host}"
        add("password-in-url", fname, fn(u), pw)

    # Generic passwords, each form on its own line of an ordinary file.
    def pw() -> str:
        return g.password(g.r.randint(12, 18))

    for fname in ["wp-config.php", "includes/config.php"]:
        p = pw()
        add("password:php-define", fname, php_file(f"define('DB_PASSWORD', '{p}');"), p)
    for fname, mk in [
        ("conf/server.xml", lambda p: '<?xml version="1.0"?>\n<Server port="8005">\n  <Resource name="jdbc/orders" auth="Container" type="javax.sql.DataSource">\n    <username>orders</username>\n    <password>' + p + "</password>\n  </Resource>\n</Server>\n"),
        ("src/main/resources/datasource.xml", lambda p: '<?xml version="1.0" encoding="UTF-8"?>\n<datasources>\n  <datasource jndi-name="java:/OrdersDS">\n    <connection-url>jdbc:mysql://db.internal:3306/orders</connection-url>\n    <security>\n      <user-name>orders</user-name>\n      <password>' + p + "</password>\n    </security>\n  </datasource>\n</datasources>\n"),
        ("web.config", lambda p: web_config("DbPassword", p)),
    ]:
        p = pw()
        add("password:xml", fname, mk(p), p)
    for fname, mk in [("ftp_upload.py", lambda p: PY_HEAD + f'\nFTP_HOST = "ftp.internal"\nuser = "uploader"\npass_ = \'{p}\'\n' + PY_TAIL),
                      ("mail.ini", lambda p: ini_cfg("smtp", "pass", p)),
                      ("settings.php", lambda p: php_file(f'$pass = "{p}";'))]:
        p = pw()
        add("password:pass-assign", fname, mk(p), p)
    for fname, mk in [("deploy.sh", lambda p: sh_lines(f"./manage.py createsuperuser --username admin --password={p} --noinput")),
                      ("Makefile", lambda p: makefile(f"psql-migrate --user=orders --password={p} --host=db.internal")),
                      ("Dockerfile", lambda p: dockerfile_env("APP_ENV", "production").replace("COPY . .", f"RUN ./bin/setup --password={p}\nCOPY . ."))]:
        p = pw()
        add("password:cli-flag", fname, mk(p), p)
    for fname, mk in [("backup.sh", lambda p: sh_lines(f"mysqldump -h db.internal -u backup -p{p} orders > /backups/orders.sql")),
                      ("docker-compose.yml", lambda p: "services:\n  db:\n    image: mysql:8\n    healthcheck:\n      test: [\"CMD-SHELL\", \"mysql -uroot -p" + p + " -e 'SELECT 1'\"]\n      interval: 10s\n"),
                      ("README.md", lambda p: readme(f"mysql -u admin -p{p} -h 10.0.3.17 reporting"))]:
        p = g.password(14, symbols="#%+-_")
        add("password:mysql-p", fname, mk(p), p)
    for fname, mk in [("config/database.yml", lambda p: "production:\n  adapter: postgresql\n  host: db.internal\n  username: orders\n  password: " + p + "\n  pool: 5\n"),
                      ("settings.yaml", lambda p: yaml_nested("smtp", "password", p)),
                      ("application.yml", lambda p: "spring:\n  datasource:\n    url: jdbc:postgresql://db.internal/orders\n    username: orders\n    password: '" + p + "'\n")]:
        p = pw()
        add("password:yaml", fname, mk(p), p)
    for fname, mk in [("conftest_fixtures.py", lambda p: PY_HEAD + f'\nmock_password = "{p}"\n' + PY_TAIL),
                      ("mocks.js", lambda p: js_const("mockApiToken", p)),
                      ("mock_settings.py", lambda p: py_assign("MOCK_DB_PASSWORD", p))]:
        p = pw() if "Token" not in fname else g.s(ALNUM, 32)
        if fname == "mocks.js":
            p = g.s(ALNUM, 32)
        add("password:mock-name", fname, mk(p), p)
    for fname, mk in [("config.json", lambda p: json_cfg("password", p)), ("db_setup.ipynb", lambda p: ipynb(f'import psycopg2\nconn = psycopg2.connect(host="db.internal", user="analyst", password="{p}")'))]:
        p = pw()
        add("password:json-or-kwarg", fname, mk(p), p)
    for fname, mk in [("appsettings.json", lambda p: json.dumps({"ConnectionStrings": {"Default": f"Server=sql.internal;Database=Orders;User Id=orders;Password={p};"}}, indent=2) + "\n"),
                      ("Program.cs", lambda p: 'using System.Data.SqlClient;\n\nclass Program {\n    static void Main() {\n        var cs = "Server=sql.internal;Database=Orders;User ID=sa;Password=' + p + ';";\n        using var conn = new SqlConnection(cs);\n    }\n}\n')]:
        p = pw()
        add("password:connection-string", fname, mk(p), p)

    # A few extra widely used token formats.
    for fname, fn in [("cf.py", lambda v: py_assign("CLOUDFLARE_API_TOKEN", v)), ("wrangler.sh", lambda v: sh_export("CLOUDFLARE_API_TOKEN", v))]:
        v = g.s(URLSAFE, 40)
        add("cloudflare-api-token", fname, fn(v), v)
    for fname, fn in [("mailchimp.py", lambda v: py_assign("MAILCHIMP_API_KEY", v)), ("newsletter.js", lambda v: js_const("mailchimpKey", v))]:
        v = g.hexs(32) + "-us" + str(g.r.randint(1, 21))
        add("mailchimp-api-key", fname, fn(v), v)
    for fname, fn in [("ai.py", lambda v: py_assign("GEMINI_API_KEY", v)), ("main.rs", lambda v: rust_const("API_KEY", v))]:
        v = "AIza" + g.s(URLSAFE, 35)
        add("google-api-key", fname, fn(v), v)
    for fname, fn in [("okta_sync.py", lambda v: py_assign("OKTA_API_TOKEN", v)), ("okta.h", lambda v: c_define("OKTA_TOKEN", v))]:
        v = "00" + g.s(URLSAFE, 40)
        add("okta-api-token", fname, fn(v), v)
    return C


def corpus(seed: int = 0) -> list[Case]:
    return _cases(Gen(seed))


if __name__ == "__main__":  # python tests/harvest/secret_corpus.py [SEED]: the families and their counts
    import collections
    import sys

    cases = corpus(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    fams = collections.Counter(c.family for c in cases)
    print(f"{len(cases)} cases, {len(fams)} families")
    for f, n in sorted(fams.items()):
        print(f"  {f}: {n}")


# --- held-out cases: written after the rules of extra_rules.py, never used to tune them -------
def holdout(seed: int = 100) -> list[Case]:
    """Other phrasings of the same families, to check that rules were not fitted to corpus()."""
    g = Gen(seed)
    C: list[Case] = []

    def add(family: str, filename: str, text: str, secret: str) -> None:
        assert secret in text or json.dumps(secret)[1:-1] in text, (family, filename)
        C.append(Case(family, filename, text, secret))

    def pw() -> str:
        return g.password(g.r.randint(12, 18))

    p = pw(); add("password:php-array", "config/database.php", "<?php\n\nreturn [\n    'mysql' => [\n        'host' => 'db.internal',\n        'username' => 'orders',\n        'password' => '" + p + "',\n    ],\n];\n", p)
    p = pw(); add("password:php-var", "inc/db.php", php_file(f'$db_password = "{p}";'), p)
    p = pw(); add("password:xml", "Properties/PublishProfiles/prod.pubxml", '<?xml version="1.0" encoding="utf-8"?>\n<Project>\n  <PropertyGroup>\n    <UserName>$deploy</UserName>\n    <Password>' + p + "</Password>\n  </PropertyGroup>\n</Project>\n", p)
    p = pw(); add("password:xml", "applicationContext.xml", '<beans>\n  <bean id="ds" class="org.apache.commons.dbcp2.BasicDataSource">\n    <property name="username" value="orders"/>\n    <property name="password" value="' + p + '"/>\n  </bean>\n</beans>\n', p)
    p = pw(); add("password:cli-env", "migrate.sh", sh_lines(f"PGPASSWORD='{p}' psql -h db.internal -U orders -f schema.sql"), p)
    p = pw(); add("password:cli-flag", "jump.sh", sh_lines(f"sshpass -p '{p}' ssh deploy@bastion.internal uptime"), p)
    p = pw(); add("password:cli-flag", "cache_flush.sh", sh_lines(f"redis-cli -h cache.internal -a {p} FLUSHALL"), p)
    p = g.password(14, symbols="#%+-_"); add("password:mysql-p", "Jenkinsfile", "pipeline {\n  agent any\n  stages {\n    stage('backup') {\n      steps {\n        sh 'mysqldump --user=backup --password=" + p + " orders > dump.sql'\n      }\n    }\n  }\n}\n", p)
    p = pw(); add("password:yaml", "group_vars/db.yml", f"db_host: db.internal\ndb_user: orders\ndb_pass: {p}\n", p)
    p = pw(); add("password:properties", "src/main/resources/application-prod.properties", properties("spring.datasource.password", p), p)
    p = pw(); add("password:shell-var", "env.sh", sh_export("DB_PASS", p), p)
    p = pw(); add("password:go-struct", "db.go", 'package db\n\nimport "github.com/go-sql-driver/mysql"\n\nvar cfg = mysql.Config{\n\tUser:   "orders",\n\tPasswd: "' + p + '",\n\tNet:    "tcp",\n\tAddr:   "db.internal:3306",\n}\n', p)
    p = pw(); add("password:java-call", "Db.java", 'import java.sql.*;\n\nclass Db {\n    static Connection open() throws SQLException {\n        return DriverManager.getConnection("jdbc:postgresql://db.internal/orders", "orders", "' + p + '");\n    }\n}\n', p)
    p = pw(); add("password:csharp-call", "Mailer.cs", 'using System.Net;\n\nclass Mailer {\n    static ICredentialsByHost Creds() => new NetworkCredential("noreply@acme.io", "' + p + '");\n}\n', p)
    pw_ = g.password(14, symbols="=$+!") + "%40" + g.s(ALNUM, 3)
    add("password-in-url", "celeryconfig.py", py_assign("broker_url", f"redis://:{pw_}@cache.internal:6379/1"), pw_)
    pw_ = g.password(12, symbols="$+=") + "%25"
    add("password-in-url", "values.yaml", f"externalDatabase:\n  url: postgres://orders:{pw_}@db.internal/orders\n", pw_)
    v = g.crc_b62_token("ghp_"); add("github-pat-classic", "sync_repo.sh", sh_lines(f"git remote set-url origin https://x-access-token:{v}@github.com/acme/app.git"), v)
    v = g.crc_b62_token("ghs_"); add("github-app-ghs", "ci.json", json.dumps({"steps": [{"run": "gh api /repos", "env": {"GH_TOKEN": v}}]}, indent=2), v)
    v = f"xoxb-{g.digits(12)}-{g.digits(13)}-{g.s(ALNUM, 24)}"; add("slack-bot-xoxb", "slack.json", json.dumps({"bot": {"token": v, "channel": "#ops"}}, indent=2), v)
    v = "sk_live_51" + g.s(ALNUM, 97); add("stripe-sk-live", "payments.rb", ruby_init("STRIPE_KEY", v), v)
    v = f"https://discord.com/api/webhooks/{g.digits(18)}/{g.s(ALNUM + '-', 68)}"; add("discord-webhook", "alerting.yaml", yaml_nested("discord", "webhook_url", v), v)
    v = "hf_" + g.s(string.ascii_letters, 34); add("huggingface-token", "setup_models.sh", sh_lines(f"huggingface-cli login --token {v}"), v)
    v = g.crc_b62_token("npm_"); add("npm-token", "Dockerfile", dockerfile_env("NODE_ENV", "production").replace("COPY . .", f'RUN echo "//registry.npmjs.org/:_authToken={v}" > .npmrc\nCOPY . .'), v)
    v = g.age_key(); add("age-secret-key", "Makefile", makefile(f"echo {v} | age -d -i - secrets.age > secrets.yaml"), v)
    k = "AKIA" + g.s(string.ascii_uppercase + "234567", 16); s = g.s(ALNUM + "+/", 40)
    add("aws-access-key+secret", "aws.properties", properties("aws.accessKeyId", k) + f"aws.secretKey={s}\n", k)
    d = {"type": "service_account", "project_id": "acme-" + g.digits(6), "private_key_id": g.hexs(40), "private_key": rsa_pem(g, pkcs8=True),
         "client_email": "ci@acme-x.iam.gserviceaccount.com", "client_id": g.digits(21), "auth_uri": "https://accounts.google.com/o/oauth2/auth",
         "token_uri": "https://oauth2.googleapis.com/token", "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs"}
    add("gcp-service-account", "k8s/gcp-secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: gcp\nstringData:\n  key.json: |\n" + "".join("    " + l + "\n" for l in json.dumps(d, indent=2).splitlines()), d["private_key"].splitlines()[1])
    pem = ec_pem(g); add("private-key-pem", "keys.json", json.dumps({"signing_key": pem}, indent=2) + "\n", pem.splitlines()[1])
    v = "dop_v1_" + g.hexs(64); add("digitalocean-pat", "do.yml", gha("DIGITALOCEAN_ACCESS_TOKEN", v), v)
    v = "glpat-" + g.s(URLSAFE, 20); add("gitlab-pat", "renovate.json", json.dumps({"platform": "gitlab", "token": v}, indent=2), v)
    v = "AAAA" + g.s(URLSAFE, 7) + ":APA91b" + g.s(URLSAFE, 134); add("firebase", "fcm.yaml", yaml_nested("fcm", "server_key", v), v)
    v = g.s(B32L, 52); add("azure-devops-pat", "nuget.sh", sh_lines(f"dotnet nuget add source https://pkgs.dev.azure.com/acme/_packaging/feed/nuget/v3/index.json -u build -p {v} --store-password-in-clear-text"), v)
    return C
