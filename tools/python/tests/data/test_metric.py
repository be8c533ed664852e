"""gradus.metric and tools/python/examples/unigram_perplexity.py on a tiny index: the added values
equal a unigram perplexity computed by hand from the texts' characters (the `bytes` tokenizer makes
one token per ASCII character), `gradus verify` passes, `gradus batches` with a curriculum on the
new metric draws only the samples below its threshold, and remove / errors go through."""

import json
import math
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from gradus import metric
from gradus.index import IndexReader

from gradus_cli import REPO, python_env, run_gradus

TEXTS = ["aaaa", "abab", "abcabc", "zzzq", "hello world", "aaab", "cab", "qqqqz"]


def hand_perplexity(texts):
    """exp(−mean ln p(c)) per text, p the character frequencies over all texts."""
    counts = Counter("".join(texts))
    total = sum(counts.values())
    return [math.exp(-sum(math.log(counts[c] / total) for c in t) / len(t)) for t in texts]


@pytest.fixture
def tiny_index(gradus_binary, tmp_path):
    corpus = tmp_path / "tiny.jsonl"
    corpus.write_text("".join(json.dumps({"id": "t%d" % i, "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    index = tmp_path / "tiny.idx"
    run_gradus(gradus_binary, "index", corpus, "--tokenizer", "bytes", "--out", index)
    return index


def test_example_adds_the_unigram_perplexity_and_batches_order_by_it(gradus_binary, tiny_index, tmp_path):
    result = subprocess.run([sys.executable, str(REPO / "tools/python/examples/unigram_perplexity.py"), str(tiny_index),
                             "--gradus", str(gradus_binary)], capture_output=True, text=True, env=python_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("added metric unigram_ppl of %d samples" % len(TEXTS))
    expected = hand_perplexity(TEXTS)
    with IndexReader(tiny_index) as reader:
        assert reader.metrics == ["seqlen", "vocabularyrarity", "unigram_ppl"]
        np.testing.assert_allclose(reader.values("unigram_ppl"), expected, rtol=1e-12)
    run_gradus(gradus_binary, "verify", tiny_index)

    # A curriculum on the new metric: difficulty (value) stays at the median for the first 100
    # steps, so only the samples at or below it are drawn.
    threshold = float(np.median(expected))
    easy = {i for i, v in enumerate(expected) if v <= threshold}
    assert 0 < len(easy) < len(TEXTS)
    config = tmp_path / "ppl-cl.json"
    config.write_text(json.dumps({"train_batch_size": 2, "data_efficiency": {"enabled": True, "seed": 3, "data_sampling": {
        "enabled": True, "curriculum_learning": {"enabled": True, "curriculum_metrics": {"unigram_ppl": {
            "difficulty_type": "value", "clustering_type": "schedule_based", "min_difficulty": threshold,
            "max_difficulty": max(expected) + 1, "schedule_type": "fixed_discrete",
            "schedule_config": {"difficulty": [threshold, max(expected) + 1], "max_step": [100]}}}}}}}))
    batches = [json.loads(line) for line in run_gradus(gradus_binary, "batches", tiny_index, "--config", config,
                                                         "--steps", 6).splitlines()]
    drawn = {i for b in batches for i in b["sample_ids"]}
    assert len(batches) == 6 and drawn == easy


def test_add_from_an_array_per_document_then_remove(gradus_binary, tiny_index):
    scores = np.arange(len(TEXTS), dtype=np.int32)[::-1]
    line = metric.add(tiny_index, "rank", scores, per="document", gradus=gradus_binary)
    assert line.startswith("added metric rank of %d samples" % len(TEXTS))
    with IndexReader(tiny_index) as reader:
        assert reader.values("rank").tolist() == [float(v) for v in scores]
        assert reader.order("rank")[0].tolist() == list(range(len(TEXTS)))[::-1]
    with pytest.raises(metric.MetricCommandError, match="already has a metric rank: pass --replace"):
        metric.add(tiny_index, "rank", scores, gradus=gradus_binary)
    metric.add(tiny_index, "rank", -scores.astype(np.float32), replace=True, gradus=gradus_binary)
    with IndexReader(tiny_index) as reader:
        assert reader.values("rank").tolist() == [-float(v) for v in scores]
    assert metric.remove(tiny_index, "rank", gradus=gradus_binary).startswith("removed metric rank")
    with IndexReader(tiny_index) as reader:
        assert reader.metrics == ["seqlen", "vocabularyrarity"]
    with pytest.raises(metric.MetricCommandError, match="the array has 2 values, the index .* has 8 samples"):
        metric.add(tiny_index, "short", [1.0, 2.0], gradus=gradus_binary)
    assert not [p for p in tiny_index.parent.iterdir() if p.name.startswith(".gradus-metric-")], "temporary files left"
