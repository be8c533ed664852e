"""tools/python/examples/train_gpt.py as the external trainer of a ``gradus experiment`` matrix
(issue 17 item 1; docs/evaluation.md, "Your own trainer in the matrix"): baseline, curriculum
(seqlen_truncate) and random-LTD variants on tiny.json, 8 steps each, the three at once
(``--jobs 3``, one thread each). Their results.jsonl lines carry the keys of built-in runs,
``gradus report`` reads them, and a matrix SIGKILLed mid-run (the whole process group: gradus,
the trainers and their ``gradus batches``) and resumed with --resume ends with the same results
as an uninterrupted one — losses equal, as CPU torch with fixed seeds and one thread is
deterministic; only wall-clock differs."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

CURRICULUM = {"data_efficiency": {"enabled": True, "seed": 3, "data_sampling": {"enabled": True, "curriculum_learning": {
    "enabled": True, "curriculum_metrics": {"seqlen_truncate": {
        "difficulty_type": "value", "clustering_type": "single_cluster", "min_difficulty": 16, "max_difficulty": 64,
        "schedule_type": "fixed_linear", "schedule_config": {"total_curriculum_step": 8, "difficulty_step": 16}}}}}}}
RANDOM_LTD = {"gradus": {"model": {"layers": 3}}, "data_efficiency": {"enabled": True, "data_routing": {"enabled": True, "random_ltd": {
    "enabled": True, "total_layer_num": 3, "random_ltd_layer_num": 1, "random_ltd_layer_id": [1],
    "model_mask_name": "attention_mask", "model_type": "decoder", "hidden_state_order": "batch_seq_dim",
    "random_ltd_schedule": {"min_value": 16, "max_value": 64, "schedule_type": "fixed_linear",
                            "schedule_config": {"require_steps": 8, "seq_per_step": 16}}}}}}
VARIANTS = [{"name": "baseline", "override": {}}, {"name": "cl", "override": CURRICULUM},
            {"name": "ltd", "override": RANDOM_LTD}]
# Wall-clock (and fields derived from it) differ between any two runs.
WALL = {"wall_seconds"}


def matrix(path, external=True, variants=VARIANTS):
    """Writes a matrix on configs/tiny.json (B 4, T 64): 2048 tokens, evaluations every 1024."""
    m = {"base": str(REPO / "configs/tiny.json"), "seeds": [1], "budget": {"tokens": 2048},
         "eval_interval_tokens": 1024, "validation": {"fraction": 0.05, "batches": 2}, "variants": variants}
    if external:
        m["trainer"] = {"command": [sys.executable, "{matrix_dir}/train_gpt.py", "{run_json}"]}
        (path.parent / "train_gpt.py").write_text((REPO / "tools/python/examples/train_gpt.py").read_text())
    path.write_text(json.dumps(m))
    return path


@pytest.fixture(scope="module")
def setup(gradus_binary, tmp_path_factory):
    """(gradus, index, work dir): the UDHR sample as bytes (vocabulary 258), packed to 64 + 1 tokens."""
    work = tmp_path_factory.mktemp("ext")
    index = work / "u.idx"
    subprocess.run([str(gradus_binary), "index", str(REPO / "corpora/udhr.sample.jsonl.zst"), "--tokenizer", "bytes",
                    "--pack", "64", "--out", str(index)], check=True, capture_output=True)
    return gradus_binary, index, work


def experiment(gradus, matrix_path, index, out, *extra, kill_at=None):
    """Runs ``gradus experiment`` in its own process group (the trainer's SIGKILL ends only that group)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "tools/python"), os.environ.get("PYTHONPATH", "")]))
    env.pop("GRADUS_EXAMPLE_KILL_AT_STEP", None)
    if kill_at:
        env["GRADUS_EXAMPLE_KILL_AT_STEP"] = str(kill_at)
    return subprocess.run([str(gradus), "experiment", str(matrix_path), "--index", str(index), "--out", str(out),
                           "--threads", "1", "--jobs", "3", *extra], capture_output=True, text=True, env=env, start_new_session=True)


def results(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def without_wall(result):
    """A result without its wall-clock numbers (curve points keep tokens and loss)."""
    kept = {k: v for k, v in result.items() if k not in WALL}
    kept["curve"] = [[tokens, loss] for tokens, _, loss in result["curve"]]
    return kept


def step_losses(out, name):
    """(step, tokens, loss or val_loss, seq_length, reserved, difficulty) of every line of a run's log."""
    lines = (out / "runs" / (name + "-seed1") / "log.jsonl").read_text().splitlines()
    return [tuple(r.get(k) for k in ("step", "tokens", "loss", "val_loss", "seq_length", "reserved", "difficulty"))
            for r in map(json.loads, lines)]


@pytest.fixture(scope="module")
def uninterrupted(setup):
    gradus, index, work = setup
    out = work / "whole"
    run = experiment(gradus, matrix(work / "whole.json"), index, out)
    assert run.returncode == 0, run.stderr
    return out


def test_external_runs_apply_what_the_config_asks_and_have_the_built_in_keys(setup, uninterrupted):
    gradus, index, work = setup
    found = {r["variant"]: r for r in results(uninterrupted)}
    assert list(found) == ["baseline", "cl", "ltd"]
    assert (found["baseline"]["sampler"], found["baseline"]["random_ltd_applied"]) == ("uniform", False)
    assert (found["cl"]["sampler"], found["cl"]["curriculum_requested"]) == ("curriculum", True)
    assert found["ltd"]["random_ltd_applied"] and found["ltd"]["random_ltd_requested"]
    # The budget: the first step reaching 2048 tokens; evaluations at 0, each 1024 crossed, the end.
    assert found["baseline"]["steps"] == 8 and found["baseline"]["tokens"] == 2048
    assert [p[0] for p in found["baseline"]["curve"]] == [0, 1024, 2048]
    # FLOPs, forward + backward = 3 × forward, d 64, 2 layers, 4 rows of 64 tokens, vocabulary 258:
    # per layer the projections 2·64·64·(3·64 + 64 + 8·64) and attention 4·64²·64 a row; the output 2·64·64·258.
    per_step = 3 * (4 * 2 * (2 * 64 * 64 * 768 + 4 * 64 ** 3) + 4 * 2 * 64 * 64 * 258)
    assert found["baseline"]["flops"] == 8 * per_step
    # 3 layers of 256 tokens a step; layer 1 keeps r = ⌊16 + 48·s/8⌋ rounded down to a multiple of
    # 16 at steps s = 0…7: 16, 16, 16, 32, 32, 32, 48, 48 tokens of each of the 4 rows.
    assert found["ltd"]["layer_tokens"] == 2 * 2048 + 4 * (16 * 3 + 32 * 3 + 48 * 2)
    # seqlen_truncate 16 → 64 over 8 steps: the first step trains 4 rows of 16 tokens.
    first = step_losses(uninterrupted, "cl")[1]
    assert (first[0], first[1], first[4], first[6]) == (1, 64, 16, {"seqlen_truncate": 16.0})
    # A built-in run of the same matrix writes the same keys.
    builtin = work / "builtin"
    run = experiment(gradus, matrix(work / "builtin.json", external=False, variants=VARIANTS[:1]), index, builtin)
    assert run.returncode == 0, run.stderr
    assert set(results(builtin)[0]) == set(found["baseline"])
    report = subprocess.run([str(gradus), "report", str(uninterrupted)], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    text = (uninterrupted / "report.md").read_text()
    assert all(name in text for name in ("baseline", "cl", "ltd"))


def test_killed_and_resumed_matrix_equals_the_uninterrupted_one(setup, uninterrupted):
    gradus, index, work = setup
    out, path = work / "killed", matrix(work / "killed.json")
    # The first run to log its step 6 kills the process group (a step after the step-4 evaluation's
    # checkpoint for baseline and ltd), the other runs wherever they are; --resume finishes them.
    killed = experiment(gradus, path, index, out, kill_at=6)
    assert killed.returncode == -9, killed.stderr
    assert (out / "runs" / "killed").exists()
    assert not (out / "results.jsonl").exists()
    resumed = experiment(gradus, path, index, out, "--resume", kill_at=6)
    assert resumed.returncode == 0, resumed.stderr
    launches = [(out / "runs" / (n + "-seed1") / "trainer.log").read_text().count("--- gradus experiment:")
                for n in ("baseline", "cl", "ltd")]
    assert max(launches) == 2, launches
    for name in ("baseline", "cl", "ltd"):
        assert step_losses(out, name) == step_losses(uninterrupted, name)
    assert [without_wall(r) for r in results(out)] == [without_wall(r) for r in results(uninterrupted)]


def test_external_trainer_reports_loss_per_group_on_a_grouped_index(setup):
    """On an index built with --group-field lang, heldout.json carries each held-out id's group (the
    built-in trainer's stratified split, in its evaluation order), the example trainer writes
    val_groups, per-group losses weighted by positions give back val_loss, and results.jsonl and the
    report carry the per-group curves and table like a built-in run's."""
    gradus, _, work = setup
    index = work / "grouped.idx"
    subprocess.run([str(gradus), "index", str(REPO / "corpora/udhr.sample.jsonl.zst"), "--tokenizer", "bytes",
                    "--pack", "64", "--group-field", "lang", "--out", str(index)], check=True, capture_output=True)
    out = work / "grouped"
    run = experiment(gradus, matrix(work / "grouped.json", variants=VARIANTS[:1]), index, out)
    assert run.returncode == 0, run.stderr
    heldout = json.loads((out / "runs/baseline-seed1/heldout.json").read_text())
    assert len(heldout["groups"]["lang"]) == len(heldout["ids"]) and len(set(heldout["groups"]["lang"])) > 1
    evaluations = [r for r in map(json.loads, (out / "runs/baseline-seed1/log.jsonl").read_text().splitlines()) if "val_loss" in r]
    assert len(evaluations) == 3
    for e in evaluations:
        groups = e["val_groups"]["lang"]
        positions = sum(g["positions"] for g in groups.values())
        assert positions == 2 * 4 * 64  # 2 batches of 4 packed rows, 64 targets each
        assert math.isclose(sum(g["loss"] * g["positions"] for g in groups.values()) / positions, e["val_loss"], rel_tol=1e-9)
    result = results(out)[0]
    assert set(result["val_group_curves"]["lang"]) == set(evaluations[-1]["val_groups"]["lang"])
    builtin = work / "grouped-builtin"
    run = experiment(gradus, matrix(work / "grouped-builtin.json", external=False, variants=VARIANTS[:1]), index, builtin)
    assert run.returncode == 0, run.stderr
    assert set(results(builtin)[0]) == set(result)
    assert "Validation loss per group" in (out / "report.md").read_text()
