"""`gradus export --format deepspeed` read by the real consumers (issue 16 item 1): DeepSpeed 0.19.8's
curriculum sampler `DeepSpeedDataSampler` built from a DeepSpeed data_efficiency config, CPU, one
process (a gloo group of one); megatron-core's `IndexedDataset` and DeepSpeed's `MMapIndexedDataset`
on the exported `tokens_text_document`; and tools/bench_deepspeed_analyzer.py's refusal without
deepspeed. The truth is the generated corpus itself (its lengths and token ids), not Gradus's output.
Each test skips, saying why, only when deepspeed or megatron-core cannot be imported."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]

SMALL_VOCAB, LARGE_VOCAB = 100, 70_000


def _run(binary, *args):
    result = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _corpus(gradus_binary, directory, vocab, lengths, seed):
    """Indexes documents of the given lengths with random ids below `vocab` (pre-tokenized JSONL,
    one sample per document, sample i = document i) and exports them; returns (documents, export)."""
    rng = np.random.default_rng(seed)
    documents = [rng.integers(0, vocab, size=n) for n in lengths]
    directory.mkdir()
    source = directory / "docs.jsonl"
    source.write_text("".join(json.dumps({"tokens": d.tolist()}) + "\n" for d in documents))
    _run(gradus_binary, "index", source, "--vocab-size", vocab, "--out", directory / "c.idx")
    _run(gradus_binary, "export", directory / "c.idx", "--format", "deepspeed", "--out", directory / "ds")
    return documents, directory / "ds"


@pytest.fixture(scope="module")
def small(gradus_binary, tmp_path_factory):
    """48 documents of lengths 1..48 in a fixed shuffled order, ids below 100 (uint16 tokens)."""
    lengths = np.random.default_rng(5).permutation(np.arange(1, 49))
    return _corpus(gradus_binary, tmp_path_factory.mktemp("interop") / "small", SMALL_VOCAB, lengths, 6)


@pytest.fixture(scope="module")
def large(gradus_binary, tmp_path_factory):
    """6 documents with ids below 70 000 (int32 tokens)."""
    return _corpus(gradus_binary, tmp_path_factory.mktemp("interop") / "large", LARGE_VOCAB, [3, 1, 7, 2, 5, 4], 7)


def _deepspeed():
    """DeepSpeed's indexed_dataset module, or a skip saying why."""
    return pytest.importorskip("deepspeed.runtime.data_pipeline.data_sampling.indexed_dataset",
                               reason="deepspeed is not importable; tools/setup.sh installs deepspeed==0.19.8")


def _deepspeed_items(module, prefix):
    dataset = module.MMapIndexedDataset(str(prefix), skip_warmup=True)
    items = [np.array(dataset[i], dtype=np.int64) for i in range(len(dataset))]
    dtype = np.dtype(dataset.dtype)
    del dataset
    return items, dtype


def _same(items, documents):
    return len(items) == len(documents) and all(np.array_equal(a, b) for a, b in zip(items, documents))


def _dump(gradus_binary, export):
    """`gradus dump --tokens` of the index `export` was exported from: sample i's tokens."""
    out = _run(gradus_binary, "dump", export.parent / "c.idx", "--tokens")
    return [np.array(json.loads(line)["tokens"], dtype=np.int64) for line in out.splitlines()]


def test_megatron_core_reads_exported_tokens_as_gradus_dump_samples(small, large, megatron_items, gradus_binary):
    for (documents, export), dtype in ((small, np.uint16), (large, np.int32)):
        items = megatron_items(export / "tokens_text_document")
        assert items.dtype == dtype, f"{export}: megatron-core reads {items.dtype}, expected {dtype}"
        samples = _dump(gradus_binary, export)
        assert _same(items, samples), f"{export}: megatron-core's items differ from gradus dump's samples"
        assert _same(samples, documents), f"{export}: gradus dump's samples differ from the generated documents"
        # One document per sample.
        assert items.documents.tolist() == list(range(len(documents) + 1))


def test_megatron_items_notices_a_wrong_token(small, megatron_items, tmp_path):
    """The helper reads what is in the file: one changed token byte is a different item."""
    documents, export = small
    for suffix in (".bin", ".idx"):
        (tmp_path / ("t" + suffix)).write_bytes((export / ("tokens_text_document" + suffix)).read_bytes())
    data = bytearray((tmp_path / "t.bin").read_bytes())
    data[0] ^= 1
    (tmp_path / "t.bin").write_bytes(bytes(data))
    assert not _same(megatron_items(tmp_path / "t"), documents)


def test_deepspeed_reader_reads_int32_tokens_but_not_megatron_uint16(small, large):
    module = _deepspeed()
    items, dtype = _deepspeed_items(module, large[1] / "tokens_text_document")
    assert dtype == np.int32 and _same(items, large[0])  # the documents gradus dump gives (test above)
    # Megatron's code 8 (uint16) is uint64 to DeepSpeed's reader: the wrong reader for that file
    # (docs/index-format.md, "Export"), as its 4x larger element size shows.
    index = module.MMapIndexedDataset.Index(str(small[1] / "tokens_text_document.idx"), skip_warmup=True)
    assert np.dtype(index.dtype) == np.uint64
    del index


