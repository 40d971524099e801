"""BLAS on one thread in a process that fits ETS models.

The optimiser that fits the model (scipy's L-BFGS-B) calls BLAS on vectors and matrices of a
dozen numbers, thousands of times a fit. OpenBLAS computes those on one thread anyway, but its
other threads wake and spin around the calls: on a busy machine with two cores they take the
CPU from the fit, which then took several times as long (docs/kpi-evaluation.md, "Fits shared
and kept").
With one thread the numbers are the same to the bit (the same kernels run in the same order).

The thread count is one setting for the whole process, and changing it back and forth around
each fit costs more than it saves when the fits run in worker threads (the scheduler's, the web
app's): so the first fit sets it to one, for good, as ``OPENBLAS_NUM_THREADS=1`` would at start.
Nothing in onpace gains from more: its arrays are small, and DuckDB has threads of its own. The
setting is threadpoolctl's (ADR 0018).
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_done = False


def one_thread() -> None:
    """Put the BLAS libraries loaded (scipy's among them) on one thread, the first time only."""
    global _done
    with _lock:
        if _done:
            return
        _done = True
        import scipy.optimize  # noqa: F401 - the optimiser's BLAS loaded before the setting
        import threadpoolctl

        threadpoolctl.threadpool_limits(limits=1, user_api="blas")
