"""Run every fenced Python block of every docs page, in English (docs/) and Korean (docs_ko/).

The blocks of one page run in page order in one namespace, as a reader pastes them into one Python session, in an
empty working folder, against the local services of ``conftest.py`` (placeholder URLs replaced). A block marked
``<!-- example: compile-only (reason) -->`` is compiled and not run; ``fresh`` starts a new namespace; ``raises
ErrorName`` expects that error. The markers and the reader are in ``tools/docs_markdown.py``; CONTRIBUTING.md
("Code examples that run") explains them to page writers.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
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


def _assert_raised_by_last_statement(error: BaseException, block: CodeBlock, path: Path) -> None:
    """A ``raises`` block shows a failing call at its end: an earlier statement that raises is a broken example."""
    last = ast.parse(block.code).body[-1]
    first_line, last_line = block.line + last.lineno, block.line + (last.end_lineno or last.lineno)
    lines = [
        frame.tb_lineno for frame in _frames(error) if frame.tb_frame.f_code.co_filename == str(path.relative_to(ROOT))
    ]
    assert lines, f"{path.relative_to(ROOT)}:{block.line}: {type(error).__name__} was not raised by the block's code"
    assert first_line <= lines[-1] <= last_line, (
        f"{path.relative_to(ROOT)}:{block.line}: {type(error).__name__} came from line {lines[-1] if lines else '?'}, "
        f"not from the block's last statement (lines {first_line}-{last_line})"
    )


def _frames(error: BaseException) -> list[TracebackType]:
    frames, tb = [], error.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    return frames


def _matches(error: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(error).__mro__)


class _ProseBlanker(ast.NodeTransformer):
    """Blank the prose a translation may change: docstrings and the text (not the values) printed by ``print()``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            node.args = [_blank_text(arg) for arg in node.args]
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                value.value = ""
        return super().generic_visit(node)


class _TextBlanker(ast.NodeTransformer):
    """Blank every string literal (and the literal parts of f-strings) in a subtree: the text a reader sees."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant("") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        node.values = [self.visit(v) for v in node.values if not isinstance(v, ast.Constant)]
        return node


def _blank_text(node: ast.expr) -> ast.expr:
    return _TextBlanker().visit(node)  # type: ignore[no-any-return]


def _program(code: str) -> str:
    try:
        return ast.dump(_ProseBlanker().visit(ast.parse(code)))
    except SyntaxError:
        return code  # not the same program as anything else; running it reports the error


def _same_program(blocks: list[CodeBlock], english: list[CodeBlock]) -> bool:
    """Whether a translation's blocks are the English page's up to comments, docstrings and printed text."""
    return len(blocks) == len(english) and all(
        (a.compile_only is None, a.fresh, a.raises) == (b.compile_only is None, b.fresh, b.raises)
        and _program(a.code) == _program(b.code)
        for a, b in zip(blocks, english, strict=True)
    )


def _english_twin(path: Path) -> list[CodeBlock] | None:
    if not path.is_relative_to(SOURCES["ko"]):
        return None
    twin = SOURCES["en"] / path.relative_to(SOURCES["ko"])
    if not twin.is_file():
        return None
    return [block for block in code_blocks(twin.read_text(encoding="utf-8")) if block.is_python]


@pytest.mark.parametrize(("path", "blocks"), _pages())
def test_page_examples_run(
    path: Path, blocks: list[CodeBlock], localize: Callable[[str], str], page_folder: Path
) -> None:
    english = _english_twin(path)
    if english is not None and _same_program(blocks, english):
        # The Korean page translates only comments, docstrings and printed text: the English page's test runs it.
        for block in blocks:
            _compile(block, path, block.code)
        return
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
                _assert_raised_by_last_statement(error, block, path)
                continue
            raise AssertionError(f"the example at {where} failed: {type(error).__name__}: {error}") from error
        else:
            if block.raises is not None:
                raise AssertionError(f"the example at {where} did not raise {block.raises}")
