"""The built book in a real browser (Debian's headless Chromium): every page loads its images and
figures, logs no console error and requests nothing from another host. Screenshots of each page
are saved in book/_build/screenshots/ for a person to look at."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from analysis import paths

HTML = paths.BOOK_BUILD
SHOTS = paths.BOOK / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.browser


def book_pages() -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in HTML.rglob("*.html") if p.name not in skip and "_static" not in p.parts
                  and "_sources" not in p.parts and p.name != "index.html")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML} has no built book; run `make book-html` (make test does) before this test.")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("Debian's chromium and chromium-driver are needed "
                    "(.ci/run installs them: apt-get install chromium chromium-driver).")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def requested_urls(drv: object) -> list[str]:
    import json

    urls = []
    for entry in drv.get_log("performance"):  # type: ignore[attr-defined]
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def test_the_book_has_the_expected_pages() -> None:
    names = {p.relative_to(HTML).as_posix() for p in book_pages()}
    assert "book/intro.html" in names and "notebooks/00_datos.html" in names, sorted(names)


def test_every_page_loads_cleanly_in_chromium(server: str, driver: object) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    pages = book_pages()
    for page in pages:
        rel = page.relative_to(HTML).as_posix()
        driver.get_log("performance")  # type: ignore[attr-defined]  # drain
        driver.get(f"{server}/{rel}")  # type: ignore[attr-defined]
        driver.execute_script("return document.readyState")  # type: ignore[attr-defined]
        broken = driver.execute_script(  # type: ignore[attr-defined]
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        if broken:
            problems.append(f"{rel}: images that did not load: {broken}")
        figures_without_img = driver.execute_script(  # type: ignore[attr-defined]
            "return Array.from(document.querySelectorAll('figure'))"
            ".filter(f => !f.querySelector('img, svg, iframe, div.map')).length"
        )
        if figures_without_img:
            problems.append(f"{rel}: {figures_without_img} figure(s) with no image")
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]
        if errors:
            problems.append(f"{rel}: console errors: {errors}")
        foreign = [u for u in requested_urls(driver) if urlparse(u).hostname not in {"127.0.0.1", None}
                   and not u.startswith("data:")]
        if foreign:
            problems.append(f"{rel}: requests to other hosts: {sorted(set(foreign))}")
        driver.save_screenshot(str(SHOTS / (rel.replace("/", "__").removesuffix(".html") + ".png")))  # type: ignore[attr-defined]
    assert pages, "no pages found"
    assert not problems, "\n".join(problems)
