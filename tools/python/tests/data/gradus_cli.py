"""Helpers of the gradus.data tests (a module of its own name, so test files can import them
whatever other conftest.py pytest loaded last): the repo root and running the gradus binary."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]


def run_gradus(binary, *args):
    """Runs gradus with ``args`` in the repo root; returns stdout (text); fails with its stderr."""
    result = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout
