"""PyTorch runtime checks; the public API is :mod:`lintnn.torch`."""
