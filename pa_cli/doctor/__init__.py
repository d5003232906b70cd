"""`pa doctor`: what pa sees of this machine, as a list of checks (see ``checks``)."""

from __future__ import annotations

from pa_cli.doctor.checks import (
    Check,
    Context,
    check_config,
    check_database,
    check_google,
    check_llm,
    check_secrets,
)

__all__ = ["Check", "can_answer", "run_checks"]


def run_checks(*, online: bool = False) -> list[Check]:
    """Every check, in order; with ``online``, one real request to the LLM too."""
    import sys

    from pa_cli import __version__
    from pa_cli.paths import app_paths

    paths = app_paths()
    about = Check(
        "pa",
        True,
        f"pa {__version__}, Python {sys.version.split()[0]}; config in {paths.config_dir}, data in {paths.data_dir}",
    )
    config, settings = check_config()
    if settings is None:
        return [about, config]
    ctx = Context(settings)
    checks = [about, config, check_database(ctx), check_secrets(ctx), check_llm(ctx)]
    if online:
        import asyncio

        from pa_cli.doctor.online import check_online

        checks.append(asyncio.run(check_online(settings)))
    checks.extend(check_google(ctx))
    if ctx.store is not None:
        ctx.store.engine.dispose()
    return checks


def can_answer(checks: list[Check]) -> bool:
    """False when a check that pa needs to answer a question failed."""
    return not any(c.essential and not c.ok for c in checks)
