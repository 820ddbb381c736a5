"""Check the built bilingual docs site in headless Chromium.

Usage: python tools/docs_browser_check.py SITE_DIR --shots SHOTS_DIR

Serves SITE_DIR on 127.0.0.1 (a port the OS picks, in a thread), drives the system Chromium with Playwright and checks:
the English and Korean home pages and one API page in each language have the right <title> and <html lang>; the
Korean API page shows the Korean section titles and no English "Bases:" label; the language switcher leads to the same
page in the other language, both ways; each language's search finds only its own pages, for an English query and for
Korean queries with particles, typed as an IME types Hangul (key and composition events around each syllable); a
Korean page on a phone-sized screen breaks lines only between words; old URLs of the previous docs site redirect to
their pages; the 404 page is English at the root and Korean under /ko/; the copy button of a shell example copies the
commands without the `$ ` prompt. Screenshots go to SHOTS_DIR. Exits 1 on any failed check, with one line per
failure.

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
# Search: (site root, query, a page the results must include); every result must be a page of that language.
SEARCHES = [
    ("", "stop_job", "api/clients/ray/"),
    ("ko/", "stop_job", "ko/api/clients/ray/"),
    ("ko/", "설치", "ko/installation/"),
    ("ko/", "아카이브를", "ko/features/utils/file/"),  # the pages write 아카이브, 아카이브는, 아카이브에...
    ("ko/", "파일을", "ko/features/utils/file/"),
]
# A long Korean page, read on a phone-sized screen: no line may end inside a word.
KOREAN_TEXT_PAGE = "ko/features/utils/download/"
PHONE_VIEWPORT = {"width": 390, "height": 844}
REDIRECTS = [("api/utils/file/", "features/utils/file/"), ("ko/api/utils/storage/", "ko/features/utils/storage/")]
SHELL_EXAMPLE_PAGE = "quickstart/"  # its shell example shows output lines too
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


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3"


def type_like_a_person(page: Any, field: Any, text: str) -> None:
    """Type ``text`` into ``field`` key by key; Hangul syllables arrive as an IME sends them.

    Latin characters are real key presses. A Hangul syllable is what a Korean IME produces: keydown "Process",
    compositionstart, the text (an input event), compositionend and keyup "Process".
    """
    field.click()
    for char in text:
        if not _is_hangul(char):
            page.keyboard.press(char)
            continue
        field.evaluate(
            """(el) => {
                el.dispatchEvent(new KeyboardEvent("keydown", {key: "Process", bubbles: true}));
                el.dispatchEvent(new CompositionEvent("compositionstart", {bubbles: true}));
            }"""
        )
        page.keyboard.insert_text(char)
        field.evaluate(
            """(el, char) => {
                el.dispatchEvent(new CompositionEvent("compositionend", {data: char, bubbles: true}));
                el.dispatchEvent(new KeyboardEvent("keyup", {key: "Process", bubbles: true}));
            }""",
            char,
        )


def search(page: Any, base: str, root: str, query: str, expected: str, *, shot: Path | None = None) -> str | None:
    """Search ``query`` on the ``root`` language's home page: ``expected`` must be found, and only that language."""
    page.goto(base + root, wait_until="load")
    field = page.locator('input[data-md-component="search-query"]')
    meta = page.locator(".md-search-result__meta")
    placeholder = meta.inner_text()  # "Type to start searching" until the search has answered
    type_like_a_person(page, field, query)
    page.wait_for_function(
        "(shown) => document.querySelector('.md-search-result__meta').innerText !== shown", arg=placeholder
    )
    results = page.locator(".md-search-result__item a.md-search-result__link")
    # The search answers each keystroke: read the results until they stop changing (the answer to the whole query).
    paths: list[str] = []
    for _ in range(40):
        current = [urlsplit(str(link.get_attribute("href") or "")).path for link in results.all()]
        if current and current == paths:
            break
        paths = current
        page.wait_for_timeout(250)
    if shot is not None:
        page.screenshot(path=str(shot))
    problems = []
    if not any(path.endswith("/" + expected) for path in paths):
        problems.append(f"did not find {expected} (results: {paths[:6]})")
    in_korean = [path.startswith("/ko/") for path in paths]
    wrong = [p for p, ko in zip(paths, in_korean, strict=True) if ko != (root == "ko/")]
    if wrong:
        problems.append(f"{len(wrong)} of {len(paths)} results are in the other language: {wrong[:4]}")
    return "; ".join(problems) or None


