"""The deny catalogue: the one place that says what VJEPA must never read.

Three layers, checked before anything is opened or listed:
1. Roots: only folders the user names; system locations and the bare home folder are refused.
2. Denied locations (absolute, under the home folder): credential stores, keychains, browser
   profiles, password stores.
3. Denied names anywhere in a workspace: dotenv files, keys, certificates, credential and
   token files, tools' login files, shell histories, VCS internals.
Layers 2 and 3 ignore letter case, as macOS and Windows file systems do.
Content screening (secret_scan) is a fourth layer, applied after reading but before storing.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path, PurePath, PurePosixPath

import pathspec

from vjepa_core.messages import VjepaError

# Folders (and a few files) relative to the home directory that hold credentials or
# private browsing data. Anything at or under them is denied, in any letter case (macOS and
# Windows file systems are case-blind: ~/.SSH is ~/.ssh there).
HOME_DENIED: tuple[str, ...] = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker/config.json",
    ".config/gcloud",
    ".config/gh",
    ".config/hub",  # hub CLI: a GitHub token in plain text
    ".config/op",  # 1Password CLI
    ".config/rclone",  # remotes with their passwords and tokens
    ".password-store",
    ".local/share/keyrings",
    ".local/share/kwalletd",
    ".mozilla",
    ".config/google-chrome",
    ".config/chromium",
    ".config/BraveSoftware",
    ".config/microsoft-edge",
    ".thunderbird",
    ".netrc",
    "_netrc",
    ".pypirc",
    ".git-credentials",
    ".vault-token",
    ".terraform.d/credentials.tfrc.json",
    # Package managers' logins (the name rules below catch these anywhere too; here they also
    # stop a root inside ~/.m2 or ~/.gradle, where the folder name is not in the relative path).
    ".m2/settings.xml",
    ".m2/settings-security.xml",
    ".gradle/gradle.properties",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    "Library/Keychains",
    "Library/Cookies",
    "Library/Safari",
    "Library/Application Support/Google/Chrome",
    "Library/Application Support/Firefox",
    "Library/Application Support/BraveSoftware",
    "Library/Application Support/Microsoft Edge",
    "Library/Mobile Documents",
    "AppData/Roaming/Mozilla",
    "AppData/Local/Google/Chrome",
    "AppData/Roaming/Microsoft/Credentials",
)

# Gitignore-style patterns matched against workspace-relative paths, in any letter case (both
# sides are lower-cased: `.ENV`, `ID_RSA`, `Secrets.YAML` are the same files as the denied
# names on macOS and Windows). A pattern without a slash matches a name at any depth; one
# with a folder part starts with `**/` so it too applies anywhere, not only at the root. As
# in git, the last pattern that matches decides, which the order below relies on.
NAME_DENIED: tuple[str, ...] = (
    # Environment files (dotenv in all its spellings): `.env`, `.env.local`, `.env_local`,
    # `.env-prod`, `env.production`, `production.env`, `app.env.example`. `env.yml` and
    # `env.json` go too: serverless, SAM and Cloud Functions read secrets from them.
    ".env",
    ".env.*",
    ".env-*",
    ".env_*",
    "env.*",
    "*.env",
    "*.env.*",
    ".envrc",  # direnv
    # Keys, certificates and key stores.
    "*.pem",
    "*.key",
    "*.p8",  # Apple and Snowflake private keys
    "*.p12",
    "*.pkcs12",
    "*.pfx",
    "*.jks",
    "*.jceks",
    "*.bks",
    "*.keystore",
    "*.ppk",
    "*.kdb",
    "*.kdbx",
    "*.agilekeychain",
    "*.gpg",
    "*.pgp",
    "*.asc",
    "*.crt",
    "*.cer",
    "*.der",
    "*.ovpn",  # OpenVPN profiles embed the client key
    "*.tblk",  # Tunnelblick VPN bundles
    "*.publishsettings",  # Azure publish profiles carry a management certificate
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "otr.private_key",
    "*.keychain",
    "*.keychain-db",
    # Credential and token files, by the name tools give them.
    "credentials",
    "credentials.*",
    "*credentials*.json",
    "*.credentials",
    "service-account*.json",
    "client_secret*.json",
    "token.json",
    "*.token",
    "*.secret",
    "*.secrets",
    "secrets.*",  # Rails' secrets.yml, secrets.json/.toml/.ini; secrets.py is code (below)
    ".git-credentials",
    ".vault-token",
    ".htpasswd",
    "htpasswd",
    # netrc: curl, git, ftp and pip logins in plain text; Windows spells it _netrc. Anywhere,
    # not only at home: CI setups copy one into the workspace.
    ".netrc",
    "_netrc",
    # Container and cluster logins: docker's auth file (base64 user:password or tokens), kube
    # configs (client keys and bearer tokens in base64).
    "**/.docker/config.json",
    ".dockercfg",
    ".dockerconfigjson",
    "**/.kube/config",
    "kubeconfig",
    "kubeconfig.*",
    "kubeconfig-*",
    "*.kubeconfig",
    # Database clients' saved passwords.
    ".pgpass",
    ".pg_service.conf",
    ".my.cnf",
    ".mylogin.cnf",
    # Shell and REPL histories: every command typed, `export TOKEN=...` and `mysql -p...` too.
    ".*_history",  # .bash_history, .zsh_history, .sh_history, .python_history, .psql_history,
    # .mysql_history, .sqlite_history, .node_repl_history, .irb_history, .rediscli_history, ...
    ".*-history",  # .mycli-history
    "fish_history",
    "ghci_history",
    ".histfile",
    ".zhistory",
    ".rhistory",
    ".lesshst",
    ".viminfo",  # vim's command and search history and registers
    ".dbshell",  # the mongo shell's history
    # Package managers' logins: Maven (server passwords, the master password), Gradle (repository
    # and signing passwords in the user's gradle.properties; a project's own gradle.properties is
    # build settings and stays readable), pip, npm, yarn, cargo, composer.
    "**/.m2/settings.xml",
    "settings-security.xml",
    "**/.gradle/gradle.properties",
    "pip.conf",
    "pip.ini",
    ".pypirc",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    "**/.cargo/credentials",
    "**/.cargo/credentials.toml",
    "**/.composer/auth.json",
    # Cloud storage sync tools: remotes with keys and passwords.
    "rclone.conf",
    ".s3cfg",
    ".boto",
    ".passwd-s3fs",
    # Terraform: state and plans hold every resource's secrets in clear; tfvars are denied too,
    # as Terraform's own .gitignore template does, because they are where variables such as
    # passwords and tokens get their values (the .tf files hold the structure worth learning);
    # the CLI config holds registry tokens.
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
    "*.tfvars",
    "*.tfvars.json",
    ".terraformrc",
    "terraform.rc",
    # FTP/SFTP clients and mail fetchers that store passwords in plain text.
    "sftp-config.json",
    ".ftpconfig",
    ".remote-sync.json",
    "filezilla.xml",
    "recentservers.xml",
    "sitemanager.xml",
    ".fetchmailrc",
    ".msmtprc",
    "**/.purple/accounts.xml",  # Pidgin
    # Code and prose keep their names: a file in a programming or documentation language is read
    # and screened by content like any other (botocore's credentials.py, kubeadm's kubeconfig.go,
    # vite's env.d.ts, docs/credentials.md). Shell scripts are not on this list: an env.sh is
    # usually a list of exports.
    *(f"!*.{ext}" for ext in (
        "py", "pyi", "js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "vue", "svelte", "go", "rs",
        "java", "kt", "kts", "scala", "groovy", "swift", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "m",
        "mm", "cs", "fs", "rb", "php", "pl", "pm", "lua", "dart", "ex", "exs", "erl", "hs", "ml", "clj",
        "jl", "r", "zig", "nim", "tf", "md", "markdown", "rst", "adoc")),
    # Folders named like a credential file are code packages (aws-sdk's lib/credentials/,
    # kubeadm's phases/kubeconfig/); the files inside are judged by their own names.
    "!credentials/",
    "!kubeconfig/",
    # Folders denied whole, whatever is inside (last, so no rule above can re-admit a file).
    # VCS internals: history is read only through the git CLI.
    ".git/",
    ".hg/",
    ".svn/",
    ".ssh/",
    ".gnupg/",
    ".aws/",
    ".azure/",  # the Azure CLI's tokens; azd keeps each environment's .env here
    ".password-store/",
    ".zsh_sessions/",  # macOS Terminal's per-window shell histories
    ".bash_sessions/",
)

# `id_*` with no extension is an SSH key name (id_work, id_github); `id_utils.py` is code.
_SSH_KEY_PREFIX = "id_"

# Roots that are system locations: refused as roots and never entered.
SYSTEM_ROOTS_POSIX: tuple[str, ...] = (
    "/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
    "/run", "/sbin", "/sys", "/usr", "/var", "/System", "/Library", "/private", "/Applications",
    "/Volumes", "/cores",
)
SYSTEM_ROOTS_WINDOWS: tuple[str, ...] = ("C:\\", "C:\\Windows", "C:\\Program Files", "C:\\Program Files (x86)",
                                         "C:\\ProgramData")
# Exactly these are refused, but folders inside them may be allowed (e.g. /Volumes/Work).
_EXACT_ONLY = {"/", "/Volumes", "/private", "C:\\"}

_NAME_SPEC = pathspec.GitIgnoreSpec.from_lines(pattern.lower() for pattern in NAME_DENIED)
# Nearly every path matches no deny rule: one regex of them all says so in one pass (the walk
# asks about every name it lists), where the spec tries each rule in turn. A rule's regex starts
# "at the root or after any folder"; said once, as a search for "at the start or after a slash",
# the union runs three times faster.
_ANY_FOLDER = "^(?:.+/)?"
_DENY_REGEXES = [p.regex.pattern.replace("(?P<ps_d>", "(?:")
                 for p in _NAME_SPEC.patterns if p.include and p.regex is not None]
_ANY_DENIED = re.compile("|".join([
    "(?:^|/)(?:" + "|".join(r[len(_ANY_FOLDER):] for r in _DENY_REGEXES if r.startswith(_ANY_FOLDER)) + ")",
    *(f"(?:{r})" for r in _DENY_REGEXES if not r.startswith(_ANY_FOLDER)),
]))
_HOME_DENIED_PARTS = tuple((entry, PurePosixPath(entry.lower()).parts) for entry in HOME_DENIED)


def home_dir() -> Path:
    return Path(os.path.expanduser("~")).resolve()


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def _lower_parts(path: PurePath) -> tuple[str, ...]:
    return tuple(part.lower() for part in path.parts)


def denied_location(path: Path) -> str | None:
    """Reason if absolute `path` is at or under a denied home location (in any letter case), else None."""
    home = _lower_parts(home_dir())
    parts = _lower_parts(path)
    if parts[:len(home)] != home:
        return None
    rel = parts[len(home):]
    for entry, entry_parts in _HOME_DENIED_PARTS:
        if rel[:len(entry_parts)] == entry_parts:
            return f"~/{entry}"
    return None


def denied_home_paths() -> frozenset[str]:
    """The denied home locations as lower-cased absolute paths, for a walk to compare each
    entry's lower-cased path with."""
    home = home_dir()
    return frozenset(str(home / entry).lower() for entry in HOME_DENIED)


