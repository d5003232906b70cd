"""Errors a user can cause or fix, each with a one-line message and an exit code.

Front-ends render these once, at the edge: the CLI prints ``error: <message>``
and exits with ``exit_code``; the server maps them to a 4xx JSON body.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_WAITING = 4  # the turn stopped to wait for a person's approval: nothing was done yet


class PaError(Exception):
    """Base for every error that is shown to a user as a single line."""

    exit_code: int = EXIT_FAILURE
    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(PaError):
    """The user asked for something malformed: a bad key, value or argument."""

    exit_code = EXIT_USAGE
    code = "invalid_request"


class ConfigError(UsageError):
    """The configuration file or a setting is invalid."""

    code = "invalid_config"


class NotFoundError(UsageError):
    """A session, approval, tool or file the user named does not exist."""

    code = "not_found"


class AuthorizationNeeded(PaError):
    """A service must be (re)authorized before this can run."""

    exit_code = EXIT_AUTH
    code = "authorization_needed"


class StoreError(PaError):
    """The database cannot be used (for example it comes from a newer pa)."""

    code = "store_error"


class SecretStoreError(PaError):
    """No usable secret store: no OS keyring and no passphrase for the fallback."""

    code = "secret_store_unavailable"


class NotAvailableYet(PaError):
    """A command that a later release of pa implements."""

    code = "not_available"


class ToolError(PaError):
    """A tool failed in a way the LLM (and user) should be told about.

    Defined here, not in ``tools.base`` (which re-exports it), so that ``google`` can raise it
    without importing the layer above it."""

    code = "tool_error"
