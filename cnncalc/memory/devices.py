"""Devices `cnncalc memory --device NAME` knows: memory, peak dense FLOP/s per value type, memory bandwidth.

Figures are the vendors' datasheet peaks without sparsity (tensor cores where the type uses them; float32
without TF32), memory as sold (the driver and the CUDA context take some: see `--overhead`). Microcontrollers
give SRAM and flash and no peak: they get a fit, not a time bound. More devices, or other figures, go in the
configuration file (`devices:` in `.cnncalc.yaml`, `[tool.cnncalc.devices]` in pyproject.toml).
"""

from __future__ import annotations

from typing import NamedTuple

GiB, MiB, KiB = 2**30, 2**20, 2**10
T, G = 1e12, 1e9


class Device(NamedTuple):
    """A device's memory (GPU memory, or a microcontroller's SRAM), flash (0: none), peak FLOP/s per value
    type, and memory bandwidth in bytes per second (0: not stated)."""

    name: str
    memory: int
    flops: dict[str, float]
    bandwidth: float
    flash: int = 0
    note: str = ""


def _gpu(name: str, memory_gib: int, tflops: tuple[float, float, float], bandwidth_gb: float, note: str) -> Device:
    """A GPU from its datasheet: memory in GiB, dense TFLOP/s in (float32, float16 and bfloat16, int8), GB/s."""
    fp32, half, int8 = tflops
    return Device(name, memory_gib * GiB, {"float32": fp32 * T, "float16": half * T, "bfloat16": half * T,
                                           "int8": int8 * T}, bandwidth_gb * G, 0, note)


DEVICES: dict[str, Device] = {d.name: d for d in (
    _gpu("h100-sxm", 80, (67.0, 989.4, 1978.9), 3350, "NVIDIA H100 SXM5 80 GB"),
    _gpu("a100-80gb", 80, (19.5, 312.0, 624.0), 2039, "NVIDIA A100 SXM4 80 GB"),
    _gpu("a100-40gb", 40, (19.5, 312.0, 624.0), 1555, "NVIDIA A100 SXM4 40 GB"),
    _gpu("l4", 24, (30.3, 121.0, 242.0), 300, "NVIDIA L4"),
    _gpu("t4", 16, (8.1, 65.0, 130.0), 320, "NVIDIA T4"),
    _gpu("v100-32gb", 32, (15.7, 125.0, 0.0), 900, "NVIDIA V100 SXM2 32 GB (no int8 tensor cores)"),
    _gpu("v100-16gb", 16, (15.7, 125.0, 0.0), 900, "NVIDIA V100 SXM2 16 GB (no int8 tensor cores)"),
    _gpu("rtx4090", 24, (82.6, 165.2, 660.6), 1008, "NVIDIA GeForce RTX 4090 (float16 with float32 accumulation)"),
    _gpu("rtx3090", 24, (35.6, 71.0, 284.0), 936, "NVIDIA GeForce RTX 3090 (float16 with float32 accumulation)"),
    Device("stm32h743", 1024 * KiB, {}, 0, 2048 * KiB, "STM32H743: 1 MiB SRAM in several banks, 2 MiB flash"),
    Device("stm32f746", 320 * KiB, {}, 0, 1024 * KiB, "STM32F746: 320 KiB SRAM, 1 MiB flash"),
    Device("nrf52840", 256 * KiB, {}, 0, 1024 * KiB, "nRF52840: 256 KiB RAM, 1 MiB flash"),
    Device("rp2040", 264 * KiB, {}, 0, 2048 * KiB, "RP2040 (Raspberry Pi Pico): 264 KiB SRAM, 2 MiB external flash"),
    Device("esp32-s3", 512 * KiB, {}, 0, 8192 * KiB, "ESP32-S3: 512 KiB SRAM, 8 MiB flash (module)"),
)}
