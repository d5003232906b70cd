"""``python -m pa_cli.testing.fake_llm --port 0 --script replies.json [--cycle]``: see :mod:`.cli`."""

from pa_cli.testing.fake_llm.cli import main

if __name__ == "__main__":
    main()
