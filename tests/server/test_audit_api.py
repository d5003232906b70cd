"""GET .../audit over a real `pa serve`: the user's ledger, newest first, paged and filtered; and the
rows the server writes are anchored, so `pa audit verify` holds for them."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

from pa_cli.testing.fake_llm import FakeLLM
from tests.agent.scripts import thinking
from tests.server.support import API, LiveServer, stream_events
from tests.server.test_streams import _other_users_token


def _chat_with_tools(server: LiveServer, fake_llm: FakeLLM) -> str:
    fake_llm.reply_text(
        thinking(
            None,
            ("fs_write", {"path": "/a.md", "content": "one"}),
            ("fs_write", {"path": "/b.md", "content": "two"}),
        )
    )
    fake_llm.reply_text(thinking(None, ("fs_read", {"path": "/a.md"})))
    fake_llm.reply_text(thinking("Done."))
    with server.client() as http:
        events = stream_events(http, f"{API}/chat/stream", {"message": "write and read"})
    assert events[-1].event == "done", events
    session_id: str = events[-1].data["session_id"]
    return session_id


def test_audit_lists_the_users_rows_newest_first_with_filters_and_pages(
    own_server: LiveServer, fake_llm: FakeLLM
) -> None:
    server = own_server
    first = _chat_with_tools(server, fake_llm)
    second = _chat_with_tools(server, fake_llm)
    with server.client() as http:
        everything = http.get(f"{API}/audit").json()
        # each call is a begin row and a closing row
        assert [r["tool"] for r in everything["rows"]] == (["fs_read"] * 2 + ["fs_write"] * 4) * 2
        ids = [r["id"] for r in everything["rows"]]
        assert ids == sorted(ids, reverse=True)
        assert {r["frontend"] for r in everything["rows"]} == {"api"}
        assert {r["client_id"] for r in everything["rows"]} == {server.client_id}
        assert everything["next_offset"] is None

        page = http.get(f"{API}/audit", params={"limit": 8}).json()
        assert [r["id"] for r in page["rows"]] == ids[:8] and page["next_offset"] == 8
        rest = http.get(f"{API}/audit", params={"limit": 8, "offset": 8}).json()
        assert [r["id"] for r in rest["rows"]] == ids[8:] and rest["next_offset"] is None

        session_rows = http.get(f"{API}/audit", params={"session_id": first}).json()["rows"]
        assert [r["id"] for r in session_rows] == ids[6:]
        assert {r["session_id"] for r in session_rows} == {first}
        reads = http.get(f"{API}/audit", params={"tool": "fs_read"}).json()["rows"]
        assert [(r["tool"], r["session_id"]) for r in reads] == [("fs_read", second)] * 2 + [
            ("fs_read", first)
        ] * 2
        today = date.today()
        same_day = {"since": today.isoformat(), "until": today.isoformat()}
        assert len(http.get(f"{API}/audit", params=same_day).json()["rows"]) == 12
        yesterday = (today - timedelta(days=1)).isoformat()
        assert http.get(f"{API}/audit", params={"until": yesterday}).json()["rows"] == []

        # Only YYYY-MM-DD, as the document says: pydantic alone would take 0 as 1970-01-01.
        for not_a_day in ("tomorrow", "0", "1764720000", "2026-12-3", f"{today.isoformat()}T00:00"):
            bad = http.get(f"{API}/audit", params={"since": not_a_day})
            assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request", not_a_day
            assert http.get(f"{API}/audit", params={"until": not_a_day}).status_code == 422, not_a_day
        backwards = http.get(f"{API}/audit", params={"since": today.isoformat(), "until": yesterday})
        assert backwards.status_code == 200 and backwards.json()["rows"] == []

    with server.client(_other_users_token(server)) as other:
        assert other.get(f"{API}/audit").json()["rows"] == []
    with server.client("not-a-token") as anonymous:
        assert anonymous.get(f"{API}/audit").status_code == 401

    # The server anchored every row it wrote: the ledger verifies from the command line.
    verified = subprocess.run(
        [sys.executable, "-m", "pa_cli", "audit", "verify"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == "ok: the audit log is intact: 12 rows, up to row 12"
