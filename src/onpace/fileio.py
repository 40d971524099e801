"""Definition files written safely: under a lock that holds across processes, replaced atomically.

Several processes write a project's YAML at once (the web server's threads and
worker processes, the CLI), and the server re-reads it when it changes. So every
write of a definition file:

- holds :func:`project_lock`, an exclusive ``flock`` on ``.onpace/definitions.lock``
  in the project (private: the folder 0700, the file 0600), taken by one thread of
  a process at a time and reentrant within that thread;
- goes through :func:`replace_text`: the text is written to a temporary file in
  the same folder (``.<name>.<random>.tmp``, which no loader reads), flushed and
  fsynced, given the mode of the file it replaces (a new file gets the user's
  umask default, as any file they create), then renamed over the file with
  ``os.replace``, and the folder is fsynced. A reader sees the old text or the
  new one, never half of it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from onpace.errors import OnpaceError

LOCK_DIR = ".onpace"  # the project's private folder (config.STORE_DIR)
LOCK_FILE = "definitions.lock"
LOCK_TIMEOUT_S = 60.0
_NEW_FILE_MODE = 0o666  # before the umask, as open() creates files


class LockTimeoutError(OnpaceError):
    """Another writer held the definitions' lock for too long."""

    status = 503


class FileWriteError(OnpaceError):
    """A definition file could not be written (a full disk, a read-only folder): nothing was changed."""

    status = 503


class _ProcessLock:
    """One per lock file in this process: a thread lock in front of the file lock, counted for reentry."""

    def __init__(self) -> None:
        self.thread_lock = threading.RLock()
        self.depth = 0
        self.fd: int | None = None


_locks: dict[Path, _ProcessLock] = {}
_locks_guard = threading.Lock()


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter (0700 when onpace creates it)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def lock_path(root: Path) -> Path:
    return Path(root).resolve() / LOCK_DIR / LOCK_FILE


@contextlib.contextmanager
def project_lock(root: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the project's definitions lock (other threads and processes wait; LockTimeoutError after ``timeout``)."""
    path = lock_path(root)
    with _locks_guard:
        state = _locks.setdefault(path, _ProcessLock())
    deadline = time.monotonic() + timeout
    if not state.thread_lock.acquire(timeout=timeout):
        raise _timeout(path, timeout)
    try:
        if state.depth == 0:
            state.fd = _lock_file(path, deadline, timeout)
        state.depth += 1
        try:
            yield
        finally:
            state.depth -= 1
            if state.depth == 0 and state.fd is not None:
                os.close(state.fd)  # closing the file releases its lock
                state.fd = None
    finally:
        state.thread_lock.release()


def _lock_file(path: Path, deadline: float, timeout: float) -> int:
    import fcntl

    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise _timeout(path, timeout) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        except BaseException:
            os.close(fd)
            raise


def _timeout(path: Path, timeout: float) -> LockTimeoutError:
    return LockTimeoutError(
        f"another change of the definitions held their lock for over {timeout:.0f} s; try again "
        f"(a stuck process may hold {LOCK_DIR}/{path.name})"
    )


def read_text(path: Path) -> str | None:
    """The text of ``path``, or None when there is no such file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def replace_text(path: Path, text: str | None) -> None:
    """Make ``path`` hold ``text`` (None: remove it) in one step; hold :func:`project_lock` around it.

    FileWriteError (503) when the system refuses (a full disk, a read-only folder): the file is as it was.
    """
    try:
        _replace_text(path, text)
    except OSError as exc:
        raise FileWriteError(
            f"cannot write {path.name}: {exc.strerror or exc}; nothing was changed (is the disk full?)"
        ) from exc


def _replace_text(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
        _sync_dir(path.parent)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), _NEW_FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_dir(path.parent)


def _sync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` survive a crash (where the system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
