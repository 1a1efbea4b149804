"""Configuration for `cnncalc check`, as ruff and yamllint do it.

Settings live in `.cnncalc.yaml` (or `.cnncalc.yml`) or in `[tool.cnncalc]` of `pyproject.toml`, found by
walking up from the checked paths; `--config PATH` names one. Keys: `select`, `ignore`, `extend-error`
(rule ids), `exclude` (globs), `max-params`, `max-macs`, `max-memory`, `max-peak-memory`, `max-train-memory`
(budgets), `strict`, and `devices` (more devices for `cnncalc memory --device`).
A problem in the configuration is a `SpecError` at the file's own line and column (rule `invalid-config`).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from cnncalc.core.quantities import Quantity
from cnncalc.core.problems import ERROR, Located, Problem, SpecError, did_you_mean

CONFIG_NAMES = (".cnncalc.yaml", ".cnncalc.yml", "pyproject.toml")
KEYS = ("select", "ignore", "extend-error", "exclude", "max-params", "max-macs", "max-memory", "max-peak-memory",
        "max-train-memory", "strict", "devices")
BUDGET_KEYS = {"max-params": "max_params", "max-macs": "max_macs", "max-memory": "max_memory",
               "max-peak-memory": "max_peak_memory", "max-train-memory": "max_train_memory"}


@dataclass(frozen=True)
class Config:
    """Settings for `check`: which rules count, which files are skipped, default budgets, strictness."""

    path: str | None = None  # the file the settings came from, None for the defaults
    select: frozenset[str] | None = None  # None: every rule
    ignore: frozenset[str] = frozenset()
    extend_error: frozenset[str] = frozenset()  # warnings that count as errors
    exclude: tuple[tuple[str, str], ...] = ()  # (glob, the directory it is relative to)
    budgets: dict[str, Quantity] = field(default_factory=dict)  # max_params, max_macs, max_memory
    strict: bool = False
    devices: dict[str, Any] = field(default_factory=dict)  # name -> memory.devices.Device


@dataclass(frozen=True)
class _Entry:
    """One configuration key as read: its value, its position, and the positions of a list's items."""

    value: Any
    where: Located  # the value (a list: its key)
    key: Located
    items: tuple[Located, ...] = ()


# --- finding and reading ---------------------------------------------------------------------

