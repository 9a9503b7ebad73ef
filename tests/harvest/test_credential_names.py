"""Credential files by name, in any letter case: a crawl never opens them, and the index holds
neither their paths nor their text; ordinary files with look-alike names are indexed.

One workspace holds every case (each in a folder of its own, and the as-written spelling at the
root too), crawled once under the audit hook; each planted file is then its own test case."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures import OpenRecorder
from vjepa_core.harvest.safety import denied_location, denied_name
from vjepa_core.index.crawl import crawl
from vjepa_core.index.store import Store

# Every name the deny catalogue covers, as tools write them (wildcard rules by a few examples).
DENIED_FILES: tuple[str, ...] = (
    # dotenv in all its spellings
    ".env", ".env.local", ".env.production", ".env_local", ".env-prod", ".env.example", "env.production",
    "env.local", "env.yml", "env.json", "production.env", "app.env.example", ".envrc",
    # keys, certificates and key stores
    "server.pem", "tls.key", "AuthKey_ABC123.p8", "store.p12", "store.pkcs12", "store.pfx", "app.jks",
    "app.jceks", "app.bks", "release.keystore", "putty.ppk", "vault.kdb", "vault.kdbx",
    "1password.agilekeychain", "secring.gpg", "key.pgp", "key.asc", "server.crt", "server.cer",
    "server.der", "client.ovpn", "vpn.tblk", "site.publishsettings", "id_rsa", "id_rsa.pub", "id_dsa",
    "id_ecdsa", "id_ed25519", "id_ed25519.pub", "id_work", "otr.private_key", "login.keychain",
    "login.keychain-db",
    # credential and token files
    "credentials", "credentials.json", "credentials.toml", "credentials.xml", "credentials.yml.enc",
    "gcp-credentials.json", "application_default_credentials.json", "aws.credentials",
    "service-account-prod.json", "client_secret_123.apps.json", "token.json", "github.token", "api.secret",
    "app.secrets", "secrets.yml", "secrets.yaml", "secrets.json", "secrets.toml", "secrets.ini",
    ".git-credentials", ".vault-token", ".htpasswd", "htpasswd",
    # netrc, anywhere
    ".netrc", "_netrc",
    # container and cluster logins
    ".docker/config.json", ".dockercfg", ".dockerconfigjson", ".kube/config", "kubeconfig",
    "kubeconfig.yaml", "kubeconfig.yml", "kubeconfig.json", "kubeconfig-prod", "prod.kubeconfig",
    # database clients
    ".pgpass", ".pg_service.conf", ".my.cnf", ".mylogin.cnf",
    # shell and REPL histories
    ".bash_history", ".zsh_history", ".sh_history", ".ksh_history", "fish_history",
    ".local/share/fish/fish_history", ".python_history", ".node_repl_history", ".ts_node_repl_history",
    ".psql_history", ".mysql_history", ".sqlite_history", ".irb_history", ".pry_history",
    ".rediscli_history", ".scala_history", ".php_history", ".gdb_history", ".mycli-history",
    "ghci_history", ".histfile", ".zhistory", ".Rhistory", ".lesshst", ".viminfo", ".dbshell",
    # package managers' logins
    ".m2/settings.xml", ".m2/settings-security.xml", "settings-security.xml", ".gradle/gradle.properties",
    "pip.conf", ".pip/pip.conf", ".config/pip/pip.conf", "pip.ini", ".pypirc", ".npmrc", ".yarnrc",
    ".yarnrc.yml", ".cargo/credentials", ".cargo/credentials.toml", ".composer/auth.json",
    ".gem/credentials",
    # cloud storage sync
    "rclone.conf", ".config/rclone/rclone.conf", ".s3cfg", ".boto", ".passwd-s3fs",
    # terraform
    "terraform.tfstate", "terraform.tfstate.backup", ".terraform/terraform.tfstate", "plan.tfplan",
    "terraform.tfvars", "prod.auto.tfvars", "terraform.tfvars.json", ".terraformrc", "terraform.rc",
    ".terraform.d/credentials.tfrc.json",
    # ftp/sftp clients and mail fetchers
    "sftp-config.json", ".ftpconfig", ".remote-sync.json", "filezilla.xml", "recentservers.xml",
    "sitemanager.xml", ".fetchmailrc", ".msmtprc", ".purple/accounts.xml",
)

# Folders denied whole: (folder, a file inside). The folder is never even listed, and code
# inside it is not re-admitted by the rule that keeps code files readable.
DENIED_FOLDERS: tuple[tuple[str, str], ...] = (
    (".git", "config"), (".hg", "hgrc"), (".svn", "entries"), (".ssh", "config"), (".ssh", "helper.py"),
    (".gnupg", "pubring.kbx"), (".aws", "config"), (".azure", "accessTokens.json"),
    (".password-store", "bank.gpg"), (".zsh_sessions", "ABC123.history"),
    (".bash_sessions", "ABC123.history"), (".env", "lib/site.py"),
)

# Ordinary files whose names look like credential files: all of them are read and indexed.
LOOKALIKES: tuple[str, ...] = (
    "environment.py", "Environment.py", "src/env.py", "src/ENV.py", "env.d.ts", "env_utils.py",
    "envs/base.txt", "conda/environment.yml", "envoy.yaml", ".envoy.yaml", "settings.xml",
    "config/settings.xml", "m2/settings.xml", "history.py", "History.PY", "history/README.md",
    "history_test.go", "config.py", "kube.py", "kube/config.yaml", "deploy/kube/config", "test_netrc.py",
    "docs/netrc.md", "netrc.py", "docker/config.json", "docker-compose.yml", "gradle.properties",
    "gradle/gradle.properties", "pom.xml", "package.json", ".npmignore", ".yarn/README.md",
    ".cargo/config.toml", "requirements.txt", "pip/README.md", "credentials.py", "lib/credentials/index.js",
    "lib/credentials/chain.md", "kubeconfig.go", "pkg/kubeconfig/loader.go", "docs/credentials.md",
    "secrets.py", "secrets.ts", "docs/secrets.md", "token.py", "docs/tokens.md", "htpasswd.py",
    "accounts.xml", "locales/en/auth.json", "main.tf", "variables.tf", "docs/tfvars.md", "keyboard.py",
    "id_utils.py", "ID_Utils.py", "monkey.py", "pemberton.txt", "viminfo.md", "logging.ini",
    "mysql.cnf.md", ".editorconfig", "Dockerfile",
)


def _alternating(text: str) -> str:
    """`.netrc` -> `.NeTrC`: upper and lower letters by turns."""
    out, upper = [], True
    for ch in text:
        if ch.isalpha():
            out.append(ch.upper() if upper else ch.lower())
            upper = not upper
        else:
            out.append(ch)
    return "".join(out)


def _spellings(path: str) -> list[str]:
    return list(dict.fromkeys([path, path.upper(), _alternating(path), path.lower()]))


@dataclass(frozen=True)
class Planted:
    rel: str  # workspace-relative path of the planted file
    word: str  # a word found only in this file
    never_listed: str | None = None  # a denied folder that must not even be listed


def _denied_cases() -> list[Planted]:
    cases: list[Planted] = []
    for path in DENIED_FILES:
        cases.append(Planted(path, ""))
        cases += [Planted(f"c{len(cases):04d}/{spelled}", "") for spelled in _spellings(path)]
    for folder, inside in DENIED_FOLDERS:
        for spelled in _spellings(folder):
            base = f"c{len(cases):04d}"
            cases.append(Planted(f"{base}/{spelled}/{inside}", "", f"{base}/{spelled}"))
    return [Planted(c.rel, f"VJEPA_CRED_{i:04d}_X", c.never_listed) for i, c in enumerate(cases)]


DENIED_CASES = _denied_cases()
LOOKALIKE_CASES = [Planted(rel, f"VJEPA_LOOKALIKE_{i:04d}_X") for i, rel in enumerate(LOOKALIKES)]


def _body(case: Planted) -> str:
    """A few ordinary lines that hold the case's word inside a definition (code files' units are
    their definitions)."""
    suffix = os.path.splitext(case.rel)[1].lower()
    if suffix == ".py":
        return f'def lookalike():\n    return "{case.word}"\n'
    if suffix in (".js", ".ts"):
        return f'export function lookalike() {{\n  return "{case.word}";\n}}\n'
    if suffix == ".go":
        return f'package lookalike\n\nfunc Lookalike() string {{\n\treturn "{case.word}"\n}}\n'
    return f"note {case.word}\nan ordinary line of text\n"


@dataclass
class Crawled:
    root: Path
    index: Path
    opens: OpenRecorder
    values: set[str]  # every value the index tables hold
    text: str  # the same, joined
    raw: bytes  # the index folder's files, byte for byte


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    base = tmp_path_factory.mktemp("credential-names")
    root = base / "workspace"
    for case in [*DENIED_CASES, *LOOKALIKE_CASES]:
        p = root / case.rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(_body(case), encoding="utf-8")
    index = base / "index"
    # The `record_opens` fixture is per test; one crawl serves the whole module, so its own recorder.
    with OpenRecorder() as opens:
        crawl(root, index, history=False)
    store = Store.open(index, root.resolve())
    values = set()
    for name in ("files", "units", "relations", "dirs", "events"):
        table = store.read(name)
        for col in table.column_names:
            values.update(str(v) for v in table[col].to_pylist())
    raw = b"".join(p.read_bytes() for p in index.rglob("*") if p.is_file())
    return Crawled(root.resolve(), index, opens, values, "\n".join(values), raw)


@pytest.mark.parametrize("case", DENIED_CASES, ids=lambda c: c.rel)
def test_credential_file_is_never_opened_nor_indexed(crawled: Crawled, case: Planted) -> None:
    path = crawled.root / case.rel
    assert crawled.opens.touching(path) == [], f"{case.rel} was opened"
    if case.never_listed:
        folder = crawled.root / case.never_listed
        # .git/info/exclude is the one VCS file read directly: it is an ignore list, not history.
        allowed = {str(crawled.root / ".git" / "info" / "exclude")}
        touched = [(e, p) for e, p in crawled.opens.touching(folder) if p not in allowed]
        assert touched == [], f"{case.never_listed} was listed"
    assert case.rel not in crawled.values
    assert case.word not in crawled.text
    assert case.word.encode() not in crawled.raw


@pytest.mark.parametrize("case", LOOKALIKE_CASES, ids=lambda c: c.rel)
def test_lookalike_name_is_indexed(crawled: Crawled, case: Planted) -> None:
    assert denied_name(case.rel) is None
    assert case.rel in crawled.values
    assert case.word in crawled.text


@pytest.mark.parametrize("folder", [".ssh", ".SSH", ".Kube/CONFIG", ".M2/Settings.XML", "_NETRC",
                                    "Library/KEYCHAINS", ".Docker/Config.Json"])
def test_home_locations_are_denied_in_any_case(fake_home: Path, folder: str) -> None:
    assert denied_location(fake_home / folder) is not None
    assert denied_location(Path(str(fake_home).upper()) / folder) is not None  # macOS: /Users/ME is /Users/me


def test_home_crawl_skips_credential_folders_in_any_case(fake_home: Path, record_opens: OpenRecorder) -> None:
    for rel in (".SSH/id_work", ".Kube/config", ".M2/settings.xml", ".Config/GCloud/access.txt"):
        p = fake_home / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("VJEPA_HOME_CANARY\n")
    (fake_home / "notes.txt").write_text("an ordinary note\n")
    with record_opens:
        report = crawl(fake_home, fake_home.parent / "home-index", allow_home=True, history=False)
    for rel in (".SSH", ".Kube", ".M2/settings.xml", ".Config/GCloud"):
        assert record_opens.touching(fake_home / rel) == [], rel
    assert report.files_indexed == 1


def test_denied_names_ignore_letter_case() -> None:
    for path in (".ENV", "ID_RSA", "Secrets.YAML", "certs/Server.PEM", "_NETRC", ".Env.Local", "Env.Production"):
        assert denied_name(path) is not None, path
    assert denied_name("Sub/.GIT", is_dir=True)


def test_the_workspace_planted_every_case(crawled: Crawled) -> None:
    """The cases are distinct files on disk (a case-blind file system would merge spellings)."""
    planted = {os.path.relpath(os.path.join(d, f), crawled.root) for d, _, fs in os.walk(crawled.root) for f in fs}
    assert {c.rel for c in DENIED_CASES} <= planted
    assert {c.rel for c in LOOKALIKE_CASES} <= planted
