"""Consent and safety: roots, the deny catalogue, canaries, symlinks, ignore rules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures import FAKE_AWS
from vjepa_core.harvest.safety import IgnoreRules, check_root, denied_name
from vjepa_core.harvest.walk import SKIP_SYMLINK_OUT, walk
from vjepa_core.index.crawl import crawl
from vjepa_core.index.store import Store
from vjepa_core.messages import VjepaError

CANARY = "VJEPA_CANARY_" + "7f3a9c1e5b2d"  # a word that must never reach the index
# Built at run time so this file does not itself look like it holds a key.
FAKE_PRIVATE_KEY = ("-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + "q" * 60
                    + "\n-----END RSA " + "PRIVATE KEY-----\n")


def _index_strings(store: Store) -> str:
    """Every string the index holds, joined, read back through LanceDB."""
    out = []
    for name in ("files", "units", "relations", "dirs", "events"):
        t = store.read(name)
        for col in t.column_names:
            out.extend(str(v) for v in t[col].to_pylist())
    return "\n".join(out)


def _raw_index_bytes(index_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in index_dir.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["/", "/etc", "/usr", "/usr/lib", "/proc"])
def test_system_roots_are_refused(name: str) -> None:
    with pytest.raises(VjepaError) as err:
        check_root(name)
    assert "system location" in str(err.value)


def test_home_is_refused_unless_allowed(fake_home: Path) -> None:
    with pytest.raises(VjepaError, match="--allow-home"):
        check_root(fake_home)
    assert check_root(fake_home, allow_home=True) == fake_home.resolve()


def test_denied_home_locations_cannot_be_roots(fake_home: Path) -> None:
    (fake_home / ".ssh").mkdir()
    with pytest.raises(VjepaError, match="deny list"):
        check_root(fake_home / ".ssh")


def test_missing_root_and_file_root_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(VjepaError, match="can't find"):
        check_root(tmp_path / "nope")
    f = tmp_path / "f.txt"
    f.write_text("x")
    with pytest.raises(VjepaError, match="not a folder"):
        check_root(f)


@pytest.mark.parametrize("path", [
    ".env", ".env.local", "config/.env.production", "certs/server.pem", "tls.key", "id_rsa", "id_ed25519.pub",
    "keys/id_work", "store.p12", "aws/credentials", "gcp-credentials.json", "token.json", ".npmrc",
    ".git-credentials", "infra/terraform.tfstate", "login.keychain-db", "secrets.yaml",
    # in any letter case, and the spellings the first list missed
    ".ENV", "ID_RSA", "Secrets.YAML", "certs/Server.PEM", "_NETRC", "app/.env_local", "env.production",
    "sub/.docker/config.json", "ops/.kube/config", "kubeconfig.yaml", ".pgpass", ".bash_history",
    "ci/.m2/settings.xml", "infra/prod.tfvars",
])
def test_denied_names(path: str) -> None:
    assert denied_name(path) is not None


@pytest.mark.parametrize("path", [
    "id_utils.py", "src/env.py", "keyboard.py", "docs/tokens.md", "secrets.py", "environment.py", "envs/base.txt",
    "settings.xml", "history.py", "config.py", "kube.py", "test_netrc.py", "docs/netrc.md", "credentials.py",
    "pkg/kubeconfig/kubeconfig.go", "env.d.ts",
])
def test_ordinary_names_are_not_denied(path: str) -> None:
    assert denied_name(path) is None


def test_vcs_internals_are_denied_as_folders() -> None:
    assert denied_name(".git", is_dir=True)
    assert denied_name("sub/.hg", is_dir=True)
    assert denied_name("sub/.GIT", is_dir=True)


def test_code_inside_a_denied_folder_stays_denied() -> None:
    """Code files keep their names readable, but not inside a folder that is denied whole."""
    assert denied_name(".ssh/helper.py")
    assert denied_name("tools/.env/lib/site.py")  # a virtualenv named .env
    assert denied_name("lib/credentials", is_dir=True) is None  # a code package, judged file by file
    assert denied_name("lib/credentials/index.js") is None


def _plant(home: Path) -> Path:
    """A home with credentials and a project full of things that must not be read."""
    for rel, body in {
        ".ssh/id_rsa": FAKE_PRIVATE_KEY + CANARY,
        ".aws/credentials": f"[default]\naws_access_key_id = {FAKE_AWS}\n# {CANARY}\n",
        ".gnupg/secring.gpg": CANARY,
        ".config/google-chrome/Default/Cookies": CANARY,
        ".password-store/bank.gpg": CANARY,
    }.items():
        p = home / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)
    proj = home / "project"
    files = {
        "app.py": "def main():\n    return 1\n",
        ".env": f"API_KEY={CANARY}\n",
        ".env.local": f"X={CANARY}\n",
        "certs/server.pem": FAKE_PRIVATE_KEY + CANARY,
        "deploy/id_rsa": FAKE_PRIVATE_KEY + CANARY,
        "secrets/prod.key": CANARY,
        "config/credentials.json": f'{{"k": "{CANARY}"}}',
        # Ordinary names whose content holds secrets: screened and skipped whole.
        "settings.py": f'AWS_ACCESS_KEY_ID = "{FAKE_AWS}"\nNOTE = "{CANARY}"\n',
        "notes/keys.txt": FAKE_PRIVATE_KEY + CANARY,
    }
    for rel, body in files.items():
        p = proj / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)
    (proj / ".git").mkdir()
    (proj / ".git" / "config").write_text(CANARY)
    return proj


def test_crawl_never_opens_denied_paths_and_stores_no_canary(fake_home: Path, record_opens) -> None:
    proj = _plant(fake_home)
    index = fake_home / "index"
    with record_opens:
        report = crawl(proj, index, history=False)
    denied = [fake_home / ".ssh", fake_home / ".aws", fake_home / ".gnupg", fake_home / ".config",
              fake_home / ".password-store", proj / ".env", proj / ".env.local", proj / "certs/server.pem",
              proj / "deploy/id_rsa", proj / "secrets/prod.key", proj / "config/credentials.json", proj / ".git"]
    # .git/info/exclude is the one VCS file read directly: it is an ignore list, not history.
    allowed = {str(proj.resolve() / ".git" / "info" / "exclude")}
    for d in denied:
        touched = [(e, p) for e, p in record_opens.touching(d) if p not in allowed]
        assert touched == [], f"{d} was touched"
    # The walk did read the project's ordinary files (the hook works).
    assert record_opens.touching(proj / "app.py")
    assert report.files_indexed == 1
    assert report.skipped["holds a secret"] == 2
    store = Store.open(index, proj.resolve())
    assert CANARY not in _index_strings(store)
    assert FAKE_AWS not in _index_strings(store)
    assert CANARY.encode() not in _raw_index_bytes(index)
    paths = set(store.read("files", ["path"])["path"].to_pylist())
    assert paths == {"app.py"}  # secret-holding files are not even listed


def test_home_crawl_with_allow_home_still_skips_credential_folders(fake_home: Path, record_opens) -> None:
    _plant(fake_home)
    with record_opens:
        report = crawl(fake_home, fake_home.parent / "home-index", allow_home=True, history=False)
    for d in (".ssh", ".aws", ".gnupg", ".config/google-chrome", ".password-store"):
        assert record_opens.touching(fake_home / d) == [], d
    assert report.files_indexed >= 1


def test_symlinks_never_lead_out_of_the_root(tmp_path: Path, record_opens) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.txt").write_text(CANARY)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "ok.py").write_text("x = 1\n")
    os.symlink(outside, proj / "linked_dir")
    os.symlink(outside / "private.txt", proj / "linked_file.txt")
    index = tmp_path / "index"
    with record_opens:
        report = crawl(proj, index, history=False)
    assert record_opens.touching(outside) == []
    assert report.skipped[SKIP_SYMLINK_OUT] == 2
    assert CANARY not in _index_strings(Store.open(index, proj.resolve()))


def test_gitignore_nested_negation_exclude_and_vjepaignore(tmp_path: Path) -> None:
    root = tmp_path / "w"
    files = {
        ".gitignore": "*.log\nbuild/\n!keep.log\n",
        "a.log": "", "keep.log": "", "build/out.js": "", "src/main.py": "", "src/gen.py": "",
        "src/.gitignore": "gen.py\n", "docs/draft.md": "", "docs/final.md": "", ".vjepaignore": "docs/draft.md\n",
        "local.tmp": "", "node_modules/pkg/index.js": "", "sub/__pycache__/x.pyc": "",
    }
    for rel, body in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)
    (root / ".git" / "info").mkdir(parents=True)
    (root / ".git" / "info" / "exclude").write_text("*.tmp\n")
    seen = {e.rel for e in walk(root, IgnoreRules(root)).files}
    assert seen == {".gitignore", "keep.log", "src/main.py", "src/.gitignore", "docs/final.md", ".vjepaignore"}


def test_invalid_ignore_lines_are_dropped_not_fatal(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / ".gitignore").write_text("!\n*.log\n")  # git rejects a bare "!"; the rest still applies
    (root / "a.log").write_text("x")
    (root / "a.py").write_text("x = 1\n")
    assert {e.rel for e in walk(root, IgnoreRules(root)).files} == {".gitignore", "a.py"}
