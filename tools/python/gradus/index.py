"""gradus.index — read a Gradus index (docs/index-format.md) from Python, read-only.

``IndexReader`` opens the LMDB environment without its lock file and holds one read transaction
for its lifetime, so metric arrays can be numpy views of LMDB's memory map (the pages a read
transaction sees do not move while it lives). Tokens are read from the index's Megatron
``.bin/.idx`` token files (its own ``tokens.bin/.idx`` and referenced Megatron inputs) through
numpy memory maps. Needs numpy and the PyPI ``lmdb`` package.
"""

import json
import os
import struct

import lmdb
import numpy as np

CHUNK = 8192
"""Entries per `values/<m>` and `ranks/<m>` chunk."""

_RANK = np.dtype([("id", "<u8"), ("value", "<f8")])

_IDX_MAGIC = b"MMIDIDX\x00\x00"
# dtype byte -> numpy dtype, per code table (the `codeTable` a token file records).
_CODES = {
    "megatron": {1: "<u1", 2: "<i1", 3: "<i2", 4: "<i4", 5: "<i8", 8: "<u2"},
    "deepSpeed": {1: "<u1", 2: "<i1", 3: "<i2", 4: "<i4", 5: "<i8", 6: "<u2", 7: "<u4", 8: "<u8"},
    "deepSpeedLegacy": {1: "<u1", 2: "<i1", 3: "<i2", 4: "<i4", 5: "<i8", 8: "<u2", 9: "<u4", 10: "<u8"},
}


class _TokenFile:
    """One Megatron ``.bin/.idx`` pair, memory-mapped: ``item(i)`` is a view of item i."""

    def __init__(self, prefix, code_table):
        with open(prefix + ".idx", "rb") as f:
            header = f.read(34)
        if len(header) < 34 or header[:9] != _IDX_MAGIC:
            raise IndexFormatError("%s.idx: not a Megatron index file" % prefix)
        version, code, count, _docs = struct.unpack("<QBQQ", header[9:34])
        dtype = _CODES.get(code_table, {}).get(code)
        if version != 1 or dtype is None:
            raise IndexFormatError("%s.idx: version %d, dtype code %d (%s table) not readable" % (prefix, version, code, code_table))
        self.count = count
        self.sizes = np.memmap(prefix + ".idx", dtype="<i4", mode="r", offset=34, shape=(count,)) if count else np.empty(0, "<i4")
        self.pointers = (np.memmap(prefix + ".idx", dtype="<i8", mode="r", offset=34 + 4 * count, shape=(count,))
                         if count else np.empty(0, "<i8"))
        self.data = np.memmap(prefix + ".bin", dtype=dtype, mode="r") if os.path.getsize(prefix + ".bin") else np.empty(0, dtype)

    def item(self, i):
        start = int(self.pointers[i]) // self.data.dtype.itemsize
        return self.data[start:start + int(self.sizes[i])]


class IndexFormatError(Exception):
    """Not a complete Gradus index of a known format version."""


