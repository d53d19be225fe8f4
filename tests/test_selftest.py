"""The self-test (``fieldapp --self-test``, ``main.py --self-test``) from source, and the rule that
bundled files are found through ``fieldapp.resources`` only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldapp import cli, resources, selftest

ROOT = Path(__file__).resolve().parent.parent


def test_cli_self_test_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert "FAILED" not in out
    for step in selftest.CORE_STEPS:
        assert f"  ok      {step.name}: " in out
    assert re.search(r"self-test passed: \d+ of \d+ steps ok", out)


def test_self_test_reports_what_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(resources, "root", lambda: tmp_path)  # an install with no files
    assert selftest.run() == 1
    out = capsys.readouterr().out
    assert "  FAILED  bundled files: missing: resources/fonts/Sarabun-Regular.ttf" in out
    assert "NOTICE" in out
    assert "self-test FAILED: " in out and "(bundled files" in out


def test_a_failing_step_does_not_stop_the_others(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(ctx: selftest.Context) -> str:
        raise RuntimeError("boom")

    code = selftest.run(extra=[selftest.Step("broken step", broken)])
    out = capsys.readouterr().out
    assert code == 1
    assert "  FAILED  broken step: RuntimeError: boom" in out
    assert "  ok      household PDF report: " in out
    assert "1 of " in out.splitlines()[-1]


def test_pdf_facts_count_pages_and_fonts() -> None:
    data = (
        b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >> endobj\n2 0 obj << /Type /Page >> endobj\n"
        b"3 0 obj <</Type/Page>> endobj\n4 0 obj << /BaseFont /AAAAAA+Sarabun-Regular >> endobj\n"
    )
    assert selftest.pdf_facts(data) == (2, ["AAAAAA+Sarabun-Regular"])


def test_desktop_self_test_passes(qapp: object, capsys: pytest.CaptureFixture[str]) -> None:
    from ui.app import run

    assert run(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert "  ok      main window: 6 households listed" in out
    assert "  ok      Sarabun font in Qt: Sarabun" in out
    assert "FAILED" not in out


def test_bundled_files_are_found_through_fieldapp_resources() -> None:
    """Only ``fieldapp/resources.py`` may locate files from ``__file__`` (it knows the bundle)."""
    offenders = []
    for folder in ("fieldapp", "ui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "fieldapp" / "resources.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "__file__" in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert not offenders, f"use fieldapp.resources instead of __file__: {offenders}"
