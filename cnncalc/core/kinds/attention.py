"""Multi-head self-attention over the positions of a feature map (or a sequence).

Each kind here is one unit: what it computes (shape, parameters, multiply-adds, receptive field),
how `explain` works it out, how `export` writes it as PyTorch, and its diagram category.
"""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING

from cnncalc.core import formulas as F
from cnncalc.core.kinds.args import Arg, boolean, pair, positive_int
from cnncalc.core.kinds.base import Call, Kind, LayerOut, whole
from cnncalc.core.quantities import fmt_shape

if TYPE_CHECKING:
    from cnncalc.export.emit import Emit


# --- what each kind computes ---------------------------------------------------------------------

def _attention(call: Call) -> LayerOut:
    shape = call.inputs[0]
    if len(shape) < 2:
        call.feature_map()
    c, a = shape[-1], call.args
    dim = a["dim"] if a["dim"] is not None else c
    if dim % a["heads"]:
        what = "the attention dim" if a["dim"] is not None else "the input channels"
        raise call.fail("invalid-groups", f"heads={a['heads']} does not divide {what} ({dim}); choose a divisor "
                        f"of {dim}", "heads")
    n = F.positions(shape[:-1])
    sequences = 1
    if a["patch"] is not None:  # MobileViT: each pixel of a patch attends over the same pixel of every patch
        patch = call.per_axis("patch", len(shape) - 1)
        if len(shape) < 2 or any(size % p for size, p in zip(shape[:-1], patch)):
            raise call.fail("invalid-value", f"patch {'×'.join(map(str, patch))} does not divide the "
                            f"{fmt_shape(shape[:-1])} positions; choose a patch that divides them (MobileViT "
                            "resizes the map to a multiple first)", "patch")
        sequences = prod(patch)
    weights = ((c, 3 * dim), (dim, c))
    return LayerOut(shape, trainable=F.attention_params(c, dim, a["bias"]), macs=F.attention_macs(n, c, dim, sequences),
                    weights=weights, rf=whole(shape))


