"""2 processes under `torchrun` (gloo, CPU): each rank's GradusIterableDataset takes rank/world
from torch.distributed; the ranks' sample ids are disjoint and together equal the world-1 stream
(`gradus batches` JSONL), step by step; explicit rank/world arguments override the process group."""

import json
import subprocess
import sys
from pathlib import Path

from gradus_cli import python_env

STEPS = 4


def test_two_ranks_are_disjoint_and_cover_world_one(udhr_index, config, gradus_binary, jsonl_batches, tmp_path):
    script = Path(__file__).with_name("ranks_worker.py")
    env = python_env(OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                             "--standalone", str(script), str(udhr_index), str(config), str(STEPS),
                             str(gradus_binary), str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [(r["rank"], r["world"]) for r in ranks] == [(0, 2), (1, 2)]
    world1 = jsonl_batches(udhr_index, config, STEPS)
    assert ranks[0]["explicit"] == ranks[1]["explicit"] == [line["sample_ids"] for line in world1]
    for step in range(1, STEPS + 1):
        parts = [[i for s, _, ids in r["batches"] if s == step for i in ids] for r in ranks]
        assert parts[0] and parts[1] and not set(parts[0]) & set(parts[1])
        expected = [i for line in world1 if line["step"] == step for i in line["sample_ids"]]
        assert sorted(parts[0] + parts[1]) == sorted(expected)
    # The rank-sliced streams are gradus's own slicing (world 2), micro-batch by micro-batch.
    for r in (0, 1):
        sliced = jsonl_batches(udhr_index, config, STEPS, rank=r, world=2)
        assert [ids for _, _, ids in ranks[r]["batches"]] == [line["sample_ids"] for line in sliced]
