"""LayerTokenLR against the lr column of ``gradus schedule`` for the same config.

A layer stack of L small Linear layers stands in for the model (the counters depend only on the
batch shapes the stack sees, r and which layers drop); each step feeds it the batch ``gradus train``
would (B rows of T tokens, T the seqlen_truncate difficulty when there is one), then steps the
optimizer, whose learning rate must equal the schedule's.
"""

import json
import math

import pytest
import torch

from conftest import REPO
from gradus.schedule import LearningRate, RandomLTDSchedule
from gradus.torch import LayerTokenLR, RandomLTD


def run_lr(config_path, records):
    """Steps 1..N as gradus train would take them; returns (lr, r) per step."""
    config = json.loads(config_path.read_text())
    model, train = config["gradus"]["model"], config["gradus"]["train"]
    stack = torch.nn.ModuleList(torch.nn.Linear(1, 1) for _ in range(model["layers"])).train()
    ltd = RandomLTD.from_config(stack, config)
    opt = torch.optim.SGD(stack.parameters(), lr=0.0)
    sched = LayerTokenLR.from_config(opt, ltd, config)
    out = []
    with torch.no_grad():
        for rec in records[1:]:
            length = rec["difficulty"].get("seqlen_truncate", train.get("seq_length", model["context"]))
            r = ltd.reserved_length
            x = torch.zeros(train["batch_size"], int(length), 1)
            for layer in stack:
                x = layer(x)
            opt.step()
            out.append((opt.param_groups[0]["lr"], r))
            ltd.step()
            sched.step()
            assert sched.get_last_lr()[0] == opt.param_groups[0]["lr"]
    return out


def assert_matches(records, got):
    for rec, (lr, r) in zip(records[1:], got):
        assert r == rec["random_ltd"], rec
        assert math.isclose(lr, rec["lr"], rel_tol=1e-12, abs_tol=1e-18), (rec, lr)


def test_layer_token_lr_equals_gradus_schedule_gpt_ltd(schedule):
    config = REPO / "configs/gpt-ltd.json"
    records = schedule(config, 2000)
    got = run_lr(config, records)
    assert len(got) == 2000
    assert_matches(records, got)
    # warmup ends at 1 228 800 layer-tokens; the last steps are at min (total = this run's layer-tokens)
    assert got[-1][0] == pytest.approx(1e-4)


def test_layer_token_lr_under_seqlen_truncate_counts_min_r_t(schedule, tmp_path):
    # T grows 16 → 64 while r grows 24 → 64: early steps have r ≥ T, so no layer drops and each
    # layer counts T, not r.
    config = {
        "train_batch_size": 3,
        "data_efficiency": {
            "enabled": True, "seed": 7,
            "data_sampling": {"enabled": True, "num_workers": 0, "curriculum_learning": {
                "enabled": True, "curriculum_metrics": {"seqlen_truncate": {
                    "difficulty_type": "value", "clustering_type": "single_cluster",
                    "min_difficulty": 16, "max_difficulty": 64, "schedule_type": "fixed_linear",
                    "schedule_config": {"total_curriculum_step": 40, "difficulty_step": 8}}}}},
            "data_routing": {"enabled": True, "random_ltd": {
                "enabled": True, "total_layer_num": 5, "random_ltd_layer_num": 2,
                "random_ltd_layer_id": [1, 3], "model_mask_name": None, "model_type": "decoder",
                "hidden_state_order": "batch_seq_dim",
                "random_ltd_schedule": {"min_value": 24, "max_value": 64, "schedule_type": "fixed_linear",
                                        "schedule_config": {"require_steps": 30, "seq_per_step": 8}}}}},
        "gradus": {
            "model": {"layers": 5, "d_model": 32, "heads": 2, "context": 64, "vocab": 64},
            "train": {"batch_size": 3, "seed": 1, "steps": 60,
                      "lr": {"peak": 0.01, "min": 0.001, "warmup": 2000, "total": 40000,
                             "unit": "layer_tokens", "decay": "linear"}}},
    }
    path = tmp_path / "ltd-truncate.json"
    path.write_text(json.dumps(config))
    records = schedule(path, 60)
    got = run_lr(path, records)
    assert_matches(records, got)
    # by hand: step 1 has T = 16 < r = 24, so 3 rows · 16 tokens · 5 layers = 240 layer-tokens
    assert got[0][0] == pytest.approx(0.01 * 240 / 2000, rel=1e-12)
    assert got[-1][0] == pytest.approx(0.001)


def test_layer_token_lr_refusals_and_state():
    stack = torch.nn.ModuleList(torch.nn.Linear(2, 2) for _ in range(4))
    ltd = RandomLTD(stack, [1, 2], RandomLTDSchedule(4, 8, 10, 2))
    opt = torch.optim.SGD(stack.parameters(), lr=0.0)
    with pytest.raises(ValueError, match="unit 'steps'"):
        LayerTokenLR(opt, ltd, LearningRate(peak=1.0, warmup=1, total=5, unit="steps"))
    sched = LayerTokenLR(opt, ltd, LearningRate(peak=1.0, warmup=100, total=1000, unit="tokens"), world_size=2)
    stack.train()
    stack[0](torch.zeros(2, 8, 2))  # 2 rows · 8 tokens on this rank, 2 ranks
    opt.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(32 / 100)
    assert "random_ltd" not in sched.state_dict()
