"""Which bundled specs torchvision defines, and how to build them: data for tests/test_torchvision.py.

A plain module (no torch import), so that other tests can ask which specs that comparison covers.
"""

from __future__ import annotations

import importlib.util
from typing import Any

# spec name -> (torchvision.models constructor, keyword arguments). The keyword arguments
# drop what the bundled file leaves out (auxiliary heads) or skip slow weight initialisation.
NO_INIT = {"init_weights": False}
TORCHVISION: dict[str, tuple[str, dict[str, Any]]] = {
    "alexnet": ("alexnet", {}),
    "vgg11": ("vgg11", NO_INIT),
    "vgg13": ("vgg13", NO_INIT),
    "vgg16": ("vgg16", NO_INIT),
    "vgg19": ("vgg19", NO_INIT),
    "vgg11_bn": ("vgg11_bn", NO_INIT),
    "vgg13_bn": ("vgg13_bn", NO_INIT),
    "vgg16_bn": ("vgg16_bn", NO_INIT),
    "vgg19_bn": ("vgg19_bn", NO_INIT),
    "resnet18": ("resnet18", {}),
    "resnet34": ("resnet34", {}),
    "resnet50": ("resnet50", {}),
    "resnet101": ("resnet101", {}),
    "resnet152": ("resnet152", {}),
    "resnext50_32x4d": ("resnext50_32x4d", {}),
    "resnext101_32x8d": ("resnext101_32x8d", {}),
    "resnext101_64x4d": ("resnext101_64x4d", {}),
    "wide_resnet50_2": ("wide_resnet50_2", {}),
    "wide_resnet101_2": ("wide_resnet101_2", {}),
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": False}),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}),
    "mobilenet_v2": ("mobilenet_v2", {}),
    "densenet121": ("densenet121", {}),
    "densenet161": ("densenet161", {}),
    "densenet169": ("densenet169", {}),
    "densenet201": ("densenet201", {}),
    "squeezenet1_0": ("squeezenet1_0", {}),
    "squeezenet1_1": ("squeezenet1_1", {}),
    "efficientnet_b0": ("efficientnet_b0", {}),
    "mnasnet0_5": ("mnasnet0_5", {}),
    "mnasnet0_75": ("mnasnet0_75", {}),
    "mnasnet1_0": ("mnasnet1_0", {}),
    "mnasnet1_3": ("mnasnet1_3", {}),
    "regnet_x_400mf": ("regnet_x_400mf", {}),
    "regnet_x_800mf": ("regnet_x_800mf", {}),
    "regnet_x_1_6gf": ("regnet_x_1_6gf", {}),
    "regnet_y_400mf": ("regnet_y_400mf", {}),
    "regnet_y_800mf": ("regnet_y_800mf", {}),
    "regnet_y_1_6gf": ("regnet_y_1_6gf", {}),
    "regnet_x_3_2gf": ("regnet_x_3_2gf", {}),
    "regnet_x_8gf": ("regnet_x_8gf", {}),
    "regnet_x_16gf": ("regnet_x_16gf", {}),
    "regnet_x_32gf": ("regnet_x_32gf", {}),
    "regnet_y_3_2gf": ("regnet_y_3_2gf", {}),
    "regnet_y_8gf": ("regnet_y_8gf", {}),
    "regnet_y_16gf": ("regnet_y_16gf", {}),
    "regnet_y_32gf": ("regnet_y_32gf", {}),
    "regnet_y_128gf": ("regnet_y_128gf", {}),
    "shufflenet_v2_x0_5": ("shufflenet_v2_x0_5", {}),
    "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", {}),
    "shufflenet_v2_x1_5": ("shufflenet_v2_x1_5", {}),
    "shufflenet_v2_x2_0": ("shufflenet_v2_x2_0", {}),
    "convnext_tiny": ("convnext_tiny", {}),
    "convnext_small": ("convnext_small", {}),
    "convnext_base": ("convnext_base", {}),
    # torchvision.models.video, at their 16×112×112 clips
    "r3d_18": ("video.r3d_18", {}),
    "mc3_18": ("video.mc3_18", {}),
    "r2plus1d_18": ("video.r2plus1d_18", {}),
    # family files (specs/efficientnet.yaml, specs/mobilenet_v3.yaml, specs/regnet.yaml): one entry per variant
    "efficientnet_b1": ("efficientnet_b1", {}),
    "efficientnet_b2": ("efficientnet_b2", {}),
    "efficientnet_b3": ("efficientnet_b3", {}),
    "efficientnet_b4": ("efficientnet_b4", {}),
    "efficientnet_b5": ("efficientnet_b5", {}),
    "efficientnet_b6": ("efficientnet_b6", {}),
    "efficientnet_b7": ("efficientnet_b7", {}),
    "mobilenet_v3_small": ("mobilenet_v3_small", {}),
    "mobilenet_v3_large": ("mobilenet_v3_large", {}),
    "efficientnet_v2_s": ("efficientnet_v2_s", {}),
}
# Bundled files that torchvision does not define (Keras's MobileNet v1, the papers' LeNet-5 and U-Net).
NOT_IN_TORCHVISION = {"lenet5", "mobilenet_v1", "unet", "m5", "unet3d"}
# The specs added as torchvision's classification zoo: tests/test_torch.py leaves their translation pass to
# this comparison when torchvision can run (they repeat the structure of the original files, and the pass
# costs ~80 s of CPU).
ZOO = {"vgg11_bn", "vgg13_bn", "vgg19_bn", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
       "wide_resnet50_2", "wide_resnet101_2", "densenet161", "densenet169", "densenet201", "inception_v3",
       "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3", "regnet_x_400mf", "regnet_x_800mf",
       "regnet_x_1_6gf", "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "shufflenet_v2_x0_5",
       "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "convnext_tiny", "convnext_small",
       "convnext_base", "r3d_18", "mc3_18", "r2plus1d_18", "efficientnet_b1", "efficientnet_b2",
       "efficientnet_b3", "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
       "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_v2_s", "regnet_x_3_2gf", "regnet_x_8gf",
       "regnet_x_16gf", "regnet_x_32gf", "regnet_y_3_2gf", "regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf",
       "regnet_y_128gf"}


def missing() -> str | None:
    """Why torchvision's models cannot be built here (None: they can)."""
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed; install torch==2.13.0 to compare against it"
    if importlib.util.find_spec("torchvision") is None:
        return ("torchvision is not installed; `pip install torchvision==0.28.0 --no-deps pillow` to compare the "
                "bundled specs with its models")
    if importlib.util.find_spec("PIL") is None:
        return "torchvision's model modules import Pillow, which is not installed; `pip install pillow`"
    return None
