"""Secrets never reach the terminal, even when a library puts them in its own error text.

Each test first proves the secret is really in reach (the fake backend's error carries it; the URL's
host does show), so that the absence asserted afterwards means something.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pa_cli.testing.fake_google import FakeGoogle
from tests.conftest import PaRunner

LEAKY_DIR = Path(__file__).parent / "leaky"


def test_leaky_backend_really_carries_the_secret_in_its_error() -> None:
    # In a subprocess: importing the backend here would register it with keyring for every later test.
    code = (
        "from leaky_keyring import LeakyKeyring\n"
        "try:\n    LeakyKeyring().set_password('pa', 'name', 's3cr3t-value')\n"
        "except Exception as exc:\n    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(LEAKY_DIR)},
        check=True,
    )
    assert "s3cr3t-value" in done.stdout


def test_keyring_error_text_is_scrubbed_of_the_secret(
    pa: PaRunner, fake_google: FakeGoogle, tmp_path: Path
) -> None:
    secrets_file = fake_google.client_secrets_json(tmp_path / "client_secret.json")
    client_secret = json.loads(secrets_file.read_text())["installed"]["client_secret"]
    assert len(client_secret) >= 8
    result = pa(
        "tools",
        "setup",
        "google",
        "--client-secrets",
        str(secrets_file),
        env={
            "PYTHONPATH": str(LEAKY_DIR),
            "PYTHON_KEYRING_BACKEND": "leaky_keyring.LeakyKeyring",
            "PA_SECRET_BACKEND": "keyring",
        },
    )
    assert result.returncode != 0
    assert "could not store" in result.stderr  # the backend's own words reached the user...
    assert client_secret not in result.stdout + result.stderr  # ...without the secret in them
    assert "***" in result.stderr


def test_doctor_json_never_prints_the_database_password(pa: PaRunner, postgres_url: str) -> None:
    # The private cluster trusts local connections, so the password is accepted and ignored: doctor
    # reaches the database and reports on it with the URL in hand.
    url = postgres_url.replace("postgres@127.0.0.1", "postgres:Pw-7f3k9q@127.0.0.1")
    assert "Pw-7f3k9q@127.0.0.1" in url
    result = pa("doctor", "--json", env={"PA_DATABASE_URL": url, "PA_SECRET_BACKEND": "file"}, timeout=120)
    output = result.stdout + result.stderr
    host = url.split("@", 1)[1].split("/", 1)[0]
    assert host in output  # the URL is shown...
    assert "Pw-7f3k9q" not in output  # ...but never its password
