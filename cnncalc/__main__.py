"""Entry point of the `cnncalc` command and of ``python -m cnncalc``.

It imports nothing before it can answer a Ctrl-C: the command line's modules (typer, rich) take a few
hundred milliseconds to import, and an interrupt then would otherwise end in a Python traceback.
"""

import sys


class _Terminated(BaseException):
    """SIGTERM while the command line's modules are imported."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated()


def main() -> None:
    """Import the command line and run it; Ctrl-C or SIGTERM while importing is one line and exit 130 or 143."""
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    try:
        from cnncalc.cli.app import main as run
    except KeyboardInterrupt:
        _leave("interrupted", 130)
    except _Terminated:
        _leave("terminated", 143)
    run()


def _leave(what: str, code: int) -> None:
    try:
        sys.stderr.write(f"cnncalc: {what}\n")
    except (OSError, ValueError, AttributeError):  # no stderr to write to: the exit code still tells
        pass
    sys.exit(code)


if __name__ == "__main__":
    main()
