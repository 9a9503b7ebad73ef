"""Content screening with the real detect-secrets rules.

Every fake secret is assembled at run time from a seeded generator and split prefixes, so this file
itself holds nothing a secret scanner would (rightly) complain about.
"""

from __future__ import annotations

import base64
import json
import random
import string
import sysconfig
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vjepa_core.harvest.secrets import SECRET_KINDS, engine_family, find_secret

RNG = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
LOWER_HEX = "0123456789abcdef"
PW = ALNUM + "!#&*+-_.?"


def rand(n: int, alphabet: str = ALNUM) -> str:
    """A random string with the digit-and-letter mix of a generated secret."""
    while True:
        value = "".join(RNG.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def digits(n: int) -> str:
    return "".join(RNG.choice(string.digits) for _ in range(n))


def pem(label: str, escaped: bool = False) -> str:
    body = base64.b64encode(RNG.randbytes(190)).decode()
    lines = [f"-----BEGIN {label}-----", *(body[i : i + 64] for i in range(0, len(body), 64))]
    lines.append(f"-----END {label}-----")
    return "\\n".join(lines) if escaped else "\n".join(lines)


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


PRIV = "PRIVATE " + "KEY"
JWT = ".".join(
    [
        b64url({"alg": "HS256", "typ": "JWT"}),
        b64url({"sub": "42", "name": "Ada", "iat": 1700000000}),
        rand(43, URLSAFE),
    ]
)
GHP = "gh" + "p_" + rand(36)

# (id, planted text, expected reason)
POSITIVES = [
    ("rsa", "# deploy key\n" + pem("RSA " + PRIV) + "\n", "private key"),
    ("openssh", pem("OPENSSH " + PRIV), "private key"),
    ("ec", pem("EC " + PRIV), "private key"),
    ("pkcs8", pem(PRIV), "private key"),
    ("pkcs8-encrypted", pem("ENCRYPTED " + PRIV), "private key"),
    ("key-in-python-string", 'TEST_KEY = "' + pem("RSA " + PRIV, escaped=True) + '"\n', "private key"),
    (
        "putty",
        "PuTTY-User-"
        + "Key-File-2: ssh-rsa\nEncryption: none\nComment: me\nPublic-Lines: 2\n"
        + base64.b64encode(RNG.randbytes(96)).decode(),
        "private key",
    ),
    (
        "aws-key-id",
        "[default]\naws_access_key_id = " + "AK" + "IA" + rand(16, string.ascii_uppercase + string.digits),
        "AWS access key",
    ),
    ("aws-secret", 'aws_secret_access_key = "' + rand(40, B64) + '"', "AWS secret key"),
    ("aws-secret-slash", "aws_secret_access_key=/" + rand(39, B64), "AWS secret key"),
    ("github-env", "GITHUB_TOKEN=" + GHP + "\n", "GitHub token"),
    ("github-header", 'headers = {"Authorization": "token ' + GHP + '"}', "GitHub token"),
    ("github-pat", 'pat = "' + "github_" + "pat_" + rand(22) + "_" + rand(59) + '"', "GitHub token"),
    ("gitlab", "CI_PUSH = " + "gl" + "pat-" + rand(20, URLSAFE), "GitLab token"),
    (
        "slack",
        'SLACK = "' + "xo" + "xb-" + digits(12) + "-" + digits(13) + "-" + rand(24, LOWER_HEX + "ghk") + '"',
        "Slack token",
    ),
    (
        "slack-webhook",
        "url: https://hooks.slack.com/services/T"
        + rand(8, string.ascii_uppercase + string.digits)
        + "/B"
        + rand(8, string.ascii_uppercase + string.digits)
        + "/"
        + rand(24),
        "Slack webhook",
    ),
    ("stripe", "stripe.api_key = '" + "sk" + "_live_" + rand(24) + "'", "Stripe key"),
    ("jwt", "curl -H 'Authorization: Bearer " + JWT + "' https://api.internal/v1", "JSON web token"),
    ("google", 'const MAPS = "' + "AI" + "za" + rand(35, URLSAFE) + '";', "Google API key"),
    (
        "azure",
        "DefaultEndpointsProtocol=https;AccountName=acme;"
        + "Account"
        + "Key="
        + rand(86, B64)
        + "==;EndpointSuffix=core.windows.net",
        "Azure storage key",
    ),
    ("openai-legacy", "OPENAI = 'sk-" + rand(20) + "T3Blbk" + "FJ" + rand(20) + "'", "OpenAI API key"),
    ("openai-project", "client = OpenAI(api_key='sk-" + "proj-" + rand(80, URLSAFE) + "')", "OpenAI API key"),
    ("anthropic", "key: sk-" + "ant-api03-" + rand(93, URLSAFE) + "AA", "Anthropic API key"),
    ("pypi", "password = " + "pypi-" + "AgEIcHlwaS5vcmc" + rand(80, URLSAFE), "PyPI token"),
    (
        "sendgrid",
        "SENDGRID = '" + "S" + "G." + rand(22, URLSAFE) + "." + rand(43, URLSAFE) + "'",
        "SendGrid API key",
    ),
    ("square", "sq" + "0csp-" + rand(43, URLSAFE), "Square OAuth secret"),
    ("twilio", "TWILIO = '" + "S" + "K" + rand(32, LOWER_HEX) + "'", "Twilio API key"),
    ("mailchimp", "MAILCHIMP = '" + rand(32, LOWER_HEX) + "-us6'", "Mailchimp API key"),
    (
        "url-password",
        'DATABASE_URL = "postgres://app:' + rand(12) + '@db.internal:5432/prod"',
        "password in URL",
    ),
    ("python-password", 'password = "' + rand(14, PW) + '"', "hard-coded password"),
    ("yaml-password", "database:\n  db_password: " + rand(16, PW) + "\n", "hard-coded password"),
    ("json-password", '{"user": "svc", "password": "' + rand(12, PW) + '"}', "hard-coded password"),
    ("kwarg-password", 'conn = connect(host="db", password="' + rand(12, PW) + '")', "hard-coded password"),
    ("annotated-password", 'PASSWORD: str = "' + rand(12, PW) + '"', "hard-coded password"),
    ("php-password", "$config = ['password' => '" + rand(12, PW) + "'];", "hard-coded password"),
    ("go-password", 'dbPassword := "' + rand(12, PW) + '"', "hard-coded password"),
    ("client-secret", 'CLIENT_SECRET = "' + rand(32, URLSAFE) + '"', "high-entropy secret"),
    ("js-api-key", "const apiKey = '" + rand(32) + "';", "high-entropy secret"),
    ("yaml-token", 'auth:\n  AUTH_TOKEN: "' + rand(40, B64) + '"\n', "high-entropy secret"),
    ("hex-token", 'session_token = "' + rand(40, LOWER_HEX) + '"', "high-entropy secret"),
    ("credentials", "credentials = '" + rand(24) + "'", "high-entropy secret"),
    (
        "dotenv",
        "DEBUG=true\nDJANGO_SECRET_KEY=" + rand(50, ALNUM + "-_+/") + "\nALLOWED_HOSTS=*\n",
        "high-entropy secret",
    ),
    (
        "dotenv-export",
        "export STRIPE_WEBHOOK_SECRET=whsec_" + rand(32) + "  # rotated monthly\n",
        "high-entropy secret",
    ),
]


@pytest.mark.parametrize(("text", "kind"), [p[1:] for p in POSITIVES], ids=[p[0] for p in POSITIVES])
def test_planted_secret_is_found(text: str, kind: str) -> None:
    assert find_secret(text) == kind


def test_every_kind_has_a_planted_example() -> None:
    assert len(set(SECRET_KINDS)) == len(SECRET_KINDS)
    assert {kind for *_, kind in POSITIVES} == set(SECRET_KINDS)


def test_secret_deep_inside_an_ordinary_file_is_found() -> None:
    code = Path(string.__file__).read_text()
    assert find_secret(code) is None
    assert find_secret(code + "\nAPI_SECRET = '" + rand(32) + "'\n" + code) == "high-entropy secret"


# The `pragma: allowlist secret` comments tell detect-secrets these lines hold no secret on purpose.
PLACEHOLDERS = [
    'password = "changeme"',  # pragma: allowlist secret
    'password = "CHANGE_ME_2024"',  # pragma: allowlist secret
    "password: ********",
    'password = "P@55w0rd!"',  # pragma: allowlist secret
    'api_key = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',  # pragma: allowlist secret
    "API_KEY=<your-api-key>",
    'api_key = "your_api_key_here_123"',  # pragma: allowlist secret
    "token: ${GITHUB_TOKEN}",
    'token = "$TOKEN"',
    'SECRET_KEY = "{secret_key}"',
    'password = "%(password)s"',
    'password = "{{ vault_password }}"',
    "PASSWORD=$(cat /run/secrets/db_password)",
    "AWS_ACCESS_KEY_ID=" + "AK" + "IAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "GITHUB_TOKEN=" + "gh" + "p_" + "x" * 36,
    "stripe_key = '" + "sk" + "_live_" + "0" * 24 + "'",
    'url = "https://user:password@example.com/path"',  # pragma: allowlist secret
    'url = "ftp://joe:secret123@localhost/"',  # pragma: allowlist secret
    'SECRET_KEY = "django-insecure-example-key-0123456789"',  # pragma: allowlist secret
]

CODE = """
import getpass, os
from .tokens import Tokenizer

API_TOKEN_URL = "https://oauth2.example.com/token"
PASSWORD_PROMPT = "Enter the password: "  # pragma: allowlist secret
password = os.environ["PW"]
password = os.getenv("DB_PASSWORD", "")
secret = settings.SECRET_KEY
token = None
api_key: str | None = None
auth_token = request.headers["X-Auth-Token"]
tokenizer = Tokenizer("bert-base-uncased-v2")

class Session:
    def __init__(self, token: str, key_file: str = "~/.config/app/key.pem") -> None:
        self.token = token
        self.password = getpass.getpass()
        self.secret_key = load_secret(key_file)

    def check(self, token: str) -> bool:
        return token == self.token and self.cache[key] is not None
"""

JS = """
const token = await getToken();
headers["Authorization"] = `Bearer ${token}`;
const apiKey = process.env.API_KEY;
export function keyFor(item) { return item.id + ":" + item.key; }
var e={apiKey:t,token:n,password:r,secret:i};
"""

LOCKFILES = (
    json.dumps(
        {
            "name": "app",
            "lockfileVersion": 3,
            "packages": {
                "node_modules/js-tokens": {
                    "version": "4.0.0",
                    "resolved": "https://registry.npmjs.org/js-tokens/-/js-tokens-4.0.0.tgz",
                    "integrity": "sha512-" + base64.b64encode(RNG.randbytes(64)).decode(),
                }
            },
        },
        indent=2,
    )
    + '\n[[package]]\nname = "serde"\nchecksum = "'
    + RNG.randbytes(32).hex()
    + '"\n[metadata.files]\ntoken = [{file = "x.whl", hash = "sha256:'
    + RNG.randbytes(32).hex()
    + '"}]\n'
)

IDS_AND_DIGESTS = f"""
request_id = "123e4567-e89b-42d3-a456-426614174000"
api_token = "{RNG.randbytes(16).hex()[:8]}-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
sha256 = "{RNG.randbytes(32).hex()}"
EXPECTED_DIGEST = '{RNG.randbytes(20).hex()}'
- repo: https://github.com/astral-sh/ruff-pre-commit
  rev: {RNG.randbytes(20).hex()}
Fixed in commit {RNG.randbytes(20).hex()} (see the changelog).
ICON = "data:image/png;base64,{base64.b64encode(RNG.randbytes(300)).decode()}"
"NextToken": "{base64.b64encode(RNG.randbytes(48)).decode()}",
"nextPageToken": "{rand(40)}",
"encryptionKey": "arn:aws:kms:us-west-2:123456789012:alias/aws/s3",
private_key: ~/.ssh/deploy_key2
ssl_key = "/etc/ssl/private/server2.key"
NTE_INCORRECT_PASSWORD: Final = -2146893773
"""

PROSE = f"""
# Handling keys

Never commit private keys. A PEM file that starts with -----BEGIN RSA {PRIV}----- belongs in
the vault, as does any secret token or API key. Rotate the password: hunter2 is not a password.
"""

KEY_PARSER = f"""
def is_private_key(line: str) -> bool:
    # Headers we refuse to upload.
    return line.strip() in ("-----BEGIN RSA {PRIV}-----", "-----BEGIN OPENSSH {PRIV}-----")
"""


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_placeholder_is_not_a_secret(text: str) -> None:
    assert find_secret(text) is None


@pytest.mark.parametrize("text", [CODE, JS, LOCKFILES, IDS_AND_DIGESTS, PROSE, KEY_PARSER, ""])
def test_ordinary_content_is_clean(text: str) -> None:
    assert find_secret(text) is None


def test_stdlib_modules_are_clean() -> None:
    """The stdlib's own modules (its tests aside) hold no credentials: no false alarms expected."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(stdlib.glob("*.py"))]
    assert len(texts) > 100
    assert [i for i, text in enumerate(texts) if find_secret(text)] == []


ADVERSARIAL = [
    "eyJ" * 60_000,
    ("-----BEGIN " + PRIV + "-----") * 8_000,
    "password: " * 20_000,
    ("api_key=" + "aB3" * 3) * 20_000,
    ("token = '" + "a1" * 10) * 10_000,
    "://" + "a" * 100_000 + ":" + "b" * 100_000,
    ("a" * 32 + "-us1") * 6_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_pathological_input_stays_fast(text: str) -> None:
    # A quadratic blow-up would take minutes here; linear work takes a fraction of a second.
    start = time.perf_counter()
    assert find_secret(text) is None
    assert time.perf_counter() - start < 3


# Pieces of every anchor and operator, so that generated text reaches the precise checks.
# fmt: off
FRAGMENTS = [
    "AK" + "IA", "A3T", "eyJ", ".", "-----BEGIN RSA " + PRIV + "-----", PRIV + "-----",
    "PuTTY-User-" + "Key-File-2", "password", "Password", "PASSWD", "pwd", "SECRET", "token", "api_key",
    "Key", "KEY", "credential",
    " = ", ": ", "=", ":=", "=>", "'", '"', "`", "\n", "\\n", "://", "@", "$", "{", "%(", "<",
    "gh" + "p_", "github_" + "pat_", "gl" + "pat-", "GR1348941", "xo" + "xb-", "hooks.slack.com/services/T",
    "sk" + "_live_", "AI" + "za", "Account" + "Key=", "T3Blbk" + "FJ", "sk-" + "proj-", "sk-" + "ant-",
    "pypi-" + "AgE", "S" + "G.", "sq" + "0csp-", "-us1", "AC", "SK",
]
# fmt: on


def _family_or_none(found: str | None) -> bool:
    """Our own kinds, or an engine family: a short lower-case rule name, never a piece of the text."""
    return found is None or found in SECRET_KINDS or (found == found.lower() and 0 < len(found) <= 60)


@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    assert _family_or_none(find_secret(text))


@given(
    st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS), st.text(ALNUM + "+/-_=", min_size=1, max_size=60), st.text(max_size=8)
        ),
        max_size=40,
    )
)
@settings(max_examples=300)
def test_never_raises_on_secret_shaped_text(parts: list[str]) -> None:
    assert _family_or_none(find_secret("".join(parts)))


def test_engine_families_read_as_words() -> None:
    assert engine_family("betterleaks.slack-bot-token") == "slack bot token"
    assert engine_family("custom.vjepa.password-kwarg.generic") == "password kwarg"
    assert engine_family("veles.secrets/sendgrid") == "sendgrid"


def test_percent_encoded_placeholder_passwords_in_urls_are_not_secrets() -> None:
    # From requests' own tests: documentation URLs, not credentials.
    assert find_secret('("http://user:pass%20pass@complex.url.com/path?query=yes", ("user", "pass pass"))') is None
    assert find_secret('"http://user:pass%23pass@complex.url.com/path"') is None
    assert find_secret('url = "https://admin:' + "Xk9%21vQ2mZ" + '@db.internal/"') == "password in URL"