def denied_name(rel_path: str, is_dir: bool = False) -> str | None:
    """Reason if a workspace-relative posix path matches the deny catalogue (in any letter
    case), else None. A file that only a code-and-prose rule re-admits is still denied when a
    folder above it is."""
    lowered = rel_path.lower()
    candidate = lowered + "/" if is_dir else lowered
    if _ANY_DENIED.search(candidate):
        result = _NAME_SPEC.check_file(candidate)
        if result.include:
            return NAME_DENIED[result.index] if result.index is not None else "deny list"
        if result.include is False:
            parts = lowered.split("/")
            for depth in range(1, len(parts)):
                above = _NAME_SPEC.check_file("/".join(parts[:depth]) + "/")
                if above.include:
                    return NAME_DENIED[above.index] if above.index is not None else "deny list"
    name = lowered.rsplit("/", 1)[-1]
    if not is_dir and name.startswith(_SSH_KEY_PREFIX) and "." not in name:
        return "id_* (SSH key)"
    return None


def is_system_location(path: Path) -> bool:
    text = str(path)
    if sys.platform == "win32":
        roots = SYSTEM_ROOTS_WINDOWS
        text_cmp = text.rstrip("\\").lower()
        for r in roots:
            rc = r.rstrip("\\").lower()
            if text_cmp == rc or (r not in _EXACT_ONLY and text_cmp.startswith(rc + "\\")):
                return True
        return False
    for r in SYSTEM_ROOTS_POSIX:
        if text == r or (r not in _EXACT_ONLY and text.startswith(r.rstrip("/") + "/")):
            return True
    return False