def test_deepspeed_reader_reads_exported_metric_files(small):
    module = _deepspeed()
    documents, export = small
    values, _ = _deepspeed_items(module, export / "seqlen/seqlen_sample_to_metric")
    assert [v.tolist() for v in values] == [[len(d)] for d in documents]
    (counts,), _ = _deepspeed_items(module, export / "total_vocab_freq/total_vocab_freq_metric_value")
    assert counts.tolist() == np.bincount(np.concatenate(documents), minlength=SMALL_VOCAB).tolist()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sampler_factory(tmp_path_factory):
    """``make(index_to_sample, index_to_metric, samples)``: DeepSpeed's DeepSpeedDataSampler over
    the given exported files, one process (gloo group of one, rank 0), seqlen value-based
    schedule_based curriculum 8 -> 48 fixed_linear over 5 steps in steps of 8, micro-batch 8."""
    pytest.importorskip("deepspeed.runtime.data_pipeline.data_sampling.data_sampler",
                        reason="deepspeed is not importable; tools/setup.sh installs deepspeed==0.19.8")
    import deepspeed
    import torch.distributed
    from deepspeed.runtime.data_pipeline.config import get_data_efficiency_config
    from deepspeed.runtime.data_pipeline.data_sampling.data_sampler import DeepSpeedDataSampler

    # deepspeed.comm's TorchBackend JIT-compiles its optional shared-memory all-reduce kernel
    # (~90 s of C++ on this machine) unless the op is marked incompatible in the dict DeepSpeed
    # keeps for that (deepspeed.ops.__compatible_ops__, "edits to it persist"); the sampler uses
    # only barrier and broadcast, which gloo does without it.
    import deepspeed.ops
    deepspeed.ops.__compatible_ops__ = {**vars(deepspeed.ops).get("__compatible_ops__", {}), "deepspeed_shm_comm": False}
    started = not torch.distributed.is_initialized()
    if started:
        deepspeed.init_distributed(dist_backend="gloo", auto_mpi_discovery=False, verbose=False,
                                   init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
    group = torch.distributed.new_group([0])
    runs = iter(range(1_000))

    def make(index_to_sample, index_to_metric, samples):
        config = {"train_batch_size": 8, "train_micro_batch_size_per_gpu": 8, "data_efficiency": {
            "enabled": True, "seed": 1234, "data_sampling": {"enabled": True, "num_epochs": 1, "curriculum_learning": {
                "enabled": True, "data_cluster_path": str(tmp_path_factory.mktemp(f"clusters{next(runs)}")),
                "curriculum_metrics": {"seqlen": {
                    "index_to_sample_path": str(index_to_sample), "index_to_metric_path": str(index_to_metric),
                    "difficulty_type": "value", "clustering_type": "schedule_based",
                    "min_difficulty": 8, "max_difficulty": 48, "schedule_type": "fixed_linear",
                    "schedule_config": {"total_curriculum_step": 5, "difficulty_step": 8}}}}}}}
        return DeepSpeedDataSampler(get_data_efficiency_config(config), one_epoch_total_samples=samples,
                                    micro_batch_size=8, data_parallel_rank=0, data_parallel_size=1,
                                    data_parallel_group=group, gradient_accumulation_steps=1, global_rank=0)

    yield make
    if started:
        torch.distributed.destroy_process_group()


def _steps(sampler, count):
    """(difficulty the sampler reports, batch) for its first `count` steps."""
    out = []
    for batch in sampler:
        out.append((sampler.current_difficulties["seqlen"], list(batch)))
        if len(out) == count:
            return out
    return out


def _violations(steps, lengths):
    """(step, sample, length, difficulty) for every sample whose length exceeds the step's difficulty."""
    return [(s, i, lengths[i], d) for s, (d, batch) in enumerate(steps, 1) for i in batch if lengths[i] > d]


def test_deepspeed_sampler_keeps_the_curriculum_on_exported_files(small, sampler_factory):
    documents, export = small
    lengths = [len(d) for d in documents]
    steps = _steps(sampler_factory(export / "seqlen/seqlen_index_to_sample",
                                   export / "seqlen/seqlen_index_to_metric", len(documents)), 6)
    # fixed_linear, min 8, max 48, 5 steps, step 8: 16, 24, 32, 40, 48, 48 (independent of Gradus).
    assert [d for d, _ in steps] == [16, 24, 32, 40, 48, 48]
    assert all(len(batch) == 8 for _, batch in steps)
    assert _violations(steps, lengths) == []
    # The curriculum widens: the first batch is confined to the 16 shortest, later ones are not.
    assert any(lengths[i] > 16 for _, batch in steps[3:] for i in batch)


def test_deepspeed_sampler_check_catches_a_wrong_export(small, sampler_factory, tmp_path):
    """The same check on an export whose index_to_metric claims every sample is 8 tokens shorter
    (written with DeepSpeed's own builder) finds samples above the difficulty: it can fail."""
    module = _deepspeed()
    documents, export = small
    values, _ = _deepspeed_items(module, export / "seqlen/seqlen_index_to_metric")
    builder = module.MMapIndexedDatasetBuilder(str(tmp_path / "m.bin"), dtype=np.int64)
    for v in values:
        builder.add_item_numpy(v - 8)
    builder.end_document()
    builder.finalize(str(tmp_path / "m.idx"))
    steps = _steps(sampler_factory(export / "seqlen/seqlen_index_to_sample", tmp_path / "m", len(documents)), 6)
    assert _violations(steps, [len(d) for d in documents]) != []


def test_bench_script_refuses_without_deepspeed(tmp_path):
    """tools/bench_deepspeed_analyzer.py with deepspeed made unimportable: exit 1 and a message
    naming the package and how to install it, no traceback."""
    runner = ("import runpy, sys; sys.modules['deepspeed'] = None; "
              f"sys.argv = ['bench', {str(tmp_path / 'x')!r}, '--vocab-size', '100']; "
              f"runpy.run_path({str(REPO / 'tools/bench_deepspeed_analyzer.py')!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "deepspeed is not importable" in result.stderr and "pip install deepspeed==0.19.8" in result.stderr
    assert "Traceback" not in result.stderr
