"""Read a QR code that `pa` printed in a terminal, for real: pixels to a PNG, decoded by zbarimg.

segno prints two modules per character (half blocks); light modules are drawn,
dark ones are blank. The picture is rebuilt pixel by pixel and decoded by
Debian's zbarimg (zbar-tools), so a test sees exactly what a phone's camera would.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

# character -> (top module light, bottom module light)
_HALVES = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}
_SCALE = 8
_QUIET = 4  # extra light modules around the code


def terminal_qr_lines(output: str) -> list[str]:
    """The QR code's lines in ``output``: the run of lines drawn only with block characters."""
    lines = [line.rstrip("\n") for line in output.splitlines()]
    drawn = [i for i, line in enumerate(lines) if line and set(line) <= set(_HALVES) and "█" in line]
    assert drawn, "no QR code in the output"
    first, last = drawn[0], drawn[-1]
    return lines[first : last + 1]


def _matrix(lines: list[str]) -> list[list[bool]]:
    width = max(len(line) for line in lines)
    rows: list[list[bool]] = []
    for line in lines:
        halves = [_HALVES[ch] for ch in line.ljust(width, "█")]
        rows.append([top for top, _ in halves])
        rows.append([bottom for _, bottom in halves])
    return rows


def _png(rows: list[list[bool]], path: Path) -> None:
    width = (len(rows[0]) + 2 * _QUIET) * _SCALE
    blank = b"\x00" + b"\xff" * width
    raw = bytearray(blank * (_QUIET * _SCALE))
    for row in rows:
        padded = [True] * _QUIET + row + [True] * _QUIET
        line = b"\x00" + b"".join((b"\xff" if light else b"\x00") * _SCALE for light in padded)
        raw += line * _SCALE
    raw += blank * (_QUIET * _SCALE)
    height = len(raw) // len(blank)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )


def decode_terminal_qr(output: str, workdir: Path) -> str:
    """The text of the QR code printed in ``output`` (zbarimg must be installed: Debian's zbar-tools)."""
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing: apt-get install zbar-tools"
    image = workdir / "qr.png"
    _png(_matrix(terminal_qr_lines(output)), image)
    decoded = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sbinary", str(image)], capture_output=True, timeout=60, check=False
    )
    assert decoded.returncode == 0, decoded.stderr.decode(errors="replace")
    return decoded.stdout.decode().rstrip("\n")
