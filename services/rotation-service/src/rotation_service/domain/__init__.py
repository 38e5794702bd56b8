"""The scheduler's domain: rotations, members and fair, stable shift allocation (pure Python, no I/O)."""
