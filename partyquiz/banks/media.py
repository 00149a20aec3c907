"""Files embedded in banks (Moodle XML `<file>`, xlsx pictures) ↔ course media files.

An imported file becomes `<course>/media/<safe name>` and the text that shows it says
`<img src="media/<safe name>">` (or links to it, `<a href="media/<safe name>">`). One file may
hold at most MAX_MEDIA_BYTES: a bigger one is not imported, and the reader names it in a
warning. The name is ASCII, without folders, prefixed by a short hash of the content (two
different `image.png` never overwrite each other; the same picture twice is stored once). The widgets inline a relative image found in the quiz folder, so a built
assignment carries `media/` next to its notebook and shows it offline.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import t

MEDIA_DIR = "media"
PLUGIN_FILE = "@@PLUGINFILE@@"  # Moodle's prefix of a file the question carries
MAX_MEDIA_BYTES = 20_000_000  # one embedded file (readers skip a bigger one, with a warning); a bank is capped as a whole in banks.limits
_REF = re.compile(r'(?:src|href)="(media/[A-Za-z0-9._-]+)"')


def safe_name(name: str, data: bytes) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-._")[:40]
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:8].lower()
    digest = hashlib.sha256(data).hexdigest()[:10]
    if re.fullmatch(rf"{digest}(?:-[A-Za-z0-9_-]+)?(?:\.[a-z0-9]+)?", base):
        return base  # already ours (a bank we wrote and read back)
    return (f"{digest}-{clean}" if clean else digest) + (f".{ext}" if ext else "")


@dataclass
class MediaSink:
    """The files one bank brings; `add` gives the path a text refers to."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, name: str, data: bytes) -> str:
        safe = safe_name(name, data)
        self.files[safe] = data
        return f"{MEDIA_DIR}/{safe}"


def size_warning(size: int, name: str) -> str | None:
    """The warning for one embedded file of `size` bytes over MAX_MEDIA_BYTES (the readers then
    skip it), or None when it fits."""
    if size <= MAX_MEDIA_BYTES:
        return None
    return t("authoring.bank.file_too_big", name=name, limit=MAX_MEDIA_BYTES // 1_000_000)


def plugin_file_name(src: str) -> str | None:
    """The file a Moodle `@@PLUGINFILE@@/path/name?query` reference names (`/path/name`, unquoted),
    or None when `src` is no such reference."""
    if not src.startswith(PLUGIN_FILE):
        return None
    from urllib.parse import unquote

    return unquote(src[len(PLUGIN_FILE):].split("?", 1)[0])


def referenced(text: str) -> set[str]:
    """The course media files a text shows or links to (`media/<name>`)."""
    return set(_REF.findall(text or ""))


def media_folder_for(bank_path: Path) -> Path:
    """Where a bank's media live: `<course>/media` for a bank in `<course>/banks/`, else beside it."""
    bank_path = Path(bank_path)
    parent = bank_path.parent
    return (parent.parent if parent.name == "banks" else parent) / MEDIA_DIR


def write_media(folder: Path, files: dict[str, bytes]) -> list[Path]:
    from ..files import atomic_write_bytes

    written = []
    for name, data in sorted(files.items()):
        target = folder / name
        if target.resolve().parent != folder.resolve():  # never outside media/
            continue
        if not target.exists() or target.read_bytes() != data:
            atomic_write_bytes(target, data)
        written.append(target)
    return written


def read_media(folder: Path, ref: str) -> bytes | None:
    """The bytes of `media/<name>` under `folder`'s media folder, or None (never outside it)."""
    name = ref.removeprefix(f"{MEDIA_DIR}/")
    if "/" in name or name.startswith("."):
        return None
    path = folder / name
    return path.read_bytes() if path.is_file() else None
