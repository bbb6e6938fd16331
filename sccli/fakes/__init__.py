"""Servers that stand in for what cannot be installed here (tests, ``sccli demo``)."""
