"""failure.report: the one rendering of a command's failure, for Typer's path and `pa chat`'s fast path."""

from __future__ import annotations

import pytest

from pa_cli.cli.failure import report
from pa_cli.errors import NotFoundError, PaError, StoreError


def test_a_pa_error_is_one_line_its_hint_and_its_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(StoreError("the database comes from a newer pa", hint="upgrade pa"), ["chat"]) == 1
    assert capsys.readouterr().err == "error: the database comes from a newer pa\nhint: upgrade pa\n"
    assert report(NotFoundError("no session 'x'"), ["chat"]) == 2
    assert capsys.readouterr().err == "error: no session 'x'\n"


def test_with_debug_a_pa_error_also_shows_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        raise PaError("broken")
    except PaError as exc:
        assert report(exc, ["--debug", "chat"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and err.endswith("error: broken\n")


def test_an_unexpected_error_names_only_its_type_unless_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert report(ValueError("secret detail"), ["chat"]) == 1
    assert capsys.readouterr().err == (
        "error: unexpected failure (ValueError); run again with --debug for details\n"
    )
    monkeypatch.setenv("PA_DEBUG", "1")
    with pytest.raises(ValueError, match="secret detail"):
        report(ValueError("secret detail"), ["chat"])


def test_an_interrupt_says_so_with_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(KeyboardInterrupt(), ["chat"]) == 130
    assert capsys.readouterr().err == "\ninterrupted\n"
