"""What `pa ask` says when the LLM cannot be used: the real cause, the URL or setting, the next step.

Every run uses a recognisable API key and checks that it appears in neither stdout nor
stderr. The endpoints are real sockets on 127.0.0.1: a closed port, a port that accepts
and never answers, a TLS server with a certificate nobody trusts, the scripted fake LLM.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pa_cli.testing.fake_llm import FakeLLM, Reply
from tests.agent.scripts import thinking
from tests.conftest import PaRunner

SECRET = "sk-LEAKCHECK-7f3a9c2e41"
PASSPHRASE = "the right passphrase (tests only)"


def ask(pa: PaRunner, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = pa("ask", *args, "hello?", env=env, timeout=120)
    assert SECRET not in result.stdout + result.stderr, "the API key leaked into pa's output"
    assert "Traceback" not in result.stderr
    return result


def generic(base_url: str) -> dict[str, str]:
    return {
        "PA_LLM_PROVIDER": "openai-generic",
        "PA_LLM_BASE_URL": base_url,
        "PA_LLM_API_KEY": SECRET,
        "PA_SECRET_BACKEND": "file",
        "PA_KEYRING_PASSPHRASE": PASSPHRASE,
    }


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens here any more: connections are refused


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never reads or answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def untrusted_tls(tmp_path: Path) -> Iterator[int]:
    """A TLS server on 127.0.0.1 whose self-signed certificate no client trusts."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client refused our certificate: that is the point
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


# ---- the API key ------------------------------------------------------------------------------


def _store_key(pa: PaRunner, fake_llm: FakeLLM) -> dict[str, str]:
    """Store the key with `pa config set-secret` in the encrypted file; return a gemini env without a key."""
    env = {k: v for k, v in fake_llm.env("gemini").items() if k != "PA_LLM_API_KEY"}
    env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": PASSPHRASE})
    stored = pa("config", "set-secret", "llm.api_key", input=SECRET + "\n", env=env)
    assert stored.returncode == 0, stored.stderr
    return env


def test_a_stored_key_is_used_when_the_store_opens(pa: PaRunner, fake_llm: FakeLLM) -> None:
    env = _store_key(pa, fake_llm)
    fake_llm.reply_text(thinking("Hello."))
    result = ask(pa, env)
    assert result.returncode == 0, result.stderr
    assert fake_llm.last_request.api_key == SECRET


@pytest.mark.parametrize("passphrase", [None, "a wrong passphrase"], ids=["missing", "wrong"])
def test_a_locked_secret_store_is_not_reported_as_a_missing_key(
    pa: PaRunner, fake_llm: FakeLLM, passphrase: str | None
) -> None:
    env = _store_key(pa, fake_llm)
    if passphrase is None:
        env["PA_KEYRING_PASSPHRASE"] = ""  # unset for the child (an empty value counts as none)
    else:
        env["PA_KEYRING_PASSPHRASE"] = passphrase
    result = ask(pa, env)
    assert result.returncode == 3
    first, hint = result.stderr.strip().splitlines()[-2:]
    assert first.startswith("error: the secret store is locked, so the stored API key cannot be read")
    assert "PA_KEYRING_PASSPHRASE" in first
    assert hint.startswith("hint: set PA_KEYRING_PASSPHRASE to the passphrase")
    assert "no API key" not in result.stderr
    assert fake_llm.requests == []


def test_a_missing_key_says_where_pa_looked_and_how_to_store_one(pa: PaRunner, fake_llm: FakeLLM) -> None:
    env = {k: v for k, v in fake_llm.env("gemini").items() if k != "PA_LLM_API_KEY"}
    env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": PASSPHRASE})
    result = ask(pa, env)
    assert result.returncode == 3
    error, hint = result.stderr.strip().splitlines()[-2:]
    assert error.startswith(
        "error: no API key for the gemini provider: pa looked in GEMINI_API_KEY, PA_LLM_API_KEY "
        "and the secret store (encrypted file ("
    )
    assert hint == "hint: store one with `pa config set-secret llm.api_key`, or set GEMINI_API_KEY"
    assert fake_llm.requests == []


