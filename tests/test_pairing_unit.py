"""The pairing helpers in-process (the command itself is tested in tests/cli/test_pairing.py)."""

from __future__ import annotations

import io

import pytest

from pa_cli.errors import UsageError
from pa_cli.pairing import check_url, pairing_link, points_at_loopback, server_url


def test_a_wildcard_bind_is_offered_as_the_lan_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pa_cli.pairing.lan_address", lambda: "192.168.7.9")
    assert server_url("0.0.0.0", 8765) == "http://192.168.7.9:8765/"
    assert server_url("::", 80) == "http://192.168.7.9:80/"
    assert server_url("10.0.0.2", 8765) == "http://10.0.0.2:8765/"
    monkeypatch.setattr("pa_cli.pairing.lan_address", lambda: None)
    assert server_url("0.0.0.0", 8765) == "http://127.0.0.1:8765/"  # nothing better: the warning follows


def test_pa_serve_on_a_wildcard_bind_prints_the_lan_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from pa_cli.server.runner import _offer_lan_address

    monkeypatch.setattr("pa_cli.pairing.lan_address", lambda: "192.168.7.9")
    shown = io.StringIO()
    _offer_lan_address(shown, "0.0.0.0", 8765)
    assert shown.getvalue() == (
        "pa serve: from a phone on this network: http://192.168.7.9:8765/ "
        "(pair it: `pa serve token create --url http://192.168.7.9:8765/`)\n"
    )
    quiet = io.StringIO()
    _offer_lan_address(quiet, "127.0.0.1", 8765)
    assert quiet.getvalue() == ""


def test_loopback_is_recognised() -> None:
    for url in ("http://127.0.0.1:8765/", "http://localhost/", "http://[::1]:8765/", "http://127.8.9.1/"):
        assert points_at_loopback(url), url
    for url in ("http://192.168.1.20:8765/", "https://pa.example.net/"):
        assert not points_at_loopback(url), url


def test_the_token_goes_in_the_fragment() -> None:
    assert pairing_link("http://h:1/", "t0k") == "http://h:1/#token=t0k"
    assert pairing_link("http://h:1/app#old", "t0k") == "http://h:1/app/#token=t0k"
    with pytest.raises(UsageError):
        check_url("http://h:notaport/")
