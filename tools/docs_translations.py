"""Record which English text a Korean page translates, and list the translations whose English page changed since.

Usage:
    python tools/docs_translations.py record docs_ko/features/utils/file.md ...   # after updating a translation
    python tools/docs_translations.py status                                     # stale or unrecorded pages

A Korean page keeps ``source_hash`` (``docs_markdown.source_hash`` of its English page) in its front matter. The docs
build compares it with the English page and shows a "the English page changed" note on a stale Korean page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from docs_markdown import source_hash, split_front_matter
from mkdocs_hooks import expand_includes

ROOT = Path(__file__).resolve().parent.parent
ENGLISH, KOREAN = ROOT / "docs", ROOT / "docs_ko"


def _english_text(korean_page: Path) -> str:
    english = ENGLISH / korean_page.resolve().relative_to(KOREAN)
    return expand_includes(english.read_text(encoding="utf-8"), ROOT)


def record(page: Path) -> None:
    """Write the English page's current hash into the Korean page's front matter."""
    text = page.read_text(encoding="utf-8")
    meta, body = split_front_matter(text)
    meta["source_hash"] = source_hash(_english_text(page))
    front = "".join(f"{key}: {value}\n" for key, value in meta.items())
    page.write_text(f"---\n{front}---\n{body}", encoding="utf-8")


def stale_pages() -> list[Path]:
    """The Korean pages whose recorded hash is missing or no longer matches their English page."""
    found = []
    for page in sorted(KOREAN.rglob("*.md")):
        recorded = split_front_matter(page.read_text(encoding="utf-8"))[0].get("source_hash")
        if recorded != source_hash(_english_text(page)):
            found.append(page)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("record", help="record the English hash in Korean pages").add_argument(
        "pages", nargs="+", type=Path
    )
    commands.add_parser("status", help="list stale or unrecorded Korean pages")
    args = parser.parse_args(argv)
    if args.command == "record":
        for page in args.pages:
            record(page)
        return 0
    stale = stale_pages()
    for page in stale:
        print(f"stale: {page.relative_to(ROOT)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
