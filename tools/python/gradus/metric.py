"""gradus.metric — scores computed in Python become metrics of a complete index (docs/index-format.md,
"Metrics added after indexing"), through the ``gradus metric add`` / ``remove`` commands.

``add(index, name, values)`` writes ``values`` (one number per sample, or per document with
``per="document"``) to a temporary ``.npy`` file next to the index (or in the system's temporary
directory when that is not writable), runs ``gradus metric add`` on it and removes it. A path to a
``.npy`` or JSONL file is passed as it is. The metric can then drive a curriculum like a built-in
one. Needs numpy.
"""

import os
import subprocess
import tempfile

import numpy as np


class MetricCommandError(RuntimeError):
    """``gradus metric`` failed; the message is its standard error."""


def _run(args, gradus):
    binary = gradus or os.environ.get("GRADUS", "gradus")
    result = subprocess.run([os.fspath(binary), "metric", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise MetricCommandError(result.stderr.strip() or "gradus metric %s failed with status %d" % (args[0], result.returncode))
    return result.stdout.strip()


def _scratch_directory(index):
    """The directory that holds ``index`` when it is writable (same filesystem), else None (the
    system's temporary directory)."""
    parent = os.path.dirname(os.path.abspath(os.fspath(index)))
    return parent if os.access(parent, os.W_OK) else None


def add(index, name, values_or_path, *, per="sample", replace=False, gradus=None):
    """Adds the metric ``name`` to the index directory ``index``.

    ``values_or_path``: a 1-D array-like of finite numbers (sample order, or document order with
    ``per="document"``; on a packed index a sample then gets the token-weighted mean of the
    documents it overlaps), or the path of a ``.npy``/JSONL file. ``replace``: overwrite a metric of
    that name added before. ``gradus``: the executable (default ``$GRADUS``, else ``gradus`` on the
    PATH). Returns the command's report line; raises ``MetricCommandError`` with its message.
    """
    if per not in ("sample", "document"):
        raise ValueError("per must be 'sample' or 'document', not %r" % (per,))
    flags = ["--per", per] + (["--replace"] if replace else [])
    if isinstance(values_or_path, (str, bytes, os.PathLike)):
        return _run(["add", os.fspath(index), name, "--from", os.fspath(values_or_path), *flags], gradus)
    values = np.asarray(values_or_path)
    if values.ndim != 1:
        raise ValueError("values must be 1-D (one per %s), not of shape %r" % (per, values.shape))
    if values.dtype.kind not in "iuf":
        raise ValueError("values must be numbers, not %s" % values.dtype)
    if values.dtype.kind == "u" and values.size and values.max() > np.iinfo(np.int64).max:
        raise ValueError("values above 2**63 - 1 cannot be stored exactly")
    values = values.astype("<f8" if values.dtype.kind == "f" else "<i8")
    with tempfile.TemporaryDirectory(prefix=".gradus-metric-", dir=_scratch_directory(index)) as scratch:
        path = os.path.join(scratch, name + ".npy")
        np.save(path, values, allow_pickle=False)
        return _run(["add", os.fspath(index), name, "--from", path, *flags], gradus)


def remove(index, name, *, gradus=None):
    """Removes the metric ``name`` (added before; built-in metrics stay) from ``index``. Returns the
    command's report line; raises ``MetricCommandError`` with its message."""
    return _run(["remove", os.fspath(index), name], gradus)
