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
