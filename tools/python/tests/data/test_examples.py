"""tools/python/examples/train_bloom.py as 2 processes under torchrun (gloo): a run stopped after
step 2 of 4 (as a preemption would, after its checkpoint) and started again continues with steps
3 and 4, and each rank trains on exactly the micro-batches `gradus batches --rank r --world 2`
gives for every step, none twice."""

import json
import math
import subprocess
import sys

from gradus_cli import REPO, python_env

STEPS = 4


def torchrun(args, gradus_binary):
    env = python_env(GRADUS=str(gradus_binary), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             str(REPO / "tools/python/examples/train_bloom.py"), *map(str, args)],
                            capture_output=True, text=True, env=env, timeout=400)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def test_train_bloom_stops_and_resumes_with_the_remaining_batches(text64, gradus_binary, jsonl_batches, tmp_path):
    config = REPO / "tools/python/examples/bloom-cl.json"
    out = tmp_path / "run"
    common = ["--index", text64, "--config", config, "--out", out, "--steps", STEPS]
    first = torchrun(common + ["--stop-after", 2], gradus_binary)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in log] == [1, 2]
    torchrun(common, gradus_binary)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in log] == [1, 2, 3, 4]
    assert all(math.isfinite(entry["loss"]) and entry["tokens"] > 0 for entry in log)
    for rank in (0, 1):
        trained = [json.loads(line) for line in (out / f"batches-rank{rank}.jsonl").read_text().splitlines()]
        expected = jsonl_batches(text64, config, STEPS, rank=rank, world=2)
        assert [t["step"] for t in trained] == [1, 2, 3, 4]
        for t in trained:
            assert t["sample_ids"] == [i for line in expected if line["step"] == t["step"] for i in line["sample_ids"]]
    assert "Traceback" not in first.stderr
