"""`pa serve token create` prints a QR code that pairs a phone: it must decode to the URL with the token."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PaRunner
from tests.safety import qr


def test_pairing_qr_decodes_to_the_url_holding_the_printed_token(pa: PaRunner, tmp_path: Path) -> None:
    pa.extra_env.update({"PA_SECRET_BACKEND": "file", "PA_KEYRING_PASSPHRASE": "test-passphrase"})
    created = pa("serve", "token", "create", "--name", "phone", "--url", "http://192.168.1.20:8765/")
    assert created.returncode == 0, created.stderr
    token = next(
        line for line in created.stdout.splitlines() if line.count(".") == 2 and line.startswith("eyJ")
    )
    assert qr.decode(created.stdout, tmp_path) == f"http://192.168.1.20:8765/#token={token}"


def test_the_decoder_reads_what_segno_wrote(tmp_path: Path) -> None:
    import io

    import segno

    out = io.StringIO()
    segno.make("http://example.test/#token=abc", error="l").terminal(out=out, compact=True, border=2)
    assert qr.decode(out.getvalue(), tmp_path) == "http://example.test/#token=abc"
