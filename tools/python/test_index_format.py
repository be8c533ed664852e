#!/usr/bin/env python3
"""Reads a Gradus index with the PyPI `lmdb` package using only docs/index-format.md, and checks
counts, a sample's tokens and its metric values against an independent numpy computation, and
every checksum of the `checksums` database against the PyPI `xxhash` package.

Usage: test_index_format.py INDEX_DIR   (exit status non-zero on any failure)
Build INDEX_DIR first, e.g. `gradus index corpora/udhr.sample.jsonl.zst --out /tmp/u.idx`.
"""
import json
import math
import struct
import sys

import lmdb
import numpy as np
import xxhash

CHUNK = 8192


CODES = {"megatron": {2: "<i1", 3: "<i2", 4: "<i4", 5: "<i8", 8: "<u2"},
         "deepSpeed": {3: "<i2", 4: "<i4", 5: "<i8", 6: "<u2", 7: "<u4", 8: "<u8"},
         "deepSpeedLegacy": {3: "<i2", 4: "<i4", 5: "<i8", 8: "<u2", 9: "<u4", 10: "<u8"}}


def read_token_items(path, manifest):
    """Every sample's stored token elements (numpy arrays of the file's dtype), in id order, read
    from the Megatron .bin/.idx files the manifest's tokenStore names, as Megatron lays them out."""
    files = []
    for f in manifest["tokenStore"]["files"]:
        prefix = path + "/" + f["prefix"] if f["owned"] else f["prefix"]
        idx = open(prefix + ".idx", "rb").read()
        assert idx[:9] == b"MMIDIDX\x00\x00"
        version, code, count, docs = struct.unpack("<QBQQ", idx[9:34])
        assert version == 1 and len(idx) == 34 + 12 * count + 8 * docs
        dtype = np.dtype(CODES[f["codeTable"]][code])
        sizes = np.frombuffer(idx, "<i4", count, 34)
        pointers = np.frombuffer(idx, "<i8", count, 34 + 4 * count)
        data = open(prefix + ".bin", "rb").read()
        assert len(data) == f["binSize"] and len(idx) == f["idxSize"]
        files.append([np.frombuffer(data, dtype, int(s), int(p)) for s, p in zip(sizes, pointers)])
    items = []
    for seg in manifest["tokenStore"]["segments"]:
        items += files[seg["file"]][seg["firstItem"]:seg["firstItem"] + seg["samples"]]
    return items


