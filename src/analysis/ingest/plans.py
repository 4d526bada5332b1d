"""Municipal development plans (PMD): read PDF or text, clean, and cut into structured segments.

A plan is read page by page (pypdf for PDF; form feeds separate pages in text files). Cleaning
removes running headers and footers (lines repeated on many pages, digits ignored), page-number
lines, and joins words hyphenated across lines. The structure of a Mexican PMD — eje, objetivo,
estrategia, línea de acción, numbered "Eje 2", "Objetivo 2.1", "Estrategia 2.1.3", "2.1.3.4 ..." —
is detected line by line; every heading opens a segment that keeps its place in the hierarchy.

Plans come from a registry (data/curated/pmd_plans.yml) and a drop-in folder (default
data/raw/pmd/) holding files named ``<inegi_code>_<period>.pdf`` or ``.txt``. Text plans are
read as UTF-8, UTF-16 (byte-order mark) or Windows-1252 (so typographic quotes and dashes survive).
An encrypted PDF that opens with the empty password (common for "protected" government PDFs,
often AES, which needs the ``cryptography`` package) is read; one that needs a password is set
aside with a clear reason, and the other plans are still read.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from analysis import paths
from analysis.ingest.sources import ChecksumError, DataError, download_verified, require, sha256_file
from analysis.util.io import BinaryFileError, decode_text
from analysis.util.text import normalise

PLANS_DIR: Path = paths.RAW / "pmd"
REGISTRY_PATH: Path = paths.CURATED / "pmd_plans.yml"
DEMO_DIR: Path = paths.CURATED / "pmd_demo"
SEGMENT_COLUMNS = ["segment_id", "plan_id", "inegi_code", "eje", "objetivo", "estrategia", "linea", "level", "text", "page"]
FILE_NAME = re.compile(r"^(?P<code>\d{5})_(?P<period>\d{4}-\d{4})\.(?P<ext>pdf|txt)$", re.IGNORECASE)
#: Fewer extracted characters per page than this means the PDF has no usable text layer.
MIN_CHARS_PER_PAGE = 40
#: A line (digits ignored) on at least this share of pages (and on 3 pages or more) is a running header/footer.
REPEAT_SHARE = 0.5
#: A segment longer than this is split after a sentence end (same place in the hierarchy).
MAX_SEGMENT_CHARS = 1200

_NUM = r"(?P<num>\d+(?:\.\d+)*|[IVXLC]+)\.?"
_SEP = r"(?:\s*[.:\-–—)]\s*|\s+|$)"
HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    ("eje", re.compile(rf"^\s*eje(?:\s+(?:rector|estrat[eé]gico|tem[aá]tico))?\s+{_NUM}{_SEP}(?P<rest>.*)$", re.IGNORECASE)),
    ("objetivo", re.compile(rf"^\s*objetivo(?:\s+(?:general|espec[ií]fico))?\s+{_NUM}{_SEP}(?P<rest>.*)$", re.IGNORECASE)),
    ("estrategia", re.compile(rf"^\s*estrategia\s+{_NUM}{_SEP}(?P<rest>.*)$", re.IGNORECASE)),
    ("linea", re.compile(rf"^\s*l[ií]neas?\s+de\s+acci[oó]n\s+{_NUM}{_SEP}(?P<rest>.*)$", re.IGNORECASE)),
]
#: Bare numbering at the start of a line: 4 levels = línea de acción, 3 = estrategia, 2 = objetivo.
BARE = re.compile(r"^\s*(?P<num>\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+(?P<rest>[A-ZÁÉÍÓÚÑ¿\"“].*)$")
PAGE_NUMBER = re.compile(r"^\s*(?:p[aá]g(?:ina)?\.?\s*)?[-–]?\s*\d{1,4}\s*[-–]?\s*(?:(?:de|/)\s*\d{1,4})?\s*$", re.IGNORECASE)
HYPHEN_END = re.compile(r"([A-Za-zÁÉÍÓÚÑáéíóúñü])[-‐]$")
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
LEVELS = ("eje", "objetivo", "estrategia", "linea")

log = logging.getLogger(__name__)


class DocumentError(ValueError):
    """A plan file cannot be read; the message names the file and what to do."""


# --- reading --------------------------------------------------------------------------------------


def _decrypt(reader: object, path: Path) -> None:
    """Open an encrypted PDF with the empty password, or raise a DocumentError saying what to do."""
    from pypdf.errors import DependencyError

    try:
        ok = reader.decrypt("")  # type: ignore[attr-defined]
    except DependencyError as exc:
        raise DocumentError(
            f"{path}: the PDF is encrypted with AES and reading it needs the 'cryptography' package ({exc}). "
            "Install the pinned environment (requirements.txt) and run again."
        ) from None
    except Exception as exc:  # pypdf raises several types for damaged encryption dictionaries
        raise DocumentError(f"{path}: the PDF is encrypted and could not be decrypted ({type(exc).__name__}: {exc}). "
                            "Remove the protection (e.g. `qpdf --decrypt in.pdf out.pdf`) and drop the unlocked copy.") from None
    if not ok:
        raise DocumentError(
            f"{path}: the PDF is encrypted (password-protected). Remove the password "
            "(e.g. `qpdf --decrypt --password=... in.pdf out.pdf`) and drop the unlocked copy in the plans folder."
        )


def read_pdf_pages(path: Path) -> list[str]:
    """Text of each page of a PDF; clear errors for encrypted, scanned and corrupt files."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            _decrypt(reader, path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except FileNotDecryptedError as exc:
        raise DocumentError(f"{path}: the PDF is encrypted; remove the password and drop the unlocked copy.") from exc
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError, AssertionError...)
        raise DocumentError(
            f"{path}: not a readable PDF ({type(exc).__name__}: {exc}). The file is probably corrupt or "
            "incomplete: download it again from the publisher."
        ) from exc
    if not pages:
        raise DocumentError(f"{path}: the PDF has no pages; download it again.")
    chars = sum(len(p.strip()) for p in pages)
    if chars < MIN_CHARS_PER_PAGE * len(pages):
        raise DocumentError(
            f"{path}: the PDF has no usable text layer ({chars} characters on {len(pages)} pages); it is "
            "probably a scan. OCR it (e.g. `ocrmypdf -l spa in.pdf out.pdf`) and drop the OCR'd PDF instead."
        )
    return pages


