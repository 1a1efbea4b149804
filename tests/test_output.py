"""End to end, as a user's shell runs it: encodings, closed pipes and Ctrl-C (kept few and fast)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

CNNCALC = [sys.executable, "-m", "cnncalc"]
ENV = {**{k: v for k, v in os.environ.items() if k != "CI"}, "PYTHONIOENCODING": "utf-8"}


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(CNNCALC + args, capture_output=True, env={**ENV, **env}, cwd=ROOT, check=False,
                          timeout=60)


UNEVEN = "input: [9, 9, 3]\nlayers:\n  - conv: {filters: 4, kernel: 2, stride: 2}\n"


@pytest.mark.parametrize("args, expected", [
    (["shape", "vgg16"], "VGG-16: 224×224×3 -> 1000"),  # cp1252 has × but not →
    (["size", "--input", "224", "--kernel", "3", "--stride", "2"], "floor((224 - 3)/2) + 1"),
    (["size", "--help"], "floor((H - K + 2P)/S) + 1"),
])
def test_a_stream_that_cannot_encode_gets_ascii_spellings(args: list[str], expected: str, tmp_path: Path
                                                           ) -> None:
    uneven = tmp_path / "uneven.yaml"
    uneven.write_text(UNEVEN, encoding="utf-8")
    done = _run([str(uneven) if a == "{uneven}" else a for a in args], PYTHONIOENCODING="cp1252")
    assert done.returncode in (0, 1), done.stderr
    assert b"internal error" not in done.stderr
    assert expected in done.stdout.decode("cp1252")


@pytest.mark.parametrize("args", [["check", "--format", "json", "{uneven}"], ["check", "--format", "sarif", "{uneven}"],
                                  ["shape", "{named}", "--format", "json"], ["explain", "{named}", "--format", "json"],
                                  ["diff", "{named}", "{uneven}", "--format", "json"], ["schema"], ["list", "--json"]])
def test_json_on_a_stream_that_cannot_encode_it_uses_u_escapes(args: list[str], tmp_path: Path) -> None:
    """JSON is never spelt in ASCII (that would change its strings, and schema patterns): what the stream cannot
    encode is written as \\u escapes, so the document parses to exactly what a UTF-8 stream gets."""
    import json

    from typer.testing import CliRunner

    from cnncalc.cli.app import app

    files = {"uneven": UNEVEN, "named": "name: Netz für Bilder → ∑\ninput: [9, 9, 3]\nlayers:\n  - conv: "
                                         "{filters: 4, kernel: 2, stride: 2, name: ü_conv}\n"}
    for stem, text in files.items():
        (tmp_path / f"{stem}.yaml").write_text(text, encoding="utf-8")
    argv = [str(tmp_path / f"{a[1:-1]}.yaml") if a.startswith("{") else a for a in args]
    narrow, wide = _run(argv, PYTHONIOENCODING="ascii"), CliRunner().invoke(app, argv)
    assert narrow.returncode == wide.exit_code and narrow.returncode in (0, 1), narrow.stderr
    assert json.loads(narrow.stdout.decode("ascii")) == json.loads(wide.stdout)


def test_ascii_stream_never_crashes() -> None:
    done = _run(["shape", "vgg16", "--columns", "all"], PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    done.stdout.decode("ascii")


@pytest.mark.parametrize("args", [["shape", "resnet152", "--depth", "all"], ["kinds"], ["schema"]])
def test_a_closed_pipe_exits_quietly(args: list[str]) -> None:
    proc = subprocess.Popen(CNNCALC + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader goes away before anything is written, as `| head -0` would
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b""


# ~0.07 s of checking each (20,000 layers), whatever the machine: 200 files keep two workers busy for seconds.
LONG = "name: long\ninput: [8, 8, 4]\nlayers:\n  - conv: {filters: 4, kernel: 1, repeat: 19999}\n"


def test_ctrl_c_during_a_parallel_check_is_one_line(tmp_path: Path) -> None:
    for i in range(200):
        (tmp_path / f"net{i:03}.yaml").write_text(LONG, encoding="utf-8")
    # A terminal sends SIGINT to the whole foreground process group: the workers get it too. The child
    # starts with SIGINT's default action, as from a terminal: an ignored SIGINT (a background job's)
    # is inherited across exec, and Python then rightly keeps ignoring it.
    proc = subprocess.Popen(CNNCALC + ["check", "--jobs", "2", str(tmp_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=ENV, cwd=ROOT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_workers(proc.pid, count=2, timeout=30.0)
    assert proc.poll() is None, "check finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (130, b"cnncalc: interrupted\n")


def _wait_for_workers(pid: int, count: int, timeout: float) -> None:
    """Wait until `pid` has `count` child processes (the pool's workers) and each ignores SIGINT, as the pool's
    initializer makes it do first thing after the fork (a Ctrl-C before that would show a worker's traceback)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            workers = children.read_text().split()
            if len(workers) >= count and all(_ignores_sigint(int(w)) for w in workers):
                return
        except OSError:  # no /proc (not Linux): fall back to time alone
            break
        time.sleep(0.01)
    time.sleep(0.5)


def _ignores_sigint(pid: int) -> bool:
    """Whether process `pid` ignores SIGINT (the SigIgn mask in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False


PROBE = """
import sys
sys.argv = ["cnncalc", *sys.argv[1:]]
from cnncalc.cli.app import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write(" ".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["shape", "--help"],
                                  ["params", "--filters", "64", "--kernel", "3", "--channels", "256"],
                                  ["size", "--input", "224", "--kernel", "3"]])
def test_small_commands_import_no_analysis_rich_or_pydantic(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=ENV, cwd=ROOT,
                          check=False, timeout=60)
    modules = set(done.stderr.split())
    assert "cnncalc.cli.app" in modules
    assert not modules & {"cnncalc.core.analysis", "cnncalc.core.spec", "yaml", "rich", "pydantic", "typer._adapters"}
