"""What the benchmarks share: where data and results live, and what the machine's load was.

The scripts run as files (``python benchmarks/<name>.py``), so they import this module as
``common`` from their own folder.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path
from types import TracebackType

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"  # generated TPC-H examples, benchmarks/data/sf<scale>/ (ignored by git)
RESULTS = HERE / "results"  # one JSON file per run, <benchmark>-<date>.json (ignored by git)


def load_average() -> float:
    """The machine's 1-minute load average now (the kernel keeps it to about 1/2048)."""
    return round(os.getloadavg()[0], 2)


def load_summary(values: list[float]) -> dict[str, float | None]:
    """Lowest, median and highest of some load average samples (None for each when there are none)."""
    if not values:
        return {"min": None, "median": None, "max": None}
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


class LoadSampler:
    """Samples the 1-minute load average every ``interval`` seconds in a thread, while in a ``with`` block.

    Each sample is (seconds since the sampler started, load average); ``between`` picks those of
    one stretch of time, such as one benchmark's run. ``sample`` takes one at once, so a stretch
    shorter than the interval still has its start and its end.
    """

    def __init__(self, interval: float = 1.0) -> None:
        if interval <= 0:
            raise ValueError("the sampling interval must be positive")
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._origin = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="load-average", daemon=True)

    def now(self) -> float:
        """Seconds since the sampler started: the clock of the samples."""
        return time.monotonic() - self._origin

    def sample(self) -> float:
        """Take one sample now; its time on the sampler's clock."""
        at, value = self.now(), load_average()
        with self._lock:
            self.samples.append((at, value))
        return at

    def between(self, start: float, end: float) -> list[float]:
        """The load averages sampled from ``start`` to ``end`` (the sampler's clock), in order."""
        with self._lock:
            return [value for at, value in self.samples if start <= at <= end]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> LoadSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