def read_text_pages(path: Path) -> list[str]:
    """Pages of a text file (form feed separates pages): UTF-8, UTF-16 with BOM, else Windows-1252 or Latin-1."""
    try:
        text, _ = decode_text(path.read_bytes(), path)
    except BinaryFileError as exc:
        raise DocumentError(str(exc).replace("export it as CSV UTF-8 (or plain text)",
                                             "save the plan as PDF or as plain text (.txt)")) from None
    except UnicodeError as exc:
        raise DocumentError(str(exc)) from None
    if not text.strip():
        raise DocumentError(f"{path}: the text file is empty; replace it with the plan's text.")
    return text.split("\f")


def read_pages(path: Path) -> list[str]:
    """Dispatch on the extension (.pdf or .txt)."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(f"{path}: file not found.")
    if path.suffix.lower() == ".pdf":
        return read_pdf_pages(path)
    if path.suffix.lower() == ".txt":
        return read_text_pages(path)
    raise DocumentError(f"{path}: unsupported file type {path.suffix!r}; use .pdf or .txt.")


# --- cleaning -------------------------------------------------------------------------------------


def _line_key(line: str) -> str:
    return re.sub(r"\d+", "#", normalise(line))


def running_lines(pages: list[list[str]]) -> set[str]:
    """Keys of lines that repeat on many pages (running headers and footers)."""
    if len(pages) < 3:
        return set()
    counts = Counter(k for lines in pages for k in {_line_key(x) for x in lines if x.strip()})
    need = max(3, REPEAT_SHARE * len(pages))
    return {k for k, n in counts.items() if n >= need and k}


def clean_pages(pages: list[str]) -> tuple[list[list[str]], dict[str, int]]:
    """Lines per page without running headers/footers or page numbers, hyphenation joined."""
    split = [p.replace("\r\n", "\n").replace("\r", "\n").split("\n") for p in pages]
    running = running_lines(split)
    counts = {"lines_in": 0, "running_removed": 0, "page_numbers_removed": 0, "hyphen_joins": 0}
    out: list[list[str]] = []
    for lines in split:
        kept: list[str] = []
        for line in lines:
            counts["lines_in"] += 1
            if not line.strip():
                kept.append("")
                continue
            if _line_key(line) in running:
                counts["running_removed"] += 1
                continue
            if PAGE_NUMBER.match(line):
                counts["page_numbers_removed"] += 1
                continue
            kept.append(line.rstrip())
        out.append(_join_hyphens(kept, counts))
    return out, counts


def _join_hyphens(lines: list[str], counts: dict[str, int]) -> list[str]:
    joined: list[str] = []
    carry = ""
    for line in lines:
        line = carry + line.lstrip() if carry else line
        carry = ""
        m = HYPHEN_END.search(line)
        if m:
            head, _, tail = line[: m.end() - 1].rpartition(" ")
            if tail and tail[-1].isalpha():
                carry = tail
                counts["hyphen_joins"] += 1
                line = head
                if not line.strip():
                    continue
        joined.append(line)
    if carry:
        joined.append(carry)
    return joined


# --- structure ------------------------------------------------------------------------------------


def _arabic(num: str) -> str:
    if num.isdigit() or "." in num:
        return num
    total, prev = 0, 0
    for ch in reversed(num.upper()):
        v = ROMAN[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return str(total)


def classify_line(line: str) -> tuple[str, str, str] | None:
    """(level, number, rest) when the line opens an eje/objetivo/estrategia/línea, else None."""
    for level, rx in HEADINGS:
        m = rx.match(line)
        if m:
            return level, _arabic(m.group("num")), m.group("rest").strip()
    m = BARE.match(line)
    if m:
        depth = m.group("num").count(".")
        return LEVELS[depth], m.group("num"), m.group("rest").strip()
    return None


@dataclass
class _State:
    eje: str = ""
    objetivo: str = ""
    estrategia: str = ""
    linea: str = ""
    level: str = "preambulo"

    def enter(self, level: str, num: str) -> None:
        """Move to a heading; full numbering (2.1.3) fixes the parents, a bare number (3) is qualified."""
        idx = LEVELS.index(level)
        parts = num.split(".")
        if len(parts) == idx + 1:
            for k in range(idx):
                setattr(self, LEVELS[k], ".".join(parts[: k + 1]))
            value = num
        elif len(parts) == 1 and idx > 0:
            parent = getattr(self, LEVELS[idx - 1])
            value = f"{parent}.{num}" if parent else num
        else:
            value = num
        setattr(self, level, value)
        for lower in LEVELS[idx + 1 :]:
            setattr(self, lower, "")
        self.level = level


@dataclass
class Plan:
    """A parsed plan: its segments and the counts of the cleaning steps."""

    plan_id: str
    inegi_code: str
    period: str
    source: str
    segments: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)


def segment_pages(pages: list[list[str]], plan_id: str, inegi_code: str) -> pd.DataFrame:
    """Cut cleaned page lines into segments that keep their place in the plan's hierarchy."""
    state = _State()
    rows: list[dict[str, object]] = []
    buf: list[str] = []
    page_of_buf = 1

    def flush() -> None:
        text = " ".join(x.strip() for x in buf if x.strip())
        text = re.sub(r"\s+", " ", text).strip()
        for chunk in _split_long(text):
            rows.append(
                {"plan_id": plan_id, "inegi_code": inegi_code, "eje": state.eje, "objetivo": state.objetivo,
                 "estrategia": state.estrategia, "linea": state.linea, "level": state.level, "text": chunk, "page": page_of_buf}
            )
        buf.clear()

    for page_no, lines in enumerate(pages, start=1):
        for line in lines:
            head = classify_line(line)
            if head is None and not line.strip() and state.level == "preambulo" and buf:
                flush()  # paragraphs of the introductory text become their own segments
                continue
            if head is not None:
                if buf:
                    flush()
                state.enter(head[0], head[1])
                page_of_buf = page_no
                buf.append(line)
            elif line.strip():
                if not buf:
                    page_of_buf = page_no
                buf.append(line)
    if buf:
        flush()
    df = pd.DataFrame(rows, columns=[c for c in SEGMENT_COLUMNS if c != "segment_id"])
    df.insert(0, "segment_id", [f"{plan_id}-{i:04d}" for i in range(1, len(df) + 1)])
    return df


