"""`pa doctor`'s checks: configuration, database schema, secret store, LLM, Google.

Each check reports one ``Check`` and never raises. ``essential`` marks what ``pa`` needs
to answer a question at all (a readable configuration, a usable database and secret
store, an LLM key): when one of those fails, ``pa doctor`` exits non-zero. Nothing here
prints or returns a secret: database URLs are shown without their password, keys only
by where they were found.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pa_cli.errors import PaError

if TYPE_CHECKING:
    from pa_cli.config import Settings
    from pa_cli.secrets import SecretStore
    from pa_cli.store import Store


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    hint: str | None = None
    #: pa cannot answer a question while this fails.
    essential: bool = False

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("essential")
        return data


@dataclass
class Context:
    """What several checks share: the settings, and the store/secret store once opened."""

    settings: Settings
    store: Store | None = None
    secrets: SecretStore | None = None
    secrets_error: PaError | None = None


def check_config() -> tuple[Check, Settings | None]:
    from pa_cli.config import load_settings
    from pa_cli.paths import app_paths

    path = app_paths().config_file
    try:
        settings = load_settings()
    except PaError as exc:
        return Check("config", False, exc.message, exc.hint or f"fix or remove {path}", essential=True), None
    detail = f"{path}: valid" if path.exists() else f"{path} does not exist: defaults and environment in use"
    return Check("config", True, detail), settings


def check_database(ctx: Context) -> Check:
    from pa_cli.store.engine import make_engine, redact_url
    from pa_cli.store.migrate import current_revisions, script_revisions

    url = ctx.settings.database_url
    shown = redact_url(url)
    try:
        engine = make_engine(url)
    except PaError as exc:
        return Check("database", False, exc.message, exc.hint, essential=True)
    except Exception as exc:
        return Check("database", False, f"{shown}: {type(exc).__name__}", essential=True)
    try:
        revisions = current_revisions(engine)
    except PaError as exc:
        engine.dispose()
        return Check("database", False, _scrub(exc.message, url), exc.hint, essential=True)
    except Exception as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0]
        return Check(
            "database",
            False,
            _scrub(f"cannot open {shown}: {reason}", url),
            "check PA_DATABASE_URL (or database.url) and that the database server is running",
            essential=True,
        )
    known, head = script_revisions()
    if not revisions:
        engine.dispose()
        return Check("database", True, f"{shown}: new, its schema ({head}) is created on first use")
    unknown = [r for r in revisions if r not in known]
    if unknown:
        engine.dispose()
        return Check(
            "database",
            False,
            f"{shown}: schema {', '.join(unknown)} is newer than this pa knows (head {head})",
            "upgrade pa, or set PA_DATABASE_URL to another database",
            essential=True,
        )
    if head not in revisions:
        engine.dispose()
        return Check(
            "database",
            True,
            f"{shown}: schema {', '.join(revisions)}, older than {head}; pa upgrades it on its next start",
        )
    from pa_cli.store.store import Store

    ctx.store = Store(engine)
    return Check("database", True, f"{shown}: schema {head} (current)")


def _scrub(text: str, url: str) -> str:
    """Driver messages may echo the URL: never its password."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        for form in {password, unquote(password)}:
            text = text.replace(form, "***")
    return text


def check_secrets(ctx: Context) -> Check:
    from pa_cli.secrets import open_secret_store

    try:
        store = open_secret_store(ctx.settings.app_paths, interactive=False)
        store.get("llm.api_key")  # opens (decrypts, unlocks) the store; the value is not kept
    except PaError as exc:
        ctx.secrets_error = exc
        return Check(
            "secrets",
            False,
            f"locked: {exc.message}",
            exc.hint or "set PA_KEYRING_PASSPHRASE, or unlock the OS keyring",
            essential=True,
        )
    ctx.secrets = store
    name = store.backend_name
    path = getattr(store, "path", None)
    if path is not None and not path.exists():
        return Check("secrets", True, f"{name}: nothing stored yet")
    return Check("secrets", True, f"{name}: unlocked")


def check_llm(ctx: Context) -> Check:
    from pa_cli.agent.llm_keys import KEYLESS_PROVIDERS, lookup_api_key
    from pa_cli.agent.llm_registry import client_spec
    from pa_cli.config_keys import PROVIDER_KEY_ENV

    settings = ctx.settings
    llm = settings.llm
    spec = client_spec(settings, "-")  # a placeholder key: only the URL and the config problem are used
    where = f"{llm.provider}, model {llm.effective_model}, {spec.url or '(no URL)'}"
    if spec.problem:
        return Check("llm", False, f"{where}: {spec.problem}", spec.hint, essential=True)
    if llm.provider in KEYLESS_PROVIDERS and llm.api_key is None:
        return Check("llm", True, f"{where}; no API key needed")
    found = lookup_api_key(settings)
    if found.key is None:
        problem = found.problem
        assert problem is not None
        return Check("llm", False, f"{where}: {problem.message}", problem.hint, essential=True)
    if llm.api_key is None:
        return Check("llm", True, f"{where}; API key from the secret store")
    env_var = PROVIDER_KEY_ENV.get(llm.provider)
    names = f"{env_var} or PA_LLM_API_KEY" if env_var else "PA_LLM_API_KEY"
    return Check("llm", True, f"{where}; API key from the environment ({names})")


def check_google(ctx: Context) -> list[Check]:
    """Is a Google client configured; per service: authorized, scopes, token expiry (like `gh auth status`)."""
    from pa_cli.google.client_config import is_client_configured
    from pa_cli.google.scopes import SERVICES, scopes_for, short_scope

    settings = ctx.settings
    checks: list[Check] = []
    if is_client_configured(settings):
        source = settings.google.client_secrets or "stored by `pa tools setup google`"
        checks.append(Check("google", True, f"OAuth client configured ({source})"))
    else:
        checks.append(
            Check(
                "google",
                True,
                "no OAuth client configured: Gmail and Calendar tools are off",
                "pa tools setup google --client-secrets FILE",
            )
        )
    grants: dict[str, Any] = {}
    if ctx.store is not None:
        try:
            user = ctx.store.users.local_user()
            grants = {
                row.service: row for row in ctx.store.oauth_tokens.list(user.id) if row.provider == "google"
            }
        except Exception as exc:  # a database that opened but cannot be read: say so, go on
            checks.append(Check("google", False, f"cannot read the stored grants ({type(exc).__name__})"))
    for service in SERVICES:
        row = grants.get(service)
        name = f"google.{service}"
        if row is None:
            checks.append(Check(name, True, "not authorized", f"pa tools authorize {service}"))
            continue
        granted = sorted(short_scope(s) for s in (row.scopes or []))
        missing = sorted(short_scope(s) for s in set(scopes_for(settings, service)) - set(row.scopes or []))
        detail = f"authorized; scopes: {', '.join(granted) or '(none)'}; {_expiry(row.expiry)}"
        if missing:
            checks.append(
                Check(
                    name, False, f"{detail}; missing: {', '.join(missing)}", f"pa tools authorize {service}"
                )
            )
        else:
            checks.append(Check(name, True, detail))
    return checks


def _expiry(expiry: datetime | None) -> str:
    if expiry is None:
        return "access token expiry unknown"
    when = expiry if expiry.tzinfo else expiry.replace(tzinfo=UTC)
    stamp = when.astimezone().strftime("%Y-%m-%d %H:%M %Z")
    if when <= datetime.now(UTC):
        return f"access token expired {stamp} (renewed on next use)"
    return f"access token valid until {stamp}"
