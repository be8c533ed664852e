"""gradus.data.GradusIterableDataset against the JSONL stream of the same `gradus batches` command:
tensors as Hugging Face causal-LM models take them, DataLoader workers 0–3 without duplicates,
resume through state_dict (plain and torchdata's StatefulDataLoader, with workers), gradus's
stderr in errors, a quiet early exit, and numpy-only use."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from gradus.data import IGNORE_INDEX, GradusIterableDataset, collate_rows
from gradus.stream import CommandError
from gradus_cli import python_env

STEPS = 5


@pytest.fixture()
def dataset(udhr_index, config, gradus_binary):
    return GradusIterableDataset(udhr_index, config, STEPS, gradus=gradus_binary)


@pytest.fixture()
def reference(udhr_index, config, jsonl_batches):
    return jsonl_batches(udhr_index, config, STEPS)


def ids(items):
    return [tuple(item["sample_ids"].tolist()) for item in items]


def quiet_loader(*args, **kwargs):
    """A DataLoader; torch's advice about more workers than cores (3 workers on 2 cores) muted."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="This DataLoader will create")
        return list(DataLoader(*args, **kwargs))


def test_items_equal_the_jsonl_stream(dataset, reference):
    items = list(dataset)
    assert len(items) == len(reference) == STEPS * 4
    check_items(items, reference)
    assert any("attention_mask" in item for item in items), "the UDHR rows should differ in length"


