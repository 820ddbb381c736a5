"""Read the parts of a docs page that the checks compare and run: code blocks, headings, tables, front matter.

One reader for the build hook (``tools/mkdocs_hooks.py``: parity between the languages, stale translations) and the
example runner (``tests/docs/test_doc_examples.py``), so both see the same blocks.

A fenced block is marked for the example runner by an HTML comment on the line right above its fence (blank lines
between are allowed); the comment renders to nothing::

    <!-- example: compile-only (needs an AWS account) -->
    ```python
    ...
    ```

Markers (see CONTRIBUTING.md, "Code examples that run"):

- ``compile-only (reason)``: compiled, never run; the reason is required.
- ``fresh``: runs in a new namespace instead of continuing the page's earlier blocks.
- ``raises ErrorName``: must raise that exception (by class name, or a subclass of it).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<text>.+?)[ \t]*#*[ \t]*$")
_TABLE_DELIMITER = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
_MARKER = re.compile(r"^[ \t]*<!--[ \t]*example:[ \t]*(?P<body>.*?)[ \t]*-->[ \t]*$")
_MARKER_FORMS = re.compile(r"^(?:compile-only \((?P<reason>[^)]+)\)|(?P<fresh>fresh)|raises (?P<error>[A-Za-z_]\w*))$")
PYTHON_LANGUAGES = frozenset({"python", "py"})


class MarkerError(ValueError):
    """A ``<!-- example: ... -->`` comment that is not one of the known markers."""


@dataclass(frozen=True)
class CodeBlock:
    """One fenced code block of a page.

    Attributes:
        language: The first word of the fence's info string (``python``, ``console``...), lower case.
        code: The block's text with the fence's indentation removed.
        line: The 1-based line of the opening fence.
        compile_only: The reason given by a ``compile-only`` marker, else ``None``.
        fresh: Whether a ``fresh`` marker starts a new namespace here.
        raises: The exception class name a ``raises`` marker expects, else ``None``.
    """

    language: str
    code: str
    line: int
    compile_only: str | None = None
    fresh: bool = False
    raises: str | None = None

    @property
    def is_python(self) -> bool:
        """Whether the example runner compiles (and runs) this block."""
        return self.language in PYTHON_LANGUAGES


@dataclass
class Outline:
    """What must match between a page and its translation: headings per level, code blocks, tables."""

    headings: list[int] = field(default_factory=list)
    code_blocks: int = 0
    tables: int = 0

    def differences(self, other: Outline) -> list[str]:
        """Describe how ``other`` differs from this outline (empty when they match)."""
        found = []
        if self.headings != other.headings:
            found.append(f"headings (levels) {_levels(self.headings)} vs {_levels(other.headings)}")
        if self.code_blocks != other.code_blocks:
            found.append(f"{self.code_blocks} vs {other.code_blocks} code blocks")
        if self.tables != other.tables:
            found.append(f"{self.tables} vs {other.tables} tables")
        return found


def _levels(headings: list[int]) -> str:
    return "".join(str(level) for level in headings) or "none"


def _parse_marker(text: str, line: int) -> dict[str, object]:
    match = _MARKER_FORMS.match(text)
    if match is None:
        raise MarkerError(
            f"line {line}: unknown example marker {text!r}; use 'compile-only (reason)', 'fresh' or 'raises ErrorName'"
        )
    if match["reason"]:
        return {"compile_only": match["reason"].strip()}
    if match["fresh"]:
        return {"fresh": True}
    return {"raises": match["error"]}


def _dedent(lines: list[str], indent: str) -> str:
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines) + "\n"


def code_blocks(markdown: str) -> list[CodeBlock]:
    """Return every fenced code block of ``markdown`` with the example markers above it.

    Args:
        markdown: A page's Markdown source.

    Returns:
        The blocks in page order (nested fences inside a longer fence are part of the outer block).

    Raises:
        MarkerError: If an ``<!-- example: ... -->`` comment is not a known marker or stands above no code block.

    Example:
        >>> page = "Text\\n\\n<!-- example: fresh -->\\n```python\\nx = 1\\n```\\n"
        >>> [(b.language, b.code, b.line, b.fresh) for b in code_blocks(page)]
        [('python', 'x = 1\\n', 4, True)]
    """
    blocks: list[CodeBlock] = []
    lines = markdown.splitlines()
    pending: tuple[dict[str, object], int] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = _MARKER.match(line)
        if marker is not None:
            pending = (_parse_marker(marker["body"], index + 1), index + 1)
            index += 1
            continue
        opening = _FENCE.match(line)
        if opening is None:
            if pending is not None and line.strip():
                raise MarkerError(f"line {pending[1]}: an example marker must stand right above a code block")
            index += 1
            continue
        fence, indent = opening["fence"], opening["indent"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        info = opening["info"].strip().lstrip("{").strip()
        language = info.split()[0].lstrip(".").lower() if info else ""
        options = pending[0] if pending is not None else {}
        blocks.append(
            CodeBlock(language=language, code=_dedent(lines[index + 1 : end], indent), line=index + 1, **options)  # type: ignore[arg-type]
        )
        pending = None
        index = end + 1
    if pending is not None:
        raise MarkerError(f"line {pending[1]}: an example marker must stand right above a code block")
    return blocks


def outline(markdown: str) -> Outline:
    """Count the headings (by level), code blocks and tables of a page, skipping front matter and code.

    Example:
        >>> page = "# T\\n\\n## A\\n\\n| a |\\n|---|\\n| 1 |\\n\\n```python\\n# not a heading\\n```\\n"
        >>> found = outline(page)
        >>> found.headings, found.code_blocks, found.tables
        ([1, 2], 1, 1)
    """
    found = Outline()
    body = split_front_matter(markdown)[1]
    lines = body.splitlines()
    in_code: re.Pattern[str] | None = None
    for index, line in enumerate(lines):
        if in_code is not None:
            if in_code.match(line):
                in_code = None
            continue
        opening = _FENCE.match(line)
        if opening is not None:
            fence = opening["fence"]
            in_code = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            found.code_blocks += 1
            continue
        heading = _HEADING.match(line)
        if heading is not None:
            found.headings.append(len(heading["hashes"]))
        elif _TABLE_DELIMITER.match(line) and "|" in line and index > 0 and "|" in lines[index - 1]:
            found.tables += 1
    return found


def split_front_matter(markdown: str) -> tuple[dict[str, str], str]:
    """Split ``key: value`` YAML front matter (flat, string values) from the page body.

    Example:
        >>> split_front_matter("---\\nsource_hash: abc\\n---\\n# Title\\n")
        ({'source_hash': 'abc'}, '# Title\\n')
    """
    if not markdown.startswith("---\n"):
        return {}, markdown
    end = markdown.find("\n---\n", 3)
    if end == -1:
        return {}, markdown
    meta: dict[str, str] = {}
    for line in markdown[4:end].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "#")):
            meta[key.strip()] = value.strip().strip("\"'")
    return meta, markdown[end + 5 :]


def source_hash(markdown: str) -> str:
    """The short hash a translation records of the English page it was made from (front matter ignored).

    Example:
        >>> source_hash("# Title\\n") == source_hash("---\\nx: 1\\n---\\n# Title\\n")
        True
    """
    body = split_front_matter(markdown)[1].replace("\r\n", "\n").strip()
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