def _split_long(text: str) -> list[str]:
    if len(text) <= MAX_SEGMENT_CHARS:
        return [text] if text else []
    sentences = re.split(r"(?<=[.;])\s+", text)
    chunks, cur = [], ""
    for s in sentences:
        if cur and len(cur) + len(s) > MAX_SEGMENT_CHARS:
            chunks.append(cur)
            cur = s
        else:
            cur = f"{cur} {s}".strip()
    if cur:
        chunks.append(cur)
    return chunks


def parse_plan(path: Path, inegi_code: str | None = None, period: str | None = None) -> Plan:
    """Read, clean and segment one plan file named ``<inegi_code>_<period>.pdf|txt``."""
    path = Path(path)
    m = FILE_NAME.match(path.name)
    if m is None and (inegi_code is None or period is None):
        raise DocumentError(f"{path}: name it <inegi_code>_<period>.pdf or .txt (e.g. 23005_2021-2024.pdf).")
    code = inegi_code or m.group("code")  # type: ignore[union-attr]
    per = period or m.group("period")  # type: ignore[union-attr]
    problem = period_problem(per)
    if problem:
        raise DocumentError(f"{path}: {problem}; rename the file <inegi_code>_<first year>-<last year>.")
    pages, counts = clean_pages(read_pages(path))
    plan_id = f"{code}_{per}"
    segs = segment_pages(pages, plan_id, code)
    counts = counts | {"pages": len(pages), "segments": len(segs)}
    return Plan(plan_id, code, per, path.name, segs, counts)


