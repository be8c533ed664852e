"""gradus — Gradus from Python (docs/pytorch.md).

Importing ``gradus`` imports neither torch nor numpy; every submodule is imported on first use
(``import gradus.data`` or the attribute ``gradus.data``).

- ``gradus.stream``: the binary batch stream of ``gradus batches --format binary`` (version 2),
  from a pipe, a file or a ``gradus`` subprocess whose stderr is reported when it fails.
- ``gradus.data``: ``GradusIterableDataset``, curriculum batches for PyTorch (DataLoader workers,
  ``torch.distributed`` ranks, ``state_dict`` resume).
- ``gradus.index``: ``IndexReader``, an index opened read-only (manifest, metric arrays, tokens).
- ``gradus.schedule``: DeepSpeed's ``random_ltd_schedule`` r(step), the warmup + decay
  learning-rate formula of ``gradus train``, and the reading of a run config's ``random_ltd`` and
  ``gradus.train.lr`` blocks (pure Python).
- ``gradus.metric``: ``add``/``remove`` a metric computed in Python (one value per sample or per
  document) on a complete index, through ``gradus metric add``/``remove``.
- ``gradus.convert``: Parquet and Arrow files (Hugging Face datasets) to the JSONL ``gradus index -``
  reads (``python -m gradus.convert parquet FILE...``), streamed batch by batch with pyarrow.
- ``gradus.torch``: ``RandomLTD`` (random layerwise token dropping over a decoder's layer stack)
  and ``LayerTokenLR`` (the learning rate driven by consumed layer-tokens).
"""

import importlib

_SUBMODULES = ("convert", "data", "index", "metric", "schedule", "stream", "torch")
_EXPORTS = {"GradusIterableDataset": "data", "IndexReader": "index"}
__all__ = list(_SUBMODULES) + list(_EXPORTS)


def __getattr__(name):
    """Imports a submodule, or the module of an exported class, on first attribute access."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
