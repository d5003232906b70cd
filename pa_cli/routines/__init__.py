"""Routines: briefings and check-ins that run on a schedule, exactly once, with no one present."""
