"""MkDocs hooks for the bilingual site: stage docs/ and docs_ko/ into one folder-structured docs_dir.

mkdocs-static-i18n (``docs_structure: folder``) wants one docs_dir holding ``en/`` and ``ko/``; we keep English pages
in ``docs/`` and Korean pages in ``docs_ko/`` with the same relative paths. Before the i18n plugin configures itself,
this hook mirrors both into ``build/docs-staged/<pid>/{en,ko}/`` and points ``docs_dir`` there:

- a Korean page without an English twin fails the build (it would be unreachable from the English site);
- an English page without a Korean twin is staged under ``ko/`` with a visible "not yet translated" note, and the
  build prints the list of such pages;
- ``mkdocs serve`` watches the real ``docs/`` and ``docs_ko/`` folders, not the staged copy.

It also tells mkdocstrings which language the current build is in, so Korean API pages get the Korean section titles
of ``overrides/mkdocstrings/python/material/languages/ko.html.jinja``.

``ExampleSections`` is a griffe extension (loaded by mkdocstrings, see mkdocs.yml): our docstrings title their
doctests ``Example:``, which griffe's Google parser takes for a plain admonition, so ``>>>`` lines would render as
Markdown quotes. It renames that title to ``Examples:``, which griffe parses into highlighted Python code. It also
reads the ``#:`` comment above a module attribute as that attribute's docstring (the Sphinx convention our modules
use for constants and type aliases), so they get an API entry and autorefs links to them resolve.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import griffe
from docs_markdown import outline, source_hash, split_front_matter
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer

log = get_plugin_logger("i18n-staging")

KOREAN_SOURCE = "docs_ko"
STAGING_ROOT = PurePosixPath("build/docs-staged")
DEFAULT_LOCALE, TRANSLATED_LOCALE = "en", "ko"

_UNTRANSLATED_NOTE = """\
!!! warning "아직 번역되지 않은 페이지입니다"
    이 페이지는 아직 한국어로 번역되지 않아 영어 원문을 보여 드립니다.
    번역을 추가하는 방법은 [기여 가이드]({contributing})를 참고하세요.

"""

_STALE_NOTE = """\
!!! warning "영어 원문이 바뀌었습니다"
    이 번역을 만든 뒤 영어 원문이 바뀌어, 일부 내용이 원문과 다를 수 있습니다. 헤더의 언어 메뉴에서 English를
    선택하면 최신 원문을 볼 수 있습니다.

"""
# An admonition without a quoted title shows the theme's English label ("Note") on a Korean page.
_UNTITLED_ADMONITION = re.compile(r"^[ \t]*(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+[\w-]+)*[ \t]*$", re.MULTILINE)
_SNIPPET_INCLUDE = re.compile(r'^--8<--[ \t]+"(?P<path>[^"]+)"[ \t]*$', re.MULTILINE)

# Set once this process has staged the sources: the i18n plugin re-runs on_config for every language on the same
# config object, and each run must not restage (the docs_dir then already points at the staged folder).
# Maps the config file to (English source, Korean source, staging folder).
_staged: dict[str, tuple[Path, Path, Path]] = {}


def _sources(config: MkDocsConfig) -> tuple[Path, Path, Path]:
    """Return the English source, the Korean source and this process's staging folder."""
    root = Path(config.config_file_path or ".").resolve().parent
    english = Path(config.docs_dir).resolve()
    return english, root / KOREAN_SOURCE, root / STAGING_ROOT / str(os.getpid())


def _tree(folder: Path) -> dict[str, Path]:
    """Map each file under ``folder`` (posix relative path) to its absolute path; hidden entries are skipped."""
    if not folder.is_dir():
        return {}
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[relative.as_posix()] = path
    return files


def _with_untranslated_note(markdown: str, page: str) -> str:
    """Insert the Korean "not yet translated" note after the front matter and the page's first heading."""
    contributing = os.path.relpath("contributing.md", start=PurePosixPath(page).parent.as_posix() or ".")
    return _with_note(markdown, _UNTRANSLATED_NOTE.format(contributing=PurePosixPath(contributing).as_posix()))


def _with_note(markdown: str, note: str) -> str:
    """Insert ``note`` (Markdown) after the front matter and the page's first heading."""
    lines = markdown.splitlines(keepends=True)
    index = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        closing = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        index = closing + 1 if closing is not None else 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index < len(lines) and lines[index].startswith("# "):
        index += 1
        return "".join([*lines[:index], "\n", note, *lines[index:]])
    return "".join([*lines[:index], note, *lines[index:]])


