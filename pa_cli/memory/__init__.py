"""Memory: short facts about the user that pa recalls in later turns, all of them visible and editable.

``recall`` picks the facts a turn's model sees (pinned first, then the best FTS matches,
within ``memory.recall_limit`` tokens); ``similar`` finds near-duplicates so a new fact
updates an old one instead of piling up; ``markdown`` is the export/import format;
``book.MemoryBook`` is what the front-ends (CLI, TUI, HTTP) call.
"""
