#!/usr/bin/env python3
"""PyTorch reference of `gradus bench train` (issue 19 item 1): the same training step in PyTorch.

The model is Gradus's BLOOM-style decoder (docs/training.md "Model"), written with stock PyTorch
modules: token embedding (no learned positions) -> embedding LayerNorm -> L pre-LN blocks
(LN -> qkv Linear(C, 3C) -> causal multi-head attention with ALiBi biases -> proj Linear(C, C) ->
residual; LN -> Linear(C, 4C) -> tanh-GELU -> Linear(4C, C) -> residual) -> final LayerNorm ->
logits = x . wte^T (tied) -> masked mean cross-entropy. Attention is
`F.scaled_dot_product_attention` with one float bias (NH, T, T): BLOOM's ALiBi slopes times
-(i - j) and -inf above the diagonal. One training step is: zero grads, forward, backward,
global-norm clipping to `grad_clip`, AdamW (betas, eps, weight decay on matrices only, as
Gradus's nanoGPT groups), all from the same run config's `gradus.model` / `gradus.train`.

Batches are synthetic (uniform token ids, loss mask 1, seed 1), as in `gradus bench train`.
Float32, `torch.set_num_threads(--threads)` (default 1). `--compile` wraps the model in
`torch.compile` (inductor, CPU); the warm-up steps (which compile) are not timed.

Prints one JSON line: bench, mode (eager | compile), threads, torch version, config sizes,
tokens_per_s, step_s (wall-clock) and step_cpu_s (CPU time of this process per step, which a busy
shared machine inflates much less than the wall-clock).

Usage:
  python3 tools/bench_torch_train.py configs/small-text.json [--compile] [--threads 1]
      [--steps 5] [--warmup 2]
Exit status: 0 on success, 1 when torch is missing or the config is unusable, 2 on usage errors.
"""

import argparse
import json
import math
import sys
import time


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def read_config(path):
    """The model and train sizes of a Gradus run config, with the defaults Gradus uses."""
    try:
        with open(path, encoding="utf-8") as f:
            root = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot read the run config ({e}); pass a Gradus run config such as configs/small-text.json")
    g = root.get("gradus", {})
    model, train = g.get("model"), g.get("train")
    if not isinstance(model, dict) or not isinstance(train, dict):
        fail(f"{path}: no gradus.model / gradus.train block; pass a run config that trains a model")
    try:
        m = dict(layers=int(model["layers"]), d_model=int(model["d_model"]), heads=int(model["heads"]),
                 context=int(model["context"]), vocab=int(model["vocab"]),
                 mlp_ratio=int(model.get("mlp_ratio", 4)),
                 eps=float(model.get("layer_norm_epsilon", 1e-5)), init_std=float(model.get("init_std", 0.02)))
        opt = train.get("optimizer", {})
        t = dict(batch=int(train["batch_size"]), length=int(train.get("seq_length", m["context"])),
                 beta1=float(opt.get("beta1", 0.9)), beta2=float(opt.get("beta2", 0.95)),
                 epsilon=float(opt.get("epsilon", 1e-8)), weight_decay=float(opt.get("weight_decay", 0.1)),
                 clip=train.get("grad_clip"))
    except (KeyError, TypeError, ValueError) as e:
        fail(f"{path}: gradus.model / gradus.train lacks or mistypes {e}; see docs/training.md for the keys")
    if m["d_model"] % m["heads"] != 0:
        fail(f"{path}: d_model {m['d_model']} is not a multiple of heads {m['heads']}")
    return m, t


def alibi_slopes(n):
    """BLOOM's build_alibi_tensor slopes (as Sources/Model/Layers/ALiBi.swift)."""
    p = 2 ** math.floor(math.log2(n))
    base = 2.0 ** (-(2.0 ** -(math.log2(p) - 3)))
    s = [base ** i for i in range(1, p + 1)]
    if p != n:
        extra = 2.0 ** (-(2.0 ** -(math.log2(2 * p) - 3)))
        s += [extra ** i for i in range(1, 1 + 2 * min(p, n - p), 2)]
    return s