def test_a_refused_key_says_so(pa: PaRunner, fake_llm: FakeLLM) -> None:
    fake_llm.fail(401, message=f"Incorrect API key provided: {SECRET}")
    result = ask(pa, generic(fake_llm.openai_base_url))
    assert fake_llm.last_request.api_key == SECRET  # the key was sent, and still is not printed
    assert result.returncode == 3
    assert result.stderr.startswith(
        f"error: the API key was refused by the LLM provider (HTTP 401 from {fake_llm.openai_base_url})\n"
    )
    assert len(fake_llm.requests) == 1  # a refused key is not retried


# ---- the endpoint -----------------------------------------------------------------------------


def test_a_refused_connection_names_the_url_and_the_setting(pa: PaRunner, closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/v1"
    result = ask(pa, generic(url))
    assert result.returncode == 1
    error, hint = result.stderr.strip().splitlines()[-2:]
    assert (
        error == f"error: cannot connect to the LLM: connection refused at {url} (llm.base_url) (3 attempts)"
    )
    assert hint.startswith("hint: is the LLM server running? check llm.base_url")
    assert "try again in a moment" not in result.stderr


def test_an_endpoint_that_accepts_and_never_answers_is_named(pa: PaRunner, black_hole: int) -> None:
    url = f"http://127.0.0.1:{black_hole}/v1"
    result = ask(pa, generic(url))
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-2]
    assert error == (
        f"error: the LLM at {url} (llm.base_url) is not answering: "
        "it accepted the connection but sent nothing within 3 s"
    )


def test_an_unknown_host_is_named(pa: PaRunner) -> None:
    # A 70-character label cannot be a DNS name: the resolver fails at once, with no network.
    host = "a" * 70 + ".invalid"
    url = f"http://{host}/v1"
    result = ask(pa, generic(url))
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-2]
    assert (
        error
        == f"error: cannot reach the LLM at {url} (llm.base_url): the host name {host} could not be resolved"
    )


def test_an_untrusted_certificate_is_a_tls_failure(pa: PaRunner, untrusted_tls: int) -> None:
    url = f"https://127.0.0.1:{untrusted_tls}/v1"
    result = ask(pa, generic(url))
    assert result.returncode == 1
    error, hint = result.stderr.strip().splitlines()[-2:]
    assert error.startswith(
        f"error: cannot reach the LLM at {url} (llm.base_url): TLS certificate not accepted ("
    )
    assert hint.startswith("hint: check the scheme of llm.base_url")


def test_rate_limiting_with_a_long_wait_reports_the_wait(pa: PaRunner, fake_llm: FakeLLM) -> None:
    fake_llm.fail(429, retry_after=120)
    result = ask(pa, generic(fake_llm.openai_base_url))
    assert result.returncode == 1
    error, hint = result.stderr.strip().splitlines()[-2:]
    assert error == (
        "error: the LLM provider is refusing requests as too many (HTTP 429) and asks to wait 120 s"
    )
    assert hint == "hint: try again in 120 s, or lower llm.requests_per_minute"
    assert len(fake_llm.requests) == 1


def test_rate_limiting_is_retried_after_the_wait_it_asks_for(pa: PaRunner, fake_llm: FakeLLM) -> None:
    fake_llm.fail(429, retry_after=1)
    fake_llm.reply_text(thinking("Hello after the wait."))
    result = ask(pa, generic(fake_llm.openai_base_url), "--json")
    assert result.returncode == 0, result.stderr
    assert '"response": "Hello after the wait."' in result.stdout
    assert result.stderr == ""  # --json: nothing about the wait on stderr
    assert len(fake_llm.requests) == 2


def test_a_slow_but_live_server_is_waited_for_not_declared_dead(pa: PaRunner, fake_llm: FakeLLM) -> None:
    # Past the 3 s after which pa probes the server: the probe gets an answer, so pa keeps waiting.
    fake_llm.script(Reply(text=thinking("Worth the wait."), delay_before_ms=4500))
    result = ask(pa, generic(fake_llm.openai_base_url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Worth the wait."
    assert len(fake_llm.requests) == 1  # not retried either
