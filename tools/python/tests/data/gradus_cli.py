"""Helpers of the gradus.data tests (a module of its own name, so test files can import them
whatever other conftest.py pytest loaded last): the repo root, running the gradus binary, and the
environment of a Python subprocess that imports the gradus package."""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]


def run_gradus(binary, *args):
    """Runs gradus with ``args`` in the repo root; returns stdout (text); fails with its stderr."""
    result = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout


def python_env(**extra):
    """os.environ with tools/python first on PYTHONPATH (pytest's ``pythonpath`` setting reaches
    only this process) and ``extra`` set, for Python subprocesses and torchrun."""
    path = os.pathsep.join(p for p in [str(REPO / "tools/python"), os.environ.get("PYTHONPATH", "")] if p)
    return dict(os.environ, PYTHONPATH=path, **extra)
