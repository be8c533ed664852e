"""Shared fixtures: the gradus binary (``GRADUS``, default ``.build/debug/gradus`` under the repo root)
and ``gradus schedule --json`` as a list of per-step records. The models are tiny, so torch runs on
one thread (on a busy machine more threads only contend)."""

import json
import os
import subprocess
from pathlib import Path

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
