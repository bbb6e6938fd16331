"""Sync with trackers: ``plan`` (pure: what must change where), ``escalation`` (pure: the
text the owner party reads) and ``apply`` (I/O: intents, adapters, journal, cursors)."""
