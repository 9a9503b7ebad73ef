"""Our own screening rules, the first of the two layers in secrets.py (the fast one, with our own names).

Rules follow detect-secrets (Yelp): its plugins' `denylist` regexes and heuristics decide, plus a few
rules it lacks (Google API keys, GitHub fine-grained PATs, newer OpenAI/Anthropic keys, encrypted
PKCS#8 keys, and `password = "..."`-style assignments whose value looks random).

Speed matters more than elegance here: this runs on every file of a crawl. Running detect-secrets'
per-line scan (or one regex per rule) over every file costs several times tree-sitter parsing, so
one combined prefilter regex finds cheap anchors in a single pass, and only its rare hits get the
precise per-rule checks. Every anchor starts with a literal character, mostly a rare one (`A`, `J`,
`-`, the `w` of password, the `k` of token), which lets `re` skip ahead to candidate positions;
lookbehinds check the letters before the anchor. The stdlib (1,800 files, 31 MB) screens in ~0.2 s.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from urllib.parse import unquote

from vjepa_core.harvest.offline import without_requests

with without_requests():  # detect-secrets imports requests only to verify secrets online: never here
    from detect_secrets.filters.heuristic import is_potential_uuid, is_sequential_string
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.basic_auth import BasicAuthDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.mailchimp import MailchimpDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.private_key import PrivateKeyDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.square_oauth import SquareOAuthDetector
    from detect_secrets.plugins.stripe import StripeDetector
    from detect_secrets.plugins.twilio import TwilioKeyDetector

_HARDCODED_PW = "hard-coded password"
_HIGH_ENTROPY = "high-entropy secret"

# A check looks at the text around an anchor hit and returns the reason, or None for a false alarm.
_Check = Callable[[str, int], str | None]


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


# Values people write where a real secret would go; none of these is ever a live credential.
_PLACEHOLDER = re.compile(
    r"change.?me|example|placeholder|your|dummy|fake|sample|redacted|replace|insert|todo|fixme|"
    r"test|demo|mock|foobar|secret|passw|token|environ|getenv|xmpl|xxx|\*\*\*|\.\.\."
    # Templates and interpolation: $VAR, ${VAR}, $(cmd), {{ var }}, f"{expr}", %(name)s, <your-key>.
    r"|^\$|\$[{(]|\{\{|\{[^{}\s]*\}|%\(|<[^<>]*>",
    re.IGNORECASE,
)


# Leetspeak spellings of placeholders ("P@55w0rd") are placeholders too.
_UNLEET = str.maketrans("013457@$", "oieastas")


def _is_placeholder(value: str) -> bool:
    plain = value.translate(_UNLEET)
    return bool(_PLACEHOLDER.search(value) or _PLACEHOLDER.search(plain)) or len(set(value.lower())) <= 3


# Numbers, and values naming where a secret lives (ARNs, URNs, URLs, file paths) rather than holding
# it. A path ends in an extension or is all lower case: base64 that starts with "/" is neither.
_NUMBER_OR_REFERENCE = re.compile(
    r"[-+]?[\d_.]+$|arn:|urn:|[a-zA-Z][a-zA-Z0-9+.-]*://"
    r"|(?:~|\.\.?)?/(?:[\w.-]+/)*[\w-]+\.[a-z]{2,4}$|(?:~|\.\.?)?/[a-z0-9_.-]+(?:/[a-z0-9_.-]+)+$"
)


def _looks_random(value: str, min_len: int = 8) -> bool:
    """A generated secret uses most of the alphabet it draws from, so its entropy is near the maximum."""
    hex_only = all(c in "0123456789abcdefABCDEF" for c in value)
    # Hex is 4 bits a character: digests and ids in hex need more length to pass for a secret.
    if len(value) < (min_len * 3 // 2 if hex_only else min_len) or _is_placeholder(value):
        return False
    if is_sequential_string(value) or is_potential_uuid(value):
        return False
    # Words and identifiers ("privateKeyUsagePeriod", "Access-Control-Allow-Credentials") have no
    # digits, where all but 1 in 250 random strings of 32 characters have some.
    if not any(c.isdigit() for c in value) or _NUMBER_OR_REFERENCE.match(value):
        return False
    # The ceiling is log2 of the length, capped where a random string stops using new characters.
    # 0.75 of it keeps 99% of random strings of 12+ characters; the name already said "secret".
    ceiling = math.log2(min(len(value), 16 if hex_only else 40))
    return _entropy(value) >= 0.75 * ceiling


def _line(text: str, pos: int, reach: int = 400) -> str:
    """The line around `pos`, clipped so that a minified one-line file does not cost its length."""
    low = max(0, pos - reach)
    start = text.rfind("\n", low, pos)
    end = text.find("\n", pos, pos + reach)
    return text[low if start < 0 else start + 1 : pos + reach if end < 0 else end]


def _token(kind: str, patterns: Sequence[re.Pattern[str]], back: int = 12) -> _Check:
    """Check: a detect-secrets pattern matches over the anchor, starts a word, and looks random."""

    def check(text: str, pos: int) -> str | None:
        start = max(0, pos - back)
        for pattern in patterns:
            for m in pattern.finditer(text, start, pos + 1200):
                if m.start() > pos:
                    break
                token = m.group()
                at_word_start = m.start() == 0 or not text[m.start() - 1].isalnum()
                if m.end() > pos and at_word_start and not _is_placeholder(token) and _entropy(token) >= 3:
                    return kind
        return None

    return check


# GitHub fine-grained PATs, OpenAI project keys and Anthropic keys postdate detect-secrets 1.5.
_GITHUB_PAT = re.compile(r"github_pat_[A-Za-z0-9_]{60,}")
_OPENAI_PROJECT = re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}")
_ANTHROPIC = re.compile(r"sk-ant-[a-z]{3,5}\d\d-[A-Za-z0-9_-]{80,}")
_GOOGLE_API = re.compile(r"AIza[0-9A-Za-z_-]{35}")


def _jwt(text: str, pos: int) -> str | None:
    m = JwtTokenDetector.denylist[0].match(text, pos - 2, pos + 8192)
    if m and len(m.group()) >= 30 and JwtTokenDetector.is_formally_valid(m.group()):
        return "JSON web token"
    return None


_ENCRYPTED_KEY = re.compile(r"BEGIN ENCRYPTED PRIVATE KEY|PuTTY-User-Key-File-\d")
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")


def _private_key(text: str, pos: int) -> str | None:
    # A header alone is a parser or a doc talking about keys; a stored key has a base64 body.
    line = text[max(0, pos - 40) : pos + 40]
    header = any(p.search(line) for p in PrivateKeyDetector.denylist) or _ENCRYPTED_KEY.search(line)
    return "private key" if header and _KEY_BODY.search(text, pos, pos + 300) else None


_URL_PLACEHOLDER = re.compile(r"(?:pass|pw)\w*", re.IGNORECASE)


def _basic_auth(text: str, pos: int) -> str | None:
    m = BasicAuthDetector.denylist[0].match(text, pos - 1)
    if not m:
        return None
    # Percent-encoding is spelling, not entropy: `pass%20pass` is still the word "pass" twice.
    password = unquote(m.group(1))
    if _URL_PLACEHOLDER.fullmatch(re.sub(r"[^A-Za-z0-9]", "", password)):
        return None
    # `user:pass@`, `joe:password1@`, `evil:thing@` are documentation; a real one has a digit or symbol.
    if len(password) < 6 or password.isalpha() or _URL_PLACEHOLDER.fullmatch(password):
        return None
    return None if _is_placeholder(password) else "password in URL"


# --- `name = "value"` assignments (the detect-secrets KeywordDetector idea, made stricter) ---

# Optional type annotation (`password: str = ...`), then the operator of Python, JS, YAML, JSON,
# TOML, .env, PHP (`=>`) or Go (`:=`).
_OPERATOR = r"""['"\]]{0,2}(?:[ \t]*:[ \t]*[\w.\[\]|, ]{1,40}?)?[ \t]*(?::=|=>|[:=])[ \t]*"""
# Group 1: a quoted literal. Group 2: a bare value, which must end the line, or it is an expression
# (`os.environ["PW"]`, a call). No named groups or backreferences: this is repeated in the prefilter.
_VALUE = (
    r"""(?:[bBrRuU]{0,2}['"`]([^'"`\s]{8,4096})['"`]"""
    r"""|([^\s'"`,;()\[\]{}<>=]{8,4096}={0,2})[ \t\r]*(?:$|[#;]))"""
)
_ASSIGNMENT = re.compile(_OPERATOR + _VALUE, re.MULTILINE)
_SECRET_NAME = re.compile(
    r"(pass(?:word|wd|phrase)?|pwd|secret|token|credential|"
    r"(?:api|access|private|secret|auth|signing|encryption|master|client|app|account|service|session"
    r"|consumer|license|admin|webhook|deploy|bot)[_-]?key)s?(?![a-z])(?P<rest>\w*)"
)
# Names of values that are not secrets though their names say token: pagination and request ids.
_NOT_SECRET_PREFIX = re.compile(
    r"(?:next|page|continuation|pagination|cursor|sync|change|update|idempotency|request|output|input)[_-]?$"
)
# Names that hold metadata about a secret, not the secret itself.
_NOT_SECRET_SUFFIX = re.compile(
    r"[_-]?(?:url|uri|path|file|filename|dir|name|type|id|len|length|size|count|field|prompt|env|var"
    r"|header|hash|endpoint|kind|format|label|regex|pattern|re|hint|policy|ttl|timeout|expiry|expires"
    r"|mode|index|class|func|method|attr|msg|message|error|prefix|suffix|char|chars|source)s?\d*$"
)
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.\w+)+")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _assignment(text: str, pos: int) -> str | None:
    start = pos
    while start > 0 and pos - start < 80 and text[start - 1] in _NAME_CHARS:
        start -= 1
    end = pos
    while end < len(text) and end - pos < 80 and text[end] in _NAME_CHARS:
        end += 1
    name = text[start:end].rsplit(".", 1)[-1].lower()
    m = _ASSIGNMENT.match(text, end)
    found = _SECRET_NAME.search(name)
    if not m or not found or _NOT_SECRET_SUFFIX.match(found.group("rest")):
        return None
    if _NOT_SECRET_PREFIX.search(name, 0, found.start()):
        return None
    value = m.group(1) or m.group(2)
    if m.group(2) and _DOTTED_NAME.fullmatch(value):
        return None  # `secret = settings.SECRET_KEY` refers to a secret kept elsewhere
    is_password = found.group(1).startswith(("pass", "pwd"))
    # Passwords may be short; a token or key shorter than 16 characters is almost never one.
    if not _looks_random(value, 8 if is_password else 16):
        return None
    # A value that is itself a known token (`GITHUB_TOKEN=ghp_...`) gets the more telling reason.
    specific = find_own_secret(value)
    if specific:
        return specific
    if "aws" in name or AWSKeyDetector.denylist[1].search(_line(text, pos)):
        return "AWS secret key"
    return _HARDCODED_PW if is_password else _HIGH_ENTROPY


