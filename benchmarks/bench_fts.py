"""Full-text search over 100,000 messages: `store.messages.search` latency.

Builds a SQLite database of synthetic chat messages (Zipf-distributed English
words, 4 to 60 words each, 1,000 sessions) in a temporary directory through
the real migrations and FTS triggers, then times ~50 varied queries (common and
rare words, phrases of several words, prefixes, misses, awkward input), each
three times after a warm-up. Target: median < 20 ms.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.stats import summarize_ms

if TYPE_CHECKING:
    from pa_cli.store import Store

MESSAGES = 100_000
SESSIONS = 1_000
ROUNDS = 3
TARGET_MEDIAN_MS = 20.0

_WORD_TEXT = """
the of and to a in is it you that he was for on are with as I his they be at one have this from or had by
not word but what some we can out other were all there when up use your how said an each she which do
their time if will way about many then them write would like so these her long make thing see him two has
look more day could go come did number sound no most people my over know water than call first who may
down side been now find any new work part take get place made live where after back little only round man
year came show every good me give our under name very through just form sentence great think say help low
line differ turn cause much mean before move right boy old too same tell does set three want air well also
play small end put home read hand port large spell add even land here must big high such follow act why
ask men change went light kind off need house picture try us again animal point mother world near build
self earth father head stand own page should country found answer school grow study still learn plant
cover food sun four between state keep eye never last let thought city tree cross farm hard start might
story saw far sea draw left late run while press close night real life few north open seem together next
white children begin got walk example ease paper group always music those both mark often letter until
mile river car feet care second book carry took science eat room friend began idea fish mountain stop
once base hear horse cut sure watch color face wood main enough plain girl usual young ready above ever
red list though feel talk bird soon body dog family direct pose leave song measure door product black
short numeral class wind question happen complete ship area half rock order fire south problem piece told
knew pass since top whole king space heard best hour better true during hundred five remember step early
hold west ground interest reach fast verb sing listen six table travel less morning ten simple several
vowel toward war lay against pattern slow center love person money serve appear road map rain rule govern
pull cold notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure
star box noun field rest correct able pound done beauty drive stood contain front teach week final gave
green oh quick develop ocean warm free minute strong special mind behind clear tail produce fact street
inch multiply nothing course stay wheel full force blue object decide surface deep moon island foot system
busy test record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape
equate hot miss brought heat snow tire bring yes distant fill east paint language among meeting calendar
email invoice schedule tomorrow monday tuesday wednesday thursday friday saturday sunday january february
march april june july august september october november december reply draft send attach document report
budget project deadline review client contract agenda lunch dinner flight hotel booking reminder
appointment doctor dentist birthday anniversary conference call slides presentation quarterly summary
notes todo follow urgent priority invitation attendee event cancel reschedule confirm password receipt
payment subscription renewal delivery package order refund support ticket issue feature release deploy
server database backup migration upgrade laptop phone message thread inbox newsletter weekend vacation
holiday train bus taxi airport office remote team manager colleague interview candidate offer salary
"""
_WORDS = _WORD_TEXT.split()

_PHRASE_QUERIES = [
    "the",
    "meeting",
    "invoice",
    "quarterly report",
    "flight hotel",
    "follow up",
    "dentist appointment",
    "budget review deadline",
    "send the draft",
    "conference call slides",
    "birthday",
    "water",
    "picture",
    "reschedule meeting tomorrow",
    "contract client",
    "subscription renewal",
    "password",
    "the and of",
    "vacation weekend",
    "interview candidate",
    "server database migration",
    "laptop backup",
    "monday",
    "friday lunch",
    "airport taxi",
    "newsletter",
    "urgent priority ticket",
    "refund payment",
    "presentation",
    "mountain river",
]
_OTHER_QUERIES = [
    "meet*",
    "invo*",
    "sched*",
    "conf*",
    "pres* slid*",
    "zyzzyva",
    "qwertyuiop",
    "nonexistentword",
    'foo"bar',
    "OR",
    "NEAR(meeting lunch)",
    "budget OR invoice",
    "-draft",
    "meetings",
    "reports",
    "scheduling",
    "delivered packages",
    "THE MEETING",
    "calendar event attendee",
    "science book",
]
QUERIES = _PHRASE_QUERIES + _OTHER_QUERIES


def _sentence(rng: random.Random, weights: list[float]) -> str:
    words = rng.choices(_WORDS, weights=weights, k=rng.randint(4, 60))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", "?", "!", "."])


def build(path: Path, messages: int = MESSAGES) -> tuple[Store, int, float]:
    """A store at ``path`` holding ``messages`` messages; returns (store, user id, build seconds)."""
    from pa_cli.store import open_store
    from pa_cli.store.models import Message
    from pa_cli.store.types import utcnow

    started = time.perf_counter()
    store = open_store(url=f"sqlite:///{path}")
    user = store.users.local_user()
    session_ids = [store.sessions.create(user.id, title=f"session {i}").id for i in range(SESSIONS)]
    rng = random.Random(20250101)
    weights = [1.0 / (rank + 1) ** 1.07 for rank in range(len(_WORDS))]
    rng.shuffle(weights)  # domain words are not all rare
    now = utcnow()
    rows = [
        {
            "session_id": session_ids[i % SESSIONS],
            "role": "user" if i % 2 == 0 else "assistant",
            "content": _sentence(rng, weights),
            "status": "complete",
            "created_at": now,
        }
        for i in range(messages)
    ]
    table = Message.__table__  # type: ignore[attr-defined]
    with store.engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(table.insert(), rows[start : start + 10_000])
    return store, user.id, time.perf_counter() - started


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="pa-bench-fts-") as tmp:
        store, user_id, build_s = build(Path(tmp) / "pa.db")
        try:
            for query in QUERIES[:5]:
                store.messages.search(user_id, query)  # warm caches
            samples: list[float] = []
            hits: list[int] = []
            for _ in range(ROUNDS):
                for query in QUERIES:
                    started = time.perf_counter()
                    found = store.messages.search(user_id, query, limit=20)
                    samples.append(time.perf_counter() - started)
                    hits.append(len(found))
        finally:
            store.close()
    summary = summarize_ms(samples)
    result: dict[str, float] = {
        "messages": float(MESSAGES),
        "queries": float(len(QUERIES)),
        "build_s": round(build_s, 2),
        **{k: float(v) for k, v in summary.items()},
        "queries_with_hits": float(sum(1 for h in hits[: len(QUERIES)] if h)),
    }
    verdict = "ok" if result["median_ms"] < TARGET_MEDIAN_MS else "OVER TARGET"
    print(
        f"   search over {MESSAGES:,} messages ({len(QUERIES)} queries x {ROUNDS}): "
        f"median {result['median_ms']} ms, p95 {result['p95_ms']} ms, "
        f"min {result['min_ms']} ms, max {result['max_ms']} ms "
        f"(target median < {TARGET_MEDIAN_MS:.0f} ms: {verdict}); build {result['build_s']} s"
    )
    return result


if __name__ == "__main__":
    run()
