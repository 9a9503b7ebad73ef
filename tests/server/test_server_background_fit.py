"""The lenses answer before the ranker is fit (issue 16, 17): right after the first index they come
from the statistics while the fit runs in a background process with work-done progress; when it
lands, the lenses are refreshed and rank with the fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.fixtures import GitRepo
from tests.server.lsp import session, until, uri


@pytest.mark.asyncio
async def test_lenses_first_then_the_fit_with_progress(repo: GitRepo, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VJEPA_LENS_FIT")  # as a user has it: the fit runs in the background
    async with session(repo, tmp_path, options={"trustWorkspace": True}) as client:
        def titles() -> list[str]:
            return [r[0].title for r in client.progress_reports.values() if r and r[0].kind == "begin"]

        def ended(title: str) -> bool:
            return any(r[0].title.startswith(title) and r[-1].kind == "end" for r in client.progress_reports.values()
                       if r and r[0].kind == "begin")

        await until(lambda: ended("Learning from"), timeout=60)  # the first index: lenses from here on
        lenses = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py"))))
        assert lenses and lenses[0].command.title == "Related: tests/test_calc.py"
        fit = f"Fitting the lenses to {repo.path.name}'s history"
        await until(lambda: fit in titles(), timeout=60)
        refreshes = client.lens_refreshes  # type: ignore[attr-defined]
        await until(lambda: ended(fit), timeout=120)
        (reports,) = [r for r in client.progress_reports.values() if r and r[0].title == fit]
        assert reports[-1].message.startswith("The lenses now rank with what the history taught")
        assert [r.kind for r in reports].count("end") == 1 and all(r.kind == "report" for r in reports[1:-1])
        await until(lambda: client.lens_refreshes > refreshes, timeout=30)  # type: ignore[attr-defined]
        assert (tmp_path / "index").exists() and any((tmp_path / "index").rglob("nextfile.safetensors"))
        after = await client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri(repo, "calc.py"))))
        assert after[0].command.title == "Related: tests/test_calc.py"
        assert after[-1].command.title == "Next: tests/test_calc.py"