@pytest.mark.parametrize("kind", ["seqlen_truncate", "seqlen_reshape"])
def test_rows_come_post_processed_by_gradus(text64, sequence_configs, gradus_binary, jsonl_batches, kind):
    items = list(GradusIterableDataset(text64, sequence_configs[kind], STEPS, gradus=gradus_binary))
    reference = jsonl_batches(text64, sequence_configs[kind], STEPS)
    check_items(items, reference)
    for item in items:
        c = int(item["difficulty"][kind])  # S = 64: rows of c + 1 tokens while c < 64, then whole
        width = c + 1 if c < 64 else 65
        assert item["lengths"].tolist() == [width] * len(item["lengths"]) and "attention_mask" not in item
        if kind == "seqlen_truncate":
            assert len(item["lengths"]) == len(item["sample_ids"]) == 2
        elif c < 64:  # 2 rows of 65 tokens cut into c + 1-token rows, then the tails (spec §8.1)
            keep = min(-(-130 // (c + 1)), 2 * (65 // (c + 1)) + 2)
            assert len(item["lengths"]) == (keep - 1 if keep > 1 and keep % 2 else keep)
    seen = {int(item["difficulty"][kind]) for item in items}
    assert min(seen) < 64 and 64 in seen  # both cut and whole rows were checked


def check_items(items, reference):
    """Each item equals its JSONL record: ids, rows padded and masked as Hugging Face expects."""
    for item, line in zip(items, reference):
        rows = line["tokens"]
        lengths = [len(r) for r in rows]
        width = max(lengths)
        assert (item["step"], item["micro_batch"], item["accumulation_steps"]) == (line["step"], line["micro_batch"], 4)
        assert item["difficulty"] == {k: float(v) for k, v in line["difficulty"].items()}
        for key in ("input_ids", "labels", "sample_ids", "lengths"):
            assert item[key].dtype == torch.int64, key
        assert item["sample_ids"].tolist() == line["sample_ids"]
        assert item["lengths"].tolist() == lengths
        assert item["input_ids"].shape == (len(rows), width)
        for i, row in enumerate(rows):
            pad = width - len(row)
            assert item["input_ids"][i].tolist() == row + [0] * pad
            assert item["labels"][i].tolist() == row + [IGNORE_INDEX] * pad
        if len(set(lengths)) > 1:
            assert item["attention_mask"].tolist() == [[1] * n + [0] * (width - n) for n in lengths]
        else:
            assert "attention_mask" not in item


def test_collate_rows_by_hand():
    # Three rows for two samples, as seqlen_reshape serves them: rows need not match sample ids.
    out = collate_rows([np.array([5, 6, 7], np.uint32), np.array([8], np.uint32), np.array([9, 1], np.uint32)], pad_id=3)
    assert out["input_ids"].tolist() == [[5, 6, 7], [8, 3, 3], [9, 1, 3]]
    assert out["labels"].tolist() == [[5, 6, 7], [8, -100, -100], [9, 1, -100]]
    assert out["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    assert out["lengths"].tolist() == [3, 1, 2]
    same = collate_rows([np.array([1, 2], np.uint32), np.array([3, 4], np.uint32)])
    assert "attention_mask" not in same and same["labels"].tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("workers", [0, 1, 2, 3])
def test_workers_give_the_single_stream_without_duplicates(dataset, reference, workers):
    items = quiet_loader(dataset, batch_size=None, num_workers=workers)
    assert ids(items) == [tuple(line["sample_ids"]) for line in reference]
    keys = [(item["step"], item["micro_batch"]) for item in items]
    assert len(keys) == len(set(keys)) == STEPS * 4


def test_resume_by_state_dict_without_loader(dataset, reference, udhr_index, config, gradus_binary):
    taken = []
    for item in dataset:
        taken.append(item)
        if len(taken) == 7:  # inside step 2 (4 micro-batches a step)
            break
    state = dataset.state_dict()
    resumed = GradusIterableDataset(udhr_index, config, STEPS, gradus=gradus_binary)
    resumed.load_state_dict(state)
    assert ids(taken) + ids(resumed) == [tuple(line["sample_ids"]) for line in reference]


@pytest.mark.parametrize("workers,stop", [(0, 6), (2, 9), (3, 5)])
def test_resume_with_stateful_dataloader(dataset, reference, udhr_index, config, gradus_binary, workers, stop):
    from torchdata.stateful_dataloader import StatefulDataLoader
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="This DataLoader will create")
        loader = StatefulDataLoader(dataset, batch_size=None, num_workers=workers)
        first = []
        for item in loader:
            first.append(item)
            if len(first) == stop:
                break
        state = loader.state_dict()
        del loader
        fresh = GradusIterableDataset(udhr_index, config, STEPS, gradus=gradus_binary)
        resumed = StatefulDataLoader(fresh, batch_size=None, num_workers=workers)
        resumed.load_state_dict(state)
        rest = list(resumed)
    assert ids(first) + ids(rest) == [tuple(line["sample_ids"]) for line in reference]


def test_failing_command_carries_gradus_stderr(udhr_index, tmp_path, gradus_binary):
    missing = tmp_path / "no-such-config.json"
    with pytest.raises(CommandError) as raised:
        list(GradusIterableDataset(udhr_index, missing, 3, gradus=gradus_binary))
    assert raised.value.status != 0
    assert str(missing) in str(raised.value) and "cannot read the file" in str(raised.value)
    assert "empty stream" not in str(raised.value)


EARLY_EXIT = textwrap.dedent("""
    import gc, os, sys, warnings
    warnings.simplefilter("error")
    from torch.utils.data import DataLoader
    from gradus.data import GradusIterableDataset
    index, config, gradus = sys.argv[1:4]
    for workers in (0, 2):
        dataset = GradusIterableDataset(index, config, 200, gradus=gradus)
        source = DataLoader(dataset, batch_size=None, num_workers=workers) if workers else dataset
        for n, item in enumerate(source):
            if n == 2:
                break
        del item, source
        gc.collect()
        children = []
        for task in os.listdir("/proc/self/task"):
            try:
                with open("/proc/self/task/%s/children" % task) as f:
                    children += f.read().split()
            except FileNotFoundError:  # the thread ended after listdir (a DataLoader's pin/worker thread)
                pass
        assert not children, "left running: %r" % children
        print("left after 3 items with %d workers" % workers)
""")


def test_leaving_early_is_quiet_and_ends_gradus(udhr_index, config, gradus_binary):
    # 200 steps: gradus is still writing when the loop stops (the pipe is not drained).
    result = subprocess.run([sys.executable, "-c", EARLY_EXIT, str(udhr_index), str(config), str(gradus_binary)],
                            capture_output=True, text=True, timeout=120, env=python_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["left after 3 items with 0 workers", "left after 3 items with 2 workers"]
    assert result.stderr == ""


NUMPY_ONLY = textwrap.dedent("""
    import sys
    sys.modules["torch"] = None  # import torch now raises ImportError
    import numpy as np
    from gradus.data import GradusIterableDataset
    from gradus.index import IndexReader
    items = list(GradusIterableDataset(sys.argv[1], sys.argv[2], 2, gradus=sys.argv[3]))
    assert len(items) == 8 and isinstance(items[0]["input_ids"], np.ndarray), items[0]
    assert items[0]["input_ids"].dtype == np.int64
    print(len(IndexReader(sys.argv[1])))
""")


def test_numpy_only_without_torch(udhr_index, config, gradus_binary):
    result = subprocess.run([sys.executable, "-c", NUMPY_ONLY, str(udhr_index), str(config), str(gradus_binary)],
                            capture_output=True, text=True, timeout=120, env=python_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "313"


def test_explicit_rank_and_world_slice_the_global_batch(udhr_index, config, gradus_binary, reference):
    ranks = [ids(GradusIterableDataset(udhr_index, config, STEPS, rank=r, world=2, gradus=gradus_binary))
             for r in (0, 1)]
    # World 2 has 2 micro-batches of 2 a rank a step; world 1 has 4: compare step by step.
    for step in range(STEPS):
        world1 = sorted(i for line in reference[4 * step:4 * step + 4] for i in line["sample_ids"])
        parts = [i for r in (0, 1) for batch in ranks[r][2 * step:2 * step + 2] for i in batch]
        assert sorted(parts) == world1 and len(set(parts)) == len(parts)