def _write_if_changed(target: Path, content: bytes) -> None:
    """Write atomically, and only when the content differs (so a watcher sees no spurious change)."""
    if target.is_file() and target.read_bytes() == content:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _remove_stale_stages(staging: Path) -> None:
    """Drop staging folders left by processes that are gone (a killed ``mkdocs serve``)."""
    for sibling in staging.parent.glob("*"):
        if sibling == staging or not sibling.name.isdigit():
            continue
        try:
            os.kill(int(sibling.name), 0)
        except ProcessLookupError:
            shutil.rmtree(sibling, ignore_errors=True)
        except OSError:  # alive but not ours: leave it
            continue


def _checked_translation(english_page: Path, korean_page: Path, relative: str, root: Path) -> str:
    """Warn about a Korean page's structure and untitled admonitions; add the stale note when its source changed."""
    korean = korean_page.read_text(encoding="utf-8")
    english_text = expand_includes(english_page.read_text(encoding="utf-8"), root)
    korean_text = expand_includes(korean, root)
    where = f"{KOREAN_SOURCE}/{relative}"
    for problem in parity_problems(english_text, korean_text):
        log.warning("%s differs from its English page: %s", where, problem)
    for match in _UNTITLED_ADMONITION.finditer(korean_text):
        line = korean_text.count("\n", 0, match.start()) + 1
        log.warning('%s:%d: give the admonition a Korean title (%s "참고")', where, line, match[0].strip())
    if is_stale(english_text, korean_text):
        log.info("%s: the English page changed after this translation (source_hash)", where)
        return _with_note(korean, _STALE_NOTE)
    return korean


def stage(english: Path, korean: Path, staging: Path) -> list[str]:
    """Mirror both sources into ``staging/{en,ko}`` and return the English pages that lack a Korean twin.

    Args:
        english: The English docs folder.
        korean: The Korean docs folder (may be missing).
        staging: The folder to fill; files no longer in the sources are removed from it.

    Returns:
        The Markdown pages (posix paths relative to the docs folder) shown in English on the Korean site.

    Raises:
        PluginError: If a Korean page has no English twin.
    """
    english_files, korean_files = _tree(english), _tree(korean)
    orphans = sorted(p for p in korean_files if p.endswith(".md") and p not in english_files)
    if orphans:
        raise PluginError(
            f"Korean page(s) without an English twin in {english.name}/: {', '.join(orphans)}. "
            f"Every page in {korean.name}/ needs the English page at the same relative path."
        )
    wanted: dict[Path, bytes] = {}
    for relative, path in english_files.items():
        wanted[staging / DEFAULT_LOCALE / relative] = path.read_bytes()
    untranslated: list[str] = []
    for relative, path in english_files.items():
        if relative in korean_files:
            continue
        content = path.read_bytes()
        if relative.endswith(".md"):
            untranslated.append(relative)
            content = _with_untranslated_note(content.decode("utf-8"), relative).encode("utf-8")
        wanted[staging / TRANSLATED_LOCALE / relative] = content
    root = english.parent
    for relative, path in korean_files.items():
        content = path.read_bytes()
        if relative.endswith(".md"):
            content = _checked_translation(english_files[relative], path, relative, root).encode("utf-8")
        wanted[staging / TRANSLATED_LOCALE / relative] = content

    for target, content in wanted.items():
        _write_if_changed(target, content)
    for existing in sorted(staging.rglob("*"), reverse=True):  # children before their folders
        if existing.is_file() and existing not in wanted:
            existing.unlink()
        elif existing.is_dir() and not any(existing.iterdir()):
            existing.rmdir()
    return untranslated


def expand_includes(markdown: str, root: Path) -> str:
    """Replace ``--8<-- "path"`` lines (pymdownx.snippets, paths relative to the repository root) by the file."""
    return _SNIPPET_INCLUDE.sub(lambda match: (root / match["path"]).read_text(encoding="utf-8"), markdown)


def parity_problems(english: str, korean: str) -> list[str]:
    r"""How a translation's structure differs from its English page: headings per level, code blocks, tables.

    Example:
        >>> parity_problems("# A\n\n## B\n", "# 가\n\n## 나\n")
        []
        >>> parity_problems("# A\n\n| a |\n|---|\n", "# 가\n")
        ['1 vs 0 tables']
    """
    return outline(english).differences(outline(korean))


