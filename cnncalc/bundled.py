"""The architecture files bundled with the package (`cnncalc shape vgg16`)."""

from __future__ import annotations

import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def specs_dir() -> Path:
    """Where the bundled specs are: inside the installed package, or the repository's specs/."""
    inside = _HERE / "specs"
    if inside.is_dir():
        return inside
    return _HERE.parent / "specs"  # an editable install or a source checkout


def names() -> list[str]:
    """Names of the bundled architectures, sorted."""
    directory = specs_dir()
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.yaml"))


def resolve(spec: str) -> str:
    """A path if `spec` names an existing file, else the bundled file of that name, else `spec` unchanged."""
    if os.path.exists(spec):
        return spec
    stem = spec[:-5] if spec.endswith(".yaml") else spec
    if os.sep not in stem and "/" not in stem:
        candidate = specs_dir() / f"{stem.lower()}.yaml"
        if candidate.is_file():
            return str(candidate)
    return spec
