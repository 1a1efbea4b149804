"""Memory estimates: weights, gradients, optimizer state and activations, hand-computed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cnncalc.cli.app import app
from cnncalc.core.memory import estimate

from conftest import run

runner = CliRunner()


# -- memory -----------------------------------------------------------------------------------

TINY = """
input: [8, 8, 3]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}   # 8·8·4 = 256 values; 4·27 + 4 = 112 params
  - batchnorm                                   # 256 values; 8 trainable + 8 running statistics
  - flatten                                     # 256 values
  - dense: 10                                   # 10 values; 2,570 params
"""


@pytest.mark.parametrize(
    "batch, dtype, optimizer, weights, gradients, state, activations",
    [
        # params = 112 + 8 + 8 + 2,570 = 2,698 (2,690 trainable); outputs 256 + 256 + 256 + 10 = 778 values
        (1, "float32", "adam", 2_698 * 4, 2_690 * 4, 2 * 2_690 * 4, 778 * 4),
        (32, "float16", "momentum", 2_698 * 2, 2_690 * 2, 2_690 * 2, 32 * 778 * 2),
        (8, "int8", "sgd", 2_698, 2_690, 0, 8 * 778),
        (2, "bfloat16", "adam", 2_698 * 2, 2_690 * 2, 2 * 2_690 * 2, 2 * 778 * 2),
    ],
)
def test_memory_estimate(batch, dtype, optimizer, weights, gradients, state, activations) -> None:
    m = estimate(run(TINY), batch, dtype, optimizer)
    assert (m.weights, m.gradients, m.optimizer_state, m.activations) == (weights, gradients, state, activations)
    assert m.training == weights + gradients + state + activations
    assert m.inference == weights + activations


def test_memory_in_json_and_per_layer() -> None:
    result = runner.invoke(app, ["shape", "vgg16", "-f", "json", "--batch", "4", "--dtype", "float16",
                                 "--optimizer", "sgd"])
    data = json.loads(result.stdout)
    memory = data["memory"]
    assert memory["weights"] == 138_357_544 * 2
    assert memory["optimizer_state"] == 0
    assert memory["activations"] == 4 * sum(layer["memory"] for layer in data["layers"])
    assert data["layers"][0]["memory"] == 224 * 224 * 64 * 2
