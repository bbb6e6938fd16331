"""Fixtures: workspaces with two local trackers (vendor and partner)."""

from __future__ import annotations

import pytest
from synchelp import configure


@pytest.fixture
def ws(cli):
    configure(cli)
    return cli


@pytest.fixture
def ws_any(cli_any):
    configure(cli_any)
    return cli_any