def build(torch, m, T):
    nn, F = torch.nn, torch.nn.functional
    C, NH, H = m["d_model"], m["heads"], m["d_model"] * m["mlp_ratio"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(C, eps=m["eps"]), nn.LayerNorm(C, eps=m["eps"])
            self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
            self.fc, self.fc_proj = nn.Linear(C, H), nn.Linear(H, C)

        def forward(self, x, bias):
            B = x.shape[0]
            q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, NH, C // NH).permute(2, 0, 3, 1, 4)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
            x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
            return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(m["vocab"], C)
            self.emb_ln, self.ln_f = nn.LayerNorm(C, eps=m["eps"]), nn.LayerNorm(C, eps=m["eps"])
            self.blocks = nn.ModuleList(Block() for _ in range(m["layers"]))
            slopes = torch.tensor(alibi_slopes(NH), dtype=torch.float32)
            i = torch.arange(T)
            distance = (i[:, None] - i[None, :]).float()
            bias = -slopes[:, None, None] * distance
            self.register_buffer("bias", bias.masked_fill(distance < 0, float("-inf")))
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    nn.init.normal_(p, 0, m["init_std"])
                elif name.endswith("bias"):
                    nn.init.zeros_(p)

        def forward(self, tokens, targets, mask):
            x = self.emb_ln(self.wte(tokens))
            for block in self.blocks:
                x = block(x, self.bias)
            logits = self.ln_f(x) @ self.wte.weight.t()
            # Masked positions may hold any target (Gradus reads them as 0, as here).
            safe = targets.masked_fill(mask == 0, 0)
            nll = F.cross_entropy(logits.view(-1, logits.shape[-1]), safe.view(-1), reduction="none")
            return (nll * mask.view(-1)).sum() / mask.sum()

    return GPT()


def main():
    ap = argparse.ArgumentParser(description="PyTorch reference step of `gradus bench train`.")
    ap.add_argument("config", help="Gradus run config with gradus.model / gradus.train")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (inductor, CPU)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps first (compilation happens here)")
    args = ap.parse_args()
    if args.threads < 1 or args.steps < 1 or args.warmup < 1:
        ap.error("--threads, --steps and --warmup must be >= 1")
    try:
        import torch
    except ImportError:
        fail("torch is not importable; install PyTorch (pip install torch --index-url https://download.pytorch.org/whl/cpu)")
    m, t = read_config(args.config)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    B, T = t["batch"], t["length"]
    model = build(torch, m, T)
    decay = [p for p in model.parameters() if p.dim() == 2]
    other = [p for p in model.parameters() if p.dim() != 2]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=t["weight_decay"]), dict(params=other, weight_decay=0.0)],
                            lr=1e-3, betas=(t["beta1"], t["beta2"]), eps=t["epsilon"])
    loss_fn = torch.compile(model) if args.compile else model
    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, m["vocab"], (B, T + 1), generator=g)
    inputs, targets, mask = tokens[:, :-1].contiguous(), tokens[:, 1:].contiguous(), torch.ones(B, T)

    def step():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(inputs, targets, mask)
        loss.backward()
        if t["clip"] is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), float(t["clip"]))
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        loss = step()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if not math.isfinite(loss.item()):
        fail(f"the loss is {loss.item()} after {args.warmup + args.steps} steps; the reference step is broken")
    print(json.dumps(dict(bench="train_torch", mode="compile" if args.compile else "eager", threads=args.threads,
                          torch=torch.__version__, layers=m["layers"], d_model=m["d_model"], heads=m["heads"],
                          vocab=m["vocab"], context=T, batch=B, tokens_per_s=round(B * T * args.steps / seconds),
                          step_s=round(seconds / args.steps, 4), step_cpu_s=round(cpu / args.steps, 4))))


if __name__ == "__main__":
    main()