def is_stale(english: str, korean: str) -> bool:
    r"""Whether the English page changed since the translation recorded its ``source_hash`` (front matter).

    Example:
        >>> is_stale("# A\n", "---\nsource_hash: " + source_hash("# A\n") + "\n---\n# 가\n")
        False
        >>> is_stale("# A, edited\n", "---\nsource_hash: " + source_hash("# A\n") + "\n---\n# 가\n")
        True
    """
    recorded = split_front_matter(korean)[0].get("source_hash")
    return recorded != source_hash(english)


@event_priority(100)  # before mkdocstrings (0) and the i18n plugin (-100) read the config
def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    """Stage the sources once per process, and set the mkdocstrings locale for the language being built."""
    i18n = config.plugins.get("i18n")
    language = (getattr(i18n, "current_language", None) or getattr(i18n, "default_language", None)) or "en"
    mkdocstrings = config.plugins.get("mkdocstrings")
    if mkdocstrings is not None:
        mkdocstrings.config["locale"] = language

    key = str(Path(config.config_file_path or ".").resolve())
    if key in _staged and Path(config.docs_dir).resolve() == _staged[key][2]:
        return config  # a later language build on the same config: already staged
    english, korean, staging = _sources(config)
    _remove_stale_stages(staging)
    untranslated = stage(english, korean, staging)
    if untranslated:
        log.warning(  # a warning fails `mkdocs build --strict`: every page needs its translation before it lands
            "Korean translation missing for %d page(s), shown in English with a note on /ko/: %s",
            len(untranslated),
            ", ".join(untranslated),
        )
    else:
        log.info("Every page has a Korean translation")
    config.docs_dir = str(staging)
    _staged[key] = (english, korean, staging)
    return config


def on_serve(server: LiveReloadServer, config: MkDocsConfig, **_: Any) -> LiveReloadServer:
    """Watch the real source folders instead of the staged copy (each rebuild restages from them)."""
    key = str(Path(config.config_file_path or ".").resolve())
    if key not in _staged:
        return server
    english, korean, staging = _staged[key]
    with contextlib.suppress(KeyError):  # mkdocs did not watch it (livereload off)
        server.unwatch(str(staging))
    for folder in (english, korean):
        if folder.is_dir():
            server.watch(str(folder))
    return server


_EXAMPLE_TITLE = re.compile(r"^(?P<indent>[ \t]*)Example:[ \t]*$", re.MULTILINE)


# Sphinx cross-reference roles (:func:`x`, :class:`~a.B`), which read well in help(), have no Markdown meaning and would
# render as literal text. They become inline code (``~`` keeps the last dotted part).
_SPHINX_ROLE = re.compile(
    r":(?:py:)?(?P<role>func|meth|class|mod|attr|data|exc|obj|const):`(?P<tilde>~?)(?P<target>[^`]+)`"
)


def _role_as_code(match: re.Match[str]) -> str:
    target = match["target"]
    shown = target.rsplit(".", 1)[-1] if match["tilde"] else target
    if match["role"] in {"func", "meth"} and not shown.endswith(")"):
        shown += "()"
    return f"`{shown}`"


class ExampleSections(griffe.Extension):
    """Read ``Example:`` as ``Examples:``, Sphinx roles as code, and ``#:`` comments as attribute docstrings."""

    def on_instance(self, *, obj: griffe.Object, **_: Any) -> None:
        """Rename the section title and turn Sphinx roles into code before the docstring is parsed."""
        if obj.docstring is None:
            return
        if "Example:" in obj.docstring.value:
            obj.docstring.value = _EXAMPLE_TITLE.sub(r"\g<indent>Examples:", obj.docstring.value)
        if ":`" in obj.docstring.value:
            obj.docstring.value = _SPHINX_ROLE.sub(_role_as_code, obj.docstring.value)

    def on_attribute_instance(self, *, attr: griffe.Attribute, agent: Any, **_: Any) -> None:
        """Give an attribute without a docstring the ``#:`` comment lines right above it."""
        code = getattr(agent, "code", None)
        if attr.docstring is not None or not isinstance(code, str) or not attr.lineno:
            return
        lines = code.splitlines()
        comment: list[str] = []
        index = attr.lineno - 2  # the line above the assignment (lineno is 1-based)
        while index >= 0 and lines[index].lstrip().startswith("#:"):
            comment.insert(0, lines[index].lstrip()[2:].removeprefix(" "))
            index -= 1
        if comment:
            attr.docstring = griffe.Docstring(
                "\n".join(comment), lineno=index + 2, endlineno=attr.lineno - 1, parent=attr
            )


