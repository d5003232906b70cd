"""Mutation testing of the safety core (see run.py) and the record of the deliberate bugs (MISSED_BUGS.md)."""
