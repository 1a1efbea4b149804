"""Text output: streams that cannot encode a character, closed pipes, control characters, plain tables.

Everything here is for the command line; none of it computes a figure.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
import unicodedata
from typing import TYPE_CHECKING, Sequence, TextIO

if TYPE_CHECKING:
    from rich.table import Table

# What the output uses beyond ASCII, spelt in ASCII for streams that cannot encode it (cp1252, ascii).
ASCII_SPELLINGS = {
    "×": "x", "–": "-", "—": "-", "−": "-", "→": "->", "≈": "~", "·": "*", "…": "...",
    "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "≥": ">=", "≤": "<=", "²": "^2",
    "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*", "Δ": "delta", "≠": "!=", "√": "sqrt", "γ": "gamma",
    "β": "beta", "³": "^3", "¹": "^1", "ᵀ": "^T", "Σ": "sum", "µ": "u",
}
ERROR_HANDLER = "cnncalc-ascii"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a Unix tool killed by a closed pipe reports
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_UNWRITABLE = 74  # sysexits.h's EX_IOERR: the output (standard output or a file) could not be written
EXIT_TERMINATED = 143  # 128 + SIGTERM
STDOUT_NAME = "<stdout>"


def _spell_ascii(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start:error.end]
    return "".join(ASCII_SPELLINGS.get(c, "?") for c in text), error.end


codecs.register_error(ERROR_HANDLER, _spell_ascii)


def degrade_unencodable(stream: TextIO) -> None:
    """Make a stream write ASCII spellings (else '?') for what its encoding cannot carry, never raise."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if encoding.startswith("utf") or not hasattr(stream, "reconfigure"):
        return
    try:
        stream.reconfigure(errors=ERROR_HANDLER)
    except (ValueError, OSError):  # a detached or closed stream: nothing to write to anyway
        pass


class OutputError(OSError):
    """An output that could not be written (a full disk, a file size limit, a closed stream, a missing folder)."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(reason)
        self.target, self.reason = target, reason
        self.reported = False  # told once, whichever of the command's guard and the runner's last flush sees it


class _CheckedStdout(io.RawIOBase):
    """File descriptor 1, written whole or not at all: a short or failed write raises OutputError.

    Python's own stdout can drop the tail of a short write without a word (8,192 of 49,263 bytes under
    `ulimit -f 8`, exit 0). After a failure the stream discards what follows, so that the final flush at
    exit cannot fail again; `failure` and `broken` remember what happened for the exit code.
    """

    def __init__(self, fd: int | None) -> None:
        super().__init__()
        self.fd = fd
        self.failure: OutputError | None = None
        self.broken = False  # the reader went away (EPIPE)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        if self.fd is None:
            raise OSError("standard output is closed")
        return self.fd

    def isatty(self) -> bool:
        return self.fd is not None and os.isatty(self.fd)

    def write(self, data: "bytes | bytearray | memoryview") -> int:  # type: ignore[override]
        view = memoryview(data).cast("B")
        total = len(view)
        if self.failure is not None or self.broken:
            return total
        if self.fd is None:
            self.failure = OutputError(STDOUT_NAME, "standard output is closed")
            raise self.failure
        while view:
            try:
                written = os.write(self.fd, view)
            except BrokenPipeError:
                self.broken = True
                raise
            except InterruptedError:
                continue
            except OSError as exc:
                self.failure = OutputError(STDOUT_NAME, exc.strerror or str(exc))
                raise self.failure from None
            view = view[written:]
        return total


_STDOUT: _CheckedStdout | None = None


def install_checked_stdout() -> None:
    """Put a checked writer under the process's real standard output (a closed one too: it fails on first use).

    Only the interpreter's own stream is replaced; a test's captured stream, or a library caller's, is left.
    """
    global _STDOUT
    current = sys.stdout
    if current is not None and current is not sys.__stdout__:
        return
    if sys.stderr is None:  # closed: messages go nowhere, exit codes still tell
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    fd = None
    if current is not None:
        try:
            fd = current.fileno()
            current.flush()
        except (OSError, ValueError):
            fd = None
    _STDOUT = _CheckedStdout(fd)
    encoding = getattr(current, "encoding", None) or "utf-8"
    errors = getattr(current, "errors", None) or "strict"
    stream = io.TextIOWrapper(io.BufferedWriter(_STDOUT), encoding=encoding, errors=errors,  # type: ignore[type-var]
                              line_buffering=_STDOUT.isatty())
    sys.stdout = stream


def stdout_state() -> tuple[OutputError | None, bool]:
    """(the write failure of standard output, whether its reader went away), as the checked writer saw them."""
    if _STDOUT is None:
        return None, False
    return _STDOUT.failure, _STDOUT.broken


def json_for(stream: TextIO, text: str) -> str:
    """JSON text that `stream` can carry: a character its encoding cannot encode becomes a \\u escape (JSON's
    syntax is ASCII, so such a character only occurs inside a string, where the escape means the same)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        pass
    out = []
    for char in text:
        try:
            char.encode(encoding)
            out.append(char)
        except (UnicodeEncodeError, LookupError):
            code = ord(char)
            if code > 0xFFFF:  # a UTF-16 surrogate pair, as JSON spells characters beyond the BMP
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
    return "".join(out)


def write_output(output: str | None, data: str | bytes) -> None:
    """The one writer of a command's result: standard output (None or '-'), or the file `output`, atomically.

    A JSON document (every one cnncalc writes starts with `{` or `[`) goes to a stream that cannot encode all of
    it with \\u escapes; other text gets the stream's ASCII spellings (`degrade_unencodable`)."""
    if output is None or output == "-":
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(json_for(sys.stdout, data) if data[:1] in ("{", "[") else data)
        return
    write_file(output, data.encode("utf-8") if isinstance(data, str) else data)


