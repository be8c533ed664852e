"""DeepSpeed's monitors as `gradus train` writes them (issue 17 item 3): a tiny run with
`tensorboard` and `csv_monitor` enabled; tensorboard's own EventAccumulator reads the event file,
and the csv files are read as DeepSpeed's csv_monitor writes them; both must equal log.jsonl
(train loss and lr at each step's sample count, the validation loss at the samples it ran after)."""

import csv
import json
import subprocess

import pytest

REPO_CORPUS = "corpora/udhr.sample.jsonl.zst"


def test_tensorboard_and_csv_monitor_equal_log(gradus_binary, tmp_path):
    event_accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="tensorboard is not importable; tools/setup.sh installs it")
    from conftest import REPO
    index = tmp_path / "udhr.idx"
    subprocess.run([str(gradus_binary), "index", str(REPO / REPO_CORPUS), "--tokenizer", "bytes", "--out", str(index),
                    "--threads", "1"], check=True, capture_output=True, cwd=REPO)
    config = json.loads((REPO / "configs/tiny.json").read_text())
    config["gradus"]["train"].update({"steps": 4, "eval_interval": 2, "eval_batches": 1, "checkpoint_interval": 0,
                                      "lr": {"peak": 3e-3, "min": 3e-4, "warmup": 1, "total": 4, "unit": "steps",
                                             "decay": "cosine"}})
    config["tensorboard"] = {"enabled": True, "job_name": "tb_job"}
    config["csv_monitor"] = {"enabled": True, "output_path": "monitors", "job_name": "csv_job"}
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    run = tmp_path / "run"
    subprocess.run([str(gradus_binary), "train", str(config_path), "--index", str(index), "--out", str(run),
                    "--threads", "1"], check=True, capture_output=True, cwd=REPO)

    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    steps = [r for r in records if "loss" in r]
    evals = [r for r in records if "val_loss" in r]
    samples_at = {r["step"]: r["samples"] for r in steps} | {0: 0}
    expected = {
        "Train/Samples/train_loss": [(r["samples"], r["loss"]) for r in steps],
        "Train/Samples/lr": [(r["samples"], r["lr"]) for r in steps],
        "Train/Samples/val_loss": [(samples_at[e["step"]], e["val_loss"]) for e in evals],
    }
    assert len(steps) == 4 and len(evals) == 2, records

    # DeepSpeed's layout: output_path/job_name/, output_path "" = the run directory.
    events = event_accumulator.EventAccumulator(str(run / "tb_job"))
    events.Reload()
    assert sorted(events.Tags()["scalars"]) == sorted(expected)
    for tag, points in expected.items():
        got = [(e.step, e.value) for e in events.Scalars(tag)]
        assert [s for s, _ in got] == [s for s, _ in points], tag
        for (_, value), (_, want) in zip(got, points):
            assert value == pytest.approx(want, rel=1e-6), tag  # simple_value is a float32

    csv_dir = run / "monitors" / "csv_job"
    for tag, points in expected.items():
        with open(csv_dir / (tag.replace("/", "_") + ".csv"), newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["step", tag.split("/")[-1]]
        assert [(int(s), float(v)) for s, v in rows[1:]] == points, tag
