"""Exporters: an analysed spec written as code for another framework (PyTorch)."""
