"""Set the one version of the three packages: their ``__about__.py`` files and the pins between siblings.

Usage: python tools/bump_version.py 0.2.0 && uv lock

The three distributions are released together at one version, and each pins its siblings to it with ``==``
(``tests/test_packaging.py`` fails when they disagree).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "synapse-fileutils": "synapse_fileutils",
    "synapse-client": "synapse_client",
    "synapse-plugins": "synapse_plugins",
}
VERSION = re.compile(r"^\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?$")
SIBLING_PIN = re.compile(r'"(?P<name>' + "|".join(map(re.escape, PACKAGES)) + r')==[^"]*"')
ABOUT = re.compile(r'^__version__ = "[^"]*"$', re.MULTILINE)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not VERSION.match(argv[0]):
        print(__doc__, file=sys.stderr)
        return 2
    version = argv[0]
    for dist, module in PACKAGES.items():
        about = ROOT / "packages" / dist / "src" / module / "__about__.py"
        about.write_text(ABOUT.sub(f'__version__ = "{version}"', about.read_text()))
        pyproject = ROOT / "packages" / dist / "pyproject.toml"
        pyproject.write_text(SIBLING_PIN.sub(lambda m: f'"{m["name"]}=={version}"', pyproject.read_text()))
    print(f"all three packages are now at {version}; run `uv lock`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
