"""sizes: one expansion, then each size recomputes the resolved layers; real errors are raised."""

from __future__ import annotations

import time

import pytest

from cnncalc.catalog.bundled import read_spec
from cnncalc.core.expand import Expander
from cnncalc.core.problems import SpecError
from cnncalc.sizes.scan import scan, try_size
from cnncalc.core.spec import loads


def test_a_20000_layer_file_scans_in_seconds_with_progress() -> None:
    spec = loads("input: [64, 64, 3]\nlayers:\n  - conv: {filters: 8, kernel: 3, padding: 1, repeat: 19999}\n")
    calls: list[tuple[int, int]] = []
    start = time.perf_counter()
    verdicts = scan(spec, 32, 1024, progress=lambda done, total: calls.append((done, total)))
    assert time.perf_counter() - start < 20  # was minutes: the network was expanded again for each size
    assert len(verdicts) == 993 and all(v.clean for v in verdicts)
    assert calls[0] == (1, 993) and calls[-1] == (993, 993)


def test_a_shrinking_repeat_is_not_taken_for_a_fixed_point() -> None:
    spec = loads("input: [64, 64, 3]\nlayers:\n  - conv: {filters: 3, kernel: 3, repeat: 20}\n"
                 "  - maxpool: 2\n")
    verdicts = {v.input[0]: v for v in scan(spec, 40, 46)}
    assert verdicts[44].clean and not verdicts[43].clean  # 44 − 40 = 4 is even, 43 − 40 = 3 is not
    assert verdicts[40].problem is not None and verdicts[40].problem.rule == "kernel-too-large"


def test_a_file_that_does_not_analyse_raises_its_error() -> None:
    spec = loads("input: [32, 32, 3]\nlayers:\n  - rleu\n")
    with pytest.raises(SpecError) as caught:
        scan(spec, 32, 64)
    assert caught.value.problem.rule == "unknown-kind"
    assert try_size(spec, (64, 64, 3)).problem.rule == "unknown-kind"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "unet", "alexnet", "densenet121", "squeezenet1_0"])
def test_scan_agrees_with_a_full_analysis_at_each_size(name: str) -> None:
    spec = read_spec(name)  # a bundled name: densenet121 is a variant of densenet.yaml
    for verdict in scan(spec, 60, 100, 7):
        expander = Expander(spec)  # the reference: expand at this size, the first uneven layer or error wins
        try:
            expander.run(verdict.input)
            expected = expander.first_uneven
        except SpecError as exc:
            expected = expander.first_uneven or exc.problem
        assert verdict.problem == expected, verdict.input
