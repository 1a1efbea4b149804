"""Folding rows by depth (blocks and repeats), as `shape --depth` shows them."""

from __future__ import annotations



from cnncalc.core.analysis import analyze
from cnncalc.shape.render import fold
from cnncalc.core.spec import load

from conftest import SPECS



# -- folding --------------------------------------------------------------------------------

def test_resnet152_folds_to_one_screen_and_sums_groups() -> None:
    analysis = analyze(load(str(SPECS / "resnet152.yaml")))
    default = fold(analysis, 1)
    assert len(default) <= 20
    top = fold(analysis, 0)
    assert [r.name for r in top if r.name.startswith("layer")] == ["layer1", "layer2", "layer3", "layer4"]
    assert sum(r.params for r in top) == analysis.totals.params
    assert sum(r.macs for r in default) == analysis.totals.macs
    assert len(fold(analysis, None)) == len(analysis.rows)
    layer3 = next(r for r in top if r.name == "layer3")
    assert layer3.output == (14, 14, 1024) and layer3.kind == "stage"
