"""Decode a QR code printed in the terminal (segno's compact half-block form) with zbarimg.

segno draws light modules as blocks and dark ones as blanks (for dark terminals): each character is
two modules stacked, ``█`` both light, ``▀`` top light, ``▄`` bottom light, `` `` both dark.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

_LIGHT_TOP = {"█", "▀"}
_LIGHT_BOTTOM = {"█", "▄"}
SCALE = 8
QUIET = 4


def qr_lines(text: str) -> list[str]:
    """The lines of ``text`` that belong to the QR code (made only of block characters and blanks)."""
    lines = [line for line in text.splitlines() if line and set(line) <= {"█", "▀", "▄", " "} and "█" in line]
    assert lines, "no QR code in the output"
    return lines


def decode(text: str, workdir: Path) -> str:
    """The data of the one QR code in ``text``; fails the test when zbarimg cannot read it."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is not installed (Debian's zbar-tools; .ci/run installs it)")
    lines = qr_lines(text)
    width = max(len(line) for line in lines)
    rows: list[list[int]] = []  # 1 = dark
    for line in lines:
        line = line.ljust(width, "█")
        rows.append([0 if ch in _LIGHT_TOP else 1 for ch in line])
        rows.append([0 if ch in _LIGHT_BOTTOM else 1 for ch in line])
    size_x, size_y = (width + 2 * QUIET) * SCALE, (len(rows) + 2 * QUIET) * SCALE
    pixels = bytearray(b"\xff" * (size_x * size_y))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(SCALE):
                    start = ((y + QUIET) * SCALE + dy) * size_x + (x + QUIET) * SCALE
                    pixels[start : start + SCALE] = b"\x00" * SCALE
    image = workdir / "qr.pgm"
    image.write_bytes(f"P5 {size_x} {size_y} 255\n".encode() + bytes(pixels))
    done = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"zbarimg could not read the QR code: {done.stderr}"
    return done.stdout.rstrip("\n")
