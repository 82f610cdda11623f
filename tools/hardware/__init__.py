"""Accelerators: the GPU catalog, fitting a model on devices, and speed estimates."""
