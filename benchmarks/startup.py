"""Start-up of every cnncalc command against a Typer hello-world with one option, in the same environment.

Runs each command and the hello-world interleaved (hello, command, hello, command, ...) so that load on
the machine hits both alike, and prints median wall times and their ratio, plus the peak resident memory
of `cnncalc shape vgg16`. Output goes to a pipe, as in scripts and CI. The ratio is the median of the
paired ratios; the CPU-time ratio beside it is the figure to trust on a busy machine. `--smoke` does two rounds and
checks only that every command runs (what .ci/run uses); the figures need the full run.

    python benchmarks/startup.py            # 21 rounds
    python benchmarks/startup.py --rounds 41
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELLO = '''import typer

app = typer.Typer()


@app.command()
def main(name: str = typer.Option("World", "--name")) -> None:
    print(f"Hello {name}")


if __name__ == "__main__":
    app()
'''

COMMANDS: list[list[str]] = [
    ["--version"],
    ["--help"],
    ["params", "--filters", "64", "--kernel", "3", "--channels", "256"],
    ["size", "--input", "224", "--kernel", "3", "--stride", "2", "--padding", "same"],
    ["kinds"],
    ["schema"],
    ["shape", "vgg16"],
    ["shape", "vgg16", "--format", "json"],
    ["shape", "densenet121"],
    ["sizes", "vgg16", "--size", "224"],
    ["memory", "vgg16"],
    ["memory", "resnet152", "--fit", "24GiB"],
    ["check", "specs/vgg16.yaml"],
    ["list"],
    ["shape", "resnet152", "--depth", "all"],
]
LIMITS = {"shape resnet152 --depth all": 1.0, "memory resnet152 --fit 24GiB": 1.0}
DEFAULT_LIMIT = 0.75
MEMORY_LIMIT_MIB = 30.0
ROOT = Path(__file__).resolve().parent.parent
# As installed: bytecode cached (the warm-up run writes it), no CI variable changing the output path.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CI")}


def _run(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one process, output to a drained pipe."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    assert proc.stdout is not None
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> int:
    """Measure and print the table; exit 1 if a target is missed (not in --smoke)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--smoke", action="store_true", help="two rounds; only check that everything runs")
    args = parser.parse_args()
    rounds = 2 if args.smoke else args.rounds
    cnncalc = [sys.executable, "-m", "cnncalc"]
    with tempfile.TemporaryDirectory() as tmp:
        hello_file = Path(tmp) / "hello.py"
        hello_file.write_text(HELLO)
        hello = [sys.executable, str(hello_file), "--name", "cnncalc"]
        for argv in [hello] + [cnncalc + c for c in COMMANDS]:  # warm the page cache and .pyc files
            _run(argv)
        pairs: dict[str, list[tuple[tuple[float, float, int], tuple[float, float, int]]]] = {
            " ".join(c): [] for c in COMMANDS}
        for _ in range(rounds):
            for command in COMMANDS:
                pairs[" ".join(command)].append((_run(hello), _run(cnncalc + command)))
        memory = max(_run(cnncalc + ["shape", "vgg16"])[2] for _ in range(3)) / 1024
    missed = 0
    # The ratio is the median of each pair's ratio: a pair runs back to back, so load on the machine
    # weighs on both of its runs alike. CPU time is shown too: it hardly depends on that load at all.
    print(f"{'command':<54} {'hello ms':>9} {'cnncalc ms':>10} {'ratio':>6} {'cpu ratio':>9} {'target':>6}")
    for key, runs in pairs.items():
        base = statistics.median(h[0] for h, _ in runs)
        ours = statistics.median(c[0] for _, c in runs)
        ratio = statistics.median(c[0] / h[0] for h, c in runs)
        cpu = statistics.median(c[1] / h[1] for h, c in runs)
        limit = LIMITS.get(key, DEFAULT_LIMIT)
        missed += ratio > limit
        print(f"{key:<54} {base * 1000:9.1f} {ours * 1000:10.1f} {ratio:6.2f} {cpu:9.2f} {limit:6.2f}"
              f"{'  MISSED' if ratio > limit else ''}")
    missed += memory > MEMORY_LIMIT_MIB
    print(f"peak RSS of `cnncalc shape vgg16`: {memory:.1f} MiB (target {MEMORY_LIMIT_MIB:.0f} MiB)")
    print(f"{rounds} interleaved rounds; medians")
    return 0 if args.smoke or not missed else 1


if __name__ == "__main__":
    sys.exit(main())
