"""The encrypted-file backend: authenticated encryption, 0600, a passphrase or a clear refusal."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pa_cli.errors import SecretStoreError
from pa_cli.paths import app_paths
from pa_cli.secrets import open_secret_store
from pa_cli.secrets.encrypted_file import HEADER, MAGIC
from tests.fixtures.secrets import FILE_PASSPHRASE, assert_not_leaked

TOKEN = "1//0refresh-ENCRYPTED-FILE-7c2d9b"


@pytest.fixture(autouse=True)
def _file_backend(file_secret_store_env: dict[str, str]) -> None:
    """Every test here uses the encrypted file, whatever keyring this machine has."""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_encrypted_file_round_trip() -> None:
    store = open_secret_store(app_paths())
    assert store.backend_name == f"encrypted file ({app_paths().secrets_file})"
    store.set("google.gmail.refresh_token", TOKEN)
    store.set("llm.api_key", "sk-second")
    assert store.get("google.gmail.refresh_token") == TOKEN
    store.delete("google.gmail.refresh_token")
    assert store.get("google.gmail.refresh_token") is None
    assert store.get("llm.api_key") == "sk-second"
    store.delete("google.gmail.refresh_token")  # deleting again is fine


def test_secrets_persist_for_the_next_process_with_the_same_passphrase() -> None:
    open_secret_store(app_paths()).set("llm.api_key", TOKEN)
    assert open_secret_store(app_paths()).get("llm.api_key") == TOKEN


def test_secrets_file_and_its_lock_are_private() -> None:
    paths = app_paths()
    old_umask = os.umask(0o022)  # a permissive umask must not matter
    try:
        open_secret_store(paths).set("llm.api_key", TOKEN)
    finally:
        os.umask(old_umask)
    assert _mode(paths.secrets_file) == 0o600
    assert _mode(paths.secrets_file.with_name("secrets.enc.lock")) == 0o600
    assert _mode(paths.data_dir) == 0o700
    leftovers = [p.name for p in paths.data_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_group_readable_file_becomes_0600_again_on_the_next_write() -> None:
    paths = app_paths()
    store = open_secret_store(paths)
    store.set("llm.api_key", TOKEN)
    paths.secrets_file.chmod(0o644)
    store.set("llm.api_key", TOKEN + "2")
    assert _mode(paths.secrets_file) == 0o600


def test_the_file_starts_with_the_format_header_and_every_write_uses_a_fresh_nonce() -> None:
    paths = app_paths()
    store = open_secret_store(paths)
    store.set("llm.api_key", TOKEN)
    first = paths.secrets_file.read_bytes()
    store.set("llm.api_key", TOKEN)  # same contents
    second = paths.secrets_file.read_bytes()

    assert first.startswith(MAGIC) and second.startswith(MAGIC)
    _, version, log2_n, r, p, salt1, nonce1 = HEADER.unpack_from(first)
    *_, salt2, nonce2 = HEADER.unpack_from(second)
    assert (version, log2_n, r, p) == (1, 14, 8, 1)
    assert salt1 == salt2  # the key is derived once per file
    assert nonce1 != nonce2
    assert first[HEADER.size :] != second[HEADER.size :]


def test_wrong_passphrase_fails_clearly_without_revealing_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    open_secret_store(app_paths()).set("llm.api_key", TOKEN)
    monkeypatch.setenv("PA_KEYRING_PASSPHRASE", "not the passphrase")

    with pytest.raises(
        SecretStoreError, match=r"cannot decrypt .*secrets\.enc: wrong PA_KEYRING_PASSPHRASE\?"
    ) as exc:
        open_secret_store(app_paths()).get("llm.api_key")
    assert_not_leaked(exc.value, TOKEN, FILE_PASSPHRASE, "not the passphrase")

    with pytest.raises(SecretStoreError, match="cannot decrypt"):
        open_secret_store(app_paths()).set("other", "value")
    monkeypatch.setenv("PA_KEYRING_PASSPHRASE", FILE_PASSPHRASE)
    assert open_secret_store(app_paths()).get("llm.api_key") == TOKEN  # nothing was overwritten


def test_a_file_altered_on_disk_is_refused() -> None:
    paths = app_paths()
    open_secret_store(paths).set("llm.api_key", TOKEN)
    blob = bytearray(paths.secrets_file.read_bytes())
    blob[-20] ^= 0x01
    paths.secrets_file.write_bytes(bytes(blob))
    with pytest.raises(SecretStoreError, match="cannot decrypt") as exc:
        open_secret_store(paths).get("llm.api_key")
    assert_not_leaked(exc.value, TOKEN)


def test_altered_key_derivation_parameters_are_refused() -> None:
    paths = app_paths()
    open_secret_store(paths).set("llm.api_key", TOKEN)
    blob = bytearray(paths.secrets_file.read_bytes())
    blob[len(MAGIC) + 1] = 13  # log2(N): authenticated as associated data
    paths.secrets_file.write_bytes(bytes(blob))
    with pytest.raises(SecretStoreError, match="cannot decrypt"):
        open_secret_store(paths).get("llm.api_key")


def test_a_file_that_is_not_a_secrets_file_is_refused() -> None:
    paths = app_paths()
    paths.data_dir.mkdir(parents=True)
    paths.secrets_file.write_text('{"llm.api_key": "plain"}')
    with pytest.raises(SecretStoreError, match="is not a pa secrets file"):
        open_secret_store(paths).get("llm.api_key")


def test_reading_an_empty_store_needs_no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PA_KEYRING_PASSPHRASE")
    store = open_secret_store(app_paths(), interactive=False)
    assert store.get("llm.api_key") is None
    store.delete("llm.api_key")
    assert not app_paths().secrets_file.exists()


def test_no_passphrase_and_no_terminal_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PA_KEYRING_PASSPHRASE")
    store = open_secret_store(app_paths(), interactive=False)
    with pytest.raises(SecretStoreError) as exc:
        store.set("llm.api_key", TOKEN)
    assert "PA_KEYRING_PASSPHRASE is not set" in str(exc.value)
    assert exc.value.hint is not None and "OS keyring" in exc.value.hint
    assert_not_leaked(exc.value, TOKEN)
    assert not app_paths().secrets_file.exists()


def test_a_process_without_a_terminal_or_passphrase_is_refused_not_prompted() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PA_KEYRING_PASSPHRASE"}
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pa_cli.errors import PaError; from pa_cli.paths import app_paths;"
            "from pa_cli.secrets import open_secret_store\n"
            "try: open_secret_store(app_paths()).set('llm.api_key', 'value')\n"
            "except PaError as e: sys.exit(f'error: {e}')",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    assert child.returncode == 1
    assert "error: no OS keyring is available and PA_KEYRING_PASSPHRASE is not set" in child.stderr


def _run_on_a_terminal(code: str, answers: list[str], env: dict[str, str]) -> str:
    """Run ``python -c code`` with a pseudo-terminal as stdin/stdout/stderr; answer each prompt."""
    controller, terminal = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    pending = list(answers)
    answered = 0
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
                # Answer each prompt once, when it has been written out in full.
                if pending and output.count(b"passphrase") > answered and output.endswith(b": "):
                    os.write(controller, pending.pop(0).encode() + b"\n")
                    answered += 1
            elif child.poll() is not None:
                break
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the child did not finish; its terminal showed: {output!r}")
    finally:
        os.close(controller)
        if child.poll() is None:
            child.kill()
            child.wait()
    return output.decode(errors="replace")


def test_on_a_terminal_the_passphrase_is_asked_for_once_per_process() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PA_KEYRING_PASSPHRASE"}
    code = (
        "from pa_cli.paths import app_paths; from pa_cli.secrets import open_secret_store\n"
        "s = open_secret_store(app_paths())\n"
        "s.set('a', 'value-a'); s.set('b', 'value-b'); print('got', s.get('a'), s.get('b'))\n"
    )
    created = _run_on_a_terminal(code, ["typed passphrase", "typed passphrase"], env)
    assert created.count("choose a passphrase for the new secret store") == 1
    assert created.count("repeat the passphrase") == 1
    assert "got value-a value-b" in created
    assert "typed passphrase" not in created  # not echoed

    reread = _run_on_a_terminal(code, ["typed passphrase"], env)
    assert reread.count("passphrase for the secret store") == 1
    assert "got value-a value-b" in reread

    env["PA_KEYRING_PASSPHRASE"] = "typed passphrase"  # the variable is the same passphrase
    assert open_secret_store(app_paths(env), env).get("b") == "value-b"


def test_concurrent_writers_keep_every_update() -> None:
    paths = app_paths()
    stores = [open_secret_store(paths) for _ in range(4)]

    def write(i: int) -> None:
        for j in range(5):
            stores[i].set(f"writer{i}.secret{j}", f"value-{i}-{j}")

    threads = [threading.Thread(target=write, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reader = open_secret_store(paths)
    for i in range(len(stores)):
        for j in range(5):
            assert reader.get(f"writer{i}.secret{j}") == f"value-{i}-{j}"
