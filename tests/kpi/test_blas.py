"""BLAS on one thread once an ETS model is fitted (onpace.kpi.blas): the same numbers, in every thread."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import threading
import numpy as np
import threadpoolctl
from onpace.kpi import ets

def blas_threads():
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

import scipy.optimize  # its BLAS loaded: as many threads as cores (OpenBLAS's default)
assert blas_threads(), "no BLAS library found"
history = 100 + 0.3 * np.arange(60) + 15.0 * (np.arange(60) % 7 >= 5) + np.sin(np.arange(60))
found = []
worker = threading.Thread(target=lambda: found.append(ets.fit(history, seasonal=True)))
worker.start()
worker.join()
assert all(n == 1 for n in blas_threads()), blas_threads()  # set from a worker thread, for the process
assert ets.fit(history, seasonal=True) == found[0]
print("ok")
"""


def test_the_first_fit_puts_blas_on_one_thread_for_the_process() -> None:
    """In a process of its own: the setting is the process's, for good."""
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
