"""Shared fixtures: the gradus binary (``GRADUS``, default ``.build/debug/gradus`` under the repo root),
``gradus schedule --json`` as a list of per-step records, and ``megatron_items``, a Megatron
``.bin/.idx`` dataset read by megatron-core's own reader. The models are tiny, so torch runs on
one thread (on a busy machine more threads only contend)."""

import json
import os
import subprocess
from pathlib import Path

import numpy
import pytest
import torch

REPO = Path(__file__).resolve().parents[3]
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def gradus_binary():
    """Absolute path of the gradus executable; fails (not skips) when it is missing."""
    path = Path(os.environ.get("GRADUS", ".build/debug/gradus"))
    path = path if path.is_absolute() else REPO / path
    assert path.is_file(), f"gradus binary not found at {path} (set GRADUS or build with `swift build`)"
    return path


@pytest.fixture(scope="session")
def schedule(gradus_binary):
    """``schedule(config_path, steps)``: the records of ``gradus schedule CONFIG --steps N --json``."""
    def run(config, steps):
        out = subprocess.run([str(gradus_binary), "schedule", str(config), "--steps", str(steps), "--json"],
                             check=True, capture_output=True, text=True, cwd=REPO).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]
    return run


@pytest.fixture(scope="session")
def megatron_items():
    """``megatron_items(prefix)``: the items of the Megatron dataset ``prefix.bin``/``prefix.idx``
    as megatron-core's own ``IndexedDataset`` reads them (Megatron's dtype codes: 8 = uint16), a
    list of int64 numpy arrays, with the reader's element dtype as ``.dtype`` of the list and its
    ``document_indices`` as ``.documents``. Skips, saying why, when megatron-core cannot be imported
    (``tools/setup.sh`` installs it)."""
    module = pytest.importorskip("megatron.core.datasets.indexed_dataset",
                                 reason="megatron-core is not importable; tools/setup.sh installs megatron-core==0.16.1")

    class Items(list):
        """The items, with the reader's dtype and document boundaries."""

    def read(prefix):
        dataset = module.IndexedDataset(str(prefix), mmap=True)
        items = Items(numpy.array(dataset[i], dtype=numpy.int64) for i in range(len(dataset)))
        items.dtype = numpy.dtype(dataset.index.dtype)
        items.documents = numpy.array(dataset.document_indices, dtype=numpy.int64)
        del dataset
        return items
    return read
