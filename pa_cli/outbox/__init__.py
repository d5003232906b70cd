"""The outbox: approved mail waits here before it goes out (undo send, scheduled send).

An approved ``gmail_send`` does not reach Gmail at once: it is queued for
``gmail.undo_seconds`` (``pa undo`` takes it back) or until its ``send_at``.
``flush_due(store, settings, now)`` sends what is due, each item claimed
atomically (pending -> sending) so that it goes out exactly once, whoever else
flushes at the same moment (`pa serve`'s background task, `pa outbox flush`,
`pa routine run-due`, the detached sender of an undo window).
"""

from pa_cli.outbox.repository import OutboxRepository
from pa_cli.outbox.send import FlushReport, flush_due, undo_latest

__all__ = ["FlushReport", "OutboxRepository", "flush_due", "undo_latest"]
