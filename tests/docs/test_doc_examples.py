"""Run every fenced Python block of every docs page, in English (docs/) and Korean (docs_ko/).

The blocks of one page run in page order in one namespace, as a reader pastes them into one Python session, in an
empty working folder, against the local services of ``conftest.py`` (placeholder URLs replaced). A block marked
``<!-- example: compile-only (reason) -->`` is compiled and not run; ``fresh`` starts a new namespace; ``raises
ErrorName`` expects that error. The markers and the reader are in ``tools/docs_markdown.py``; CONTRIBUTING.md
("Code examples that run") explains them to page writers.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docs_markdown import CodeBlock, code_blocks

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"en": ROOT / "docs", "ko": ROOT / "docs_ko"}


def _pages() -> list[Any]:
    pages = []
    for lang, folder in SOURCES.items():
        for path in sorted(folder.rglob("*.md")):
            blocks = [block for block in code_blocks(path.read_text(encoding="utf-8")) if block.is_python]
            if blocks:
                relative = path.relative_to(folder).as_posix()
                pages.append(pytest.param(path, blocks, id=f"{lang}/{relative}"))
    return pages


def _compile(block: CodeBlock, path: Path, code: str) -> Any:
    # Leading newlines put each statement on its line of the page, so a traceback points into the Markdown file.
    return compile("\n" * block.line + code, str(path.relative_to(ROOT)), "exec", dont_inherit=True)


def _matches(error: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(error).__mro__)


@pytest.mark.parametrize(("path", "blocks"), _pages())
def test_page_examples_run(
    path: Path, blocks: list[CodeBlock], localize: Callable[[str], str], page_folder: Path
) -> None:
    namespace: dict[str, Any] = {}
    for block in blocks:
        where = f"{path.relative_to(ROOT)}:{block.line}"
        if block.compile_only is not None:
            _compile(block, path, block.code)
            continue
        code = _compile(block, path, localize(block.code))
        if block.fresh:
            namespace = {}
        namespace.setdefault("__name__", "__main__")
        namespace.setdefault("__builtins__", builtins)
        try:
            exec(code, namespace)
        except BaseException as error:
            if block.raises is not None and _matches(error, block.raises):
                continue
            raise AssertionError(f"the example at {where} failed: {type(error).__name__}: {error}") from error
        else:
            if block.raises is not None:
                raise AssertionError(f"the example at {where} did not raise {block.raises}")
