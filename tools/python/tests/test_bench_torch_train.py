"""tools/bench_torch_train.py (issue 19 item 1) computes Gradus's model: its PyTorch model, loaded
with the numpy float64 fixture's parameters (tools/gen_model_fixture.py, an independent whole-tensor
implementation, in ParameterLayout order), gives the fixture's masked mean loss and parameter
gradients on the fixture's batch; the script itself prints one JSON line for a tiny config and
refuses a config without a model block with an error naming the file."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "tools" / "bench_torch_train.py"
FIXTURE = ROOT / "Tests" / "ModelTests" / "Fixtures" / "tiny_model.json"


def _script():
    spec = importlib.util.spec_from_file_location("bench_torch_train", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parameters_in_layout_order(model, layers):
    """Gradus's ParameterLayout order (Sources/Model/ParameterLayout.swift, as the fixture)."""
    out = [model.wte.weight, model.emb_ln.weight, model.emb_ln.bias]
    for b in model.blocks[:layers]:
        out += [b.ln1.weight, b.ln1.bias, b.qkv.weight, b.qkv.bias, b.proj.weight, b.proj.bias,
                b.ln2.weight, b.ln2.bias, b.fc.weight, b.fc.bias, b.fc_proj.weight, b.fc_proj.bias]
    return out + [model.ln_f.weight, model.ln_f.bias]


def test_model_matches_the_numpy_fixture():
    fixture = json.loads(FIXTURE.read_text())
    c, batch = fixture["config"], fixture["batch"]
    m = dict(layers=c["layers"], d_model=c["d_model"], heads=c["heads"], context=c["context"], vocab=c["vocab"],
             mlp_ratio=c["mlp_ratio"], eps=c["layer_norm_epsilon"], init_std=c["init_std"])
    B, T = batch["B"], batch["T"]
    model = _script().build(torch, m, T).double()
    params = _parameters_in_layout_order(model, m["layers"])
    flat = np.array(fixture["params"])
    offset = 0
    with torch.no_grad():
        for p in params:
            p.copy_(torch.from_numpy(flat[offset:offset + p.numel()]).view_as(p))
            offset += p.numel()
    assert offset == flat.size
    inputs = torch.tensor(batch["inputs"]).view(B, T)
    targets = torch.tensor(batch["targets"]).view(B, T)
    mask = torch.tensor(batch["loss_mask"], dtype=torch.float64).view(B, T)
    loss = model(inputs, targets, mask)
    loss.backward()
    assert abs(loss.item() - fixture["loss"]) <= 1e-9 * abs(fixture["loss"])
    grads = torch.cat([p.grad.reshape(-1) for p in params]).numpy()
    np.testing.assert_allclose(grads, np.array(fixture["grads"]), rtol=1e-7, atol=1e-10)


def test_script_prints_one_json_line_and_names_a_bad_config(tmp_path):
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps({"gradus": {
        "model": {"layers": 1, "d_model": 16, "heads": 2, "context": 8, "vocab": 32},
        "train": {"batch_size": 2, "steps": 1, "lr": {"peak": 1e-3}, "grad_clip": 1.0}}}))
    done = subprocess.run([sys.executable, str(SCRIPT), str(config), "--steps", "1", "--warmup", "1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert (line["mode"], line["threads"], line["context"], line["batch"]) == ("eager", 1, 8, 2)
    assert line["tokens_per_s"] > 0
    bad = tmp_path / "no-model.json"
    bad.write_text(json.dumps({"gradus": {"train": {"batch_size": 2}}}))
    done = subprocess.run([sys.executable, str(SCRIPT), str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert str(bad) in done.stderr and "gradus.model" in done.stderr
