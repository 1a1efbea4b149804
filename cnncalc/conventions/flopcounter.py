"""torch.utils.flop_counter.FlopCounterMode's FLOPs: 2 per multiply-add of the matrix products (convolutions,
transposed convolutions, mm/addmm/bmm, scaled dot-product attention); bias, normalisation, activations,
pooling and merges are not counted. PyTorch 2.13."""

from __future__ import annotations

from cnncalc.conventions import Convention, learned

CONVENTION = Convention(
    "flopcounter", "FlopCounterMode().get_total_flops()", "torch 2.13.0", "FLOPs",
    lambda layer, context: 2 * layer.out.macs, learned, {
        "convolution": "2 × the multiply-adds (aten.convolution); bias not counted",
        "transposed convolution": "2 × the multiply-adds, per input value (right)",
        "dense": "2 × inputs × units per row (addmm's bias add not counted)",
        "attention": "2 × the projections' and products' multiply-adds (mm, bmm, scaled_dot_product_attention)",
        "parameters": "every parameter of the module",
        "everything else": "nothing (normalisation, activations, pooling, merges)"})