class IndexReader:
    """A read-only view of one index: ``manifest``, ``metrics``, ``len()``, per-sample metric
    arrays, the sorted order of a metric, a sample's tokens, and percentiles.

    Arrays returned by ``values``, ``order`` and ``tokens`` may be views of the memory map: they
    are read-only and valid until ``close()`` (copy them to keep them longer). Use as a context
    manager or call ``close()``.
    """

    def __init__(self, path):
        """Opens the index directory ``path`` (no lock file is created or touched, so it also works
        on a read-only copy; nothing may write the index meanwhile)."""
        path = os.fspath(path)
        if not os.path.exists(os.path.join(path, "data.mdb")):
            raise IndexFormatError("%s: no data.mdb (not a Gradus index directory)" % path)
        self._env = lmdb.open(path, readonly=True, lock=False, max_dbs=64)
        self._txn = self._env.begin(buffers=True)
        try:
            meta = self._db("meta")
            fmt = json.loads(bytes(self._txn.get(b"format", db=meta) or b"null"))
            if not isinstance(fmt, dict) or fmt.get("magic") != "gradus-index" or fmt.get("version") != 4:
                raise IndexFormatError("%s: index format %r; this reader knows version 4 (older indexes kept their tokens "
                                       "in LMDB, or their metrics in metric/ and order/ B-trees as well: rebuild them "
                                       "with this gradus)" % (path, fmt))
            state = bytes(self._txn.get(b"state", db=meta) or b"")
            if state != b"complete":
                raise IndexFormatError("%s: index state is %r, not complete" % (path, state.decode(errors="replace")))
            self.manifest = json.loads(bytes(self._txn.get(b"manifest", db=meta)))
        except BaseException:
            self.close()
            raise
        self.path = path
        self.metrics = [m["name"] for m in self.manifest.get("metrics", [])]
        self._dbs = {}
        store = self.manifest["tokenStore"]
        self._files = []
        for f in store["files"]:
            prefix = os.path.join(path, f["prefix"]) if f["owned"] else f["prefix"]
            for ext, key in ((".bin", "binSize"), (".idx", "idxSize")):
                size = os.path.getsize(prefix + ext) if os.path.exists(prefix + ext) else None
                if size != f.get(key):
                    raise IndexFormatError("%s: token file %s%s is %s bytes, the index recorded %s (changed or missing)"
                                           % (path, prefix, ext, size, f.get(key)))
            self._files.append(_TokenFile(prefix, f["codeTable"]))
        self._segments = store["segments"]
        self._starts = np.cumsum([0] + [s["samples"] for s in self._segments])

    def _db(self, name):
        return self._env.open_db(name.encode(), txn=self._txn, create=False)

    def _named(self, name):
        if name not in self._dbs:
            try:
                self._dbs[name] = self._db(name)
            except lmdb.NotFoundError:
                self._dbs[name] = None
        return self._dbs[name]

    def __len__(self):
        return int(self.manifest["counts"]["samples"])

    def _metric(self, name):
        if name not in self.metrics:
            raise KeyError("no metric %r in this index (it has %s)" % (name, ", ".join(self.metrics) or "none"))
        return name

    def _dense(self, table, dtype):
        """The chunks of `table` as one array: a view when it is a single chunk, else a copy."""
        db = self._named(table)
        if db is None:
            raise IndexFormatError("no database %r in this index" % table)
        parts = [np.frombuffer(value, dtype=dtype) for _, value in self._txn.cursor(db=db)]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    def values(self, metric):
        """Float64 (N,) array: the metric's value of each sample, by sample id. From
        ``values/<m>``: zero-copy when the index has at most 8192 samples (one chunk), else one
        copy."""
        self._metric(metric)
        return self._dense("values/" + metric, "<f8")

    def order(self, metric):
        """(sample ids uint64, values float64), both (N,), sorted by (value, sample id): rank r is
        the r-th easiest sample. From ``ranks/<m>`` (zero-copy for one chunk)."""
        self._metric(metric)
        dense = self._dense("ranks/" + metric, _RANK)
        return dense["id"], dense["value"]

    def tokens(self, sample_id):
        """The token ids of sample ``sample_id`` (an integer array, a view of the token file's map:
        uint16 or int32 for the index's own files, the input's dtype for a referenced one)."""
        if not 0 <= sample_id < len(self):
            raise IndexError("sample id %d out of range 0..<%d" % (sample_id, len(self)))
        k = int(np.searchsorted(self._starts, sample_id, side="right")) - 1
        segment = self._segments[k]
        return self._files[segment["file"]].item(segment["firstItem"] + sample_id - int(self._starts[k]))

    def percentile(self, metric, value):
        """The percentage (0–100) of samples whose ``metric`` is ≤ ``value`` (NaN values count
        as above every value)."""
        _, sorted_values = self.order(metric)
        return 100.0 * np.searchsorted(sorted_values, value, side="right") / max(1, len(self))

    def value_at(self, metric, p):
        """The value at integer percentile ``p`` as ``gradus info`` reports it: the value of rank
        ⌊p · (n − 1) / 100⌋ among the n non-NaN values (a value that occurs)."""
        _, sorted_values = self.order(metric)
        finite = sorted_values[~np.isnan(sorted_values)]
        return float(finite[int(p) * (len(finite) - 1) // 100])

    def close(self):
        """Ends the read transaction and closes the environment; views handed out become invalid."""
        if getattr(self, "_txn", None) is not None:
            self._txn.abort()
            self._txn = None
        if getattr(self, "_env", None) is not None:
            self._env.close()
            self._env = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
