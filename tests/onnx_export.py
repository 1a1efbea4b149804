"""Export a cnncalc spec to ONNX through PyTorch (the legacy TorchScript exporter, which works offline).

Used by tests/test_import_onnx.py after importorskip("torch") and ("onnx"). The network is built from
the spec by tests/torch_model.py (PyTorch's own modules); large initializers then have their data
replaced by a reference to an external file that is never written: the importer must get every figure from the graph's structure and
the initializers' shapes alone, as it does for real models with external weights.
"""

from __future__ import annotations

import io
import warnings

import onnx
import torch
from torch import nn

from cnncalc.core.analysis import Analysis
from torch_model import build_op, materialise


class SpecNet(nn.Module):
    """The spec's rows as PyTorch modules, named after the rows, wired by the rows' inputs."""

    def __init__(self, analysis: Analysis) -> None:
        super().__init__()
        h, w, c = analysis.input
        self.example = torch.zeros(1, c, h, w)
        self.ops = nn.ModuleDict()
        self.rows: list[tuple[str, str, tuple[str, ...]]] = []
        # Built on the meta device, each op from the shapes of the tensors that reach it; then moved to the CPU
        # for the exporter's own (traced) forward pass, the only one that computes.
        values = {"input": torch.empty(1, c, h, w, device="meta")}
        with torch.no_grad():
            for row in analysis.rows:
                ins = [values[n] for n in row.inputs]
                key = row.name.replace(".", "_")
                self.ops[key] = build_op(row.kind, row.args, [tuple(t.shape) for t in ins], "meta")
                values[row.name] = self.ops[key](*ins)
                self.rows.append((key, row.name, row.inputs))
        materialise(self)
        self.eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {"input": x}
        out = x
        for key, name, inputs in self.rows:
            out = self.ops[key](*[values[n] for n in inputs])
            values[name] = out
        return out


def export(analysis: Analysis, opset: int = 17) -> onnx.ModelProto:
    """The ONNX graph PyTorch exports for the spec, with large initializers' data moved out of the file."""
    net = SpecNet(analysis)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # do_constant_folding=False keeps BatchNormalization nodes (folding merges them into the convs).
        torch.onnx.export(net, (net.example,), buffer, dynamo=False, opset_version=opset,
                          do_constant_folding=False, input_names=["input"], output_names=["output"])
    model = onnx.load_from_string(buffer.getvalue())
    del buffer, net
    externalize(model)
    return model


def externalize(model: onnx.ModelProto, threshold: int = 1024) -> None:
    """Point every initializer of more than `threshold` elements at a (missing) external file instead."""
    offset = 0
    for tensor in model.graph.initializer:
        count = 1
        for d in tensor.dims:
            count *= d
        if count <= threshold:
            continue
        for name in ("raw_data", "float_data", "int64_data", "int32_data", "double_data"):
            tensor.ClearField(name)
        tensor.data_location = onnx.TensorProto.EXTERNAL
        for key, val in (("location", "weights.bin"), ("offset", str(offset)), ("length", str(4 * count))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, val
        offset += 4 * count
