"""How the cost per layer grows with the network: it should not (issue: linear growth).

Four ways of writing an N-layer network (written out; one `repeat`; a block used N/4 times;
blocks nested two deep), at 1k, 5k and 20k layers, timed in-process for `shape --format json`
(load, analyse, render JSON) and `check` (check_file). The exponent b of time ≈ a·N^b is fitted
by least squares on log-log; 1.0 is linear. It is fitted to the wall times and to the CPU times of
the same runs: on a shared machine the CPU-time exponent is the one to trust (another process's
load stretches wall time, the more the longer a run).

    python benchmarks/scaling.py            # best of 3
    python benchmarks/scaling.py --smoke    # one round at 1k and 5k, for CI: prints, does not judge
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

CONV = "conv: {filters: 8, kernel: 3, padding: 1}"


def written_out(n: int) -> str:
    """N layers, each on its own line."""
    return "input: [16, 16, 8]\nlayers:\n" + f"  - {CONV}\n" * n


def repeated(n: int) -> str:
    """One layer with `repeat: N`."""
    return f"input: [16, 16, 8]\nlayers:\n  - conv: {{filters: 8, kernel: 3, padding: 1, repeat: {n}}}\n"


def block(n: int) -> str:
    """A four-layer block used N/4 times, written out."""
    body = f"      - {CONV}\n      - relu\n      - conv: {{filters: 8, kernel: 1}}\n      - relu\n"
    return "input: [16, 16, 8]\nblocks:\n  b:\n    layers:\n" + body + "layers:\n" + "  - b\n" * (n // 4)


def nested(n: int) -> str:
    """A block of two blocks of four layers (8 layers), repeated N/8 times."""
    inner = f"      - {CONV}\n      - relu\n      - {CONV}\n      - relu\n"
    return ("input: [16, 16, 8]\nblocks:\n  inner:\n    layers:\n" + inner
            + "  outer:\n    layers:\n      - inner\n      - inner\n"
            + f"layers:\n  - outer: {{repeat: {n // 8}}}\n")


FORMS: dict[str, Callable[[int], str]] = {"written-out": written_out, "repeat": repeated, "block": block,
                                          "nested": nested}


def shape_json(path: str) -> None:
    """What `cnncalc shape --format json` computes (as the command does it, with the collector paused)."""
    from cnncalc.shape import render
    from cnncalc.core.analysis import analyze
    from cnncalc.core.limits import collector_paused
    from cnncalc.core.memory import estimate
    from cnncalc.core.spec import load

    with collector_paused():
        analysis = analyze(load(path))
        render.to_json(render.TableView(analysis, estimate(analysis)))


def check(path: str) -> None:
    """What `cnncalc check` computes for one file."""
    from cnncalc.check.files import check_file

    result = check_file(path)
    assert not result.problems, result.problems


def best(times: int, fn: Callable[[], None]) -> tuple[float, float]:
    """The fastest wall time and the least CPU time of `times` runs of fn, in seconds."""
    wall, cpu = [], []
    for _ in range(times):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def exponent(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(time) on log(size)."""
    xs, ys = [math.log(n) for n in sizes], [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="one quick round, for CI")
    args = parser.parse_args()
    sizes = [1000, 5000] if args.smoke else [1000, 5000, 20000]
    repeat = 1 if args.smoke else args.repeat
    shape_json(str(Path(__file__).resolve().parent.parent / "specs" / "vgg16.yaml"))  # imports, warm memos
    print(f"{'form':<12} {'command':<20} " + " ".join(f"{n:>7,}" for n in sizes)
          + "   µs/layer (wall)   exponent: wall  cpu")
    with tempfile.TemporaryDirectory(prefix="cnncalc-scaling-") as workdir:
        for form, write in FORMS.items():
            paths = []
            for n in sizes:
                path = Path(workdir) / f"{form}-{n}.yaml"
                path.write_text(write(n), encoding="utf-8")
                paths.append(str(path))
            for command, fn in (("shape --format json", shape_json), ("check", check)):
                timed = [best(repeat, lambda p=p: fn(p)) for p in paths]  # type: ignore[misc]
                seconds, cpu = [t for t, _ in timed], [c for _, c in timed]
                per_layer = " / ".join(f"{t / n * 1e6:.0f}" for t, n in zip(seconds, sizes))
                print(f"{form:<12} {command:<20} " + " ".join(f"{t:7.3f}" for t in seconds)
                      + f"   {per_layer:<17} {exponent(sizes, seconds):10.2f} {exponent(sizes, cpu):4.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
