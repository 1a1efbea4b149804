"""Print pip constraints pinning every dependency the project declares (runtime and the given extras) to its
lowest allowed version: `name==X` for each `name>=X`. CI installs with them to test the floors it promises.

Usage: python .ci/lowest.py EXTRA... > constraints.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
requirements = list(project["dependencies"])
for extra in sys.argv[1:]:
    requirements += project["optional-dependencies"][extra]
for requirement in requirements:
    spec, _, marker = requirement.partition(";")
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\[\]-]+?)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", spec)
    if not match:
        sys.exit(f"lowest.py: {requirement!r} has no `>=` floor to pin; write one")
    name = re.sub(r"\[.*\]", "", match.group(1))
    print(f"{name}=={match.group(2)}" + (f"; {marker.strip()}" if marker else ""))
