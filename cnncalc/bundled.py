"""The architecture files bundled with the package (`cnncalc shape vgg16`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Entry:
    """One line of `cnncalc list`."""

    name: str
    title: str
    description: str
    input: tuple[int, ...]
    params: int
    macs: int


def _exact(expect: dict[str, Any], key: str) -> int | None:
    quantity = expect.get(key, (None, None))[0]
    if quantity is None or getattr(quantity, "scale", 0) != 1 or getattr(quantity, "decimals", 1) != 0:
        return None
    return int(quantity.value)


def entries() -> list[Entry]:
    """Every bundled architecture with its parameters and multiply-adds, in name order.

    The figures are the file's exact `expect:` params and macs, which `cnncalc check` (and so the tests
    and CI) hold equal to the analysis; a file without both is analysed. Analysing all twenty would
    make `list` the slowest command to start.
    """
    from cnncalc.spec import load

    result = []
    for name in names():
        spec = load(str(specs_dir() / f"{name}.yaml"))
        params, macs = _exact(spec.expect, "params"), _exact(spec.expect, "macs")
        if params is None or macs is None:
            from cnncalc.analysis import analyze

            totals = analyze(spec).totals
            params, macs = totals.params, totals.macs
        result.append(Entry(name, spec.name, spec.description, tuple(spec.input), params, macs))
    return result


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
