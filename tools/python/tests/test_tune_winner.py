"""`gradus tune`'s OUT/winner.json accepted unchanged by its consumers (issue 18 §4): a real search
(built-in trainer, tiny model, 256 → 512 tokens, two candidates over a curriculum and a random-LTD
parameter) writes winner.json; DeepSpeed 0.19.8's own `get_data_efficiency_config` reads its
`data_efficiency` block and sees the winner's searched values (as the winner's run config in the
search's last rung holds them), and `gradus train` and `gradus batches` take the file as their
--config. The test skips, saying why, only when deepspeed cannot be imported."""

import json
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
STEP = ["data_sampling", "curriculum_learning", "curriculum_metrics", "seqlen_truncate", "schedule_config", "total_curriculum_step"]
MIN_VALUE = ["data_routing", "random_ltd", "random_ltd_schedule", "min_value"]


def _search(directory):
    """A search file on configs/tiny.json (3 layers, so random-LTD can drop the middle one)."""
    cl_ltd = {"data_efficiency": {
        "enabled": True, "seed": 1234,
        "data_sampling": {"enabled": True, "num_epochs": 1000, "num_workers": 0, "curriculum_learning": {
            "enabled": True, "curriculum_metrics": {"seqlen_truncate": {
                "difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 16, "max_difficulty": 64,
                "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 2, "difficulty_step": 8}}}}},
        "data_routing": {"enabled": True, "random_ltd": {
            "enabled": True, "total_layer_num": 3, "random_ltd_layer_num": 1, "random_ltd_layer_id": [1],
            "model_mask_name": "attention_mask", "model_type": "decoder", "hidden_state_order": "batch_seq_dim",
            "random_ltd_schedule": {"min_value": 32, "max_value": 64, "schedule_type": "fixed_linear",
                                    "schedule_config": {"require_steps": 2, "seq_per_step": 8}}}}}}
    search = {
        "matrix": {"base": str(REPO / "configs" / "tiny.json"), "baseline": "baseline", "seeds": [1],
                   "budget": {"tokens": 512}, "eval_interval_tokens": 256, "validation": {"fraction": 0.05, "batches": 1},
                   "common": {"train_batch_size": 4, "gradus": {"model": {"layers": 3}}},
                   "variants": [{"name": "baseline", "override": {}}, {"name": "cl-ltd", "override": cl_ltd}]},
        "variant": "cl-ltd", "candidates": 2, "eta": 2, "seed": 4,
        "budget": {"min_tokens": 256, "max_tokens": 512},
        "space": {"data_efficiency." + ".".join(STEP): {"int": [1, 4]},
                  "data_efficiency." + ".".join(MIN_VALUE): {"choice": [16, 32]}},
        "confirm": {"seeds": [5]},
    }
    path = directory / "search.json"
    path.write_text(json.dumps(search))
    return path


def _at(block, keys):
    for k in keys:
        block = block[k]
    return block


def _run(*args):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def tuned(gradus_binary, tmp_path_factory):
    """(winner.json as a dict, the winner's config in the last rung, the index path)."""
    directory = tmp_path_factory.mktemp("tune")
    index = directory / "udhr.idx"
    _run(gradus_binary, "index", REPO / "corpora" / "udhr.sample.jsonl.zst", "--tokenizer", "bytes", "--pack", "64", "--out", index)
    out = directory / "out"
    summary = json.loads(_run(gradus_binary, "tune", _search(directory), "--index", index, "--out", out, "--threads", "1"))
    winner = json.loads((out / "winner.json").read_text())
    rung_config = json.loads((out / "rung-1" / "runs" / f"{summary['winner']}-seed1" / "config.json").read_text())
    return out / "winner.json", winner, rung_config, index


def test_deepspeed_reads_the_winners_data_efficiency_block(tuned):
    config = pytest.importorskip("deepspeed.runtime.data_pipeline.config",
                                 reason="deepspeed is not importable; tools/setup.sh installs deepspeed==0.19.8")
    _, winner, rung_config, _ = tuned
    parsed = config.get_data_efficiency_config(winner)
    expected = rung_config["data_efficiency"]
    assert parsed["enabled"] is True
    assert _at(parsed, STEP) == _at(expected, STEP)
    assert _at(parsed, MIN_VALUE) == _at(expected, MIN_VALUE)
    assert _at(expected, STEP) in range(1, 5) and _at(expected, MIN_VALUE) in (16, 32)
    assert parsed["data_routing"]["random_ltd"]["random_ltd_layer_id"] == [1]


def test_gradus_train_and_batches_take_winner_json_as_their_config(tuned, gradus_binary, tmp_path):
    path, winner, _, index = tuned
    _run(gradus_binary, "train", path, "--index", index, "--out", tmp_path / "run", "--steps", "2", "--threads", "1")
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines() if line.strip()]
    steps = [r for r in log if "loss" in r and "val_loss" not in r]
    assert [r["step"] for r in steps] == [1, 2]
    assert all("difficulty" in r for r in steps), "the winner's curriculum is applied"
    lines = _run(gradus_binary, "batches", index, "--config", path, "--steps", "3").splitlines()
    assert len([l for l in lines if l.strip()]) >= 3
