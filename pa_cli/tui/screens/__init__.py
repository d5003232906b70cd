"""The chat TUI's screens: approval, system prompt, information, search."""