_LINE_BREAKS_IN_WORDS = """() => {
    // For each pair of adjacent Hangul syllables (no space between), compare the lines they are laid out on.
    const hangul = /[\uac00-\ud7a3]/;
    const walker = document.createTreeWalker(document.querySelector("article"), NodeFilter.SHOW_TEXT);
    let pairs = 0, lineBreaks = 0;
    const broken = [];
    const top = (node, i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                               const rects = r.getClientRects(); return rects.length ? rects[0].top : null; };
    while (walker.nextNode()) {
        const node = walker.currentNode, text = node.data;
        if (node.parentElement.closest("pre, code, .md-nav")) continue;
        let previous = null;
        for (let i = 0; i < text.length; i++) {
            const t = hangul.test(text[i]) ? top(node, i) : null;
            if (t !== null && previous !== null && i > 0 && hangul.test(text[i - 1])) {
                pairs++;
                if (Math.abs(t - previous) > 2) broken.push(text.slice(Math.max(0, i - 6), i + 6));
            }
            if (i > 0 && t !== null && previous !== null && Math.abs(t - previous) > 2) lineBreaks++;
            previous = t;
        }
    }
    const style = getComputedStyle(document.querySelector("article p")).wordBreak;
    return {pairs, broken, style, paragraphs: document.querySelectorAll("article p").length};
}"""


def korean_line_breaks(page: Any, base: str, shots: Path) -> str | None:
    """On a phone-sized screen, a Korean page breaks lines between words only (word-break: keep-all)."""
    page.set_viewport_size(PHONE_VIEWPORT)
    try:
        page.goto(base + KOREAN_TEXT_PAGE, wait_until="load")
        found = page.evaluate(_LINE_BREAKS_IN_WORDS)
        page.screenshot(path=str(shots / "ko-phone.png"))
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    if found["pairs"] < 1000:
        return f"only {found['pairs']} adjacent Hangul syllables found on {KOREAN_TEXT_PAGE}: is it Korean?"
    if found["style"] != "keep-all":
        return f"word-break of a paragraph is {found['style']!r}, expected 'keep-all'"
    if found["broken"]:
        return f"{len(found['broken'])} line(s) end inside a word, e.g. {found['broken'][:3]}"
    return None


def redirect(page: Any, base: str, old: str, new: str) -> str | None:
    """An old URL of the previous docs site lands on its page here."""
    page.goto(base + old, wait_until="domcontentloaded")
    page.wait_for_url(base + new, wait_until="domcontentloaded")
    if page.locator("article h1").count() == 0:
        return f"{old} led to {page.url}, which shows no page"
    return None


def not_found_pages(page: Any, base: str) -> str | None:
    """The site's 404 page is English at the root and Korean under /ko/."""
    problems = []
    for path, lang in (("404.html", "en"), ("ko/404.html", "ko")):
        response = page.goto(base + path, wait_until="domcontentloaded")
        if response is None or response.status != 200:
            problems.append(f"/{path} answered {response.status if response else 'nothing'}")
        elif _lang(page) != lang:
            problems.append(f'/{path} has <html lang="{_lang(page)}">, expected "{lang}"')
    return "; ".join(problems) or None


def copy_without_prompt(page: Any, base: str) -> str | None:
    """The copy button of a shell example copies the commands, without `$ ` and without output lines."""
    page.goto(base + SHELL_EXAMPLE_PAGE, wait_until="load")
    block = page.locator("div.highlight:has(.gp):has(.go)").first
    shown = block.locator("code").inner_text()
    block.hover()
    block.locator('button[data-md-type="copy"]').click()
    copied = str(page.evaluate("navigator.clipboard.readText()"))
    commands = [line[2:] for line in shown.splitlines() if line.startswith("$ ")]
    if not commands:
        return f"the shell example of /{SHELL_EXAMPLE_PAGE} shows no `$ ` command"
    if any(line.startswith("$") for line in copied.splitlines()):
        return f"the copied text keeps the prompt: {copied!r}"
    if [line for line in copied.splitlines() if line.strip()] != commands:
        return f"copied {copied!r}, expected the commands {commands!r}"
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
            context.grant_permissions(["clipboard-read", "clipboard-write"])
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
                    'no English "Bases:" label on the Korean API page',
                    lambda: "shows 'Bases:'" if "Bases:" in page.locator("article").inner_text() else None,
                    None,
                ),
                (
                    "language switcher Korean -> English on the API page",
                    lambda: switch_language(page, base, "ko/" + API_PAGE, "en", API_PAGE),
                    None,
                ),
                (
                    "language switcher Korean -> English on the home page",
                    lambda: switch_language(page, base, "ko/", "en", ""),
                    None,
                ),
            ]
            for name, step, shot in steps:
                checker.check(name, step)
                if shot is not None:
                    page.screenshot(path=str(shots / shot))
            for index, (root, query, expected) in enumerate(SEARCHES):
                language = "Korean" if root else "English"
                shot = shots / f"search-{index}.png"
                checker.check(
                    f"{language} search for {query!r}",
                    lambda root=root, query=query, expected=expected, shot=shot: search(
                        page, base, root, query, expected, shot=shot
                    ),
                )
            checker.check(
                f"Korean line breaks on /{KOREAN_TEXT_PAGE} (phone)", lambda: korean_line_breaks(page, base, shots)
            )
            for old, new in REDIRECTS:
                checker.check(f"redirect /{old} -> /{new}", lambda old=old, new=new: redirect(page, base, old, new))
            checker.check("404 pages per language", lambda: not_found_pages(page, base))
            checker.check("copy button leaves out the shell prompt", lambda: copy_without_prompt(page, base))
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
