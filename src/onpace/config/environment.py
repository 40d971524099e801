"""The ``ONPACE_*`` environment variables, one read without pydantic-settings.

:class:`onpace.config.settings.Settings` reads every setting and checks it, but importing
pydantic-settings costs about 40 ms: where the one value needed is the store's URL (the reading
commands of the CLI, :func:`onpace.config.store_url`), :func:`variable` reads it as
pydantic-settings does (a test holds the two equal).
"""

from __future__ import annotations

import os

ENV_PREFIX = "ONPACE_"


def variable(field: str) -> str | None:
    """The value of setting ``field`` in the environment, as :class:`~onpace.config.settings.Settings`
    finds it: the variable ``ONPACE_<FIELD>``, its name in any case (the last one listed when several
    differ only by case); None when it is not set."""
    wanted = (ENV_PREFIX + field).lower()
    found = None
    for name, value in os.environ.items():
        if name.lower() == wanted:
            found = value
    return found
