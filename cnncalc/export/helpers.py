"""Source of the small modules an exported file defines for what PyTorch has no module for.

Each helper is a constant text written once into the exported file when a layer needs it; none
contains anything from the spec.
"""

from __future__ import annotations

HELPERS: dict[str, str] = {
    "SamePad": '''
class SamePad(nn.Module):
    """TensorFlow's `same` padding: out = ceil(in / stride), the odd pixel at the end (bottom, right)."""

    def __init__(self, kernel, stride, dilation=1, value=0.0):
        super().__init__()
        self.kernel = nn.modules.utils._pair(kernel)
        self.stride = nn.modules.utils._pair(stride)
        self.dilation = nn.modules.utils._pair(dilation)
        self.value = value

    def forward(self, x):
        pads = []
        for size, k, s, d in zip(reversed(x.shape[2:]), reversed(self.kernel), reversed(self.stride),
                                 reversed(self.dilation)):
            size = int(size)  # a constant when traced (torch.onnx.export), not a Shape operator
            total = max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)
            pads += [total // 2, total - total // 2]
        return F.pad(x, pads, value=self.value)
''',
    "Padding": '''
class Padding(nn.Module):
    """cnncalc's padding forms, read at run time: a number, [h, w], [top, bottom, left, right], same, valid."""

    def __init__(self, padding, kernel, stride=1, dilation=1, value=0.0):
        super().__init__()
        self.same = SamePad(kernel, stride, dilation, value) if padding == "same" else None
        if padding == "valid":
            padding = 0
        if isinstance(padding, int):
            padding = [padding] * 4
        elif len(padding) == 2:
            padding = [padding[0], padding[0], padding[1], padding[1]]
        self.pads = tuple(padding[2:]) + tuple(padding[:2]) if self.same is None else None
        self.value = value

    def forward(self, x):
        if self.same is not None:
            return self.same(x)
        return F.pad(x, self.pads, value=self.value)
''',
    "Pad": '''
class Pad(nn.Module):
    """Constant padding (left, right, top, bottom) with a fill value (-inf before a max pool)."""

    def __init__(self, left, right, top, bottom, value=0.0):
        super().__init__()
        self.pads = (left, right, top, bottom)
        self.value = value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value)
''',
    "Crop": '''
class Crop(nn.Module):
    """Remove (top, bottom, left, right) pixels, like Keras Cropping2D."""

    def __init__(self, top, bottom, left, right):
        super().__init__()
        self.crop = (top, bottom, left, right)

    def forward(self, x):
        t, b, l, r = self.crop
        return x[:, :, t:x.shape[2] - b, l:x.shape[3] - r]
''',
    "SeparableConv2d": '''
class SeparableConv2d(nn.Module):
    """Keras SeparableConv2D: an unbiased depthwise convolution, then a 1x1 convolution carrying the bias."""

    def __init__(self, in_channels, filters, kernel, stride=1, padding=0, dilation=1, multiplier=1, bias=True):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels * multiplier, kernel, stride, padding, dilation,
                                   groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels * multiplier, filters, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))
''',
    "Add": '''
class Add(nn.Module):
    """Element-wise sum of the inputs."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out
''',
    "Multiply": '''
class Multiply(nn.Module):
    """Element-wise product of the inputs (a N x C x 1 x 1 gate broadcasts over the map)."""

    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out
''',
    "Concat": '''
class Concat(nn.Module):
    """Concatenation along channels (dimension 1: channels-first)."""

    def forward(self, *xs):
        return torch.cat(xs, dim=1)
''',
}
