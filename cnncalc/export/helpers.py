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
    "SeparableConv": '''
class SeparableConv(nn.Module):
    """Keras SeparableConv: an unbiased depthwise convolution, then a pointwise one carrying the bias."""

    def __init__(self, in_channels, filters, kernel, stride=1, padding=0, dilation=1, multiplier=1, bias=True,
                 rank=2):
        super().__init__()
        conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[rank]
        self.depthwise = conv(in_channels, in_channels * multiplier, kernel, stride, padding, dilation,
                              groups=in_channels, bias=False)
        self.pointwise = conv(in_channels * multiplier, filters, 1, bias=bias)

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
    "ChannelLayerNorm": '''
class ChannelLayerNorm(nn.LayerNorm):
    """nn.LayerNorm over the channels at each position of a channels-first tensor (torchvision's LayerNorm2d)."""

    def forward(self, x):
        x = x.movedim(1, -1)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps).movedim(-1, 1)
''',
    "LayerScale": '''
class LayerScale(nn.Module):
    """A learnable factor per channel (ConvNeXt's layer scale, CaiT's LayerScale)."""

    def __init__(self, channels, init=1e-6):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((channels,), init))

    def forward(self, x):
        return x * self.gamma.view(-1, *[1] * (x.dim() - 2))
''',
    "ChannelShuffle": '''
class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: view the channels as groups x (C / groups) and transpose."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c = x.shape[:2]
        rest = x.shape[2:]
        return x.reshape(n, self.groups, c // self.groups, *rest).transpose(1, 2).reshape(n, c, *rest)
''',
    "Channels": '''
class Channels(nn.Module):
    """Channels start to stop - 1 (stop None: the last), or part `index` of `parts` equal parts."""

    def __init__(self, start=0, stop=None, parts=None, index=0):
        super().__init__()
        self.start, self.stop, self.parts, self.index = start, stop, parts, index

    def forward(self, x):
        if self.parts is not None:
            size = x.shape[1] // self.parts
            return x[:, self.index * size:(self.index + 1) * size]
        return x[:, self.start:self.stop]
''',
    "StochasticDepth": '''
class StochasticDepth(nn.Module):
    """Drops the whole residual branch of a sample with probability `rate` in training (torchvision's "row")."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if not self.training or self.rate == 0.0:
            return x
        keep = 1.0 - self.rate
        mask = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * mask / keep
''',
    "Attention": '''
class Attention(nn.Module):
    """Multi-head self-attention over the positions of a channels-first map (q, k, v: channels -> dim)."""

    def __init__(self, channels, heads, dim=None, bias=True):
        super().__init__()
        dim = channels if dim is None else dim
        self.heads = heads
        if dim == channels:  # PyTorch's own module and parameter names
            self.attention = nn.MultiheadAttention(channels, heads, bias=bias, batch_first=True)
        else:
            self.qkv = nn.Linear(channels, 3 * dim, bias=bias)
            self.proj = nn.Linear(dim, channels, bias=bias)

    def forward(self, x):
        n, c = x.shape[:2]
        rest = x.shape[2:]
        tokens = x.flatten(2).transpose(1, 2)  # N x positions x C
        if hasattr(self, "attention"):
            # nn.MultiheadAttention's computation without its fused inference path, which FLOP counters miss.
            a, seq = self.attention, tokens.transpose(0, 1)
            out = F.multi_head_attention_forward(
                seq, seq, seq, a.embed_dim, a.num_heads, a.in_proj_weight, a.in_proj_bias, None, None, False, 0.0,
                a.out_proj.weight, a.out_proj.bias, training=self.training, need_weights=True)[0].transpose(0, 1)
        else:
            q, k, v = self.qkv(tokens).unflatten(-1, (3, self.heads, -1)).permute(2, 0, 3, 1, 4)
            weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
            out = self.proj((weights @ v).transpose(1, 2).flatten(2))
        return out.transpose(1, 2).reshape(n, c, *rest)
''',
    "Rescaling": '''
class Rescaling(nn.Module):
    """x * scale + offset (Keras Rescaling): no weights."""

    def __init__(self, scale, offset=0.0):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x):
        return x * self.scale + self.offset
''',
    "Normalization": '''
class Normalization(nn.Module):
    """Keras Normalization per channel: (x - mean) / sqrt(variance); adapted, mean/variance/count are buffers."""

    def __init__(self, channels, adapt=True):
        super().__init__()
        # Keras keeps these as non-trainable weights once adapted; otherwise they are constants (not saved).
        self.register_buffer("mean", torch.zeros(channels), persistent=adapt)
        self.register_buffer("variance", torch.ones(channels), persistent=adapt)
        if adapt:
            self.register_buffer("count", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        shape = (-1, *[1] * (x.dim() - 2))
        return (x - self.mean.view(shape)) / torch.sqrt(self.variance.view(shape).clamp(min=1e-7))
''',
}