def check_root(root: str | os.PathLike[str], *, allow_home: bool = False, allow_system: bool = False) -> Path:
    """Validate a root the user named; return it resolved or raise a VjepaError that explains why not."""
    given = Path(root).expanduser()
    if not given.exists():
        raise VjepaError("root.missing", root=given)
    resolved = given.resolve()
    if not resolved.is_dir():
        raise VjepaError("root.not_dir", root=resolved)
    if not allow_system and is_system_location(resolved) and not _is_within(resolved, home_dir()):
        raise VjepaError("root.system", root=resolved)
    if resolved == home_dir() and not allow_home:
        raise VjepaError("root.home", root=resolved)
    if resolved == Path(resolved.anchor):
        raise VjepaError("root.system", root=resolved)
    reason = denied_location(resolved)
    if reason:
        raise VjepaError("root.denied", root=resolved, reason=reason)
    return resolved


# Noise that is never worth learning from, even without a .gitignore.
DEFAULT_IGNORES: tuple[str, ...] = (
    "__pycache__/",
    "*.pyc",
    "*.pyo",
    "node_modules/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".DS_Store",
    ".idea/",
    ".vs/",
    "target/debug/",
    "target/release/",
)


class IgnoreRules:
    """.gitignore files at every level, .git/info/exclude, .vjepaignore and the default noise list.

    Patterns in a nested .gitignore apply relative to its folder; the deepest file that has an
    opinion about a path decides, as in git.
    """

    def __init__(self, root: Path, extra: tuple[str, ...] | list[str] = ()) -> None:
        """`extra`: gitignore-style patterns given on the command line (`--exclude`); they act like .vjepaignore."""
        self.root = root
        self._specs: dict[str, pathspec.GitIgnoreSpec] = {}
        self._loaded: set[str] = set()  # folders whose .gitignore `excluded` has read
        base_lines: list[str] = list(DEFAULT_IGNORES)
        exclude = root / ".git" / "info" / "exclude"
        base_lines += read_pattern_lines(exclude)
        self._base = compile_patterns(base_lines)
        # .vjepaignore is the user's word about VJEPA specifically: it is consulted last and wins.
        self._vjepa = compile_patterns([*read_pattern_lines(root / ".vjepaignore"), *extra])

    def load_dir(self, rel_dir: str) -> None:
        """Read the .gitignore of a folder (workspace-relative, '' for the root) if it has one."""
        path = self.root / rel_dir / ".gitignore" if rel_dir else self.root / ".gitignore"
        lines = read_pattern_lines(path)
        if lines:
            self._specs[rel_dir] = compile_patterns(lines)

    def excluded(self, rel_path: str) -> bool:
        """The walk's verdict on one file path without walking: True when a folder on the way or
        the file itself is denied by name or ignored. Reads only .gitignore files (each folder's
        once per IgnoreRules), never the path."""
        parts = rel_path.split("/")
        for depth in range(len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in self._loaded:
                self.load_dir(folder)
                self._loaded.add(folder)
            if depth and (denied_name(folder, True) or self.ignored(folder, True)):
                return True
        return bool(denied_name(rel_path)) or self.ignored(rel_path)

    def ignored(self, rel_path: str, is_dir: bool = False) -> bool:
        candidate = rel_path + "/" if is_dir else rel_path
        verdict = self._vjepa.check_file(candidate).include
        if verdict is not None:
            return verdict
        parts = rel_path.split("/")
        # Deepest .gitignore first.
        for depth in range(len(parts) - 1, -1, -1):
            base = "/".join(parts[:depth])
            spec = self._specs.get(base)
            if spec is None:
                continue
            sub = "/".join(parts[depth:]) + ("/" if is_dir else "")
            verdict = spec.check_file(sub).include
            if verdict is not None:
                return verdict
        return bool(self._base.check_file(candidate).include)


def compile_patterns(lines: list[str]) -> pathspec.GitIgnoreSpec:
    """A spec from ignore-file lines; a line git would reject is dropped, not fatal."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:  # GitIgnorePatternError is a ValueError
        good = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except ValueError:
                continue
            good.append(line)
        return pathspec.GitIgnoreSpec.from_lines(good)


def read_pattern_lines(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []
