"""The architecture files bundled with the package (`cnncalc shape vgg16`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the parser is imported where a file is read: `cnncalc list --help` needs none of it
    from cnncalc.core.spec import Spec

_HERE = Path(__file__).resolve().parent.parent  # the cnncalc package (the wheel puts specs/ inside it)


def specs_dir() -> Path:
    """Where the bundled specs are: inside the installed package, or the repository's specs/."""
    inside = _HERE / "specs"
    if inside.is_dir():
        return inside
    return _HERE.parent / "specs"  # an editable install or a source checkout


def families() -> dict[str, list[str]]:
    """Bundled family files (a top-level `variants:`): file stem -> its variant names, in file order."""
    global _FAMILIES
    if _FAMILIES is None:
        _FAMILIES = {}
        directory = specs_dir()
        for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
            # Only a file with a top-level `variants:` is parsed; the others are named by their stem.
            if "\nvariants:" in path.read_text(encoding="utf-8"):
                _FAMILIES[path.stem] = list(_load(str(path)).variants)
    return _FAMILIES


_FAMILIES: dict[str, list[str]] | None = None


def names() -> list[str]:
    """Names of the bundled architectures, sorted: single files by stem, family files by variant."""
    directory = specs_dir()
    if not directory.is_dir():
        return []
    grouped = families()
    singles = [p.stem for p in directory.glob("*.yaml") if p.stem not in grouped]
    return sorted(singles + [v for variants in grouped.values() for v in variants])


def locate(spec: str) -> tuple[str, str | None]:
    """The file and variant `spec` names: an existing file (`file.yaml@variant` picks a variant of it), a
    bundled file, a bundled family's variant (`efficientnet_b3`), else `spec` unchanged with no variant."""
    path, variant, _ = _find(spec)
    return path, variant


def _find(spec: str) -> tuple[str, str | None, Spec | None]:
    """locate(), and the family file it parsed on the way (so that read_spec parses it once), if any."""
    if os.path.exists(spec):
        return spec, None, None
    if "@" in spec:
        path, _, variant = spec.rpartition("@")
        if os.path.exists(path):
            return path, variant, None
        return resolve(path), variant, None
    stem = (spec[:-5] if spec.endswith(".yaml") else spec).lower()
    if os.sep in stem or "/" in stem:
        return spec, None, None
    candidate = specs_dir() / f"{stem}.yaml"
    if candidate.is_file():
        return str(candidate), None, None
    # A bundled variant's name usually starts with its family file's stem (efficientnet_b3 in efficientnet.yaml):
    # those files are read first, so naming a variant costs one file's parse, not the whole directory's.
    directory = specs_dir()
    for family_file in sorted(directory.glob("*.yaml"), key=lambda p: -len(p.stem)) if directory.is_dir() else []:
        if stem.startswith(family_file.stem) and "\nvariants:" in family_file.read_text(encoding="utf-8"):
            parsed = _load(str(family_file))
            if stem in parsed.variants:
                return str(family_file), stem, parsed
    for family, variants in families().items():  # a variant named otherwise (wide_resnet50_2 in resnet.yaml)
        if stem in variants:
            return str(directory / f"{family}.yaml"), stem, None
    return spec, None, None


def shown_path(path: str) -> str:
    """How problems and reports name a file: a bundled one as `specs/vgg16.yaml` (where it sits in the package and
    the repository), not by its install location; any other path as given."""
    if os.path.dirname(os.path.abspath(path)) == str(specs_dir()):
        return f"specs/{os.path.basename(path)}"
    return path


def _load(path: str) -> Spec:
    """Parse an architecture file, named in its problems by `shown_path`."""
    from cnncalc.core import yamlsafe
    from cnncalc.core.spec import loads

    return loads(yamlsafe.read_text(path), shown_path(path))


def resolve(spec: str) -> str:
    """A path if `spec` names an existing file, else the bundled file of that name (or holding that variant),
    else `spec` unchanged."""
    return locate(spec)[0]


