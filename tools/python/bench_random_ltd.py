"""bench_random_ltd.py — random-LTD's step-time saving in PyTorch, measured against its theoretical saving.

Usage: python3 tools/python/bench_random_ltd.py [--steps 6] [--reserved 128 64] [--threads 1]

A random-init Hugging Face BLOOM with the shapes of configs/gpt-ltd.json (6 layers, d_model 256,
8 heads, vocab 8192, batch 8 × 256 tokens) trains on CPU with AdamW: dense, and with
gradus.torch.RandomLTD keeping r tokens in layers 1–4. Every variant starts from the same weights
and sees the same token batches; their steps are interleaved (one step of each in turn) so that a
change in machine load hits all alike, and each step time is the median over the timed steps
(after one untimed warm-up step). The step time is the process's CPU time (on one thread, the
default, that is the compute the step cost, whatever else runs on the machine); the wall time is
printed beside it.

Theoretical saving = 1 − F(r)/F(dense), F the matmul FLOPs of one forward + backward step, the
formula of `gradus bench train` with each layer's length n_i (T, or r in a dropping layer):
    F = 3 · (2·B·12·C²·Σ_i n_i + 2·B·T·V·C + 4·B·C·Σ_i n_i²)
so the LM head (2·B·T·V·C, never dropped) and attention's n² term are counted. The measured saving
is 1 − t(r)/t(dense); the script prints measured/theoretical (target ≥ 0.8).
"""

import argparse
import copy
import json
import statistics
import time

import torch
from transformers import BloomConfig, BloomForCausalLM

from gradus.schedule import RandomLTDSchedule
from gradus.torch import RandomLTD


def flops(batch, length, layers, d_model, vocab, lengths):
    """Matmul FLOPs of one training step with per-layer lengths ``lengths``."""
    n, n2 = sum(lengths), sum(x * x for x in lengths)
    forward = 2 * batch * 12 * d_model ** 2 * n + 2 * batch * length * vocab * d_model + 4 * batch * d_model * n2
    return 3 * forward


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=6, help="timed steps per variant")
    ap.add_argument("--reserved", type=int, nargs="+", default=[128, 64], help="r values to measure")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--d-model", type=int, default=256)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dropping = list(range(1, a.layers - 1))

    torch.manual_seed(a.seed)
    base = BloomForCausalLM(BloomConfig(vocab_size=a.vocab, hidden_size=a.d_model, n_layer=a.layers,
                                        n_head=a.heads, use_cache=False)).train()
    variants = [("dense", None)] + [(f"r={r}", r) for r in a.reserved]
    runs = []
    for name, r in variants:
        model = copy.deepcopy(base)
        if r is not None:
            RandomLTD(model.transformer.h, dropping, RandomLTDSchedule(r, r, 1, 1), seed=a.seed)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        runs.append({"name": name, "r": r, "model": model, "opt": opt, "times": [], "walls": [], "losses": []})

    g = torch.Generator().manual_seed(a.seed)
    batches = [torch.randint(0, a.vocab, (a.batch, a.seq), generator=g) for _ in range(a.steps + 1)]
    for step, ids in enumerate(batches):
        for run in runs:
            cpu, wall = time.process_time(), time.perf_counter()
            loss = run["model"](ids, labels=ids).loss
            loss.backward()
            run["opt"].step()
            run["opt"].zero_grad(set_to_none=True)
            if step > 0:
                run["times"].append(time.process_time() - cpu)
                run["walls"].append(time.perf_counter() - wall)
                run["losses"].append(loss.item())

    dense_t = statistics.median(runs[0]["times"])
    dense_f = flops(a.batch, a.seq, a.layers, a.d_model, a.vocab, [a.seq] * a.layers)
    print(f"BLOOM L={a.layers} C={a.d_model} heads={a.heads} V={a.vocab}, B={a.batch} T={a.seq}, "
          f"dropping layers {dropping}, {a.threads} threads, {a.steps} timed steps (median)")
    print(f"{'variant':>8} {'cpu s':>7} {'wall s':>7} {'tokens/s':>9} {'theory':>7} {'measured':>8} {'ratio':>6} "
          f"{'last loss':>9}")
    for run in runs:
        t = statistics.median(run["times"])
        r = run["r"] or a.seq
        lengths = [r if i in dropping else a.seq for i in range(a.layers)]
        theory = 1 - flops(a.batch, a.seq, a.layers, a.d_model, a.vocab, lengths) / dense_f
        measured = 1 - t / dense_t
        ratio = measured / theory if theory > 0 else float("nan")
        wall = statistics.median(run["walls"])
        run.update(step_cpu_s=t, step_wall_s=wall, tokens_per_s=a.batch * a.seq / t, theoretical_saving=theory,
                   measured_saving=measured, ratio=ratio)
        print(f"{run['name']:>8} {t:7.3f} {wall:7.3f} {a.batch * a.seq / t:9.0f} {theory:7.3f} {measured:8.3f} "
              f"{ratio:6.2f} {run['losses'][-1]:9.4f}")
    print(json.dumps([{k: v for k, v in run.items() if k not in ("model", "opt", "times", "walls", "losses")}
                      for run in runs]))


if __name__ == "__main__":
    main()
