"""Run ``deliver_due`` once in its own process: ``python deliver_once.py ROOT STORE_URL [SECONDS_AHEAD]``.

Used by the crash test: the test kills this process with SIGKILL while it sends, then runs it again.
The project's environment is this process's (the test passes the webhook's URL in it).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from onpace.catalog.project import load_project
from onpace.services.delivery import deliver_due
from onpace.store import Store


def main() -> None:
    root, url = sys.argv[1], sys.argv[2]
    ahead = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ahead)
    store = Store(url)
    try:
        run = deliver_due(load_project(root), store, now=now)
    finally:
        store.close()
    print(json.dumps(run.model_dump(mode="json")))


if __name__ == "__main__":
    main()
