"""The index's token store (format 3, docs/index-format.md "Token store") read by megatron-core's
own ``IndexedDataset``: the index's ``tokens.bin/.idx`` are a Megatron document dataset whose
items are the samples ``gradus dump`` prints, and an unpacked Megatron input is referenced in place
(its items are the samples; nothing is copied), or copied with ``--copy``."""

import json
import subprocess

import numpy as np

from conftest import REPO


def dump_tokens(gradus, index):
    out = subprocess.run([str(gradus), "dump", str(index), "--tokens"], check=True, capture_output=True, text=True).stdout
    return [json.loads(line)["tokens"] for line in out.splitlines()]


def manifest(index):
    import lmdb
    env = lmdb.open(str(index), readonly=True, lock=False, max_dbs=64)
    with env.begin() as txn:
        m = json.loads(txn.get(b"manifest", db=env.open_db(b"meta", txn=txn, create=False)))
    env.close()
    return m


def test_own_token_files_are_a_megatron_dataset_of_the_samples(gradus_binary, megatron_items, tmp_path):
    index = tmp_path / "u.idx"
    subprocess.run([str(gradus_binary), "index", str(REPO / "corpora/udhr.sample.jsonl.zst"), "--tokenizer",
                    str(REPO / "corpora/tokenizer.json"), "--pack", "64", "--out", str(index)], check=True, capture_output=True)
    items = megatron_items(str(index / "tokens"))
    expected = dump_tokens(gradus_binary, index)
    assert len(items) == len(expected) > 1000
    assert all(list(a) == b for a, b in zip(items, expected))
    assert items.dtype == np.uint16                      # vocabulary 8 192 < 65 500: Megatron's uint16 (code 8)
    assert list(items.documents) == list(range(len(expected) + 1))  # one document per sample


def test_megatron_input_is_referenced_and_copy_stores_the_same(gradus_binary, megatron_items, tmp_path):
    # A Megatron dataset written by megatron-core's own builder.
    from megatron.core.datasets.indexed_dataset import IndexedDatasetBuilder
    import torch
    rng = np.random.default_rng(3)
    docs = [rng.integers(0, 1000, size=int(rng.integers(1, 50))) for _ in range(200)]
    prefix = tmp_path / "mc"
    builder = IndexedDatasetBuilder(str(prefix) + ".bin", dtype=np.uint16)
    for d in docs:
        builder.add_item(torch.tensor(d, dtype=torch.int64))
        builder.end_document()
    builder.finalize(str(prefix) + ".idx")
    for copy in (False, True):
        index = tmp_path / ("copied.idx" if copy else "referenced.idx")
        subprocess.run([str(gradus_binary), "index", str(prefix) + ".idx", "--vocab-size", "1000", "--out", str(index)]
                       + (["--copy"] if copy else []), check=True, capture_output=True)
        assert dump_tokens(gradus_binary, index) == [list(map(int, d)) for d in docs]
        files = manifest(index)["tokenStore"]["files"]
        if copy:
            assert len(files) == 1 and (index / "tokens.bin").stat().st_size == 2 * sum(len(d) for d in docs)
            assert [list(a) for a in megatron_items(str(index / "tokens"))] == [list(map(int, d)) for d in docs]
        else:
            assert files[1]["prefix"] == str(prefix) and not files[1]["owned"]
            assert (index / "tokens.bin").stat().st_size == 0
