"""Change a project's definition files: checked first, under a lock, replaced atomically, recorded or undone.

Every change onpace makes to a project's YAML (objectives and KPIs made in the
app, promote and demote, library entries) goes through :func:`edit_project`:

1. take the project's lock (:func:`onpace.fileio.project_lock`: other threads
   and processes wait);
2. load the project as its files are now, and let ``change`` decide from that
   (is the name still free? is the KPI still where it was?) what the new text of
   each file is: a decision made on a copy read before the lock could undo a
   change that landed in between;
3. load the project with the new texts in place of the files (nothing is
   written yet): a change that breaks the project is refused with every
   problem, and ``check`` may refuse it too;
4. replace each file atomically (:func:`onpace.fileio.replace_text`);
5. ``record`` the change (the audit, in one store transaction); when that
   fails, the files get their old text back, still under the lock, so nothing
   another writer did is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from onpace.catalog.project import Project, load_project
from onpace.errors import UserError
from onpace.fileio import project_lock, read_text, replace_text

Change = Callable[[Project], Mapping[Path, str]]


def edit_project(
    root: Path,
    change: Change,
    *,
    env: Mapping[str, str] | None = None,
    check: Callable[[Project, Project], None] | None = None,
    record: Callable[[Project], None] | None = None,
) -> Project:
    """Apply ``change`` (current project -> new text per file) as above; the project as written."""
    root = Path(root).resolve()
    with project_lock(root):
        current = load_project(root, env=env)
        texts = {Path(path).resolve(): text for path, text in change(current).items()}
        changed = load_project(root, env=env, overlay=texts)
        for path in texts:
            shown = path.relative_to(root).as_posix()
            if shown not in changed.positions:
                raise UserError(f"{shown} is not under the project's models paths, so its definitions would not load")
        if check is not None:
            check(current, changed)
        before = write_files(texts)
        try:
            if record is not None:
                record(changed)
        except BaseException:
            write_files(before)
            raise
    return changed


def write_files(texts: Mapping[Path, str | None]) -> dict[Path, str | None]:
    """Replace each file with its text (None: remove it); the old texts. Hold the project's lock around it.

    When one cannot be written, those already written get their old text back before the error is raised.
    """
    before: dict[Path, str | None] = {}
    try:
        for path, text in texts.items():
            before[path] = read_text(path)
            replace_text(path, text)
    except BaseException:
        for path, text in before.items():
            replace_text(path, text)
        raise
    return before
