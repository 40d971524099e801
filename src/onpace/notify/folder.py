"""The ``file`` channel: each message written as a text file in a folder of the project.

The file's name comes from the message (its creation time and a hash of its key), so a resend of
the same message replaces its file instead of adding a second one. Files are written atomically.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from onpace import fileio
from onpace.catalog.channels import FileChannel
from onpace.notify.message import Message, SendError


def path_of(folder: Path, message: Message) -> Path:
    stamp = message.created_at.strftime("%Y%m%dT%H%M%SZ") if message.created_at else "message"
    slug = re.sub(r"[^a-z0-9]+", "-", message.subject.lower()).strip("-")[:60] or "message"
    digest = hashlib.sha256(message.key.encode()).hexdigest()[:10]
    return folder / f"{stamp}-{slug}-{digest}.txt"


def render(message: Message, channel_to: list[str], app_url: str | None = None) -> str:
    lines = [
        f"Subject: {message.subject}",
        f"To: {message.to or ', '.join(channel_to) or '(the channel)'}",
    ]
    if message.created_at:
        lines.append(f"Date: {message.created_at.isoformat()}")
    if message.status:
        lines.append(f"Status: {message.status}")
    lines += [f"Key: {message.key}", f"Origin: {message.origin}", ""]
    lines.append(message.text.rstrip("\n"))
    facts = message.facts()
    if facts:
        lines.append("")
        lines += [f"{label}: {value}" for label, value in facts]
    # absolute with notifications.app_url, as the chat channels' links are; else as the message has it
    link = message.link(app_url) or message.payload.get("url")
    if isinstance(link, str) and link:
        lines += ["", f"Link: {link}"]
    return "\n".join(lines) + "\n"


def send(channel: FileChannel, message: Message, *, root: Path, app_url: str | None = None) -> Path:
    folder = (root / channel.folder).resolve()
    if root.resolve() not in (folder, *folder.parents):
        raise SendError(f"the folder {channel.folder!r} is outside the project")
    path = path_of(folder, message)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fileio.replace_text(path, render(message, [], app_url))
    except (OSError, fileio.FileWriteError) as exc:
        raise SendError(f"cannot write {path.name} in {channel.folder}: {exc}") from None
    return path
