"""The Typer plumbing of the command line: options that arrive as typed, commands guarded so that no
traceback reaches the user, and the entry point's exit codes. `cli` declares the commands.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from cnncalc.cli import textout
from cnncalc.core.problems import EXIT_PROBLEMS, CommandLineError, SpecError

UsageError = typer.BadParameter.__mro__[1]  # click's UsageError, which typer does not re-export
# Contexts and parameters are typed Any here: typer 0.29 vendors click as the private `typer._click`, whose
# classes cannot be named without reaching into it (and `click.Context` is another class).


class _AsGiven:
    """Runtime conversion that hands click's text to the command unchanged.

    typer 0.29 converts each value through a pydantic adapter: ~70 ms of start-up, and messages such as
    "Input should be a valid integer". cnncalc parses its own options instead.
    """

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """The value as typed; an absent multi-value argument as an empty tuple."""
        if value is None and (param.multiple or param.nargs == -1):
            return ()
        return value


_AS_GIVEN = _AsGiven()


def _as_written(param: Any) -> None:
    """Make one parameter skip typer's conversion and show its metavar as written (no `{SPEC}`, `<str>`)."""
    if hasattr(param, "get_runtime_param"):
        param.get_runtime_param = lambda: _AS_GIVEN
    if param.param_type_name == "argument" and param.metavar:
        metavar = param.metavar
        param._usage_display_name = lambda: metavar
        param.display_type_rich = lambda ctx: None
        param.display_type = lambda ctx: None


def _guarded(invoke: Callable[[Any], Any], ctx: Any) -> Any:
    """Run a command: misuse is exit 2 with click's usage line, a problem in a file one diagnostic and exit 1,
    Ctrl-C one line and 130, a closed pipe quiet, whatever the command."""
    try:
        return invoke(ctx)
    except CommandLineError as exc:
        if exc.option is None:  # about the command line as a whole, not one option
            raise UsageError(str(exc), ctx=ctx) from None
        raise typer.BadParameter(str(exc), ctx=ctx, param_hint=exc.option) from None
    except SpecError as exc:
        fail(exc)
    except KeyboardInterrupt:
        sys.stderr.write("cnncalc: interrupted\n")
        raise typer.Exit(textout.EXIT_INTERRUPTED) from None
    except Terminated:
        sys.stderr.write("cnncalc: terminated\n")
        raise typer.Exit(textout.EXIT_TERMINATED) from None
    except BrokenPipeError:
        textout.silence_stdout()
        raise typer.Exit(textout.EXIT_BROKEN_PIPE) from None
    except textout.OutputError as exc:
        raise typer.Exit(unwritable(exc)) from None


class Terminated(BaseException):
    """SIGTERM, raised where the process is (like KeyboardInterrupt), so that workers are stopped and files
    left whole; a BaseException so that no `except Exception` takes it for an error."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def unwritable(error: textout.OutputError) -> int:
    """An output that could not be written: one diagnostic (once), exit 74."""
    from cnncalc.check.diagnostics import text
    from cnncalc.core.problems import ERROR, Problem

    if not error.reported:
        error.reported = True
        what = ("the output is incomplete" if error.target == textout.STDOUT_NAME else
                "nothing was written, and a file already there is unchanged")
        problem = Problem(error.target, 1, 1, ERROR, "unwritable-file", f"cannot write: {error.reason}; {what}")
        sys.stderr.write(text(problem) + "\n")
    return textout.EXIT_UNWRITABLE


class _AsWritten:
    """Mixin: every parameter, --help included (typer adds it late), arrives as given."""

    def get_params(self, ctx: Any) -> Any:
        """The parameters, made to arrive as given."""
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            _as_written(param)
        return params


class Command(_AsWritten, TyperCommand):
    """A typer command whose options arrive as text and whose interrupts and closed pipes are handled."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command under `_guarded`."""
        return _guarded(super().invoke, ctx)


class Group(_AsWritten, TyperGroup):
    """The top-level group, whose --version option also arrives as given."""


def fail(error: SpecError) -> NoReturn:
    """Problems in a file: their diagnostics on stderr (every independent error found), exit 1."""
    from cnncalc.check.diagnostics import text

    sys.stderr.write("".join(text(problem) + "\n" for problem in error.problems))
    raise typer.Exit(EXIT_PROBLEMS)


def _exit_code(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def run(app: typer.Typer) -> NoReturn:
    """Run the CLI; never lets a Python traceback reach the user, whatever the output stream can encode."""
    import signal

    textout.install_checked_stdout()
    textout.degrade_unencodable(sys.stdout)
    textout.degrade_unencodable(sys.stderr)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except KeyboardInterrupt:  # outside a command: while parsing the command line
        sys.stderr.write("cnncalc: interrupted\n")
        code = textout.EXIT_INTERRUPTED
    except Terminated:
        sys.stderr.write("cnncalc: terminated\n")
        code = textout.EXIT_TERMINATED
    except BrokenPipeError:
        textout.silence_stdout()
        code = textout.EXIT_BROKEN_PIPE
    except textout.OutputError as exc:  # outside a command: --help, --version
        code = unwritable(exc)
    except Exception as exc:  # noqa: BLE001 - the promise is no traceback, ever
        sys.stderr.write(f"cnncalc: internal error: {type(exc).__name__}: {exc}; please report this with the "
                         "file that caused it\n")
        code = 3
    sys.exit(_after_flush(code))


def _after_flush(code: int) -> int:
    """The exit code once the last buffered output is written: what the output stream saw wins over what
    click made of it (click exits 1 on a closed pipe in --help)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left before the last buffered output was written
        pass
    except textout.OutputError as exc:
        code = unwritable(exc)
    failure, broken = textout.stdout_state()
    if broken:
        textout.silence_stdout()
        return textout.EXIT_BROKEN_PIPE
    if failure is not None:
        return unwritable(failure)
    return code
