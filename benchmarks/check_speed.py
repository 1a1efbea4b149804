"""Benchmark `cnncalc check` on many VGG-16-sized files against yaml.compose with the C loader.

Targets (issue: `cnncalc check` as a CI gate): 1,000 VGG-16-sized files in at most 1 s in one
invocation, start-up included, and a per-file cost under 2x of reading and composing the same file
with one worker (issue 9).

    python benchmarks/check_speed.py              # 1,000 files, best of 5
    python benchmarks/check_speed.py --smoke      # a quick run for CI: prints, does not judge
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def best(times: int, fn) -> float:
    """The fastest of `times` runs of fn, in seconds."""
    results = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        results.append(time.perf_counter() - start)
    return min(results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="one quick round, for CI")
    args = parser.parse_args()
    repeat = 1 if args.smoke else args.repeat

    from cnncalc.catalog import bundled
    from cnncalc.check.files import check_file, report

    source = bundled.specs_dir() / "vgg16.yaml"
    workdir = Path(tempfile.mkdtemp(prefix="cnncalc-bench-"))
    try:
        paths = []
        for i in range(args.files):
            path = workdir / f"net{i:04d}.yaml"
            shutil.copyfile(source, path)
            paths.append(str(path))
        texts = [Path(p).read_text() for p in paths]

        def compose_all() -> None:
            for text in texts:
                yaml.compose(text, Loader=yaml.CSafeLoader)

        def read_and_compose_all() -> None:
            for p in paths:
                with open(p, encoding="utf-8") as handle:
                    yaml.compose(handle.read(), Loader=yaml.CSafeLoader)

        def check_all() -> None:
            for p in paths:
                result = check_file(p)
                assert not result.problems, result.problems

        def report_all() -> None:  # what `cnncalc check` does per file: the analysis is dropped at once
            for p in paths:
                assert not report(p).problems

        exe = shutil.which("cnncalc")
        command = [exe] if exe else [sys.executable, "-m", "cnncalc"]

        def cli_all(jobs: int = 0) -> None:
            done = subprocess.run(command + ["check", "--format", "parsable", "--jobs", str(jobs), str(workdir)],
                                  capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stdout + done.stderr

        def cli_one() -> None:  # start-up and one file: subtracted, it leaves the per-file cost of a run
            subprocess.run(command + ["check", "--format", "parsable", "--jobs", "1", paths[0]],
                           capture_output=True, check=True)

        def cli_start() -> None:
            subprocess.run(command + ["--version"], capture_output=True, check=True)

        compose = best(repeat, compose_all)
        read_compose = best(repeat, read_and_compose_all)
        check = best(repeat, check_all)
        reported = best(repeat, report_all)
        cli = best(repeat, cli_all)
        cli_serial = best(repeat, lambda: cli_all(1))
        start = best(repeat, cli_start)
        one = best(repeat, cli_one)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    n = args.files
    print(f"files: {n} copies of {source.name} ({source.stat().st_size:,} bytes), best of {repeat}, "
          f"{os.cpu_count()} CPUs")
    print(f"yaml.compose (C loader), text in memory: {compose / n * 1e6:8.1f} µs/file")
    print(f"read + yaml.compose (C loader):          {read_compose / n * 1e6:8.1f} µs/file")
    print(f"cnncalc check_file (read, parse, analyse, expect): {check / n * 1e6:8.1f} µs/file "
          f"= {check / read_compose:.2f}x read + compose")
    print(f"checks.report (check_file, the analysis dropped, as `cnncalc check` does): {reported / n * 1e6:8.1f} "
          f"µs/file = {reported / read_compose:.2f}x read + compose")
    per_file = (cli_serial - one) / max(n - 1, 1)
    print(f"`cnncalc check --jobs 1`, per file beyond the first (start-up excluded): {per_file * 1e6:8.1f} µs/file "
          f"= {per_file * n / read_compose:.2f}x read + compose (target: under 2x)")
    print(f"`cnncalc --version` start-up:            {start * 1e3:8.1f} ms")
    print(f"`cnncalc check` on {n} files, one call:   {cli * 1e3:8.1f} ms with every core "
          f"(target: 1,000 files ≤ 1,000 ms); {cli_serial * 1e3:.1f} ms with --jobs 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
