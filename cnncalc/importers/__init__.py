"""Importers: other formats (ONNX, Darknet .cfg, Ultralytics model YAML) turned into readable cnncalc architecture YAML.

Every importer is a function `(path, options) -> ImportResult`; the registry maps a file suffix to
the module that holds it, so `cnncalc import` loads only the importer it needs (ONNX pulls in the
`onnx` package, Darknet needs nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnncalc.core.problems import Problem

Shape = tuple[int, ...]


@dataclass
class Options:
    """What the command line passes to an importer."""

    input_shape: Shape | None = None  # --input: (S,) for S×S, (H, W), or (H, W, C); overrides the file
    partial: bool = False  # emit what maps even when some operators do not
    scale: str | None = None  # --scale: an Ultralytics model YAML's scale (n, s, m, l, x)


@dataclass
class Unmapped:
    """An operator (or section) with no cnncalc kind: its name, how often, and where it first appears."""

    op: str
    count: int
    first: str  # e.g. "node 12 '/layer1/Foo'" or "line 40"
    positions: list[int] = field(default_factory=list)  # 1-based positions in the graph


@dataclass
class ImportResult:
    """The YAML text (empty when nothing could be written), what did not map, and the problems found."""

    yaml: str
    unmapped: list[Unmapped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether a spec was written and no error was reported."""
        return bool(self.yaml) and not any(p.level == "error" for p in self.problems)


def resolve_input(given: Shape, channels: int | None) -> Shape | None:
    """--input against the file's channels: S → S×S×C, H×W → H×W×C, H×W×C as given; None if C is unknown."""
    if len(given) == 3:
        return given
    if channels is None:
        return None
    return (given[0], given[-1], channels)


# suffix -> "module:function"; imported lazily so that a missing optional dependency only matters when used.
IMPORTERS: dict[str, str] = {
    ".onnx": "cnncalc.importers.onnx:import_onnx",
    ".cfg": "cnncalc.importers.darknet:import_darknet",
    ".yaml": "cnncalc.importers.ultralytics:import_ultralytics",
    ".yml": "cnncalc.importers.ultralytics:import_ultralytics",
}