def _sdpa(call: Call) -> LayerOut:
    # Attention's products alone (PyTorch's scaled_dot_product_attention), q, k and v taken from the channels:
    # per head, key_dim of q, key_dim of k and the rest v, as Ultralytics' Attention views its qkv convolution
    shape = call.inputs[0]
    if len(shape) < 2:
        call.feature_map()
    c, heads, key_dim = shape[-1], call.args["heads"], call.args["key_dim"]
    if c % heads or c // heads <= 2 * key_dim:
        raise call.fail("invalid-channels", f"{c} channels do not make {heads} heads of q and k ({key_dim} each) and "
                        f"v: each head needs more than {2 * key_dim} channels, and heads must divide {c}", "heads")
    value_dim = c // heads - 2 * key_dim
    n, areas = F.positions(shape[:-1]), call.args["areas"]
    if n % areas:
        raise call.fail("invalid-value", f"areas={areas} does not divide the {n:,} positions; choose a divisor",
                        "areas")
    # YOLO12's area attention: the positions, in order, split into `areas` runs that attend within themselves
    return LayerOut(shape[:-1] + (heads * value_dim,), macs=n * (n // areas) * heads * (key_dim + value_dim),
                    rf=whole(shape))


# --- as PyTorch ----------------------------------------------------------------------------------

def _emit_attention(e: Emit) -> tuple[str, str]:
    e.helpers.add("Attention")
    dim = "" if e.layer.args["dim"] is None and "dim" not in e.exprs else f", dim={e.code('dim')}"
    patch = "" if e.layer.args["patch"] is None and "patch" not in e.exprs else f", patch={e.pair('patch')}"
    return (f"Attention({e.channels[0]}, {e.code('heads')}{dim}{e.kw('bias', e.code('bias'), 'True')}{patch})",
            e.channels[0])


ATTENTION = '''
class Attention(nn.Module):
    """Multi-head self-attention over the positions of a channels-first map (q, k, v: channels -> dim)."""

    def __init__(self, channels, heads, dim=None, bias=True, patch=None):
        super().__init__()
        dim = channels if dim is None else dim
        self.heads = heads
        self.patch = patch  # MobileViT: each pixel of a patch attends over the same pixel of every patch
        if dim == channels:  # PyTorch's own module and parameter names
            self.attention = nn.MultiheadAttention(channels, heads, bias=bias, batch_first=True)
        else:
            self.qkv = nn.Linear(channels, 3 * dim, bias=bias)
            self.proj = nn.Linear(dim, channels, bias=bias)

    def forward(self, x):
        if self.patch is not None:  # pixels of each patch become sequences of their own (MobileViT's unfold)
            p = [self.patch] * (x.dim() - 2) if isinstance(self.patch, int) else list(self.patch)
            n, c, *sizes = x.shape
            split = [d for size, q in zip(sizes, p) for d in (size // q, q)]
            order = [0] + [3 + 2 * i for i in range(len(p))] + [1] + [2 + 2 * i for i in range(len(p))]
            seq = x.reshape(n, c, *split).permute(*order).reshape(-1, c, *[s // q for s, q in zip(sizes, p)])
            out = self._attend(seq).reshape(n, *p, c, *[s // q for s, q in zip(sizes, p)])
            back = [0, len(p) + 1] + [i for pair in zip(range(len(p) + 2, 2 * len(p) + 2), range(1, len(p) + 1))
                                      for i in pair]
            return out.permute(*back).reshape(n, c, *sizes)
        return self._attend(x)

    def _attend(self, x):
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
'''

def _emit_sdpa(e: Emit) -> tuple[str, str]:
    e.helpers.add("DotProductAttention")
    outputs = {other.output[-1] for other in e.instances}
    if len(outputs) != 1:
        raise e.fail("sdpa gives different widths in different uses of its block; write it outside the block")
    return (f"DotProductAttention({e.code('heads')}, {e.code('key_dim')}{e.kw('areas', e.code('areas'), '1')})",
            e.literal(outputs.pop()))


DOT_PRODUCT_ATTENTION = '''
class DotProductAttention(nn.Module):
    """Attention's products alone: per head, key_dim channels of q, key_dim of k, the rest v (Ultralytics' layout)."""

    def __init__(self, heads, key_dim, areas=1):
        super().__init__()
        self.heads, self.key_dim, self.areas = heads, key_dim, areas  # areas: runs of positions attending apart

    def forward(self, x):
        n, c, *sizes = x.shape
        value_dim = c // self.heads - 2 * self.key_dim
        runs = x.reshape(n, c, self.areas, -1).transpose(1, 2).reshape(n * self.areas, c, -1)
        q, k, v = runs.reshape(n * self.areas, self.heads, c // self.heads, -1).split(
            [self.key_dim, self.key_dim, value_dim], dim=2)
        weights = ((q * self.key_dim ** -0.5).transpose(-2, -1) @ k).softmax(dim=-1)
        out = (v @ weights.transpose(-2, -1)).reshape(n, self.areas, self.heads * value_dim, -1)
        return out.transpose(1, 2).reshape(n, self.heads * value_dim, *sizes)
'''

KINDS = [
    Kind("attention", _attention, {"heads": Arg(positive_int), "dim": Arg(positive_int, None, "channels"),
                                   "bias": Arg(boolean, True), "patch": Arg(pair, None)}, "heads", ("mhsa",),
         summary="multi-head self-attention over the positions", emit=_emit_attention,
         helpers=(("Attention", ATTENTION),),
         tensors=lambda call: 2 + 2 * int(call.args["bias"])),  # the q, k, v and output projections, and biases
    Kind("sdpa", _sdpa, {"heads": Arg(positive_int), "key_dim": Arg(positive_int), "areas": Arg(positive_int, 1)},
         "heads",
         summary="attention's products alone, q, k, v split from the channels per head (no weights)",
         emit=_emit_sdpa, helpers=(("DotProductAttention", DOT_PRODUCT_ATTENTION),)),
]
