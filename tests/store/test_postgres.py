"""The store on PostgreSQL: the dialect-neutral store tests again, against a real server.

``pa serve`` is stateless so that several workers or hosts can share one PostgreSQL
database (``PA_DATABASE_URL``). The tests below are the store's own, collected here a
second time with ``store`` opened on a fresh PostgreSQL database (tests/fixtures/postgres.py).
Left out, each for a reason: what reads SQLite files or pragmas directly, and full-text
search ranking and stemming, which are SQLite FTS5 features (on other databases search
is a plain case-insensitive match, tested below).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from pa_cli.store import Store, open_store
from tests.store import test_approvals, test_audit, test_messages, test_repositories

SQLITE_ONLY = {
    "test_oauth_tokens_keep_metadata_only",  # reads PRAGMA table_info
    "test_search_finds_messages_by_word_and_by_stem",
    "test_search_ranks_the_best_match_first_and_respects_the_limit",
    "test_search_treats_fts_syntax_in_user_input_as_text",
    "test_search_matches_operator_words_literally",
    "test_search_supports_a_trailing_star_as_prefix",
    "test_search_index_follows_edits_and_deletions",
    "test_fts_query_quotes_every_term",
}


def _reuse(*modules: ModuleType) -> None:
    for module in modules:
        for name, test in vars(module).items():
            if name.startswith("test_") and callable(test) and name not in SQLITE_ONLY:
                globals()[name] = test


_reuse(test_repositories, test_messages, test_approvals, test_audit)


@pytest.fixture
def store(postgres_url: str) -> Iterator[Store]:
    with open_store(url=postgres_url) as opened:
        assert opened.dialect == "postgresql"
        yield opened


def test_migrations_bring_an_empty_postgresql_database_to_the_current_schema(store: Store) -> None:
    from pa_cli.store import migrate

    assert store.schema_version() == migrate.head_revision()


def test_search_without_fts_is_a_case_insensitive_match_of_the_users_own_messages(store: Store) -> None:
    user = store.users.local_user()
    other = store.users.ensure("someone-else")
    mine = store.sessions.create(user.id)
    store.messages.add(mine.id, "user", "Lunch with Ada on Friday")
    store.messages.add(mine.id, "assistant", "Noted: lunch, Friday.")
    store.messages.add(store.sessions.create(other.id).id, "user", "lunch plans of someone else")

    found = store.messages.search(user.id, "LUNCH")

    assert sorted(m.content for m in found) == ["Lunch with Ada on Friday", "Noted: lunch, Friday."]
