"""cnncalc: shapes, parameters, multiply-adds and memory of CNNs from YAML architecture files.

The Python API (`analyze`, `Result`, `CnncalcError`) is loaded on first use, so `import cnncalc` stays cheap.
"""

__version__ = "0.2.0"
__all__ = ["analyze", "Result", "CnncalcError", "__version__"]

# `typing` costs milliseconds to import; mypy treats any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from cnncalc.api import CnncalcError, Result, analyze

_LAZY = {"analyze": "cnncalc.api", "Result": "cnncalc.api", "CnncalcError": "cnncalc.api"}


def __getattr__(name: str) -> object:
    """Import the API's module on first access to one of its names."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