# --- registry, drop-in folder and fetching ---------------------------------------------------------


def period_problem(period: str) -> str | None:
    """What is wrong with a plan period "2021-2024" (years in order), or None when it is fine."""
    m = re.fullmatch(r"(\d{4})-(\d{4})", str(period).strip())
    if m is None:
        return f"period {period!r} is not written <first year>-<last year> (e.g. 2021-2024)"
    if int(m.group(2)) < int(m.group(1)):
        return f"period {period!r} ends before it starts"
    return None


def municipal_codes() -> frozenset[str]:
    """The 5-digit codes of the INEGI municipal catalogue (source ``catalogo_municipios``)."""
    path = require("catalogo_municipios")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        return frozenset(str(r["cve_completa"]).zfill(5) for r in records)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataError(f"{path}: not the INEGI municipal catalogue ({exc}); run `python -m analysis data fetch`.") from exc


def load_registry(path: Path = REGISTRY_PATH) -> list[dict[str, object]]:
    """The plan registry: one entry per municipality and period."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    plans = doc.get("plans") if isinstance(doc, dict) else None
    if not isinstance(plans, list):
        raise DocumentError(f"{path}: expected a list under 'plans:'.")
    for n, p in enumerate(plans, start=1):
        if not isinstance(p, dict):
            raise DocumentError(f"{path}: plan #{n} is not a mapping with inegi_code, period and municipality.")
        for key in ("inegi_code", "period", "municipality"):
            if not p.get(key):
                raise DocumentError(f"{path}: plan #{n} lacks {key!r}.")
        p["inegi_code"] = str(p["inegi_code"]).zfill(5)
        problem = period_problem(str(p["period"]))
        if problem:
            raise DocumentError(f"{path}: plan #{n}: {problem}.")
    return plans


def discover_plans(plans_dir: Path = PLANS_DIR) -> tuple[list[Path], list[tuple[str, str]]]:
    """Plan files in the drop-in folder, and the files set aside with the reason."""
    plans_dir = Path(plans_dir)
    if not plans_dir.is_dir():
        raise DocumentError(f"{plans_dir}: plans folder not found; create it and drop <inegi_code>_<period>.pdf files in it.")
    found, set_aside = [], []
    for f in sorted(plans_dir.iterdir()):
        if f.name.startswith(".") or f.is_dir():
            continue
        if FILE_NAME.match(f.name):
            found.append(f)
        else:
            set_aside.append((f.name, "name is not <inegi_code>_<period>.pdf|txt"))
    stems = Counter(f.stem for f in found)
    dup = {s for s, n in stems.items() if n > 1}
    if dup:  # both a PDF and a text version: the PDF wins
        keep = [f for f in found if f.stem not in dup or f.suffix.lower() == ".pdf"]
        set_aside += [(f.name, "a PDF with the same name is used") for f in found if f not in keep]
        found = keep
    return found, set_aside


def load_plans(plans_dir: Path = PLANS_DIR, known_codes: Collection[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segments of every plan in ``plans_dir`` and a per-file report (kept or set aside, and why).

    A file whose code is not in ``known_codes`` (default: the INEGI municipal catalogue) or whose
    period ends before it starts is set aside with the reason.
    """
    files, set_aside = discover_plans(plans_dir)
    if not files and not set_aside:
        raise DocumentError(f"{plans_dir}: the plans folder is empty; drop the plans there as "
                            "<inegi_code>_<period>.pdf or .txt (e.g. 23005_2021-2024.pdf), or fetch the registered ones.")
    codes = municipal_codes() if known_codes is None else known_codes
    frames: list[pd.DataFrame] = []
    report: list[dict[str, object]] = []
    for f in files:
        try:
            code = f.name[:5]
            if code not in codes:
                raise DocumentError(f"{f}: {code} is not a municipality of the INEGI catalogue; rename the file "
                                    "with the municipality's 5-digit code (state + municipality, e.g. 23005).")
            plan = parse_plan(f)
        except (DocumentError, OSError) as exc:
            report.append({"file": f.name, "status": "set_aside", "reason": str(exc).replace(str(f), f.name)})
            continue
        frames.append(plan.segments)
        report.append({"file": f.name, "status": "kept", "reason": "", **plan.counts})
    report += [{"file": n, "status": "set_aside", "reason": r} for n, r in set_aside]
    segments = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SEGMENT_COLUMNS)
    return segments, pd.DataFrame(report).sort_values("file").reset_index(drop=True)


