"""Fixtures of the gradus.data / gradus.index tests (``gradus_binary`` comes from tests/conftest.py):
small indexes of the shipped UDHR sample built once per session (unpacked: rows of different
lengths; packed to 16: two dense chunks a metric; packed to 64: for sequence curricula), the
configs, and ``jsonl_batches``, the JSONL stream of ``gradus batches`` (the
reference the binary-stream dataset is checked against)."""

import json

import pytest

from gradus_cli import REPO, run_gradus

CONFIG = {
    "train_batch_size": 8,
    "train_micro_batch_size_per_gpu": 2,
    "data_efficiency": {"seed": 7, "data_sampling": {"curriculum_learning": {"enabled": True, "curriculum_metrics": {
        "seqlen": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
                   "min_difficulty": 30, "max_difficulty": 100, "schedule_type": "fixed_linear",
                   "schedule_config": {"total_curriculum_step": 5, "difficulty_step": 1}},
        "vocabularyrarity": {"difficulty_type": "percentile", "clustering_type": "schedule_based",
                             "min_difficulty": 50, "max_difficulty": 100, "schedule_type": "fixed_root",
                             "schedule_config": {"total_curriculum_step": 5, "difficulty_step": 1, "root_degree": 2}},
    }}}},
}


def _udhr(gradus_binary, tmp_path_factory, name, pack=None):
    """The UDHR sample indexed with the shipped BPE tokenizer, one sample per document or packed."""
    out = tmp_path_factory.mktemp("idx") / name
    packing = ["--pack", str(pack)] if pack else []
    run_gradus(gradus_binary, "index", "corpora/udhr.sample.jsonl.zst", "--tokenizer", "corpora/tokenizer.json",
               *packing, "--out", out)
    return out


@pytest.fixture(scope="session")
def udhr_index(gradus_binary, tmp_path_factory):
    """The UDHR sample, one sample per document (313 samples, lengths 41–4579)."""
    return _udhr(gradus_binary, tmp_path_factory, "udhr.idx")


@pytest.fixture(scope="session")
def packed_index(gradus_binary, tmp_path_factory):
    """The UDHR sample packed to 16 + 1 tokens a sample: 10918 samples, two dense chunks a metric."""
    return _udhr(gradus_binary, tmp_path_factory, "p16.idx", pack=16)


@pytest.fixture(scope="session")
def text64(gradus_binary, tmp_path_factory):
    """The UDHR sample packed to 64 + 1 tokens a sample (2729 samples), for sequence curricula."""
    return _udhr(gradus_binary, tmp_path_factory, "u64.idx", pack=64)


@pytest.fixture(scope="session")
def sequence_configs(tmp_path_factory):
    """{"seqlen_truncate": path, "seqlen_reshape": path}: the example's config (S = 64 from the
    index's --pack) with a short truncate or reshape schedule, 16 → 64 over 4 steps."""
    base = json.loads((REPO / "tools/python/examples/bloom-cl.json").read_text())
    out = {}
    for kind in ("seqlen_truncate", "seqlen_reshape"):
        config = json.loads(json.dumps(base))
        metrics = config["data_efficiency"]["data_sampling"]["curriculum_learning"]["curriculum_metrics"]
        schedule = metrics.pop("seqlen_truncate")
        schedule["schedule_config"]["total_curriculum_step"] = 4
        metrics[kind] = schedule
        out[kind] = tmp_path_factory.mktemp("cfg") / (kind + ".json")
        out[kind].write_text(json.dumps(config))
    return out


@pytest.fixture(scope="session")
def config(tmp_path_factory):
    """A two-metric percentile curriculum: micro-batch 2, 4 micro-batches a step at world 1."""
    path = tmp_path_factory.mktemp("cfg") / "cl.json"
    path.write_text(json.dumps(CONFIG))
    return path


@pytest.fixture(scope="session")
def jsonl_batches(gradus_binary):
    """``jsonl_batches(index, config, steps, rank=0, world=1)``: the records of ``gradus batches
    --tokens`` in JSONL, one dict per micro-batch."""
    def run(index, config, steps, rank=0, world=1):
        out = run_gradus(gradus_binary, "batches", index, "--config", config, "--steps", steps,
                         "--rank", rank, "--world", world, "--tokens")
        return [json.loads(line) for line in out.splitlines()]
    return run
