"""Reading researchers' text files and writing outputs safely: one encoding sniffer, one CSV reader,
one atomic writer for every command and loader.

Owns:

- :func:`decode_text`, which recognises a byte-order mark (UTF-8, UTF-16, UTF-32), then tries the
  encodings a Mexican researcher's files come in (UTF-8, then Windows-1252, then Latin-1) and says
  which one it used; :func:`encoding_note` phrases that choice for the user.
- :func:`binary_kind`, which names a binary file given where text was expected (an Excel workbook,
  a PDF, a zip archive...), so the message says what the file is and how to export it.
- :func:`read_csv_records`, a strict CSV reader: an unclosed quote is an error naming the line
  where the record starts; fields up to :data:`CSV_FIELD_LIMIT` characters are read, larger ones
  are refused with a clear message.
- :func:`atomic_path` and :func:`atomic_write`: every output goes to a temporary file in the target's
  folder and is renamed over the target only on success, with the ordinary permissions of a new file
  (``0o666`` minus the umask); on failure nothing partial is left.
- :func:`same_file`, to refuse an output path that is also an input.

May import: nothing from ``analysis``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import glob
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: Tried in order after the byte-order marks; Latin-1 decodes any byte string, so it is the last resort.
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "cp1252", "latin-1")

#: Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)

#: Largest CSV field read (characters). Python's default (128 KiB) is too small for whole
#: interview transcripts in one cell; anything larger than this is refused with a clear message.
CSV_FIELD_LIMIT: int = 16 * 1024 * 1024


class BinaryFileError(ValueError):
    """A binary file (workbook, PDF, archive...) given where a text file was expected."""


class CsvFormatError(ValueError):
    """A CSV that cannot be parsed strictly; the message names the file and the line."""


def binary_kind(raw: bytes) -> str | None:
    """What a binary file is ("an Excel workbook (XLSX)", "a PDF document"...), or None for text."""
    head = raw[:4096]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"xl/" in raw[:65536]:
            return "an Excel workbook (XLSX)"
        if b"word/" in raw[:65536]:
            return "a Word document (DOCX)"
        if b"opendocument.spreadsheet" in raw[:65536]:
            return "an OpenDocument spreadsheet (ODS)"
        return "a zip archive"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "an Excel 97-2003 workbook (XLS) or another legacy Office file"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip-compressed file"
    if head.startswith(b"SQLite format 3"):
        return "an SQLite database"
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return None
    if b"\x00" in head:
        return "a binary file"
    return None


def decode_text(raw: bytes, path: Path | str, encodings: tuple[str, ...] = ENCODINGS) -> tuple[str, str]:
    """(text, encoding used) of ``raw``, read from ``path``.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); otherwise the first of ``encodings`` that
    decodes wins. A binary file raises :class:`BinaryFileError` naming what it is.
    """
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise UnicodeError(f"{path}: starts with a {enc.upper()} byte-order mark but is not valid {enc.upper()} "
                                   f"(byte {exc.start}); save it again as UTF-8.") from None
    kind = binary_kind(raw)
    if kind:
        raise BinaryFileError(f"{path}: is {kind}, not a text file; export it as CSV UTF-8 (or plain text).")
    for enc in encodings:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise UnicodeError(f"{path}: cannot be decoded as {', '.join(encodings)}; save it as UTF-8.")


def encoding_note(path: Path | str, encoding: str) -> str | None:
    """A one-line note when ``encoding`` is not plain UTF-8 (None otherwise)."""
    if encoding in ("utf-8", "utf-8-sig"):
        return None
    if encoding in ("utf-16", "utf-32"):
        return f"note: {path} is {encoding.upper()} (byte-order mark); read it as {encoding.upper()}."
    return f"note: {path} is not valid UTF-8; read it as {encoding} (accents may differ if that guess is wrong)."


def sniff_encoding(path: Path | str, sample: int = 65536) -> str:
    """The encoding :func:`decode_text` would choose for a file, found by streaming it (flat memory).

    Raises :class:`BinaryFileError` for a binary file and :class:`UnicodeError` for a file with
    a byte-order mark that does not decode.
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(sample)
        for bom, enc in _BOMS:
            if head.startswith(bom):
                return enc
        kind = binary_kind(head)
        if kind:
            raise BinaryFileError(f"{path}: is {kind}, not a text file; export it as CSV UTF-8 (or plain text).")
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = head
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = fh.read(1 << 20)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        undefined_in_cp1252 = set(b"\x81\x8d\x8f\x90\x9d")
        while chunk := fh.read(1 << 20):
            if undefined_in_cp1252 & set(chunk):
                return "latin-1"
        return "cp1252"


