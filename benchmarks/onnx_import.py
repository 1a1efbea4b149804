"""`cnncalc import` of ONNX files against importing the `onnx` package and loading the same file with it.

The issue's bound: an import costs at most the baseline plus 20 %. Each file runs as a fresh process both ways
(`python -c "import onnx; onnx.load(f)"` and `cnncalc import f -o out.yaml`), interleaved round by round so that
load on the machine hits both alike; the figures are medians of wall time, and the ratio is the median of the
paired ratios. The files are the model zoo the onnx package ships (Caffe2 exports, weights as ConstantOfShape
fills) plus any given on the command line (`.onnx` exports of real models).

    python benchmarks/onnx_import.py                      # the onnx package's zoo, 11 rounds
    python benchmarks/onnx_import.py resnet50.onnx --rounds 21
    python benchmarks/onnx_import.py --smoke              # two rounds, checks only that every import runs
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def zoo() -> list[Path]:
    import onnx

    root = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    return sorted(root.glob("*.onnx"))


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[:500]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--smoke", action="store_true", help="two rounds; check that every import runs")
    args = parser.parse_args()
    cnncalc = shutil.which("cnncalc") or sys.exit("cnncalc is not on PATH; pip install -e . first")
    files = args.files or zoo()
    rounds = 2 if args.smoke else args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "imported.yaml")
        print(f"{'file':<28}{'size':>10}{'onnx.load':>12}{'import':>10}{'ratio':>8}")
        worst = 0.0
        for path in files:
            load = [sys.executable, "-c", f"import onnx; onnx.load({str(path)!r})"]
            base, ours, ratios = [], [], []
            for _ in range(rounds):
                b = timed(load)
                o = timed([cnncalc, "import", str(path), "-o", out])
                base.append(b)
                ours.append(o)
                ratios.append(o / b)
            ratio = statistics.median(ratios)
            worst = max(worst, ratio)
            print(f"{path.name:<28}{path.stat().st_size:>10,}{statistics.median(base) * 1000:>10.0f}ms"
                  f"{statistics.median(ours) * 1000:>8.0f}ms{ratio:>8.2f}")
        print(f"worst ratio {worst:.2f} (bound: 1.20)")


if __name__ == "__main__":
    main()
