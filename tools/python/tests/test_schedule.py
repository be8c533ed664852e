"""gradus.schedule against the spec's vectors, hand values and ``gradus schedule``'s random_ltd column."""

import math

import pytest

from conftest import REPO
from gradus.schedule import LearningRate, RandomLTDSchedule, learning_rate, random_ltd_settings


def test_random_ltd_schedule_matches_deepspeed_vectors():
    # spec §9.1 L4 (100→500, R 10, Δ 16; no lower clamp) and L3 (4→10, R 5, Δ 2)
    l4 = RandomLTDSchedule(100, 500, 10, 16)
    assert [l4.value(s) for s in (0, 1, 5, 10, 11)] == [96, 128, 288, 496, 500]
    l3 = RandomLTDSchedule(4, 10, 5, 2)
    assert [l3.value(s) for s in range(8)] == [4, 4, 6, 6, 8, 10, 10, 10]
    l1 = RandomLTDSchedule(128, 2048, 200000, 16)
    assert [l1.value(s) for s in (0, 100000, 199999, 200000)] == [128, 1088, 2032, 2048]


def test_random_ltd_schedule_equals_gradus_schedule(schedule):
    config = REPO / "configs/gpt-ltd.json"
    sched = random_ltd_settings(config)["schedule"]
    records = schedule(config, 1300)
    # the random_ltd of batch s (s ≥ 1) is r at global_steps = s − 1
    got = [sched.value(rec["step"] - 1) for rec in records if rec["step"] >= 1]
    want = [rec["random_ltd"] for rec in records if rec["step"] >= 1]
    assert got == want
    assert want[0] == 64 and want[-1] == 256 and len(set(want)) == 13  # 64, 80, …, 256


def test_learning_rate_by_hand():
    lr = LearningRate(peak=1.0, min=0.1, warmup=10, total=110, unit="tokens", decay="cosine")
    assert lr.rate(0) == 0.0 and lr.rate(5) == 0.5 and lr.rate(10) == 1.0
    assert lr.rate(60) == pytest.approx(0.55)          # halfway: min + (peak − min)/2
    assert lr.rate(110) == 0.1 and lr.rate(10**9) == 0.1
    lin = LearningRate(peak=2.0, min=0.0, warmup=0, total=100, unit="layer_tokens", decay="linear")
    assert lin.rate(25) == 1.5
    assert LearningRate(peak=3.0, warmup=4, decay="constant").rate(1000) == 3.0
    assert math.isclose(lr.rate(35), 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 4)))


def test_config_reading_and_refusals():
    settings = random_ltd_settings(REPO / "configs/gpt-ltd.json")
    assert settings["layer_ids"] == [1, 2, 3, 4] and settings["total_layers"] == 6
    assert settings["schedule"] == RandomLTDSchedule(64, 256, 1200, 16) and settings["seed"] == 1234
    assert learning_rate(REPO / "configs/gpt-ltd.json") == LearningRate(
        peak=1e-3, min=1e-4, warmup=1228800, total=20582400, unit="layer_tokens", decay="cosine")
    assert random_ltd_settings(REPO / "configs/gpt-cl.json") is None
    with pytest.raises(ValueError, match="min_value .* < seq_per_step"):
        RandomLTDSchedule(8, 64, 10, 16)
    with pytest.raises(ValueError, match="unit must be one of"):
        LearningRate(peak=1.0, warmup=1, total=2, unit="layer_token")
