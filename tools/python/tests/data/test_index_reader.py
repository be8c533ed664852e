"""gradus.index.IndexReader against `gradus dump` and `gradus info --json` of the same index (the
Swift reader, an independent implementation): tokens, metric arrays, order, percentiles, manifest;
one-chunk indexes give zero-copy arrays, multi-chunk ones the same values."""

import json

import numpy as np
import pytest

from gradus.index import IndexFormatError, IndexReader

from gradus_cli import run_gradus


def dump(binary, index):
    return [json.loads(line) for line in run_gradus(binary, "dump", index, "--metrics", "--tokens").splitlines()]


@pytest.mark.parametrize("which", ["udhr_index", "packed_index"])
def test_reader_equals_gradus_dump_and_info(request, gradus_binary, which):
    index = request.getfixturevalue(which)
    records = dump(gradus_binary, index)
    info = json.loads(run_gradus(gradus_binary, "info", index, "--json"))
    with IndexReader(index) as reader:
        assert len(reader) == len(records) == info["samples"]
        assert reader.manifest["counts"]["tokens"] == info["tokens"]
        assert reader.metrics == list(info["metrics"]) == ["seqlen", "vocabularyrarity"]
        for record in records[:50] + records[-50:]:
            assert reader.tokens(record["id"]).tolist() == record["tokens"]
        for name in reader.metrics:
            expected = np.array([r["metrics"][name] for r in records])
            values = reader.values(name)
            assert values.dtype == np.float64 and np.array_equal(values, expected)
            ids, ordered = reader.order(name)
            by_hand = sorted(range(len(records)), key=lambda i: (expected[i], i))
            assert ids.tolist() == by_hand and np.array_equal(ordered, expected[by_hand])
            for level, value in info["metrics"][name]["percentiles"].items():
                assert reader.value_at(name, int(level[1:])) == value
            for probe in (expected.min() - 1, np.median(expected), expected[7], expected.max()):
                share = 100.0 * sum(1 for v in expected if v <= probe) / len(expected)
                assert reader.percentile(name, probe) == pytest.approx(share, abs=1e-12)


def test_single_chunk_arrays_are_views_of_the_map(udhr_index, packed_index):
    with IndexReader(udhr_index) as small:
        values = small.values("seqlen")
        assert not values.flags.owndata and not values.flags.writeable
        ids, _ = small.order("seqlen")
        assert not ids.flags.owndata
    with IndexReader(packed_index) as large:
        assert large.values("seqlen").flags.owndata  # 10918 samples: two chunks, concatenated
        assert (large.values("seqlen") == 17).sum() == len(large)  # --pack 16: every sample 17 tokens


def test_errors(udhr_index, tmp_path):
    with pytest.raises(IndexFormatError):
        IndexReader(tmp_path)
    with IndexReader(udhr_index) as reader:
        with pytest.raises(KeyError, match="entropy"):
            reader.values("entropy")
        with pytest.raises(IndexError):
            reader.tokens(len(reader))