def check_checksums(txn, db, manifest, items):
    """Recomputes every checksum as docs/index-format.md "Checksums" defines it."""
    n = manifest["counts"]["samples"]
    per_sample = -(-n // CHUNK)
    sums = {bytes(k).decode(): struct.unpack("<%dQ" % (len(v) // 8), v) for k, v in txn.cursor(db=db("checksums"))}
    meta = db("meta")
    assert list(sums["meta"]) == [xxhash.xxh3_64_intdigest(txn.get(k, db=meta)) for k in (b"format", b"manifest", b"state")]

    def chunked(name, keyed):
        hashers = [xxhash.xxh3_64() for _ in range(per_sample)]
        for i, (key, value) in enumerate(txn.cursor(db=db(name))):
            assert struct.unpack(">Q", key)[0] == i
            h = hashers[i // CHUNK]
            if keyed:
                h.update(key + struct.pack("<I", len(value)))
            h.update(value)
        return [h.intdigest() for h in hashers]

    token_sums = [xxhash.xxh3_64() for _ in range(per_sample)]
    for i, item in enumerate(items):
        token_sums[i // CHUNK].update(item.tobytes())
    expected = {"samples": [h.intdigest() for h in token_sums], "docs": chunked("docs", True)}
    counts = [xxhash.xxh3_64() for _ in range(-(-manifest["tokenizer"]["vocabularySize"] // CHUNK))]
    for key, value in txn.cursor(db=db("counts")):
        counts[struct.unpack(">I", key)[0] // CHUNK].update(key + struct.pack("<I", len(value)) + value)
    expected["counts"] = [h.intdigest() for h in counts]
    if manifest["kind"] != "shard":
        for m in manifest["metrics"]:
            name = m["name"]
            for dense in ("values/", "ranks/"):
                expected[dense + name] = [xxhash.xxh3_64_intdigest(v) for _, v in txn.cursor(db=db(dense + name))]
    if manifest.get("groups"):
        expected["groups"] = [xxhash.xxh3_64_intdigest(v) for _, v in txn.cursor(db=db("groups"))]
    for name, digests in expected.items():
        assert list(sums[name]) == digests, "checksums of %s differ from xxhash's" % name
    assert set(sums) == set(expected) | {"meta"}, sorted(sums)


def check_groups(txn, db, manifest, lengths):
    """`--group-field`: the dense `groups` table (chunk c: per sample of c*8192.., one UInt32 LE
    code per field) names a group of each field for every sample, and the samples and tokens per
    group equal the manifest's `groups`."""
    groups, n = manifest["groups"], manifest["counts"]["samples"]
    assert [g["field"] for g in groups] == manifest["groupFields"]
    fields = len(groups)
    codes = []
    for c, (key, value) in enumerate(txn.cursor(db=db("groups"))):
        assert struct.unpack(">Q", key)[0] == c and len(value) == 4 * fields * min(CHUNK, n - CHUNK * c)
        codes.append(np.frombuffer(value, dtype="<u4").reshape(-1, fields))
    codes = np.concatenate(codes)
    assert codes.shape == (n, fields)
    for f, g in enumerate(groups):
        assert g["names"] == sorted(g["names"]) and codes[:, f].max() < len(g["names"])
        assert np.bincount(codes[:, f], minlength=len(g["names"])).tolist() == g["samples"], g["field"]
        assert np.bincount(codes[:, f], weights=lengths, minlength=len(g["names"])).astype(int).tolist() == g["tokens"]


def main(path):
    env = lmdb.open(path, readonly=True, lock=False, max_dbs=64)
    with env.begin() as txn:
        db = lambda name: env.open_db(name.encode(), txn=txn, create=False)
        meta = db("meta")
        fmt = json.loads(txn.get(b"format", db=meta))
        assert fmt == {"magic": "gradus-index", "version": 4}, fmt
        assert txn.get(b"state", db=meta) == b"complete"
        manifest = json.loads(txn.get(b"manifest", db=meta))
        n = manifest["counts"]["samples"]
        width = manifest["tokenWidth"]
        vocab = manifest["tokenizer"]["vocabularySize"]
        assert width == (2 if vocab < 65500 else 4)
        items = read_token_items(path, manifest)
        assert len(items) == n
        tokens = [item.astype(np.int64) for item in items]
        assert sum(len(t) for t in tokens) == manifest["counts"]["tokens"]
        counts = np.zeros(vocab, dtype=np.int64)
        for key, value in txn.cursor(db=db("counts")):
            counts[struct.unpack(">I", key)[0]] = struct.unpack("<Q", value)[0]
        expected = np.bincount(np.concatenate(tokens), minlength=vocab)
        assert (counts == expected).all(), "counts table differs from the stored tokens"
        names = [m["name"] for m in manifest["metrics"]]
        fixed = np.where(counts == 0, 1, counts).astype(np.float64)
        w = -np.log(fixed / fixed.sum())
        # Format 4: a metric is only its dense values/<m> and ranks/<m> tables (no metric/ or order/ B-trees).
        databases = {bytes(k).decode() for k, _ in txn.cursor()}
        assert not any(d.startswith(("metric/", "order/")) for d in databases), sorted(databases)
        for name in names:
            # values/<m> (sample id -> value) and ranks/<m> (rank -> id, value) as dense arrays in chunks of 8192 entries.
            chunks = -(-n // 8192)
            dense_values, dense_ranks = [], []
            for c, (key, value) in enumerate(txn.cursor(db=db("values/" + name))):
                assert struct.unpack(">Q", key)[0] == c and len(value) == 8 * min(8192, n - 8192 * c)
                dense_values.extend(np.frombuffer(value, dtype="<f8").tolist())
            for c, (key, value) in enumerate(txn.cursor(db=db("ranks/" + name))):
                assert struct.unpack(">Q", key)[0] == c and len(value) == 16 * min(8192, n - 8192 * c)
                rows = np.frombuffer(value, dtype=[("id", "<u8"), ("value", "<f8")])
                dense_ranks.extend(zip(rows["id"].tolist(), rows["value"].tolist()))
            assert txn.stat(db("values/" + name))["entries"] == chunks == txn.stat(db("ranks/" + name))["entries"]
            values = dense_values
            assert len(values) == n
            # The order, recomputed here: every sample once, sorted by (value, sample id).
            assert dense_ranks == sorted(((i, x) for i, x in enumerate(values)), key=lambda p: (p[1], p[0]))
            for i in (0, n // 2, n - 1):
                if name == "seqlen":
                    assert values[i] == len(tokens[i])
                if name == "vocabularyrarity":
                    ref = float(w[tokens[i]].sum())
                    assert abs(values[i] - ref) <= 1e-9 * max(1.0, abs(ref)), (i, values[i], ref)
        docs = db("docs")
        rec = txn.get(struct.pack(">Q", 0), db=docs)
        flags, inp, record, offset = struct.unpack("<BIQQ", rec[:21])
        assert inp < len(manifest["inputs"])
        if manifest.get("groups"):
            check_groups(txn, db, manifest, [len(t) for t in tokens])
        check_checksums(txn, db, manifest, items)
    print(f"ok: {n} samples, metrics {names}")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except AssertionError as e:
        print(f"FAIL: {e!r}", file=sys.stderr)
        sys.exit(1)
