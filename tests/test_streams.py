"""Outputs that cannot be written, inputs that are closed, signals: one message, a documented exit code,
and never a half-written file (run as a shell runs the installed command).

Exit codes: 74 an output could not be written (stdout or a file; `unwritable-file`), 141 the reader went
away, 143 SIGTERM, 130 Ctrl-C.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

CNNCALC = [sys.executable, "-m", "cnncalc"]
ENV = {**{k: v for k, v in os.environ.items() if k != "CI"}, "PYTHONIOENCODING": "utf-8"}
LENET = str(ROOT / "specs" / "lenet5.yaml")


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    options: dict[str, object] = {"capture_output": True, "env": ENV, "cwd": ROOT, "check": False, "timeout": 60}
    options.update(kwargs)
    return subprocess.run(CNNCALC + args, **options)  # type: ignore[call-overload, no-any-return]


def _one_problem(stderr: bytes, target: str) -> None:
    lines = stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{target}:1:1: error: cannot write: ") and lines[0].endswith("[unwritable-file]")


# --- standard output ----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["shape", "lenet5"], ["--version"], ["--help"], ["report", "lenet5"],
                                  ["export", "lenet5", "--to", "pytorch"]])
def test_a_closed_stdout_is_one_message_and_74(args: list[str]) -> None:
    done = _run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, capture_output=False,
                pass_fds=(), preexec_fn=lambda: os.close(1))
    assert done.returncode == 74
    _one_problem(done.stderr, "<stdout>")
    assert b"Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [["shape", "resnet152", "--depth", "all"], ["--version"], ["diagram", "lenet5"]])
def test_a_full_disk_under_stdout_is_74(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        done = _run(args, stdout=full, stderr=subprocess.PIPE, capture_output=False)
    assert done.returncode == 74
    _one_problem(done.stderr, "<stdout>")


def _file_size_limit(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_short_write_of_stdout_is_an_error_not_a_cut_table(tmp_path: Path) -> None:
    """`(ulimit -f 8; cnncalc shape resnet152 --depth all > out.txt)` wrote 8,192 of 49,263 bytes and exited 0."""
    out = tmp_path / "out.txt"
    with open(out, "wb") as handle:
        done = _run(["shape", "resnet152", "--depth", "all"], stdout=handle, stderr=subprocess.PIPE,
                    capture_output=False, preexec_fn=lambda: _file_size_limit(8192))
    assert done.returncode == 74
    _one_problem(done.stderr, "<stdout>")


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["report", "resnet152"], ["diagram", "resnet152"],
                                  ["export", "resnet152", "--to", "pytorch"], ["explain", "resnet152"]])
def test_a_reader_that_went_away_is_141_for_every_command(args: list[str]) -> None:
    proc = subprocess.Popen(CNNCALC + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before anything is written: every write meets a closed pipe
    err = proc.stderr.read()
    assert (proc.wait(timeout=60), err) == (141, b"")


# --- files written with -o and --report-dir -------------------------------------------------------

OUTPUTS = [
    (["diagram", "resnet152"], "net.svg"),
    (["report", "resnet152"], "net.html"),
    (["export", "resnet152", "--to", "pytorch"], "net.py"),
]


@pytest.mark.parametrize("args, name", OUTPUTS)
def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(args: list[str], name: str,
                                                                     tmp_path: Path) -> None:
    target = tmp_path / name
    target.write_text("the old file\n", encoding="utf-8")
    done = _run(args + ["-o", str(target)], preexec_fn=lambda: _file_size_limit(4096))
    assert done.returncode == 74
    _one_problem(done.stderr, str(target))
    assert target.read_text(encoding="utf-8") == "the old file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("args, name", OUTPUTS)
def test_a_written_file_replaces_the_old_one_with_its_permissions(args: list[str], name: str,
                                                                   tmp_path: Path) -> None:
    target = tmp_path / name
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    done = _run(args + ["-o", str(target)])
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o640 and len(target.read_bytes()) > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_an_import_into_a_missing_folder_is_74(tmp_path: Path) -> None:
    cfg = tmp_path / "net.cfg"
    cfg.write_text("[net]\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=4\nsize=3\n", encoding="utf-8")
    done = _run(["import", str(cfg), "-o", str(tmp_path / "no" / "such" / "net.yaml")])
    assert done.returncode == 74
    _one_problem(done.stderr, str(tmp_path / "no" / "such" / "net.yaml"))


def test_a_device_target_is_written_not_replaced() -> None:
    done = _run(["export", "lenet5", "--to", "pytorch", "-o", os.devnull])
    assert done.returncode == 0, done.stderr
    assert Path(os.devnull).is_char_device()


def test_a_report_dir_that_cannot_be_made_stops_check(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    done = _run(["check", "--report-dir", str(blocker / "reports"), LENET])
    assert done.returncode == 74
    _one_problem(done.stderr, str(blocker / "reports"))
    assert done.stdout == b""


# --- standard input -------------------------------------------------------------------------------

def test_a_closed_stdin_is_unreadable_file() -> None:
    done = _run(["shape", "-"], stdin=None, preexec_fn=lambda: os.close(0))
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "<stdin>:1:1: error: standard input is closed; pipe an architecture file into it or give a path "
        "[unreadable-file]"]


@pytest.mark.parametrize("data, rule", [
    (b"input: [8, 8, 3]\nlayers:\n" + b"  - relu\n" * 200_000, "file-too-large"),
    (b"input: [8, 8, 3]\x00\nlayers: [relu]\n", "binary-file"),
    (b"\xff\xfei\x00n\x00", "invalid-encoding"),
    (b"input: [8, 8, 3]\nname: Stra\xdfe\nlayers: [relu]\n", "invalid-encoding"),
])
def test_stdin_is_held_to_the_rules_of_a_file(data: bytes, rule: str, tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_bytes(data)
    from_file = _run(["check", "--format", "parsable", str(path)])
    from_stdin = _run(["check", "--format", "parsable", "-"], input=data)
    assert from_file.returncode == from_stdin.returncode == 1
    assert f"({rule})" in from_file.stdout.decode() and f"({rule})" in from_stdin.stdout.decode()
    def where(out: bytes) -> list[str]:
        return [line.split(" [error] ")[0] + line.rsplit(" ", 1)[1] for line in out.decode().splitlines()[:-1]]

    assert where(from_file.stdout) == [w.replace("<stdin>", str(path)) for w in where(from_stdin.stdout)]


# --- signals --------------------------------------------------------------------------------------

LONG = "name: long\ninput: [8, 8, 4]\nlayers:\n  - conv: {filters: 4, kernel: 1, repeat: 19999}\n"


def test_sigterm_during_a_parallel_check_is_one_line_and_no_worker_speaks(tmp_path: Path) -> None:
    from test_output import _wait_for_workers

    for i in range(200):
        (tmp_path / f"net{i:03}.yaml").write_text(LONG, encoding="utf-8")
    proc = subprocess.Popen(CNNCALC + ["check", "--jobs", "2", str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=ENV, cwd=ROOT, start_new_session=True)
    _wait_for_workers(proc.pid, count=2, timeout=30.0)
    assert proc.poll() is None, "check finished before it could be stopped"
    os.kill(proc.pid, signal.SIGTERM)  # the parent only, as `kill PID` does: it must stop its workers
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert (proc.returncode, err) == (143, b"cnncalc: terminated\n")


@pytest.mark.parametrize("signum, code, word", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")])
def test_a_signal_while_the_command_line_is_imported_is_one_line(signum: int, code: int, word: str) -> None:
    """The entry point imports nothing before it can answer: a signal raised as the import starts is one line."""
    probe = ("import os, signal, sys, builtins\n"
             "real = builtins.__import__\n"
             "def hook(name, *a, **k):\n"
             "    if name == 'cnncalc.cli.app':\n"
             "        builtins.__import__ = real\n"
             f"        os.kill(os.getpid(), {int(signum)})\n"
             "    return real(name, *a, **k)\n"
             "builtins.__import__ = hook\n"
             "sys.argv = ['cnncalc', 'shape', 'lenet5']\n"
             "from cnncalc.__main__ import main\n"
             "main()\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, env=ENV, cwd=ROOT, check=False,
                          timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert (done.returncode, done.stderr.decode()) == (code, f"cnncalc: {word}\n")
