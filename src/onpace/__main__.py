"""``python -m onpace``: the command line, as the ``onpace`` command."""

from __future__ import annotations

from onpace.cli.main import app

app(prog_name="onpace")
