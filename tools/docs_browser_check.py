"""Check the built bilingual docs site in headless Chromium.

Usage: python tools/docs_browser_check.py SITE_DIR --shots SHOTS_DIR

Serves SITE_DIR on 127.0.0.1 (a port the OS picks, in a thread), drives the system Chromium with Playwright and checks:
the English and Korean home pages and one API page in each language have the right <title> and <html lang>; the
Korean API page shows the Korean section titles; the language switcher leads to the same page in the other language;
searching a Korean word on the Korean site finds a Korean page. Screenshots go to SHOTS_DIR. Exits 1 on any failed
check, with one line per failure.

The browser: `SYNAPSE_DOCS_CHROMIUM` if set, else the system Chromium (`chromium` on PATH: the Debian package, with
`fonts-nanum` or Hangul renders as boxes), else the Chromium that Playwright installed for itself
(`python -m playwright install chromium`). Nothing is downloaded here; with neither, it fails with one line naming
both ways.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SYSTEM_CHROMIUMS = ("chromium", "chromium-browser")
NO_BROWSER = (
    "no Chromium found: install the system one (Debian/Ubuntu: `apt-get install chromium fonts-nanum`) "
    "or Playwright's (`python -m playwright install --with-deps chromium`)"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SITE_NAME = "Synapse SDK"
STEP_TIMEOUT_MS = 30_000  # generous: a loaded 2-core machine parses a big API page slowly
# A word of the Korean installation page's title: the search must find that page, under /ko/.
KOREAN_QUERY, KOREAN_QUERY_PAGE = "설치", "ko/installation/"
API_PAGE, API_TITLE = "api/fileutils/", "synapse_fileutils"
API_SECTION = {"en": "Parameters:", "ko": "매개변수:"}
UNTRANSLATED_NOTE = "아직 번역되지 않은 페이지입니다"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The browser cancels requests when it navigates away: a broken pipe there is normal, not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 in a daemon thread; yield the base URL (ending in ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-server", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Checker:
    """Runs named checks, keeps going after a failure, and remembers every failure."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def check(self, name: str, step: Callable[[], str | None]) -> None:
        """Run ``step``; a returned string or a raised error is a failure named ``name``."""
        started = time.monotonic()
        try:
            problem = step()
        except Exception as exc:  # a Playwright timeout or error is a failed check, not a crash
            problem = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if problem:
            self.failures.append(f"{name}: {problem}")
            print(f"FAIL  {name}: {problem}", flush=True)
        else:
            print(f"ok    {name} ({time.monotonic() - started:.1f} s)", flush=True)


