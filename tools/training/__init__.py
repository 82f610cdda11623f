"""Training: memory per GPU and compute (FLOPs, GPU-hours)."""