# Korean search: words carry particles (josa) that readers type too (`아카이브를`, `파일을`). Material splits the
# indexed text and the query with the same `separator` regex, so a zero-width split before a trailing particle makes
# `아카이브를` and `아카이브는` both index and query as `아카이브` (the particle is a separate, low-weight token).
# Longest particles first; the stem must keep at least two syllables, so short words are left alone.
KOREAN_PARTICLES = (
    "에서는", "으로는", "에게는", "이라는", "에서", "에게", "으로", "까지", "부터", "에는", "처럼", "보다", "라는",
    "을", "를", "은", "는", "이", "가", "에", "의", "로", "와", "과", "도", "만",
)  # fmt: skip
KOREAN_SEARCH_SEPARATOR = r"[\s\-]+|(?<=[가-힣]{2})(?=(?:" + "|".join(KOREAN_PARTICLES) + r")(?![가-힣]))"


def split_search_index(index: dict[str, Any], locale: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split the one search index the i18n plugin writes into the default language's and ``locale``'s.

    Args:
        index: The merged ``search_index.json`` (``config`` and ``docs`` with site-relative locations).
        locale: The translated language, whose pages live under ``<locale>/``.

    Returns:
        The default language's index, and ``locale``'s with locations relative to ``<locale>/``.

    Example:
        >>> merged = {"config": {"lang": ["en", "ko"]}, "docs": [{"location": "a/"}, {"location": "ko/a/"}]}
        >>> en, ko = split_search_index(merged, "ko")
        >>> en["docs"], ko["docs"], en["config"]["lang"], ko["config"]["lang"]
        ([{'location': 'a/'}], [{'location': 'a/'}], ['en'], ['ko'])
    """
    prefix = f"{locale}/"
    default_docs = [doc for doc in index["docs"] if not doc["location"].startswith(prefix)]
    translated_docs = [
        {**doc, "location": doc["location"][len(prefix) :]}
        for doc in index["docs"]
        if doc["location"].startswith(prefix)
    ]
    default = {"config": {**index["config"], "lang": [DEFAULT_LOCALE]}, "docs": default_docs}
    translated = {"config": {**index["config"], "lang": [locale]}, "docs": translated_docs}
    if locale == "ko":
        translated["config"]["separator"] = KOREAN_SEARCH_SEPARATOR
    return default, translated


_BASE = re.compile(r'("base":\s*")([^"]*)(")')


def on_post_page(output: str, *, page: Any, config: MkDocsConfig) -> str:
    """Point a Korean page's search at the Korean index: its theme ``base`` becomes ``/ko/``, not the site root."""
    i18n = config.plugins.get("i18n")
    if getattr(i18n, "current_language", None) != TRANSLATED_LOCALE:
        return output

    def to_locale_root(match: re.Match[str]) -> str:
        base = match[2]
        parts = PurePosixPath(base).parts
        if not parts or parts[-1] != "..":
            return match[0]  # already inside /ko/ (mkdocs serve of one language): leave it
        shorter = PurePosixPath(*parts[:-1]).as_posix() if len(parts) > 1 else "."
        return f"{match[1]}{shorter}{match[3]}"

    return _BASE.sub(to_locale_root, output, count=1)


# The 404 page of each language, as rendered during its build: every language build writes the site root's 404.html,
# so the last one (Korean) would win. Written back in on_post_build: English at /404.html, Korean at /ko/404.html.
_not_found_pages: dict[str, str] = {}


def on_post_template(output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
    """Keep each language's rendering of the 404 page."""
    if template_name == "404.html":
        i18n = config.plugins.get("i18n")
        _not_found_pages[getattr(i18n, "current_language", None) or DEFAULT_LOCALE] = output_content
    return output_content


_REDIRECT_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="canonical" href="{canonical}">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; url={target}">
<script>location.replace("{target}" + location.hash)</script>
</head>
<body><p><a href="{target}">{title}</a></p></body>
</html>
"""


def redirect_pages(redirects: dict[str, str], locales: list[str], site_url: str) -> dict[str, str]:
    """Render one redirect page per old URL and language: ``{file in the site: html}``.

    Args:
        redirects: Old page path -> new page path, both site-relative folders ending in ``/`` (English).
        locales: The languages; all but the first live under ``<locale>/``.
        site_url: The published site's root URL (for the canonical link).

    Example:
        >>> pages = redirect_pages({"api/utils/file/": "features/utils/file/"}, ["en", "ko"], "https://d.example/")
        >>> sorted(pages)
        ['api/utils/file/index.html', 'ko/api/utils/file/index.html']
        >>> 'url=../../../features/utils/file/"' in pages["api/utils/file/index.html"]
        True
    """
    pages = {}
    for index, locale in enumerate(locales):
        prefix = "" if index == 0 else f"{locale}/"
        for old, new in redirects.items():
            if not old.endswith("/") or not new.endswith("/") or old.startswith("/") or new.startswith("/"):
                raise PluginError(f"redirect {old!r} -> {new!r}: use site-relative folders ending in '/'")
            depth = len(PurePosixPath(prefix + old).parts)
            target = "../" * depth + prefix + new
            pages[f"{prefix}{old}index.html"] = _REDIRECT_PAGE.format(
                lang=locale, title=f"{prefix}{new}", canonical=site_url.rstrip("/") + "/" + prefix + new, target=target
            )
    return pages


@event_priority(-200)  # after the i18n plugin (-100) has written the merged search index
def on_post_build(*, config: MkDocsConfig) -> None:
    """Split the search index per language, put each language's 404 page in place, and write the redirects.

    Search: ``search/`` for English, ``ko/search/`` for Korean. Redirects: ``extra.redirects`` in mkdocs.yml maps old
    URLs (of the previous docs site) to their pages, in every language; a redirect to a page that does not exist
    fails the build.
    """
    i18n = config.plugins.get("i18n")
    if getattr(i18n, "building", False):
        return  # the nested build of one language: the merged index is written after all of them
    site = Path(config.site_dir)
    if site.name == TRANSLATED_LOCALE and not (site / "search" / "search_index.json").is_file():
        site = site.parent
    merged_path = site / "search" / "search_index.json"
    if merged_path.is_file():
        merged = json.loads(merged_path.read_text(encoding="utf-8"))
        default, translated = split_search_index(merged, TRANSLATED_LOCALE)
        translated_path = site / TRANSLATED_LOCALE / "search" / "search_index.json"
        for target, index in ((merged_path, default), (translated_path, translated)):
            _write_if_changed(target, json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    for locale, html in _not_found_pages.items():
        target = site / "404.html" if locale == DEFAULT_LOCALE else site / locale / "404.html"
        _write_if_changed(target, html.encode("utf-8"))
    redirects = dict(config.extra.get("redirects") or {})
    for old, new in redirects.items():
        if not (site / new / "index.html").is_file():
            raise PluginError(f"extra.redirects: {old!r} points at {new!r}, which the build did not produce")
    locales = [DEFAULT_LOCALE, TRANSLATED_LOCALE]
    for relative, html in redirect_pages(redirects, locales, config.site_url or "/").items():
        _write_if_changed(site / relative, html.encode("utf-8"))


class SingleRendering(griffe.Extension):
    """Render each object once: a name a module re-exports from another module becomes a link to that module's entry.

    Our packages re-export their submodules' names at the root (``synapse_fileutils.calculate_checksum`` is
    ``synapse_fileutils.checksum.calculate_checksum``), and mkdocstrings would render the object under both. Each such
    alias is taken out of the module's members and listed, as a link to its one rendering, at the end of the module's
    docstring.
    """

    def on_package(self, *, pkg: griffe.Module, **_: Any) -> None:
        """Replace the re-exported aliases of every module of ``pkg`` by links."""
        for module in _modules(pkg):
            reexported = sorted(name for name, member in module.members.items() if _is_rendered_reexport(name, member))
            if not reexported:
                continue
            links = ", ".join(f"[`{name}`][{module.members[name].target_path}]" for name in reexported)
            for name in reexported:
                del module.members[name]
            note = f"Also importable from `{module.path}` (documented where they are defined): {links}."
            if module.docstring is None:
                module.docstring = griffe.Docstring(note, parent=module)
            else:
                module.docstring.value = f"{module.docstring.value.rstrip()}\n\n{note}"


def _is_rendered_reexport(name: str, member: griffe.Object | griffe.Alias) -> bool:
    """A public name in ``__all__`` for a documented object defined in a public module of our packages."""
    if not member.is_alias or name.startswith("_") or not member.is_exported:
        return False
    target_path = str(member.target_path)
    if not target_path.startswith("synapse_") or any(part.startswith("_") for part in target_path.split(".")):
        return False
    try:
        target = member.final_target  # type: ignore[union-attr]
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False
    return target.docstring is not None or target.is_module


def _modules(module: griffe.Module) -> list[griffe.Module]:
    found = [module]
    for member in list(module.members.values()):
        if not member.is_alias and member.is_module:
            found.extend(_modules(member))  # type: ignore[arg-type]
    return found


def on_shutdown(**_: Any) -> None:
    """Remove this process's staging folder."""
    for _english, _korean, staging in _staged.values():
        shutil.rmtree(staging, ignore_errors=True)
    _staged.clear()
