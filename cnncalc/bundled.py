"""The architecture files bundled with the package (`cnncalc shape vgg16`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

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


def analyse_all() -> list[tuple[str, Any]]:
    """(name, analysis) of every bundled architecture, in name order."""
    from cnncalc.analysis import analyze
    from cnncalc.spec import load

    return [(name, analyze(load(str(specs_dir() / f"{name}.yaml")))) for name in names()]


STDIN_NAME = "<stdin>"


def read_spec(spec: str) -> Any:
    """The parsed architecture named by SPEC: a file, a bundled name, or `-` for standard input."""
    from cnncalc.spec import load, loads

    if spec == "-":
        return loads(_stdin_text(), STDIN_NAME)
    path = resolve(spec)
    if not os.path.exists(path) and os.sep not in spec and not spec.endswith((".yaml", ".yml")):
        from cnncalc.problems import Located, did_you_mean

        raise Located(spec, 1, 1).error(
            "file-not-found", f"no file and no bundled architecture named {spec!r}"
            f"{did_you_mean(spec, names())}; `cnncalc list` shows the bundled ones")
    return load(path)


def _stdin_text() -> str:
    from cnncalc.problems import Located

    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Located(STDIN_NAME, 1, 1).error(
            "invalid-encoding", f"standard input is not UTF-8 text (byte {exc.start}); "
            "send the file as UTF-8") from None
