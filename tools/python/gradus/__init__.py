"""gradus — Gradus from Python (docs/pytorch.md).

Importing ``gradus`` imports neither torch nor numpy; the PyTorch parts live in
``gradus.torch`` and are imported on first use (``import gradus.torch`` or ``gradus.torch``).

- ``gradus.schedule``: DeepSpeed's ``random_ltd_schedule`` r(step), the warmup + decay
  learning-rate formula of ``gradus train``, and the reading of a run config's ``random_ltd`` and
  ``gradus.train.lr`` blocks (pure Python).
- ``gradus.torch``: ``RandomLTD`` (random layerwise token dropping over a decoder's layer stack)
  and ``LayerTokenLR`` (the learning rate driven by consumed layer-tokens).
"""

import importlib

__all__ = ["schedule", "torch"]


def __getattr__(name):
    """Imports the submodules ``schedule`` and ``torch`` lazily, on first attribute access."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