def fetch_plans(
    registry: Path = REGISTRY_PATH, plans_dir: Path = PLANS_DIR, *, timeout: float = 60.0, allow_network: bool = True
) -> dict[str, str]:
    """Download every registered plan that has ``url`` and ``sha256`` into ``plans_dir``.

    Each file is written under a temporary name and renamed only after its checksum matches; a
    file already present with the right checksum is kept. Returns {plan file name: what happened};
    plans without url+sha256 are reported as 'to_supply' (drop the PDF in ``plans_dir``).
    """
    plans_dir = Path(plans_dir)
    result: dict[str, str] = {}
    for p in load_registry(registry):
        name = f"{p['inegi_code']}_{p['period']}.{p.get('format', 'pdf')}"
        target = plans_dir / name
        url, sha = p.get("url"), str(p.get("sha256") or "").lower()
        if not url or len(sha) != 64:
            result[name] = "present (dropped in)" if target.exists() else "to_supply"
            continue
        if target.exists() and sha256_file(target) == sha:
            result[name] = "already verified"
            continue
        if not allow_network:
            raise DocumentError(f"{name}: not present and network use is disabled; download {url} into {plans_dir}.")
        hint = "Check the URL or update data/curated/pmd_plans.yml if the publisher replaced the file."
        try:
            download_verified(str(url), sha, target, name, hint, timeout)
        except ChecksumError as exc:
            raise DocumentError(str(exc)) from None
        except OSError as exc:
            raise DocumentError(f"{name}: download from {url} failed ({exc}); retry or drop the file in {plans_dir}.") from exc
        result[name] = f"downloaded {url}"
    return result


def segment_body(text: str) -> str:
    """The text of a segment without its heading label and number ("Estrategia 2.1.3 ")."""
    head = classify_line(text)
    return head[2] if head is not None and head[2] else text


def eje_titles(segments: pd.DataFrame) -> pd.DataFrame:
    """plan_id, eje, eje_title: the title of every axis, from its heading segment."""
    heads = segments[segments.level == "eje"].copy()
    heads["eje_title"] = [segment_body(t) for t in heads.text]
    return heads[["plan_id", "eje", "eje_title"]].drop_duplicates(["plan_id", "eje"]).reset_index(drop=True)
