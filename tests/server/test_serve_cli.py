"""`pa serve token create|list|revoke` and `pa serve`'s own checks, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.safety import qr
from tests.server.support import API, LiveServer


def pa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pa_cli", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_token_create_prints_the_token_once_with_a_qr_code(env: dict[str, str], tmp_path: Path) -> None:
    created = pa(env, "serve", "token", "create", "--name", "phone", "--url", "http://192.168.1.20:8765/")
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    token = next(line for line in lines if line.count(".") == 2 and line.startswith("eyJ"))
    assert "shown only this once" in created.stdout
    assert "Scan to open http://192.168.1.20:8765/" in created.stdout
    assert qr.decode(created.stdout, tmp_path) == f"http://192.168.1.20:8765/#token={token}"

    listed = pa(env, "serve", "token", "list")
    assert listed.returncode == 0 and "phone" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout  # never shown again, never stored
    server = LiveServer.start(env)
    try:
        response = httpx.get(server.base_url + f"{API}/tools", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
    finally:
        server.stop()


def test_token_list_and_revoke_as_json(env: dict[str, str]) -> None:
    created = json.loads(pa(env, "serve", "token", "create", "--name", "tablet", "--json").stdout)
    assert set(created) == {"id", "name", "token", "expires_at"}
    revoked = pa(env, "serve", "token", "revoke", created["id"])
    assert revoked.returncode == 0 and "revoked token" in revoked.stdout
    [row] = json.loads(pa(env, "serve", "token", "list", "--json").stdout)
    assert row["id"] == created["id"] and row["revoked_at"] is not None
    again = pa(env, "serve", "token", "revoke", created["id"])
    assert again.returncode == 0 and "already revoked" in again.stdout
    unknown = pa(env, "serve", "token", "revoke", "nope")
    assert unknown.returncode == 2 and "no token 'nope'" in unknown.stderr


def test_listening_beyond_loopback_warns_to_put_tls_in_front(env: dict[str, str]) -> None:
    # 192.0.2.1 (TEST-NET-1) is not on this machine: the warning comes first, then binding fails.
    result = pa(env, "serve", "--host", "192.0.2.1", "--port", "0")
    assert "put TLS in front" in result.stderr
    assert result.returncode == 1 and "cannot listen on 192.0.2.1:0" in result.stderr


def test_loopback_gets_no_warning(server: LiveServer) -> None:
    assert "TLS" not in server.output
    assert "pa serve: listening on http://127.0.0.1:" in server.output
