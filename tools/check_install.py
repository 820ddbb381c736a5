"""Check a package installed alone: it imports, ships py.typed, and pulled in none of the forbidden distributions.

Usage: python tools/check_install.py DISTRIBUTION [FORBIDDEN ...]  (run with the fresh venv's interpreter)
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import re
import sys
from pathlib import Path


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str]) -> int:
    dist, forbidden = argv[0], {_normal(n) for n in argv[1:]}
    module = importlib.import_module(dist.replace("-", "_"))
    installed = {_normal(d.metadata["Name"]) for d in md.distributions()}
    problems = []
    if present := sorted(installed & forbidden):
        problems.append(f"{dist} alone pulled in {present}")
    if module.__version__ != md.version(dist):
        problems.append(f"__version__ {module.__version__} != metadata {md.version(dist)}")
    if not (Path(module.__file__).parent / "py.typed").is_file():  # type: ignore[arg-type]
        problems.append("py.typed is missing from the wheel")
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print(f"{dist} {md.version(dist)} alone brings {len(installed)} distributions: {', '.join(sorted(installed))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