@dataclass(frozen=True)
class Entry:
    """One line of `cnncalc list`."""

    name: str
    title: str
    description: str
    input: tuple[int, ...]
    params: int
    macs: int
    family: str = ""  # the family file's stem, for a variant


def _exact(expect: dict[str, Any], key: str) -> int | None:
    quantity = expect.get(key, (None, None))[0]
    if quantity is None or getattr(quantity, "scale", 0) != 1 or getattr(quantity, "decimals", 1) != 0:
        return None
    return int(quantity.value)


CATALOG = "catalog.json"


def entries() -> list[Entry]:
    """Every bundled architecture with its parameters and multiply-adds, in name order.

    Read from specs/catalog.json, which the tests hold equal to `compute_entries()` (and regenerate with
    `pytest --regen-golden`): parsing the fifty-odd files would make `list` the slowest command to start.
    """
    path = specs_dir() / CATALOG
    if not path.is_file():
        return compute_entries()
    import json

    return [Entry(e["name"], e["title"], e["description"], tuple(e["input"]), e["params"], e["macs"],
                  e["family"]) for e in json.loads(path.read_text(encoding="utf-8"))]


def catalog_text(listed: list[Entry]) -> str:
    """The JSON text of specs/catalog.json for these entries."""
    import json
    from dataclasses import asdict

    return json.dumps([asdict(e) | {"input": list(e.input)} for e in listed], indent=1, ensure_ascii=False) + "\n"


def compute_entries() -> list[Entry]:
    """The entries from the files themselves: each file's exact `expect:` params and macs (which `check`
    holds equal to the analysis), or its analysis where it has none."""
    from cnncalc.core.spec import select

    result = []
    loaded: dict[str, Any] = {}
    for name in names():
        path, variant = locate(name)
        if path not in loaded:
            loaded[path] = _load(path)
        spec = select(loaded[path], variant) if variant else loaded[path]
        params, macs = _exact(spec.expect, "params"), _exact(spec.expect, "macs")
        if params is None or macs is None:
            from cnncalc.core.analysis import analyze

            totals = analyze(spec).totals
            params, macs = totals.params, totals.macs
        title = loaded[path].name if variant else spec.name
        result.append(Entry(name, title, spec.description, tuple(spec.input), params, macs,
                            Path(path).stem if variant else ""))
    return result


STDIN_NAME = "<stdin>"


def read_spec(spec: str, overrides: dict[str, Any] | None = None) -> Spec:
    """The parsed architecture named by SPEC (a file, `file@variant`, a bundled name or variant, or `-` for
    standard input), with its variant and `overrides` of its `vars` applied.

    Raises SpecError for the file's problems and spec.UnknownVariable for an override it does not declare.
    """
    from cnncalc.core.spec import loads, select

    if spec == "-":
        piped = loads(_stdin_text(), STDIN_NAME)
        return select(piped, None, overrides) if overrides else piped
    path, variant, found = _find(spec)
    if not os.path.exists(path) and os.sep not in spec and not spec.endswith((".yaml", ".yml")):
        from cnncalc.core.problems import Located, did_you_mean

        raise Located(spec, 1, 1).error(
            "file-not-found", f"no file and no bundled architecture named {spec!r}"
            f"{did_you_mean(spec, names())}; `cnncalc list` shows the bundled ones")
    parsed = found or _load(path)
    if variant is not None and variant not in parsed.variants:
        from cnncalc.core.problems import Located, did_you_mean

        raise Located(path, 1, 1).error(
            "file-not-found", f"{path} has no variant {variant!r}{did_you_mean(variant, parsed.variants)}; "
            f"its variants: {', '.join(parsed.variants) or 'none'}")
    return select(parsed, variant, overrides) if variant or overrides else parsed


def _stdin_text() -> str:
    from cnncalc.core.yamlsafe import read_stream

    return read_stream(sys.stdin, STDIN_NAME)
