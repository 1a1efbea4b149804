"""The stable Python API: `cnncalc.analyze(...)` returns a `Result`; every error is a `CnncalcError`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

from cnncalc.core.problems import ERROR, Problem, SpecError, did_you_mean

if TYPE_CHECKING:
    from cnncalc.conventions import Counted
    from cnncalc.core.analysis import Analysis, Row, Totals

Source = Union[str, "os.PathLike[str]", Mapping[str, Any]]


class CnncalcError(Exception):
    """An architecture cnncalc cannot analyse, or one that fails its checks; `problems` are what `check` reports."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        first = self.problems[0] if self.problems else None
        text = f"{first.path}:{first.line}:{first.column}: {first.message} [{first.rule}]" if first else "error"
        more = len(self.problems) - 1
        super().__init__(text + (f" (and {more} more problem{'s' if more != 1 else ''})" if more > 0 else ""))


@dataclass
class Result:
    """An analysed architecture: rows in execution order, totals, warnings, and its JSON contract."""

    analysis: "Analysis"

    @property
    def name(self) -> str:
        """The architecture's name."""
        return self.analysis.name

    @property
    def input(self) -> tuple[int, ...]:
        """The input shape analysed."""
        return tuple(self.analysis.input)

    @property
    def output(self) -> tuple[int, ...]:
        """The output shape."""
        return tuple(self.analysis.output)

    @property
    def rows(self) -> list["Row"]:
        """Every leaf layer, in execution order."""
        return self.analysis.rows

    @property
    def totals(self) -> "Totals":
        """Sums over every leaf layer: params, trainable, non_trainable, macs, flops."""
        return self.analysis.totals

    @property
    def warnings(self) -> list[Problem]:
        """Warnings (not errors) found while analysing, as `check` reports them."""
        return self.analysis.warnings

    def count(self, convention: str = "cnncalc") -> "Counted":
        """The network counted as a tool counts it (`cnncalc shape --convention`): per layer and in total, with
        the tool's parameters, at this input. `convention` is one of cnncalc, torchinfo, fvcore, ptflops, thop,
        flopcounter; raises KeyError for another name and conventions.NotModelled for a kind the tool's
        convention does not reproduce yet."""
        from cnncalc.conventions import count

        return count(self.analysis, convention)

    def to_dict(self) -> dict[str, Any]:
        """The object `cnncalc shape --format json` prints (float32, batch 1, adam)."""
        from cnncalc.core.memory import estimate
        from cnncalc.shape.render import to_dict

        return to_dict(self.analysis, estimate(self.analysis))

    def _repr_markdown_(self) -> str:
        from cnncalc.core.memory import estimate
        from cnncalc.shape.render import TableView, to_markdown

        return to_markdown(TableView(self.analysis, estimate(self.analysis)))

    def _repr_html_(self) -> str:
        from cnncalc.core.memory import estimate
        from cnncalc.shape.html import to_html

        return to_html(self.analysis, estimate(self.analysis))

    def __repr__(self) -> str:
        t = self.totals
        return (f"<cnncalc.Result {self.name!r}: {len(self.rows)} layers, {t.params:,} params, "
                f"{t.macs:,} MACs>")


def _checked_vars(values: Mapping[str, Any] | None, path: str) -> dict[str, Any] | None:
    """`vars=` values: numbers, true/false or words, as `--set` takes them."""
    for name, value in (values or {}).items():
        if not isinstance(value, (int, float, str)):
            raise CnncalcError([Problem(path, 1, 1, ERROR, "invalid-value", f"vars={{{name!r}: {value!r}}}: a "
                                        "variable is a number, True/False or a word")])
    return dict(values) if values else None


def _text_and_path(source: Source) -> tuple[str, str, str | None]:
    """The YAML text of `source`, the path its problems name, and the bundled variant it names."""
    from cnncalc.catalog import bundled
    from cnncalc.core import yamlsafe

    if isinstance(source, Mapping):
        try:
            text = yamlsafe.dump(dict(source))
        except ValueError as exc:
            raise CnncalcError([Problem("<dict>", 1, 1, ERROR, "invalid-value",
                                        f"the dict holds a value YAML cannot represent: {exc}")]) from None
        return text, "<dict>", None
    if isinstance(source, os.PathLike):
        path = os.fspath(source)
        return yamlsafe.read_text(path), path, None
    if not isinstance(source, str):
        raise CnncalcError([Problem("<argument>", 1, 1, ERROR, "invalid-document",
                                    f"analyze() takes a path, YAML text or a dict, not {type(source).__name__}")])
    if "\n" not in source and (os.path.exists(source) or source.endswith((".yaml", ".yml"))
                               or bundled.resolve(source) != source):
        path, variant = bundled.locate(source)
        return yamlsafe.read_text(path), path, variant
    return source, "<string>", None


def _input_shape(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    from cnncalc.core.quantities import parse_shape

    try:
        if isinstance(value, str):
            return parse_shape(value, 1, 3)
        dims = tuple(value) if isinstance(value, (list, tuple)) else (value,)
        if not 1 <= len(dims) <= 3 or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
            raise ValueError(f"{value!r} needs 1–3 positive whole numbers, like (224, 224, 3)")
        return dims
    except ValueError as exc:
        raise CnncalcError([Problem("<input>", 1, 1, ERROR, "invalid-input", f"input={exc}")]) from None


def analyze(source: Source, input: Any = None, vars: Mapping[str, Any] | None = None) -> Result:
    """Analyse an architecture given as a path, YAML text or a dict; raise CnncalcError with check's problems.

    `source`: a path (str or os.PathLike; a one-line str naming an existing file, ending in .yaml/.yml,
    or naming a bundled architecture such as "vgg16"), any other str as YAML text, or a dict in the
    spec format. `input`: an input shape overriding the file's, (224, 224, 3) or "224x224x3"; the
    file's `expect:` figures are then not checked, as with `cnncalc shape --input`. `vars`: values for the
    file's `vars:` (as `--set`: numbers, true/false or words); its exact `expect:` figures are then not
    checked. A bundled family's variant is named like any bundled file ("efficientnet_b3").

    Errors and unmet `expect:` figures raise CnncalcError whose `problems` list is what `cnncalc check`
    reports for the same file; warnings do not raise and are in `Result.warnings`.
    """
    from cnncalc.core import spec as spec_module
    from cnncalc.core.analysis import analyze as analyze_spec
    from cnncalc.check.files import expectations

    shape = _input_shape(input)
    try:
        text, path, variant = _text_and_path(source)
        parsed = spec_module.loads(text, path)
        if variant is not None and variant not in parsed.variants:
            raise CnncalcError([Problem(path, 1, 1, ERROR, "file-not-found", f"no variant {variant!r} in {path}"
                                        f"{did_you_mean(variant, parsed.variants)}")])
        if variant is not None or vars:
            parsed = spec_module.select(parsed, variant, _checked_vars(vars, path))
        analysis = analyze_spec(parsed, shape)
    except spec_module.UnknownVariable as exc:
        raise CnncalcError([Problem(path, 1, 1, ERROR, "unknown-variable", f"vars=: {exc}")]) from None
    except SpecError as exc:
        raise CnncalcError(list(exc.problems)) from None
    if shape is None:
        problems = sorted(analysis.warnings + expectations(analysis))
        if any(p.level == ERROR for p in problems):
            raise CnncalcError(problems)
    return Result(analysis)