def make_folder(directory: str) -> None:
    """Make `directory` (and its parents) if missing; OutputError if it cannot be made."""
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise OutputError(directory, exc.strerror or str(exc)) from None


def write_file(path: str, data: bytes) -> None:
    """Write `path` whole or not at all: a temporary file beside it, renamed over it once written.

    A failed write (disk full, file size limit, no such folder) raises OutputError and leaves the target
    as it was and no temporary file. A target that is not a regular file (/dev/null, a FIFO) is written
    directly; a symbolic link is followed, so the link stays and its target is replaced.
    """
    import stat
    import tempfile

    target = os.path.realpath(path)
    try:
        mode = os.stat(target).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise OutputError(path, exc.strerror or str(exc)) from None
        return
    directory, name = os.path.split(target)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory or ".")
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise OutputError(path, exc.strerror or str(exc)) from None
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def silence_stdout() -> None:
    """After the reader of a pipe went away: point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether output goes to a person: a terminal that is not dumb and not a CI log."""
    stream = stream or sys.stdout
    # Some CI runners allocate a pseudo-terminal; their logs still want no progress bars or colour.
    try:
        tty = stream.isatty()
    except (ValueError, AttributeError):
        return False
    return tty and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)}
_CONTROL.update({c: f"\\u{c:04x}" for c in range(0x80, 0xA0)})


def neutral(text: str) -> str:
    """User text made safe for a terminal: control characters (escape sequences) shown as \\xNN."""
    if text.isprintable():
        return text
    return text.translate(_CONTROL)


def spelled(text: str, stream: TextIO | None = None) -> str:
    """`text` as `stream` (standard output) will show it: with ASCII spellings if its encoding cannot carry it.
    Tables spell their cells before measuring them, so that a column stays aligned (`Δ` is `delta`)."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except (UnicodeEncodeError, LookupError):
        return text.encode(encoding, ERROR_HANDLER).decode(encoding)


def cell_width(text: str) -> int:
    """Terminal columns a string takes: East Asian wide characters two, combining marks none."""
    if text.isascii():
        return len(text)
    width = 0
    for c in text:
        if unicodedata.combining(c):
            continue
        width += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return width


def ascii_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Lines of a table with ASCII borders, as rich's box.ASCII draws it, without rich (for pipes and files)."""
    widths = [cell_width(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            w = cell_width(cell)
            if w > widths[i]:
                widths[i] = w

    def line(cells: Sequence[str]) -> str:
        parts = []
        for cell, width, is_right in zip(cells, widths, right):
            pad = " " * (width - cell_width(cell))
            parts.append(f" {pad}{cell} " if is_right else f" {cell}{pad} ")
        return "|" + "|".join(parts) + "|"

    inner = sum(widths) + 3 * len(widths) - 1
    edge = "+" + "-" * inner + "+"
    lines = [edge, line(header), "|" + "+".join("-" * (w + 2) for w in widths) + "|"]
    lines.extend(line(row) for row in rows)
    lines.append(edge)
    return lines


WRAP_MIN = 6  # a wrapping column (a layer's or a network's name) keeps at least this many characters


def fits(header: Sequence[str], rows: Sequence[Sequence[str]], wrap: Sequence[bool], width: int) -> bool:
    """Whether a rich table (SIMPLE_HEAVY: one space each side of a cell, one between columns) of these cells fits
    `width` columns with every cell whole except the wrapping ones, which may fold down to WRAP_MIN."""
    need = 1
    for i, name in enumerate(header):
        widest = max([cell_width(name)] + [cell_width(row[i]) for row in rows])
        need += (min(widest, WRAP_MIN) if wrap[i] else widest) + 3
    return need <= width


def terminal_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool],
                   wrap: Sequence[bool], styles: Sequence[str | None] | None = None) -> "Table":
    """A rich table for a terminal in which no number is ever cut: only the `wrap` columns (names) fold, every
    other column keeps its widest cell whole. Check `fits` first; a table that does not fit is shown as blocks."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAVY)
    for i, name in enumerate(header):
        table.add_column(name, justify="right" if right[i] else "left", no_wrap=not wrap[i],
                         overflow="fold" if wrap[i] else "ellipsis")
    for n, row in enumerate(rows):
        table.add_row(*(escape(c) for c in row), style=styles[n] if styles else None)
    return table


def blocks(header: Sequence[str], rows: Sequence[Sequence[str]], title_columns: int = 1) -> list[str]:
    """One block of lines per row, for terminals too narrow for the table: the first `title_columns` cells as
    its heading, then `column: value` for the rest (empty cells left out)."""
    lines = []
    for row in rows:
        lines.append("  ".join(c for c in row[:title_columns] if c))
        lines.extend(f"    {name}: {value}" for name, value in zip(header[title_columns:], row[title_columns:])
                     if value)
    return lines


class Progress:
    """`label: done/total` on stderr, redrawn in place, only on a terminal and only after a second."""

    def __init__(self, label: str, total: int, delay: float = 1.0) -> None:
        import time

        self.label, self.total = label, total
        self.clock = time.monotonic
        self.start = self.clock() + delay
        self.shown = False
        self.enabled = is_terminal(sys.stderr)

    def update(self, done: int, total: int | None = None) -> None:
        """Record progress; draws at most every tenth of a second, once the delay has passed."""
        if not self.enabled:
            return
        now = self.clock()
        if now < self.start:
            return
        self.start = now + 0.1
        self.shown = True
        sys.stderr.write(f"\r{self.label}: {done:,}/{total or self.total:,}")
        sys.stderr.flush()

    def done(self) -> None:
        """Clear the progress line, if one was drawn."""
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False
