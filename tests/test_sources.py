"""Data manifest, fetch and verify: mirror by checksum, atomic writes, clear errors."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.ingest import sources
from analysis.ingest.sources import DataError, Source

ROOT = Path(__file__).resolve().parents[1]
SHARED_SOURCES = ROOT.parent / "shared" / "data" / "SOURCES.csv"


def make_source(name: str, content: bytes, url: str = "file:///nonexistent") -> Source:
    return Source(
        id=name, path=f"data/raw/{name}.csv", url=url, sha256=hashlib.sha256(content).hexdigest(),
        bytes=len(content), licence="test", citation="test", description="test",
    )


def test_manifest_lists_every_mirror_source_with_the_same_checksum() -> None:
    if not SHARED_SOURCES.exists():
        pytest.skip("no ../shared/data/SOURCES.csv beside the project")
    upstream = {r["upstream_url"]: r for r in csv.DictReader(SHARED_SOURCES.open(encoding="utf-8"))}
    manifest = {s.url: s for s in sources.load_manifest()}
    assert set(upstream) <= set(manifest), f"sources missing from data/sources.yml: {set(upstream) - set(manifest)}"
    for url, row in upstream.items():
        assert manifest[url].sha256 == row["sha256"], f"{manifest[url].id}: checksum differs from SOURCES.csv"
        assert manifest[url].bytes == int(row["bytes"])


def test_manifest_errors_name_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yml"
    bad.write_text(yaml.safe_dump({"sources": [{"id": "x", "path": "p", "url": "u", "sha256": "abc"}]}))
    with pytest.raises(DataError, match=r"source #1 \(x\) lacks bytes, licence, citation, description"):
        sources.load_manifest(bad)
    bad.write_text(yaml.safe_dump({"sources": [dict.fromkeys(sources.REQUIRED_FIELDS, "v") | {"bytes": 1}]}))
    with pytest.raises(DataError, match="sha256 must be 64 hex digits"):
        sources.load_manifest(bad)


def test_fetch_uses_mirror_by_checksum_whatever_the_layout(temp_root: Path, tmp_path: Path) -> None:
    content = b"a,b\n1,2\n"
    src = make_source("demo", content)
    mirror = tmp_path / "mirror" / "deep" / "other-name.bin"
    mirror.parent.mkdir(parents=True)
    mirror.write_bytes(content)
    result = sources.fetch([src], mirror=tmp_path / "mirror", allow_network=False, log=lambda _: None)
    assert result["demo"].startswith("mirror")
    assert (temp_root / src.path).read_bytes() == content
    again = sources.fetch([src], mirror=tmp_path / "mirror", allow_network=False, log=lambda _: None)
    assert again["demo"] == "already verified"


@pytest.mark.usefixtures("temp_root")
def test_fetch_downloads_from_url_when_no_mirror(tmp_path: Path) -> None:
    content = b"x\n" * 1000
    upstream = tmp_path / "upstream.csv"
    upstream.write_bytes(content)
    src = make_source("remote", content, url=upstream.as_uri())
    result = sources.fetch([src], use_mirror=False, log=lambda _: None)
    assert result["remote"].startswith("downloaded")
    assert sources.state(src)[0] == "ok"


def test_checksum_mismatch_leaves_no_file(temp_root: Path, tmp_path: Path) -> None:
    upstream = tmp_path / "upstream.csv"
    upstream.write_bytes(b"tampered\n")
    src = make_source("remote", b"original\n", url=upstream.as_uri())
    with pytest.raises(DataError) as err:
        sources.fetch([src], use_mirror=False, log=lambda _: None)
    msg = str(err.value)
    assert "remote" in msg
    assert src.sha256 in msg
    assert hashlib.sha256(b"tampered\n").hexdigest() in msg
    assert not (temp_root / src.path).exists()
    assert not list((temp_root / "data" / "raw").glob("**/*.part"))


def test_interrupted_download_leaves_no_partial_file(temp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(io.BytesIO):
        def read(self, n: int = -1) -> bytes:  # noqa: ARG002 - keeps BytesIO.read's signature
            if self.tell() > 0:
                raise ConnectionResetError("connection reset by peer")
            return super().read(4)

    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda *_args, **_kwargs: Broken(b"0123456789"))
    src = make_source("flaky", b"0123456789", url="https://example.invalid/x.csv")
    with pytest.raises(DataError, match=r"flaky.*download .* failed"):
        sources.fetch([src], use_mirror=False, log=lambda _: None)
    assert not (temp_root / src.path).exists()
    assert not list((temp_root / "data" / "raw").glob("**/.*part"))


@pytest.mark.usefixtures("temp_root")
def test_no_network_and_no_mirror_is_a_clear_error() -> None:
    src = make_source("absent", b"zzz")
    with pytest.raises(DataError, match=r"Source 'absent': not in the mirror .* network use is disabled.*ANALYSIS_DATA_MIRROR"):
        sources.fetch([src], use_mirror=False, allow_network=False, log=lambda _: None)


def test_corrupted_raw_file_is_caught_and_replaced(temp_root: Path, tmp_path: Path) -> None:
    content = b"good\n"
    src = make_source("c", content)
    (temp_root / src.path).parent.mkdir(parents=True, exist_ok=True)
    (temp_root / src.path).write_bytes(b"bad\n")
    assert sources.state(src)[0] == "mismatch"
    mirror = tmp_path / "m"
    mirror.mkdir()
    (mirror / "c.csv").write_bytes(content)
    sources.fetch([src], mirror=mirror, allow_network=False, log=lambda _: None)
    assert (temp_root / src.path).read_bytes() == content


def test_require_refuses_a_corrupt_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    src = make_source("r", b"right")
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    (tmp_path / src.path).parent.mkdir(parents=True)
    (tmp_path / src.path).write_bytes(b"wrong")
    monkeypatch.setattr(sources, "get_source", lambda _id: src)
    with pytest.raises(DataError, match="is corrupt: expected sha256"):
        sources.require("r")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True, cwd=ROOT, env=env)


@pytest.mark.usefixtures("real_data")
def test_verify_command_reports_ok_for_the_real_data() -> None:
    proc = run_cli("data", "verify")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(" ok ") == len(sources.load_manifest())


def test_fetch_command_rejects_an_unknown_mirror_folder() -> None:
    proc = run_cli("data", "fetch", "--mirror", "/nonexistent/mirror")
    assert proc.returncode == 1
    assert "Mirror folder /nonexistent/mirror does not exist" in proc.stderr
