"""The command line: the Typer app, the runner (exit codes, streams, signals), option parsing, text output."""
