"""A fake Google (OAuth 2, Gmail v1, Calendar v3) served over real HTTP on 127.0.0.1 for tests.

Production code reaches it only through the client-secrets ``auth_uri``/``token_uri``,
``PA_GOOGLE_API_ENDPOINT`` and ``PA_GOOGLE_REVOKE_URI``.
"""

from pa_cli.testing.fake_google.browser import FakeBrowser
from pa_cli.testing.fake_google.calendar_state import EventChange
from pa_cli.testing.fake_google.http_server import ApiRequest
from pa_cli.testing.fake_google.mime import Attachment, MailRecord, StoredMessage
from pa_cli.testing.fake_google.oauth_state import IssuedTokens, TokenRequest
from pa_cli.testing.fake_google.server import FakeGoogle

__all__ = [
    "ApiRequest",
    "Attachment",
    "EventChange",
    "FakeBrowser",
    "FakeGoogle",
    "IssuedTokens",
    "MailRecord",
    "StoredMessage",
    "TokenRequest",
]
