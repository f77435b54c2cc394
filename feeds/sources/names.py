"""Which file names are documents: the rule the walk applies, in a module light enough for the no-change check
(:mod:`seedfeed.unchanged`), which runs before the rest of seedfeed is imported."""

from __future__ import annotations

KINDS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
_TEMP_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".temp", ".part", ".partial", ".crdownload", ".download",
                  ".bak", ".orig", ".rej", ".kate-swp")


def ignore_reason(name: str) -> str | None:
    """Why a file name is not a document, or ``None`` if it may be one."""
    lower = name.lower()
    ext = lower[lower.rfind("."):] if "." in lower else ""
    if ext in KINDS and not name.startswith((".", "#")):
        return None  # the common case, decided fast
    if name.startswith("."):
        return "hidden file" if not name.startswith(".#") else "editor lock file"
    if name.endswith("~") or (name.startswith("#") and name.endswith("#")):
        return "editor backup file"
    if lower.endswith(_TEMP_SUFFIXES):
        return "temporary or partial file"
    if name in ("Thumbs.db", "desktop.ini"):
        return "system file"
    return "unknown extension (seedfeed reads .txt, .md, .markdown, .html, .htm)"


def undecodable(name: str) -> bool:
    """True for a name with bytes that are not UTF-8 (os.scandir gives them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