def find_config(start: str) -> str | None:
    """The nearest configuration file in `start` (a file's directory) or above; pyproject.toml only with [tool.cnncalc]."""
    directory = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_tool_section(candidate)):
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _has_tool_section(path: str) -> bool:
    """Whether a pyproject.toml holds `tool.cnncalc` in any TOML spelling (a header, dotted keys, an inline
    table, quoted names), decided by parsing it. A file that names cnncalc but cannot be read or parsed is
    taken, so that loading it reports why (`invalid-config`) instead of a CI gate silently weakening."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError:
        return True
    if b"cnncalc" not in head:  # cheap: most pyproject.toml files never mention it
        return False
    try:
        return _toml_section(_parse_toml(head.decode("utf-8-sig"), path), path) is not None
    except (SpecError, UnicodeDecodeError):
        return True


MAX_CONFIG_BYTES = 1024 * 1024
_TOOL_HEADER = re.compile(r"""^\s*\[\s*["']?tool["']?\s*\.\s*["']?cnncalc["']?\s*\]\s*(#.*)?$""")


def _parse_toml(text: str, path: str) -> dict[str, Any]:
    """The TOML document; any reason it cannot be read (syntax, nesting deeper than the parser recurses)
    is `invalid-config` at the position the parser gives."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10: the `tomli` backport, a dependency there
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+), column (\d+)", str(exc))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        raise Located(path, line, column).error("invalid-config", f"TOML syntax error: {exc}") from None
    except RecursionError:
        raise Located(path, 1, 1).error("invalid-config", "the TOML nests too deeply to read; a pyproject.toml "
                                        "needs only a few levels") from None


def _toml_section(data: dict[str, Any], path: str) -> Any:
    """`tool.cnncalc` of a parsed pyproject.toml, or None where there is none."""
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return None
    return tool.get("cnncalc")


def discover(paths: list[str]) -> Config:
    """The configuration for checking `paths`: the nearest file above their common directory, or the defaults."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    try:
        start = os.path.commonpath(absolute)
    except ValueError:  # different drives on Windows
        start = os.getcwd()
    found = find_config(start)
    if found is None:
        return Config()
    relative = os.path.relpath(found)
    return load_config(found if relative.startswith("..") else relative)


def load_config(path: str) -> Config:
    """Read and validate a configuration file (YAML, or pyproject.toml's [tool.cnncalc])."""
    from cnncalc.core import yamlsafe

    text = yamlsafe.read_text(path)
    entries = _toml_entries(text, path) if path.endswith(".toml") else _yaml_entries(text, path)
    return _build(entries, path)


def _yaml_entries(text: str, path: str) -> dict[str, _Entry]:
    from cnncalc.core import yamlsafe

    found = yamlsafe.top_entries(text, path)
    if found is None:
        raise Located(path, 1, 1).error("invalid-config", "a configuration file is a mapping of settings, "
                                        f"such as `ignore: [non-integer-output]`; the keys are {', '.join(KEYS)}")
    entries: dict[str, _Entry] = {}
    for key, where, value, value_where, items in found:
        if key in entries:
            raise where.error("invalid-config", f"`{key}` appears twice; keep one")
        entries[str(key)] = _Entry(value, where if items else value_where, where, items)
    return entries


def _toml_entries(text: str, path: str) -> dict[str, _Entry]:
    """[tool.cnncalc] of a pyproject.toml; tomllib keeps no positions, so keys and items are found in the text."""
    section = _toml_section(_parse_toml(text, path), path)
    if section is None:
        section = {}
    lines = text.splitlines()
    header = next((n for n, line in enumerate(lines) if _TOOL_HEADER.match(line)), None)
    if not isinstance(section, dict):
        raise Located(path, (header or 0) + 1, 1).error("invalid-config", "`tool.cnncalc` must be a table")
    entries: dict[str, _Entry] = {}
    for key, value in section.items():
        line, column = _toml_key_position(lines, header, key)
        items = tuple(_toml_item_position(lines, line, column, item, path) for item in value) \
            if isinstance(value, list) else ()
        entries[key] = _Entry(value, Located(path, line, column), Located(path, line, column), items)
    return entries


def _toml_key_position(lines: list[str], header: int | None, key: str) -> tuple[int, int]:
    """1-based line and column of `key =` in the [tool.cnncalc] table (the header's line when not found)."""
    name = r"[\"']?" + re.escape(key) + r"[\"']?\s*="
    if header is not None:
        pattern = re.compile(r"^(\s*)" + name)
        for n in range(header + 1, len(lines)):
            if lines[n].lstrip().startswith("["):
                break
            match = pattern.match(lines[n])
            if match:
                return n + 1, len(match.group(1)) + 1
        return header + 1, 1
    # No [tool.cnncalc] header: a dotted key (`tool.cnncalc.strict = true`) or an inline table
    # (`cnncalc = {strict = true}` under [tool]); the first place the key is written is the best guess.
    dotted = re.compile(r"""^(\s*)["']?tool["']?\s*\.\s*["']?cnncalc["']?\s*\.\s*""" + name)
    inline = re.compile(r"""(?:^|[{,]\s*)()""" + name)
    for n, line in enumerate(lines):
        match = dotted.match(line)
        if match:
            return n + 1, len(match.group(1)) + 1
    for n, line in enumerate(lines):
        if "cnncalc" in line:
            match = inline.search(line)
            if match:
                return n + 1, match.start(1) + 1
    return 1, 1


def _toml_item_position(lines: list[str], line: int, column: int, item: Any, path: str) -> Located:
    """Where a string item of a list first appears after its key (the key's position when not found)."""
    if isinstance(item, str):
        for n in range(line - 1, min(len(lines), line + 200)):
            start = column - 1 if n == line - 1 else 0
            for quote in ('"', "'"):
                found = lines[n].find(f"{quote}{item}{quote}", start)
                if found >= 0:
                    return Located(path, n + 1, found + 2)
    return Located(path, line, column)


# --- validation -------------------------------------------------------------------------------

def _rule_list(entry: _Entry, key: str) -> frozenset[str]:
    """A list of rule ids; every wrong id is reported, not only the first."""
    from cnncalc.core.rules import RULES

    value = entry.value
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise entry.where.error("invalid-config", f"`{key}` is a list of rule ids, such as [non-integer-output]")
    problems = []
    for n, rule in enumerate(value):
        where = entry.items[n] if n < len(entry.items) else entry.where
        if rule not in RULES:
            problems.append(where.problem("invalid-config", f"unknown rule `{rule}` in `{key}`"
                                          f"{did_you_mean(rule, RULES)}; docs/rules.md lists them"))
        elif key == "ignore" and RULES[rule].fatal:
            problems.append(where.problem("invalid-config", f"`{rule}` stops the analysis of its file, so it "
                                          "cannot be ignored; fix the files instead"))
        elif key == "extend-error" and RULES[rule].level == ERROR:
            problems.append(where.problem("invalid-config", f"`{rule}` is already an error; `extend-error` takes "
                                          "warnings"))
    if problems:
        raise SpecError(problems[0], problems[1:])
    return frozenset(value)


def _build(entries: dict[str, _Entry], path: str) -> Config:
    """The settings of a configuration file; every wrong setting is reported, not only the first."""
    config = Config(path=path)
    root = os.path.dirname(os.path.abspath(path))
    problems: list[Problem] = []
    for key, entry in entries.items():
        try:
            config = _setting(config, key, entry, root)
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SpecError(problems[0], problems[1:])
    return config


def _setting(config: Config, key: str, entry: _Entry, root: str) -> Config:
    """`config` with one setting applied."""
    from cnncalc.core.quantities import parse_quantity

    if key not in KEYS:
        raise entry.key.error("invalid-config", f"unknown setting `{key}`{did_you_mean(key, KEYS)}; "
                              f"the settings are {', '.join(KEYS)}")
    if key == "select":
        return replace(config, select=_rule_list(entry, key))
    if key == "ignore":
        return replace(config, ignore=_rule_list(entry, key))
    if key == "extend-error":
        return replace(config, extend_error=_rule_list(entry, key))
    if key == "exclude":
        globs = [entry.value] if isinstance(entry.value, str) else entry.value
        if not isinstance(globs, list) or not all(isinstance(g, str) and g for g in globs):
            raise entry.where.error("invalid-config", "`exclude` is a list of globs, such as [\"build/*\"]")
        return replace(config, exclude=tuple((g, root) for g in globs))
    if key == "devices":
        return replace(config, devices=_devices(entry))
    if key == "strict":
        if not isinstance(entry.value, bool):
            raise entry.where.error("invalid-config", "`strict` is true or false")
        return replace(config, strict=entry.value)
    try:
        quantity = parse_quantity(entry.value, memory=key.endswith("memory"))
    except ValueError as exc:
        raise entry.where.error("invalid-config", f"`{key}`: {exc}") from None
    return replace(config, budgets={**config.budgets, BUDGET_KEYS[key]: quantity})


_DEVICE_KEYS = ("memory", "flash", "bandwidth", "flops", "note")
_DEVICE_HELP = ("a device is a mapping such as `rtx4060: {memory: 8GiB, bandwidth: 272GB, flops: {float32: 15T, "
                "float16: 60T}}` (bandwidth in bytes per second, flops in operations per second)")


def _devices(entry: _Entry) -> dict[str, Any]:
    """`devices:`: name -> {memory, flash, bandwidth, flops: {value type: FLOP/s}, note}, as memory.devices.Device."""
    from cnncalc.core.memory import DTYPE_BYTES
    from cnncalc.core.quantities import parse_quantity
    from cnncalc.memory.devices import Device

    if not isinstance(entry.value, dict):
        raise entry.where.error("invalid-config", f"`devices` is a mapping of names to devices; {_DEVICE_HELP}")
    devices = {}
    for name, spec in entry.value.items():
        if not isinstance(spec, dict) or "memory" not in spec or set(spec) - set(_DEVICE_KEYS):
            raise entry.where.error("invalid-config", f"device `{name}`: {_DEVICE_HELP}; its keys are "
                                    f"{', '.join(_DEVICE_KEYS)} (memory required)")
        try:
            flops = spec.get("flops") or {}
            if not isinstance(flops, dict) or set(flops) - set(DTYPE_BYTES):
                raise ValueError(f"flops is a mapping of value types ({', '.join(DTYPE_BYTES)}) to FLOP/s")
            devices[str(name)] = Device(
                str(name), int(parse_quantity(spec["memory"], memory=True).value),
                {str(t): float(parse_quantity(v).value) for t, v in flops.items()},
                float(parse_quantity(spec["bandwidth"], memory=True).value) if "bandwidth" in spec else 0.0,
                int(parse_quantity(spec["flash"], memory=True).value) if "flash" in spec else 0,
                str(spec.get("note", "")))
        except (ValueError, TypeError) as exc:
            raise entry.where.error("invalid-config", f"device `{name}`: {exc}") from None
    return devices


# --- applying ---------------------------------------------------------------------------------

def with_options(config: Config, select: list[str] | None = None, ignore: list[str] | None = None,
                 exclude: list[str] | None = None) -> Config:
    """The configuration with command-line --select (replaces), --ignore and --exclude (add); ValueError if bad."""
    from cnncalc.core.rules import RULES

    def rules(values: list[str], option: str) -> frozenset[str]:
        ids = frozenset(r.strip() for v in values for r in v.split(",") if r.strip())
        for rule in sorted(ids):
            if rule not in RULES:
                raise ValueError(f"{option}: unknown rule {rule!r}{did_you_mean(rule, RULES)}")
            if option == "--ignore" and RULES[rule].fatal:
                raise ValueError(f"--ignore: {rule!r} stops the analysis of its file, so it cannot be ignored")
        return ids

    if select:
        config = replace(config, select=rules(select, "--select"))
    if ignore:
        config = replace(config, ignore=config.ignore | rules(ignore, "--ignore"))
    if exclude:
        cwd = os.getcwd()
        config = replace(config, exclude=config.exclude + tuple((g, cwd) for g in exclude))
    return config


def apply(config: Config, problems: list[Problem]) -> list[Problem]:
    """Problems as the configuration sees them: unselected and ignored rules dropped, extend-error raised.

    A fatal error (the file could not be analysed) is always kept, whatever `select` says.
    """
    from cnncalc.core.rules import RULES

    kept = []
    for p in problems:
        fatal = p.rule in RULES and RULES[p.rule].fatal
        if not fatal and (p.rule in config.ignore or (config.select is not None and p.rule not in config.select)):
            continue
        if p.rule in config.extend_error and p.level != ERROR:
            p = Problem(p.path, p.line, p.column, ERROR, p.rule, p.message)
        kept.append(p)
    return kept


def excluded(config: Config, path: str) -> bool:
    """Whether an `exclude` glob matches the path (relative to its config's directory), a parent, or a name in it."""
    if os.path.basename(path) in CONFIG_NAMES[:2]:
        return True  # a .cnncalc.yaml found in a checked directory is configuration, not an architecture
    if not config.exclude:
        return False
    absolute = os.path.abspath(path)
    for glob, root in config.exclude:
        try:
            relative = os.path.relpath(absolute, root).replace(os.sep, "/")
        except ValueError:  # another drive on Windows
            continue
        if relative == ".." or relative.startswith("../"):
            continue  # a glob applies only under its configuration's directory
        parts = relative.split("/")
        # Like ruff: the path, any leading part of it, or any one component (a directory or file name).
        candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)] + parts
        if any(fnmatch.fnmatchcase(c, glob.rstrip("/")) for c in candidates):
            return True
    return False


def filter_paths(config: Config, paths: list[str]) -> list[str]:
    """The paths no `exclude` glob matches, in order."""
    return [p for p in paths if not excluded(config, p)]


def for_check(config_path: str | None, paths: list[str], select: list[str], ignore: list[str],
              exclude: list[str]) -> Config:
    """`check`'s settings: --config (or the nearest file above the paths) with the command-line options applied.

    Raises CommandLineError for a bad option and SpecError for an invalid configuration file.
    """
    from cnncalc.core.problems import CommandLineError

    try:
        return with_options(load_or_discover(config_path, paths), select, ignore, exclude)
    except ValueError as exc:
        raise CommandLineError(str(exc)) from None


def load_or_discover(config_path: str | None, paths: list[str]) -> Config:
    """`--config PATH` if given, else the discovered configuration.

    Raises ValueError for a --config that is not a file (command-line misuse) and SpecError for an
    invalid configuration file (a problem in a file).
    """
    if config_path is None:
        return discover(paths)
    if not os.path.isfile(config_path):
        raise ValueError(f"--config: {config_path!r} is not a file; name a .cnncalc.yaml or pyproject.toml")
    return load_config(config_path)