# The prefilter only reports a secret-ish word when an assignment of a long enough value follows.
_ASSIGN_AHEAD = r"(?=[\w.-]{0,40}" + _OPERATOR + _VALUE + ")"
_KEYWORD_ANCHORS = tuple(
    anchor + _ASSIGN_AHEAD
    for anchor in (
        r"word(?<=[pP]assword)",
        r"WORD(?<=PASSWORD)",
        r"wd(?<=[pP]asswd)",
        r"WD(?<=PASSWD)",
        r"wd(?<=[pP]wd)",
        r"WD(?<=PWD)",
        r"SS(?<=PASS)",
        r"cret(?<=[sS]ecret)",
        r"CRET(?<=SECRET)",
        r"ken(?<=[tT]oken)",
        r"KEN(?<=TOKEN)",
        r"key(?<=\wkey)",
        r"Key(?<=[a-z0-9-]Key)",
        r"KEY(?<=[\w-]KEY)",
        r"credential",
        r"Credential",
        r"CREDENTIAL",
    )
)

# (anchors, check). An anchor starts with a literal character and tests literal characters before
# any lookbehind, so most positions are rejected in a few steps. Anchors consume little, so a
# harmless hit does not hide another anchor just after it.
_RULES: tuple[tuple[tuple[str, ...], _Check], ...] = (
    ((r"PRIVATE KEY(?: BLOCK)?-----", r"PuTTY-User-Key-File-"), _private_key),
    ((r"A(?:KIA|SIA|BIA|CCA|3T)",), _token("AWS access key", AWSKeyDetector.denylist[:1])),
    ((r"gh[pousr]_", r"github_pat_"), _token("GitHub token", [*GitHubTokenDetector.denylist, _GITHUB_PAT])),
    (
        (r"gl(?:pat|dt|ft|rt|soat|cbt|imt|ptt|oas|agent)-", r"GR1348941"),
        _token("GitLab token", GitLabTokenDetector.denylist),
    ),
    ((r"-(?<=xox[abposr]-)",), _token("Slack token", SlackDetector.denylist[:1])),
    (
        (r"/services/T(?<=hooks\.slack\.com/services/T)",),
        _token("Slack webhook", SlackDetector.denylist[1:], back=30),
    ),
    ((r"k_live_",), _token("Stripe key", StripeDetector.denylist)),
    ((r"J(?<=eyJ)(?=[\w=-]{8,300}\.[\w=-]{8})",), _jwt),
    ((r"AIza",), _token("Google API key", [_GOOGLE_API])),
    ((r"AccountKey=",), _token("Azure storage key", AzureStorageKeyDetector.denylist)),
    ((r"J(?<=T3BlbkFJ)",), _token("OpenAI API key", OpenAIDetector.denylist, back=120)),
    (
        (r"-proj-(?<=sk-proj-)", r"-svcacct-(?<=sk-svcacct-)", r"-admin-(?<=sk-admin-)"),
        _token("OpenAI API key", [_OPENAI_PROJECT]),
    ),
    ((r"-ant-(?<=sk-ant-)",), _token("Anthropic API key", [_ANTHROPIC])),
    ((r"-AgE(?<=pypi-AgE)",), _token("PyPI token", PypiTokenDetector.denylist)),
    ((r"SG\.",), _token("SendGrid API key", SendGridDetector.denylist)),
    ((r"-(?<=sq0csp-)",), _token("Square OAuth secret", SquareOAuthDetector.denylist)),
    ((r"AC(?=[a-z0-9]{32})", r"SK(?=[a-z0-9]{32})"), _token("Twilio API key", TwilioKeyDetector.denylist)),
    (
        (r"-us[0-9](?<=[0-9a-z]{32}-us[0-9])",),
        _token("Mailchimp API key", MailchimpDetector.denylist, back=33),
    ),
    ((r"//(?<=://)(?=[^\s/@:]+:[^\s/@]+@)",), _basic_auth),
    (_KEYWORD_ANCHORS, _assignment),
)

