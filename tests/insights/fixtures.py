"""Git histories with planted habits and structure, for the insights and graph tests."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures import GitRepo
from vjepa_core.index.crawl import crawl
from vjepa_core.workspace import Workspace

DAY = 86400


def new_session(repo: GitRepo) -> None:
    repo._t += DAY  # a night between sessions (GitRepo spaces commits an hour apart)


def swift_view(name: str) -> str:
    return f"import Foundation\n\nstruct {name}View {{\n    func render() -> String {{ return \"{name}\" }}\n}}\n"


def py_handler(name: str) -> str:
    return f"def handle_{name}(request):\n    return {{'{name}': request}}\n"


def py_handler_test(name: str) -> str:
    return f"from server.{name} import handle_{name}\n\n\ndef test_{name}():\n    assert handle_{name}(1)\n"


FEATURES = ["orders", "payments", "profile", "search", "upload", "billing"]


def build_habits(repo: GitRepo) -> GitRepo:
    """Each session: Swift first, then Python an hour later, then the Python module's test."""
    for name in FEATURES:
        new_session(repo)
        repo.commit(f"ios {name}", {f"ios/{name.capitalize()}View.swift": swift_view(name.capitalize())})
        repo.commit(f"server {name}", {f"server/{name}.py": py_handler(name)})
        repo.commit(f"test {name}", {f"tests/test_{name}.py": py_handler_test(name)})
    return repo


def build_no_habits(repo: GitRepo) -> GitRepo:
    """The same files, but the order of languages alternates and tests come with their module."""
    for i, name in enumerate(FEATURES):
        new_session(repo)
        swift = {f"ios/{name.capitalize()}View.swift": swift_view(name.capitalize())}
        py = {f"server/{name}.py": py_handler(name), f"tests/test_{name}.py": py_handler_test(name)}
        first, then = (swift, py) if i % 2 else (py, swift)
        repo.commit(f"{name} part 1", first)
        repo.commit(f"{name} part 2", then)
    return repo


UTIL_WORDS = "normalize whitespace slugify unicode accents ascii lowercase"


def util_code(fn: str, extra: str) -> str:
    return (f"import unicodedata\n\n\ndef {fn}(raw_text):\n"
            f"    \"\"\"Normalize unicode text: strip accents, collapse whitespace, ascii lowercase ({extra}).\"\"\"\n"
            f"    cleaned = unicodedata.normalize('NFKD', raw_text).encode('ascii', 'ignore').decode()\n"
            f"    return ' '.join(cleaned.lower().split())  # {UTIL_WORDS}\n")


FEATURE_CODE = {
    "billing": ("invoice", "tax", ("def {n}_total(invoice_lines, tax_rate):\n    amount = sum(invoice_lines)\n"
                                   "    return amount * (1 + tax_rate)  # invoice tax amount currency\n")),
    "users": ("profile", "login", ("def {n}_check(password_hash, session_token):\n"
                                   "    return bool(password_hash and session_token)  # password session account login\n")),
    "reports": ("charts", "export", ("def {n}_render(chart_axis, csv_rows):\n"
                                     "    return [chart_axis, len(csv_rows)]  # chart axis csv export render\n")),
}


def build_features(repo: GitRepo, *, scattered: bool) -> GitRepo:
    """Three feature folders whose files change together, and text helpers. Scattered: one helper in
    each feature folder and one in utils/, all changing together and sharing their words. Clean:
    each folder's helper only changes with its own folder, and utils/ holds its own pair."""
    helpers = {"billing": "billing/money_text.py", "users": "users/text_clean.py",
               "reports": "reports/slug_tools.py"}
    for rnd in range(3):
        for folder, (a, b, code) in FEATURE_CODE.items():
            files = {f"{folder}/{a}.py": code.format(n=a) + f"# v{rnd}\n", f"{folder}/{b}.py": code.format(n=b)
                     + f"# v{rnd}\n"}
            if not scattered:  # the helper is part of its feature: it changes with it, talks like it
                files[helpers[folder]] = code.format(n="helper") + f"# v{rnd}\n"
            repo.commit(f"{folder} round {rnd}", files)
        if scattered:
            repo.commit(f"text helpers round {rnd}", {
                **{p: util_code(f"clean_{i}", f"v{rnd}") for i, p in enumerate(helpers.values())},
                "utils/strings.py": util_code("slugify", f"v{rnd}")})
        else:
            repo.commit(f"utils round {rnd}", {"utils/strings.py": util_code("slugify", f"v{rnd}"),
                                               "utils/text_case.py": util_code("lower_ascii", f"v{rnd}")})
    return repo


