"""Pairing a phone: the QR code of `pa serve token create` opens the server from the phone, token included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pa_cli.errors import EXIT_OK, EXIT_USAGE
from tests.conftest import PaRunner
from tests.qr_decode import decode_terminal_qr


@pytest.fixture(autouse=True)
def _file_secrets(pa: PaRunner) -> None:
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "pw"})


def _token(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("eyJ") and line.count(".") == 2)


def test_the_qr_code_holds_the_given_url_and_the_token(pa: PaRunner, tmp_path: Path) -> None:
    created = pa("serve", "token", "create", "--name", "phone", "--url", "https://pa.example.net:8443/")
    assert created.returncode == EXIT_OK, created.stderr
    token = _token(created.stdout)
    assert decode_terminal_qr(created.stdout, tmp_path) == f"https://pa.example.net:8443/#token={token}"
    assert created.stderr == ""


def test_a_qr_code_that_points_at_loopback_comes_with_a_warning(pa: PaRunner, tmp_path: Path) -> None:
    created = pa("serve", "token", "create", "--name", "phone")
    assert created.returncode == EXIT_OK, created.stderr
    token = _token(created.stdout)
    assert decode_terminal_qr(created.stdout, tmp_path) == f"http://127.0.0.1:8765/#token={token}"
    assert created.stderr.startswith(
        "warning: the QR code points at http://127.0.0.1:8765/, which a phone cannot reach"
    )
    assert "--url" in created.stderr and "--host 0.0.0.0" in created.stderr


def test_a_server_bound_to_every_interface_offers_the_lan_address(pa: PaRunner, tmp_path: Path) -> None:
    from pa_cli.pairing import lan_address

    lan = lan_address()
    if lan is None:
        pytest.fail("this machine has no LAN address to offer; the test needs one non-loopback interface")
    pa("config", "set", "server.host", "0.0.0.0")
    pa("config", "set", "server.port", "9123")
    created = pa("serve", "token", "create", "--name", "phone")
    assert created.returncode == EXIT_OK, created.stderr
    token = _token(created.stdout)
    assert decode_terminal_qr(created.stdout, tmp_path) == f"http://{lan}:9123/#token={token}"
    assert created.stderr == ""
    as_json = json.loads(pa("serve", "token", "create", "--json", env={"PA_SERVER_PORT": "9124"}).stdout)
    assert as_json["url"] == f"http://{lan}:9124/"


@pytest.mark.parametrize("url", ["192.168.1.20:8765", "ftp://host/", "http://"])
def test_a_bad_url_is_refused_before_a_token_is_made(pa: PaRunner, url: str) -> None:
    result = pa("serve", "token", "create", "--url", url)
    assert result.returncode == EXIT_USAGE
    assert result.stderr.startswith(f"error: --url {url!r} must be an http(s) URL with a host")
    assert json.loads(pa("serve", "token", "list", "--json").stdout) == []
