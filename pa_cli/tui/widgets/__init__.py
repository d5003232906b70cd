"""The chat TUI's widgets."""
