"""Content screening: a file that holds a credential is skipped as a whole, never stored.

Two layers, both offline and in-process:
1. Our own rules (secret_rules.py, detect-secrets' plugins behind one prefilter regex): fast, and
   the source of our plain family names ("private key", "password in URL", ...).
2. Kingfisher (MongoDB's `kingfisher-secret-scanner`, Apache-2.0, a Rust engine): its catalogue of
   provider formats, plus our rules in its format (secret_rules.yml) for what the catalogue misses.
   Findings of generic rules (passwords, generic keys, credential URIs) count only when the value
   looks generated (`looks_generated`): `password = "password"` and `user:pass@` are documentation.

Measured on a corpus of 196 secrets in 67 formats and on clean trees (docs/BENCHMARKS.md): our rules
alone caught 139, Kingfisher with our rule file 196, the two together 196 with no more false
positives than either; screening the stdlib (37 MB) takes about 0.2 s per layer.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from vjepa_core.harvest.secret_rules import SECRET_KINDS, find_own_secret

__all__ = ["SECRET_KINDS", "engine_family", "find_engine_secret", "find_secret", "looks_generated"]

RULE_FILE = "secret_rules.yml"
APP_NAME = "vjepa-swarm"
# Prefixes of Kingfisher's rule ids, dropped from the family a user sees: betterleaks.github-pat -> "github pat".
_RULE_PREFIXES = ("custom.vjepa.", "betterleaks.", "kingfisher.", "veles.secrets/", "veles.")

_PLACEHOLDER = re.compile(
    r"change.?me|example|placeholder|your|dummy|fake|sample|redacted|replace|insert|todo|fixme|"
    r"test|demo|foobar|secret|passw|token|environ|getenv|xxx|\*\*\*|\.\.\."
    # the commonest weak passwords and keyboard runs: documentation, never a generated value
    r"|abc|123|qwert|asdf|letmein|hunter|admin|guest|welcome|s3cr3t|p4ss|changeit"
    # templates: $VAR, ${VAR}, $(cmd), {{ var }}, {expr}, %(name)s, <your-key>, @VAR@
    r"|^\$|\$[{(]|\{\{|\{[^{}\s]*\}|%\(|<[^<>]*>|^@\w+@$",
    re.IGNORECASE,
)
# file names, dotted references (self.password, settings.DB_PASS)
_NAME_LIKE = re.compile(r"[\w.-]+\.[a-z]{2,4}|[A-Za-z_]\w*(\.\w+)+")
_URI_PASSWORD = re.compile(r"://[^:/@\s]*:([^@/\s]+)@")
_HEX = frozenset("0123456789abcdefABCDEF")
_UNLEET = str.maketrans("013457@$", "oieastas")  # P@55w0rd -> password
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")

_lock = threading.Lock()
_scanner: Any = None  # kingfisher_sdk.Scanner, built on first use (0.3 s with its rule cache, 3 s without)


def _entropy(value: str) -> float:
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def looks_generated(value: str, min_len: int = 8) -> bool:
    """A value a machine made, not a word a person typed: no placeholder or template, a digit and a
    letter, not a name or a call, and near-maximal entropy for its length (hex judged on its own
    ceiling: 4 bits a character, reached at 16 characters)."""
    value = unquote(value)
    if len(value) < min_len or len(set(value.lower())) <= 3 or _UUID.fullmatch(value):
        return False  # short, a run of one character, or an id (request ids, not credentials)
    if _PLACEHOLDER.search(value) or _PLACEHOLDER.search(value.translate(_UNLEET)):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    if _NAME_LIKE.fullmatch(value) or re.search(r"[()\[\]]", value):
        return False
    ceiling = 16 if all(c in _HEX for c in value) else 40
    return _entropy(value) >= 0.75 * math.log2(min(len(value), ceiling))


def _is_generic(rule_id: str) -> bool:
    return "generic-" in rule_id or rule_id.endswith(".generic")


def engine_family(rule_id: str) -> str:
    """The family a user sees for a Kingfisher rule: 'betterleaks.slack-bot-token' -> 'slack bot token'."""
    name = rule_id.removesuffix(".generic")
    for prefix in _RULE_PREFIXES:
        name = name.removeprefix(prefix)
    return name.replace("-", " ").replace("_", " ").replace(".", " ").strip() or rule_id


def _cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME)) / "kingfisher"


def _engine() -> Any:
    global _scanner
    if _scanner is None:
        import kingfisher_sdk as kf

        rules = resources.files("vjepa_core.harvest") / RULE_FILE
        with resources.as_file(rules) as path:
            compiled = kf.Rules([str(path)], confidence="medium", cache_dir=str(_cache_dir()))
        # dedup off: with it, a value seen in one file is not reported in the next. redact off: the
        # value check needs the value; findings are dropped right after it and never leave here.
        _scanner = kf.Scanner(compiled, base64=True, dedup=False, redact=False)
    return _scanner


def rules_ready() -> bool:
    """Whether the engine's compiled rules are in memory (a screen now compiles nothing)."""
    return _scanner is not None


def release_rules() -> None:
    """Let the compiled rules go (about 55 MB of memory, half of it handed back at once): for a
    process that has screened its last file. The next screen compiles them again (0.5 s)."""
    global _scanner
    with _lock:
        _scanner = None


def _plausible(rule_id: str, value: str) -> bool:
    """The catalogue's format rules trust the format; these cheap checks drop what no issuer makes:
    `sk_live_000...` (a run of one character at the end) and a private-key header with no key."""
    if len(value) >= 16 and len(set(value[-16:])) <= 4:
        return False
    header_only = rule_id.endswith("private-key") and "PRIVATE KEY" in value and not _KEY_BODY.search(value)
    return not header_only


def find_engine_secret(text: str) -> str | None:
    """The Kingfisher layer alone (the benchmark measures each layer)."""
    data = text.encode("utf-8", "surrogateescape")  # lone surrogates would make the engine raise
    with _lock:
        findings = _engine().scan(data)
    for finding in findings:
        if not finding.visible:  # a helper part (an AWS secret waiting for its key id)
            continue
        value = finding.secret or ""
        if not _plausible(finding.rule_id, value):
            continue
        if _is_generic(finding.rule_id):
            uri = _URI_PASSWORD.search(value)
            if not looks_generated(uri.group(1) if uri else value):
                continue
        return engine_family(finding.rule_id)
    return None


def find_secret(text: str) -> str | None:
    """A short family name ("private key", "slack bot token", "hard-coded password", ...) for the
    first secret found, or None if the text looks clean. Never returns or logs the secret itself."""
    return find_own_secret(text) or find_engine_secret(text)