def _lang(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang") or "")


def check_page(page: Any, url: str, *, lang: str, title_start: str, must_contain: str | None = None) -> str | None:
    """Check ``url`` (loaded unless the browser is already there) for its language, title and a text it must show."""
    if page.url != url:
        response = page.goto(url, wait_until="domcontentloaded")
        if response is None or response.status != 200:
            return f"{url} answered {response.status if response else 'nothing'}"
    problems = []
    if _lang(page) != lang:
        problems.append(f'<html lang="{_lang(page)}">, expected "{lang}"')
    title = page.title()
    if not (title.startswith(title_start) and title.endswith(SITE_NAME)):
        problems.append(f"title {title!r}, expected {title_start!r} ... {SITE_NAME!r}")
    if lang == "ko" and UNTRANSLATED_NOTE in page.locator("article").inner_text():
        problems.append("shows the 'not yet translated' note: the Korean page is missing")
    if must_contain is not None and must_contain not in page.locator("article").inner_text():
        problems.append(f"does not show {must_contain!r}")
    return "; ".join(problems) or None


def switch_language(page: Any, base: str, start: str, target_lang: str, expected: str) -> str | None:
    """From ``start``, pick ``target_lang`` in the header's language menu and check we land on ``expected``."""
    if page.url != base + start:
        page.goto(base + start, wait_until="domcontentloaded")
    page.locator(".md-header__option .md-select > button").hover()
    link = page.locator(f'.md-select__list a.md-select__link[hreflang="{target_lang}"]')
    link.click()
    page.wait_for_url(base + expected, wait_until="domcontentloaded")
    page.wait_for_load_state("domcontentloaded")
    if _lang(page) != target_lang:
        return f'landed on {page.url} with <html lang="{_lang(page)}">, expected "{target_lang}"'
    return None


def korean_search(page: Any, base: str, shots: Path) -> str | None:
    """Type a Korean word into the Korean site's search and check a Korean page is among the results."""
    page.goto(base + "ko/", wait_until="load")
    query = page.locator('input[data-md-component="search-query"]')
    query.click()
    query.press_sequentially(KOREAN_QUERY)
    results = page.locator(".md-search-result__item a.md-search-result__link")
    results.first.wait_for(state="attached")
    hrefs = [str(link.get_attribute("href") or "") for link in results.all()]
    page.screenshot(path=str(shots / "ko-search.png"))
    if not any(urlsplit(href).path.endswith("/" + KOREAN_QUERY_PAGE) for href in hrefs):
        return f"searching {KOREAN_QUERY!r} did not find {KOREAN_QUERY_PAGE} (results: {hrefs[:8]})"
    return None


class NoBrowserError(RuntimeError):
    """Neither a system Chromium nor Playwright's own is installed."""


def find_chromium(playwright: Any) -> str:
    """Return the Chromium to drive: ``SYNAPSE_DOCS_CHROMIUM``, the system's, else Playwright's installed one."""
    override = os.environ.get("SYNAPSE_DOCS_CHROMIUM")
    if override:
        if not Path(override).is_file():
            raise NoBrowserError(f"SYNAPSE_DOCS_CHROMIUM={override!r} is not a file; {NO_BROWSER}")
        return override
    for name in SYSTEM_CHROMIUMS:
        if found := shutil.which(name):
            return found
    own = str(playwright.chromium.executable_path)  # where `playwright install chromium` puts it
    if Path(own).is_file():
        return own
    raise NoBrowserError(NO_BROWSER)


def run(site: Path, shots: Path) -> list[str]:
    """Run every check against ``site``; return the failures."""
    from playwright.sync_api import sync_playwright

    checker = Checker()
    with serve(site) as base, sync_playwright() as playwright:
        chromium = find_chromium(playwright)
        print(f"browser: {chromium}", flush=True)
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
            # Only loopback traffic: anything else (web fonts, analytics) is refused at once instead of timing out.
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if urlsplit(route.request.url).hostname == "127.0.0.1"
                    else route.abort("blockedbyclient")
                ),
            )
            page = context.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)

            # Each switch lands on the page the next check looks at, so big API pages load only three times.
            steps: list[tuple[str, Callable[[], str | None], str | None]] = [
                # Material titles a home page "<site name>" or "<nav title> - <site name>".
                ("English home (/)", lambda: check_page(page, base, lang="en", title_start=""), "en-home.png"),
                (
                    "language switcher English -> Korean on the home page",
                    lambda: switch_language(page, base, "", "ko", "ko/"),
                    None,
                ),
                (
                    "Korean home (/ko/)",
                    lambda: check_page(page, base + "ko/", lang="ko", title_start=""),
                    "ko-home.png",
                ),
                (
                    f"English API page (/{API_PAGE})",
                    lambda: check_page(
                        page, base + API_PAGE, lang="en", title_start=API_TITLE, must_contain=API_SECTION["en"]
                    ),
                    "en-api.png",
                ),
                (
                    "language switcher English -> Korean on the API page",
                    lambda: switch_language(page, base, API_PAGE, "ko", "ko/" + API_PAGE),
                    None,
                ),
                (
                    f"Korean API page (/ko/{API_PAGE})",
                    lambda: check_page(
                        page, base + "ko/" + API_PAGE, lang="ko", title_start=API_TITLE, must_contain=API_SECTION["ko"]
                    ),
                    "ko-api.png",
                ),
                (
                    "language switcher Korean -> English on the API page",
                    lambda: switch_language(page, base, "ko/" + API_PAGE, "en", API_PAGE),
                    None,
                ),
            ]
            for name, step, shot in steps:
                checker.check(name, step)
                if shot is not None:
                    page.screenshot(path=str(shots / shot))
            checker.check(f"Korean search for {KOREAN_QUERY!r}", lambda: korean_search(page, base, shots))
        finally:
            browser.close()
    return checker.failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("site", type=Path, help="the built site (mkdocs build --site-dir)")
    parser.add_argument("--shots", type=Path, required=True, help="folder for the screenshots")
    args = parser.parse_args(argv)
    site: Path = args.site.resolve()
    if not (site / "index.html").is_file() or not (site / "ko" / "index.html").is_file():
        print(f"error: {site} holds no built bilingual site (index.html and ko/index.html)", file=sys.stderr)
        return 2
    args.shots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        failures = run(site, args.shots.resolve())
    except NoBrowserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started
    if failures:
        print(f"\ndocs browser check: {len(failures)} check(s) failed ({elapsed:.1f} s):", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print(f"docs browser check passed in {elapsed:.1f} s; screenshots in {args.shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
