"""cnncalc: shapes, parameters, multiply-adds and memory of CNNs from YAML architecture files."""

__version__ = "0.1.0"
