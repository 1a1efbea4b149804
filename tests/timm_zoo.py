"""Which bundled specs are timm's or Ultralytics' models, and how to build them: data for tests/test_timm.py.

A plain module (no torch import), so that other tests can ask which specs that comparison covers.
"""

from __future__ import annotations

import importlib.util

# spec name -> (timm model name, input height and width). Built with pretrained=False: no weights downloaded.
TIMM: dict[str, tuple[str, int]] = {
    "nf_resnet50": ("nf_resnet50", 224),
    "repvgg_a0": ("repvgg_a0", 224),
    "ghostnet_100": ("ghostnet_100", 224),
    "rexnet_100": ("rexnet_100", 224),
    "ese_vovnet19b_dw": ("ese_vovnet19b_dw", 224),
    "mobileone_s0": ("mobileone_s0", 224),
    "dla34": ("dla34", 224),
    "dpn68": ("dpn68", 224),
    "mobilevit_xs": ("mobilevit_xs", 256),
    "tresnet_m": ("tresnet_m", 224),
    "hrnet_w18_small": ("hrnet_w18_small", 224),
}
# spec name -> (Ultralytics model file, input height and width): the detection model without its weights.
ULTRALYTICS: dict[str, tuple[str, int]] = {
    "yolov8n": ("yolov8n.yaml", 640),
}


def missing(package: str) -> str | None:
    """Why the models of `package` (timm or ultralytics) cannot be built here (None: they can)."""
    if importlib.util.find_spec("torch") is None:
        return "PyTorch is not installed; install torch==2.13.0 to compare against it"
    if importlib.util.find_spec(package) is None:
        how = "pip install timm==1.0.31" if package == "timm" else "pip install ultralytics==8.4.*"
        return f"{package} is not installed; `{how}` to compare the bundled specs with its models"
    return None
