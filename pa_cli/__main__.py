"""Entry point for ``pa`` and ``python -m pa_cli``."""

from __future__ import annotations


def main() -> None:
    from pa_cli.cli.app import run

    run()


if __name__ == "__main__":
    main()
