"""Refresh runs: one row per refresh, from start to how it ended.

A run that is still "running" when its process died (killed, machine
rebooted) would stay so for ever; :func:`mark_interrupted` finds those whose
process is gone and marks them "interrupted". So it does for a run of this very
process that the process no longer carries out (the server's refresh thread
ended, but the store could not record how, e.g. on a full disk): runs started
here are noted in memory until :func:`finish_run` or :func:`release`.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from onpace.errors import NotFoundError
from onpace.store.coltypes import utcnow
from onpace.store.models import RefreshRun, RunMode, RunStatus
from onpace.store.reads import list_runs as list_runs

#: Why a run of this process that it no longer carries out is marked "interrupted".
ABANDONED = "the refresh ended without recording how it ended (the store could not be written then)"

_CARRIED: set[int] = set()  # ids of the runs this process started and has not finished
_CARRIED_LOCK = threading.Lock()


def start_run(
    s: Session, mode: RunMode, requested_by: str, pid: int | None = None, scope: Sequence[str] | None = None
) -> int:
    """Record a run that starts now on this host; ``pid`` defaults to this process; ``scope``: its
    metrics when limited to some (None: all). Returns its id."""
    run = RefreshRun(
        scope=list(scope) if scope is not None else None,
        started_at=utcnow(),
        status="running",
        mode=mode,
        requested_by=requested_by,
        pid=os.getpid() if pid is None else pid,
        host=this_host(),
        metrics_total=0,
        metrics_failed=0,
        errors={},
    )
    s.add(run)
    s.flush()
    if run.pid == os.getpid():
        with _CARRIED_LOCK:
            _CARRIED.add(run.id)
    return run.id


def release(run_id: int) -> None:
    """This process no longer carries out run ``run_id`` (finished, or given up)."""
    with _CARRIED_LOCK:
        _CARRIED.discard(run_id)


def _carried_here(run_id: int) -> bool:
    with _CARRIED_LOCK:
        return run_id in _CARRIED


def finish_run(
    s: Session,
    run_id: int,
    status: RunStatus,
    metrics_total: int,
    metrics_failed: int,
    errors: Mapping[str, str] | None = None,
) -> RefreshRun:
    """Record how run ``run_id`` ended: ``errors`` maps a metric's name to what went wrong."""
    if status == "running":
        raise ValueError("finish_run needs the status the run ended with, not 'running'")
    run = get_run(s, run_id)
    run.status = status
    run.finished_at = utcnow()
    run.metrics_total = metrics_total
    run.metrics_failed = metrics_failed
    run.errors = {str(name): str(message) for name, message in (errors or {}).items()}
    s.flush()
    release(run_id)
    return run


def get_run(s: Session, run_id: int) -> RefreshRun:
    run = s.get(RefreshRun, run_id)
    if run is None:
        raise NotFoundError(f"no refresh run {run_id}")
    return run


def last_run(s: Session) -> RefreshRun | None:
    """The run that started last, whatever its status."""
    return s.scalars(select(RefreshRun).order_by(RefreshRun.started_at.desc(), RefreshRun.id.desc()).limit(1)).first()


def mark_interrupted(s: Session) -> int:
    """Mark as "interrupted" the runs of this host still "running" whose process is gone.

    A run of this process counts as gone when this process no longer carries
    it out (see the module's docstring): its errors say so. Runs started on
    another host (a shared PostgreSQL store) or without a pid are left alone:
    whether they still run cannot be told from here. Returns how many runs
    were marked.
    """
    host = this_host()
    running = s.scalars(select(RefreshRun).where(RefreshRun.status == "running", RefreshRun.host == host))
    marked = 0
    now = utcnow()
    me = os.getpid()
    for run in running:
        if run.pid is None:
            continue
        if run.pid == me:
            if _carried_here(run.id):
                continue
            run.errors = {**(run.errors or {}), "*": ABANDONED}
        elif pid_alive(run.pid):
            continue
        run.status = "interrupted"
        run.finished_at = now
        marked += 1
    s.flush()
    return marked


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and belongs to another user
    return True


def _windows_pid_alive(pid: int) -> bool:
    # os.kill would terminate the process on Windows; ask for its exit code instead.
    import ctypes

    process_query_limited_information = 0x1000
    still_active = 259
    access_denied = 5
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return bool(ctypes.get_last_error() == access_denied)  # type: ignore[attr-defined,unused-ignore]
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return bool(code.value == still_active)
    finally:
        kernel32.CloseHandle(handle)
