"""Source of the small modules an exported file defines for what PyTorch has no module for.

Each helper is a constant text written once into the exported file when a layer needs it; none
contains anything from the spec. The padding helpers every window kind shares are here; a kind's own
helpers live with the kind (`Kind.helpers`) and are gathered into `HELPERS` in registry order.
"""

from __future__ import annotations

from cnncalc.core.kinds import KINDS

_SHARED: dict[str, str] = {
    "SamePad": '''
class SamePad(nn.Module):
    """TensorFlow's `same` padding: out = ceil(in / stride), the odd pixel at the end (bottom, right)."""

    def __init__(self, kernel, stride, dilation=1, value=0.0):
        super().__init__()
        self.kernel, self.stride, self.dilation, self.value = kernel, stride, dilation, value

    def forward(self, x):
        rank = x.dim() - 2
        per_axis = [v if isinstance(v, (tuple, list)) else (v,) * rank
                    for v in (self.kernel, self.stride, self.dilation)]
        pads = []
        for size, k, s, d in zip(reversed(x.shape[2:]), *(reversed(v) for v in per_axis)):
            size = int(size)  # a constant when traced (torch.onnx.export), not a Shape operator
            total = max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)
            pads += [total // 2, total - total // 2]
        return F.pad(x, pads, value=self.value)
''',
    "Padding": '''
class Padding(nn.Module):
    """cnncalc's padding forms, read at run time: a number, one per axis, (begin, end) per axis, same, valid."""

    def __init__(self, padding, kernel, stride=1, dilation=1, value=0.0):
        super().__init__()
        self.same = SamePad(kernel, stride, dilation, value) if padding == "same" else None
        self.padding = 0 if padding == "valid" else padding
        self.value = value

    def forward(self, x):
        if self.same is not None:
            return self.same(x)
        rank, padding = x.dim() - 2, self.padding
        if isinstance(padding, int):
            padding = [padding] * rank
        if len(padding) == rank:
            padding = [p for p in padding for _ in (0, 1)]
        pairs = [padding[i:i + 2] for i in range(0, len(padding), 2)]
        return F.pad(x, [p for pair in reversed(pairs) for p in pair], value=self.value)
''',
    "Pad": '''
class Pad(nn.Module):
    """Constant padding in F.pad's order (last axis first: left, right, top, bottom, ...) with a fill value."""

    def __init__(self, pads, value=0.0):
        super().__init__()
        self.pads = tuple(pads)
        self.value = value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value)
''',
    "Crop": '''
class Crop(nn.Module):
    """Remove (begin, end) positions per spatial axis, in order (top, bottom, left, right in 2-D), like Keras."""

    def __init__(self, *crop):
        super().__init__()
        self.crop = crop

    def forward(self, x):
        index = [slice(None), slice(None)]
        for axis in range(x.dim() - 2):
            begin, end = self.crop[2 * axis], self.crop[2 * axis + 1]
            index.append(slice(begin, x.shape[axis + 2] - end))
        return x[tuple(index)]
''',
}

_SHARED["fixed"] = '''
def fixed(module):
    """The module with its parameters made buffers: constant weights (a fixed blur filter), never trained."""
    for m in list(module.modules()):
        for name, p in list(m.named_parameters(recurse=False)):
            delattr(m, name)
            m.register_buffer(name, p.detach().clone())
    return module
'''

HELPERS: dict[str, str] = {**_SHARED}
for _kind in KINDS.values():
    for _name, _source in _kind.helpers:
        if HELPERS.setdefault(_name, _source) != _source:
            raise AssertionError(f"two helper classes are named {_name}")  # a registry error, found at import