def read_csv_records(source: str | IO[str], path: Path | str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the record starts, fields) for every record of a CSV, header included.

    ``source`` is the CSV text or a text file opened with ``newline=""`` (read as a stream).
    Strict: an unclosed quote raises :class:`CsvFormatError` naming the line where the quoted
    field opens; a field longer than :data:`CSV_FIELD_LIMIT` characters is refused.
    """
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    stream = io.StringIO(source, newline="") if isinstance(source, str) else source
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            msg = str(exc)
            if "field larger than field limit" in msg:
                raise CsvFormatError(
                    f"{path}: the record starting at line {start} has a field longer than {CSV_FIELD_LIMIT:,} characters "
                    f"({CSV_FIELD_LIMIT // (1024 * 1024)} MiB, the limit); split that text into several rows.") from None
            if "unexpected end of data" in msg or "newline inside string" in msg:
                raise CsvFormatError(
                    f"{path}: line {start}: a quoted field is never closed (a '\"' without its closing '\"'); "
                    "close the quote or double the quotes inside the text (\"\").") from None
            raise CsvFormatError(f"{path}: line {reader.line_num}: not valid CSV ({msg}); "
                                 "quote fields that contain commas, quotes or line breaks.") from None
        yield start, row


def same_file(a: Path | str, b: Path | str) -> bool:
    """True when two paths name the same file (resolved; an existing file compared by inode)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return pa.samefile(pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_parts(target: Path | str) -> list[Path]:
    """Delete the temporary files ``.<name>.<pid>.*.part`` beside ``target`` left by processes that are gone.

    A command killed with ``kill -9`` cannot delete its own temporary file; the next write of the
    same target does. Files of running processes are left alone. Returns the files deleted.
    """
    target = Path(target)
    removed = []
    head = f".{target.name}."
    for part in target.parent.glob(f"{glob.escape(head)}*.part"):
        pid = part.name[len(head):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            part.unlink(missing_ok=True)
            removed.append(part)
    return removed


def new_part(target: Path | str) -> tuple[int, Path]:
    """(open descriptor, path) of a new temporary file ``.<name>.<pid>.<random>.part`` beside ``target``.

    The folder is created if needed and the temporary files of dead processes are removed first.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    return fd, Path(name)


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """A temporary path next to ``target``; renamed over ``target`` when the block ends without error.

    The file gets the permissions of an ordinary new file (``0o666`` minus the umask). On any
    error the temporary file is deleted and ``target`` is left untouched; one left by a process that
    was killed is deleted by the next write of the same target.
    """
    target = Path(target)
    fd, tmp = new_part(target)
    os.close(fd)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_write(target: Path | str, mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = "") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``target`` for writing; rename it over ``target`` on success."""
    with atomic_path(target) as tmp:
        if "b" in mode:
            with tmp.open(mode) as fh:
                yield fh
        else:
            with tmp.open(mode, encoding=encoding, newline=newline) as fh:
                yield fh


def publish(tmp: Path | str, target: Path | str) -> None:
    """Rename an already written temporary file over ``target`` with ordinary permissions."""
    tmp = Path(tmp)
    tmp.chmod(0o666 & ~_umask())
    tmp.replace(target)
