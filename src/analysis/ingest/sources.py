"""The data manifest (data/sources.yml): read it, fetch each source and verify its checksum.

Fetching looks for a file first in an offline mirror folder, by SHA-256 so that the mirror's
layout never matters, and only then downloads from the pinned upstream URL. A file is written
under a temporary name and renamed into data/raw only after its checksum matches, so an
interrupted or corrupted transfer never leaves a file that looks valid.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis import paths
from analysis.util.io import publish

REQUIRED_FIELDS = ("id", "path", "url", "sha256", "bytes", "licence", "citation", "description")
CHUNK = 1 << 20


class DataError(RuntimeError):
    """A data source is missing, corrupt or cannot be obtained; the message says what to do."""


@dataclass(frozen=True)
class Source:
    """One entry of the data manifest."""

    id: str
    path: str
    url: str
    sha256: str
    bytes: int
    licence: str
    citation: str
    description: str
    licence_es: str = ""  # optional: the licence in Spanish, for the book's tables

    @property
    def local(self) -> Path:
        """Where the verified file lives (under data/raw, git-ignored)."""
        return paths.ROOT / self.path


def load_manifest(path: Path | None = None) -> list[Source]:
    """Read and validate ``data/sources.yml``; errors name the entry and the field."""
    path = path or paths.SOURCES_YML
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{path}: data manifest not found; restore it from git.") from exc
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML ({exc}); fix the syntax.") from exc
    entries = (doc or {}).get("sources")
    if not isinstance(entries, list) or not entries:
        raise DataError(f"{path}: expected a non-empty list under 'sources:'.")
    out: list[Source] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        missing = [f for f in REQUIRED_FIELDS if f not in entry or entry[f] in (None, "")]
        if missing:
            raise DataError(f"{path}: source #{n} ({entry.get('id', '?')}) lacks {', '.join(missing)}.")
        sha = str(entry["sha256"]).lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise DataError(f"{path}: source '{entry['id']}': sha256 must be 64 hex digits, got {sha!r}.")
        if entry["id"] in seen:
            raise DataError(f"{path}: source id '{entry['id']}' appears twice; ids must be unique.")
        seen.add(entry["id"])
        out.append(Source(**{f: entry[f] for f in REQUIRED_FIELDS} | {"sha256": sha, "bytes": int(entry["bytes"]),
                                                                    "licence_es": str(entry.get("licence_es") or "")}))
    return out


def get_source(source_id: str, manifest: Iterable[Source] | None = None) -> Source:
    """Return the manifest entry with this id."""
    sources = list(manifest) if manifest is not None else load_manifest()
    for src in sources:
        if src.id == source_id:
            return src
    known = ", ".join(s.id for s in sources)
    raise DataError(f"Unknown data source '{source_id}'. Known sources: {known}.")


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def mirror_index(mirror: Path) -> dict[str, Path]:
    """Map SHA-256 -> file for every regular file below the mirror folder.

    Every file is indexed, symbolic links to files included (followed), which for the mirror (a few
    MB) takes well under a second.
    """
    index: dict[str, Path] = {}
    for file in sorted(mirror.rglob("*")):
        if file.is_file():  # a symbolic link to a file counts as that file
            index.setdefault(sha256_file(file), file)
    return index


def state(src: Source) -> tuple[str, str | None]:
    """Return (state, actual checksum): 'ok', 'missing' or 'mismatch'."""
    if not src.local.exists():
        return "missing", None
    actual = sha256_file(src.local)
    return ("ok" if actual == src.sha256 else "mismatch"), actual


class ChecksumError(DataError):
    """A copied or downloaded file does not have the pinned SHA-256; the copy was discarded."""


def copy_verified(target: Path, sha256: str, open_stream: Callable[[], Any], what: str, origin: str, hint: str) -> None:
    """Stream into a temporary file next to ``target``, verify its SHA-256, then rename atomically
    (the file gets ordinary permissions, ``0o666`` minus the umask, not the 0600 of a temporary file).

    The one place where the compendium writes a downloaded or copied file: a mismatch raises
    :class:`ChecksumError` naming ``what``, ``origin`` and ``hint`` (what to do) and leaves nothing behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, open_stream() as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != sha256:
            raise ChecksumError(
                f"{what} from {origin}: checksum mismatch (expected {sha256}, got {actual}). "
                f"The copy was discarded. {hint}"
            )
        publish(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def download_verified(url: str, sha256: str, target: Path, what: str, hint: str, timeout: float = 60.0) -> None:
    """Download ``url`` into ``target`` through :func:`copy_verified`; network errors propagate as OSError."""
    copy_verified(target, sha256, lambda: urllib.request.urlopen(url, timeout=timeout), what, url, hint)


_MANIFEST_HINT = ("Check that the mirror or the URL holds the pinned version, or update data/sources.yml "
                  "if the source was deliberately changed.")


def _copy_source(src: Source, open_stream: Callable[[], Any], origin: str) -> None:
    copy_verified(src.local, src.sha256, open_stream, f"Source '{src.id}'", origin, _MANIFEST_HINT)


def _download(src: Source, timeout: float) -> None:
    try:
        download_verified(src.url, src.sha256, src.local, f"Source '{src.id}'", _MANIFEST_HINT, timeout)
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(
            f"Source '{src.id}': no mirror copy (sha256 {src.sha256}) and the download from "
            f"{src.url} failed ({exc}). Connect to the internet, or point {paths.MIRROR_ENV} "
            f"to a folder holding the file."
        ) from exc


def fetch(
    sources: Iterable[Source] | None = None,
    mirror: Path | None = None,
    *,
    use_mirror: bool = True,
    allow_network: bool = True,
    timeout: float = 60.0,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Make every source present and verified in data/raw; return {id: how it was obtained}.

    A file already present with the right checksum is never fetched again. A present file with a
    wrong checksum is replaced. Raises DataError naming the first source that cannot be obtained.
    """
    sources = list(sources) if sources is not None else load_manifest()
    named_by = "--mirror"
    if use_mirror and mirror is None:
        mirror = paths.mirror_dir()
        named_by = paths.MIRROR_ENV if os.environ.get(paths.MIRROR_ENV) else "the default mirror"
    index = mirror_index(mirror) if (use_mirror and mirror and mirror.is_dir()) else {}
    absent = (f"{named_by} names {mirror}, which does not exist or is not a folder"
              if use_mirror and mirror is not None and not mirror.is_dir() else None)
    result: dict[str, str] = {}
    for src in sources:
        st, actual = state(src)
        if st == "ok":
            result[src.id] = "already verified"
            log(f"{src.id}: already verified, not fetched again")
            continue
        if st == "mismatch":
            log(f"{src.id}: local file has checksum {actual}, expected {src.sha256}; replacing it")
        if src.sha256 in index:
            found = index[src.sha256]
            _copy_source(src, functools.partial(found.open, "rb"), str(found))
            result[src.id] = f"mirror {found}"
            log(f"{src.id}: copied from mirror {found}")
        elif allow_network:
            if absent:
                log(f"note: {absent}; downloading {src.id} from its URL instead")
            _download(src, timeout)
            result[src.id] = f"downloaded {src.url}"
            log(f"{src.id}: downloaded from {src.url}")
        else:
            if absent:
                raise DataError(f"Source '{src.id}': {absent}, and network use is disabled. Set {paths.MIRROR_ENV} to "
                                "the folder holding the data files (or unset it to use ../shared/data), or allow downloads.")
            where = str(mirror) if mirror else "no mirror folder"
            raise DataError(
                f"Source '{src.id}': not in the mirror ({where}) and network use is disabled. "
                f"Expected sha256 {src.sha256}. Set {paths.MIRROR_ENV} to a folder holding the file "
                f"or allow downloads."
            )
    return result


def verify(sources: Iterable[Source] | None = None) -> list[dict[str, str]]:
    """Report the state of every source without fetching anything."""
    sources = list(sources) if sources is not None else load_manifest()
    report = []
    for src in sources:
        st, actual = state(src)
        report.append({"id": src.id, "state": st, "path": src.path, "expected": src.sha256, "actual": actual or ""})
    return report


def require(source_id: str) -> Path:
    """Return the verified local path of a source; fail with a clear message if it is not ready."""
    src = get_source(source_id)
    st, actual = state(src)
    if st == "missing":
        raise DataError(f"Source '{source_id}' is missing at {src.path}. Run `python -m analysis data fetch`.")
    if st == "mismatch":
        raise DataError(
            f"Source '{source_id}' at {src.path} is corrupt: expected sha256 {src.sha256}, got {actual}. "
            f"Delete it and run `python -m analysis data fetch`."
        )
    return src.local