SECRET_KINDS: tuple[str, ...] = (
    "private key",
    "AWS access key",
    "AWS secret key",
    "GitHub token",
    "GitLab token",
    "Slack token",
    "Slack webhook",
    "Stripe key",
    "JSON web token",
    "Google API key",
    "Azure storage key",
    "OpenAI API key",
    "Anthropic API key",
    "PyPI token",
    "SendGrid API key",
    "Square OAuth secret",
    "Twilio API key",
    "Mailchimp API key",
    "password in URL",
    _HARDCODED_PW,
    _HIGH_ENTROPY,
)

# Hits are dispatched on their first character to the few anchors that start with it.
_BY_FIRST_CHAR: dict[str, list[tuple[re.Pattern[str], _Check]]] = {}
for _anchors, _check in _RULES:
    for _anchor in _anchors:
        assert _anchor[0] in _NAME_CHARS | {":", "/"} and _anchor[1] not in "?*+{", _anchor
        _BY_FIRST_CHAR.setdefault(_anchor[0], []).append((re.compile(_anchor, re.MULTILINE), _check))
# Grouped by first character, `re` compares each position against one character set and then a
# handful of alternatives instead of every anchor (about 1.5x faster than a flat alternation).
_PREFILTER = re.compile(
    "|".join(
        re.escape(first) + "(?:" + "|".join(anchor.pattern[1:] for anchor, _ in anchors) + ")"
        for first, anchors in _BY_FIRST_CHAR.items()
    ),
    re.MULTILINE,
)


def find_own_secret(text: str) -> str | None:
    """Return a short human reason ("private key", "AWS access key", "GitHub token",
    "high-entropy secret", ...) for the first secret found, or None if the text looks clean.
    Never returns or logs the secret itself."""
    for hit in _PREFILTER.finditer(text):
        pos = hit.start()
        for anchor, check in _BY_FIRST_CHAR[text[pos]]:
            if anchor.match(text, pos):
                reason = check(text, pos)
                if reason:
                    return reason
    return None