def indexed_workspace(repo: GitRepo, tmp_path: Path) -> Workspace:
    index = tmp_path / "index"
    crawl(repo.path, index)
    return Workspace(repo.path, index)


def commit_as(repo: GitRepo, author: str, message: str, files: dict[str, str | bytes | None] | None = None) -> None:
    """`repo.commit` by someone else: `author` is "Name <email>"."""
    repo.commit(message, files, author=author)


ANA, BEN, BOT = "Ana Lima <ana@example.com>", "Ben Okafor <ben@example.com>", "dependabot[bot] <bot@example.com>"


def build_team_habits(repo: GitRepo) -> GitRepo:
    """The habits of build_habits, shared by two people (three features each), and a bot's commits."""
    for i, name in enumerate(FEATURES):
        who = ANA if i % 2 else BEN
        new_session(repo)
        commit_as(repo, who, f"ios {name}", {f"ios/{name.capitalize()}View.swift": swift_view(name.capitalize())})
        commit_as(repo, who, f"server {name}", {f"server/{name}.py": py_handler(name)})
        commit_as(repo, who, f"test {name}", {f"tests/test_{name}.py": py_handler_test(name)})
        commit_as(repo, BOT, f"bump {name}", {"requirements.txt": f"{name}==1.{i}\n"})
    return repo


def build_renamed_package(repo: GitRepo) -> GitRepo:
    """Modules then tests in an old package `http3/`, which was renamed to `httpx/` since, and a
    `legacy/` folder deleted since; then two more sessions under the new name."""
    for name in FEATURES[:4]:
        new_session(repo)
        repo.commit(f"add {name}", {f"http3/{name}.py": py_handler(name), f"legacy/{name}_old.py": py_handler(name)})
        repo.commit(f"test {name}", {f"tests/test_{name}.py": py_handler_test(name)})
        repo.commit(f"docs {name}", {f"docs/{name}.md": f"# {name}\n\nHow {name} works.\n"})
    new_session(repo)
    repo.git("mv", "http3", "httpx")
    repo.git("rm", "-q", "-r", "legacy")
    repo.commit("rename the package to httpx, drop legacy")
    for name in FEATURES[4:]:
        new_session(repo)
        repo.commit(f"add {name}", {f"httpx/{name}.py": py_handler(name)})
        repo.commit(f"test {name}", {f"tests/test_{name}.py": py_handler_test(name)})
        repo.commit(f"docs {name}", {f"docs/{name}.md": f"# {name}\n\nHow {name} works.\n"})
    return repo


TRANSPORT_WORDS = {  # asgi.py talks like _models.py, wsgi.py like _api.py, _client.py like both
    "client": "timeout retries scope receive lifespan environ start_response",
    "models": "timeout retries scope receive lifespan",
    "api": "timeout retries environ start_response",
    "asgi": "scope receive lifespan timeout",
    "wsgi": "environ start_response retries",
}


def transport_code(name: str, rnd: int) -> str:
    return (f"def {name}_send(request, headers, stream):\n"
            f"    \"\"\"Send the request: headers, then the body stream; read the response.\"\"\"\n"
            f"    return dict(headers=headers, stream=stream, request=request)  # {TRANSPORT_WORDS[name]}\n"
            f"# round {rnd}\n")


def build_transports(repo: GitRepo, *, package: bool) -> GitRepo:
    """The httpx shape: `pkg/` modules and a `pkg/_transports/` folder whose files each change with
    `pkg/` files (never with each other) and talk like them. `package`: `_transports` has its own
    (empty) `__init__.py`, as in httpx."""
    files: dict[str, str | bytes | None] = {"pkg/__init__.py": ""}
    if package:
        files["pkg/_transports/__init__.py"] = ""
    repo.commit("package", files)
    for rnd in range(3):
        repo.commit(f"asgi round {rnd}", {"pkg/_client.py": transport_code("client", rnd),
                                          "pkg/_models.py": transport_code("models", rnd),
                                          "pkg/_transports/asgi.py": transport_code("asgi", rnd)})
        repo.commit(f"wsgi round {rnd}", {"pkg/_client.py": transport_code("client", rnd + 10),
                                          "pkg/_api.py": transport_code("api", rnd),
                                          "pkg/_transports/wsgi.py": transport_code("wsgi", rnd)})
    return repo
