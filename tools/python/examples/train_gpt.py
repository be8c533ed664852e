"""train_gpt.py — a tiny causal LM in PyTorch as an external trainer of ``gradus experiment``
(docs/evaluation.md, "Your own trainer in the matrix"; docs/pytorch.md).

    {"base": "../configs/tiny.json", ...,
     "trainer": {"command": ["python3", "{matrix_dir}/../tools/python/examples/train_gpt.py", "{run_json}"]}}

It reads the runner's hand-over (the argument, else ``$GRADUS_RUN``): the merged config
(``gradus.model`` sizes, ``gradus.train`` batch size and ``lr``), the seed, the budget, the
evaluation interval, the index and the held-out ids. It trains on CPU, deterministically (one
thread unless the hand-over grants more, ``torch.manual_seed``, no dropout):

- batches: curriculum batches streamed by ``gradus batches`` (``gradus.data.GradusIterableDataset``,
  held-out ids skipped with ``--held-out-fraction``) when the config enables a curriculum, else
  a seeded permutation of the training ids per epoch, B rows of seq_length + 1 tokens;
- random-LTD (``gradus.torch.RandomLTD``) in the config's ``random_ltd_layer_id`` layers when the
  config enables it; the learning rate follows ``gradus.train.lr`` in its unit;
- evaluation: mean token loss over ``validation.batches`` batches of B held-out ids in ascending
  order (wrapping around), at step 0, after each step whose tokens cross a multiple of
  ``eval_interval_tokens``, and at the last step (the first step that reaches the budget);
- RUN/log.jsonl in the documented schema, RUN/checkpoint.pt at every evaluation and when
  SIGINT/SIGTERM asks it to stop (it then exits 128 + the signal). Started again in the same run
  directory it resumes from the checkpoint, first cutting log.jsonl back to the checkpoint's step.

``GRADUS_EXAMPLE_KILL_AT_STEP=K`` (tests only) kills the trainer's process group (``gradus
experiment`` with it) with SIGKILL right after step K's log line, before any checkpoint of that
step — a machine dying mid-run, every run of the matrix stopping wherever it is — once per
experiment (OUT/runs/killed marks it).
"""

import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gradus.data import GradusIterableDataset
from gradus.index import IndexReader
from gradus.schedule import LearningRate, learning_rate, random_ltd_settings
from gradus.torch import RandomLTD


class Block(nn.Module):
    """Pre-norm decoder block: causal self-attention and an MLP, on (B, T, C)."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # kept tokens stay in order: still causal
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp(self.norm2(x))


class TinyGPT(nn.Module):
    """Token + learned position embeddings, L blocks, a final norm and a tied output layer."""

    def __init__(self, vocab, context, layers, d, heads):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.h = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        for e in (self.tokens, self.positions):
            nn.init.normal_(e.weight, std=0.02)  # GPT-2's: a tied output starts near uniform (loss ≈ ln vocab)

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))[None]
        for block in self.h:
            x = block(x)
        return self.norm(x) @ self.tokens.weight.T


def step_flops(model, rows, length, reserved, vocab):
    """Matmul FLOPs of one step's forward + backward (3 × forward) for the shapes it served: per
    layer the QKV, output and MLP projections over the n tokens each row kept (r in a dropping
    layer, else ``length``) and attention's two n × n products; then the output layer."""
    d, forward = model.tokens.weight.shape[1], 0
    for i, _ in enumerate(model.h):
        n = min(reserved, length) if reserved is not None and i in model.dropping else length
        forward += rows * (2 * n * d * (3 * d + d + 8 * d) + 4 * n * n * d)
    return 3 * (forward + rows * 2 * length * d * vocab)


def rows_of(samples, length):
    """(inputs, labels) of samples cut to ``length`` + 1 tokens; shorter ones padded (label -100)."""
    ids = np.zeros((len(samples), length), dtype=np.int64)
    labels = np.full((len(samples), length), -100, dtype=np.int64)
    for i, s in enumerate(samples):
        s = np.asarray(s[:length + 1], dtype=np.int64)
        ids[i, :len(s) - 1], labels[i, :len(s) - 1] = s[:-1], s[1:]
    return torch.from_numpy(ids), torch.from_numpy(labels)


class Trainer:
    def __init__(self, run):
        self.run = run
        with open(run["config"], encoding="utf-8") as f:
            self.config = json.load(f)
        g = self.config["gradus"]
        m, t = g["model"], g["train"]
        self.B, self.T = int(t["batch_size"]), int(run["validation"]["seq_length"])
        torch.manual_seed(int(run["seed"]))
        self.model = TinyGPT(int(m["vocab"]), int(m["context"]), int(m["layers"]), int(m["d_model"]), int(m["heads"]))
        self.lr = learning_rate(self.config) or LearningRate(peak=1e-3, warmup=0, decay="constant")
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.lr.peak, betas=(0.9, 0.95), weight_decay=0.1)
        settings = random_ltd_settings(self.config) if run["random_ltd"] else None
        self.ltd = RandomLTD(self.model.h, **settings) if settings else None
        self.model.dropping = set(settings["layer_ids"]) if settings else set()
        self.vocab = int(m["vocab"])
        self.index = IndexReader(run["index"])
        with open(run["validation"]["heldout"], encoding="utf-8") as f:
            heldout = json.load(f)
        self.heldout = heldout["ids"]
        # On an index built with --group-field: each held-out id's group per field (val_groups).
        self.heldout_groups = heldout.get("groups", {})
        held = set(self.heldout)
        self.training_ids = np.array([i for i in range(len(self.index)) if i not in held], dtype=np.int64)
        self.counters = {"step": 0, "samples": 0, "tokens": 0, "layer_tokens": 0, "train_s": 0.0}
        self.stream, self.stream_state = None, None
        self.started = time.perf_counter()

    # -- batches ------------------------------------------------------------------------------
    def batches(self):
        """(inputs, labels, difficulty or None) per step, from the step after the counters' on."""
        if self.run["curriculum"]:
            # One micro-batch of B rows a step, as gradus's own trainer draws them: the config with
            # DeepSpeed's batch keys set to gradus.train.batch_size.
            config = {k: v for k, v in self.config.items() if k != "gradient_accumulation_steps"}
            config.update(train_batch_size=self.B, train_micro_batch_size_per_gpu=self.B)
            stream_config = os.path.join(self.run["run_dir"], "stream-config.json")
            with open(stream_config, "w", encoding="utf-8") as f:
                json.dump(config, f)
            self.stream = GradusIterableDataset(self.run["index"], stream_config, 1 << 40, gradus=self.run["gradus"],
                                                no_lock=self.run["no_lock"],
                                                held_out_fraction=self.run["validation"]["fraction"])
            if self.stream_state is not None:
                self.stream.load_state_dict(self.stream_state)
            for item in self.stream:  # one micro-batch of B rows a step (gradus.train.batch_size)
                if item["accumulation_steps"] != 1:
                    sys.exit("train_gpt.py: the config's batch geometry has gradient accumulation; this example takes one micro-batch a step")
                labels = item["labels"][:, 1:].clone()
                yield item["input_ids"][:, :-1], labels, item["difficulty"]
            return
        n, step = len(self.training_ids), self.counters["step"]
        while True:
            start = step * self.B
            ids = [self._permutation(k // n)[k % n] for k in range(start, start + self.B)]
            step += 1
            yield (*rows_of([self.index.tokens(int(i)) for i in ids], self.T), None)

    def _permutation(self, epoch):
        if getattr(self, "_epoch", None) != epoch:
            self._epoch, self._order = epoch, np.random.RandomState(int(self.run["seed"]) * 1000 + epoch).permutation(self.training_ids)
        return self._order

    # -- evaluation, checkpoints, log ---------------------------------------------------------
    def evaluate(self):
        self.model.eval()
        total, count = 0.0, 0
        groups = {field: {} for field in self.heldout_groups}  # field -> group -> [loss sum, positions]
        with torch.no_grad():
            for b in range(int(self.run["validation"]["batches"])):
                slots = [(b * self.B + j) % len(self.heldout) for j in range(self.B)]
                inputs, labels = rows_of([self.index.tokens(self.heldout[k]) for k in slots], self.T)
                logits = self.model(inputs)
                per_position = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                               ignore_index=-100, reduction="none").reshape(labels.shape)
                row_loss = per_position.sum(dim=1).tolist()
                row_count = (labels != -100).sum(dim=1).tolist()
                total += sum(row_loss)
                count += int(sum(row_count))
                for field, names in self.heldout_groups.items():
                    for k, loss, n in zip(slots, row_loss, row_count):
                        acc = groups[field].setdefault(names[k], [0.0, 0])
                        acc[0] += loss
                        acc[1] += int(n)
        self.model.train()
        c = self.counters
        record = {"step": c["step"], "tokens": c["tokens"], "val_loss": total / count, "train_s": c["train_s"],
                  "elapsed": time.perf_counter() - self.started}
        if groups:
            record["val_groups"] = {field: {name: {"loss": s / n, "positions": n} for name, (s, n) in by.items() if n > 0}
                                    for field, by in groups.items()}
        self.write(record)

    def write(self, record):
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()
        os.fsync(self.log.fileno())

    def checkpoint_path(self):
        return os.path.join(self.run["run_dir"], "checkpoint.pt")

    def save(self):
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "counters": dict(self.counters),
                 "ltd": self.ltd.state_dict() if self.ltd else None,
                 "stream": self.stream.state_dict() if self.stream else None}
        path = self.checkpoint_path()
        torch.save(state, path + ".tmp")
        os.replace(path + ".tmp", path)

    def restore(self):
        """Loads the checkpoint when there is one and cuts log.jsonl back to its step (a torn or
        later line goes); without one the log starts empty. Returns whether it resumed."""
        path, log = self.checkpoint_path(), self.run["log"]
        if not os.path.exists(path):
            open(log, "w").close()
            return False
        state = torch.load(path, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.counters = state["counters"]
        if self.ltd:
            self.ltd.load_state_dict(state["ltd"])
        self.stream_state = state["stream"]
        kept = []
        with open(log, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    break
                if not line.endswith("\n") or record["step"] > self.counters["step"]:
                    break
                kept.append(line)
        with open(log + ".tmp", "w", encoding="utf-8") as f:
            f.writelines(kept)
        os.replace(log + ".tmp", log)
        return True

    # -- the loop -----------------------------------------------------------------------------
    def budget_reached(self):
        c, budget = self.counters, self.run["budget"]
        if "tokens" in budget:
            return c["tokens"] >= budget["tokens"]
        if "steps" in budget:
            return c["step"] >= budget["steps"]
        return c["train_s"] >= budget["seconds"]

    def rate(self, step_tokens):
        """The LR of the next step: ``gradus.train.lr`` at its counter after this step (layer-tokens
        counted dense), as gradus takes it."""
        c, unit = self.counters, self.lr.unit
        if unit == "steps":
            return self.lr.rate(c["step"] + 1)
        if unit == "tokens":
            return self.lr.rate(c["tokens"] + step_tokens)
        return self.lr.rate(c["layer_tokens"] + len(self.model.h) * step_tokens)

    def train(self, stop):
        resumed = self.restore()
        self.log = open(self.run["log"], "a", encoding="utf-8")
        if not resumed:
            self.evaluate()
            self.save()
        interval = int(self.run["eval_interval_tokens"])
        kill_at = int(os.environ.get("GRADUS_EXAMPLE_KILL_AT_STEP", "0"))
        layers = len(self.model.h)
        for inputs, labels, difficulty in self.batches():
            if self.budget_reached():
                break
            began = time.perf_counter()
            for group in self.optimizer.param_groups:
                group["lr"] = self.rate(int(inputs.numel()))
            reserved = self.ltd.reserved_length if self.ltd else None
            before = self.ltd.consumed["layer_tokens"] if self.ltd else 0
            logits = self.model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0).item()
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            if self.ltd:
                self.ltd.step()
            c, step_tokens = self.counters, int(inputs.numel())
            crossed_from = c["tokens"]
            c["step"] += 1
            c["samples"] += inputs.shape[0]
            c["tokens"] += step_tokens
            c["layer_tokens"] += (self.ltd.consumed["layer_tokens"] - before) if self.ltd else layers * step_tokens
            seconds = time.perf_counter() - began
            c["train_s"] += seconds
            record = {"step": c["step"], "samples": c["samples"], "tokens": c["tokens"], "layer_tokens": c["layer_tokens"],
                      "loss": loss.item(), "lr": self.optimizer.param_groups[0]["lr"], "grad_norm": norm,
                      "seq_length": int(inputs.shape[1]), "tokens_per_s": step_tokens / max(seconds, 1e-9),
                      "elapsed": time.perf_counter() - self.started, "train_s": c["train_s"], "step_tokens": step_tokens,
                      "flops": float(step_flops(self.model, inputs.shape[0], inputs.shape[1], reserved, self.vocab))}
            if difficulty is not None:
                record["difficulty"] = {k: float(v) for k, v in difficulty.items()}
            if reserved is not None:
                record["reserved"] = int(reserved)
            self.write(record)
            marker = os.path.join(os.path.dirname(self.run["run_dir"]), "killed")
            if kill_at and c["step"] == kill_at and not os.path.exists(marker):
                open(marker, "w").close()
                os.killpg(os.getpgrp(), signal.SIGKILL)
            if c["tokens"] // interval > crossed_from // interval or self.budget_reached():
                self.evaluate()
                self.save()
            elif stop["signal"]:
                self.save()
            if stop["signal"]:
                return 128 + stop["signal"]
        return 0


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GRADUS_RUN")
    if not path:
        sys.exit("train_gpt.py: give the run's run.json (gradus experiment passes it, or sets $GRADUS_RUN)")
    with open(path, encoding="utf-8") as f:
        run = json.load(f)
    if run.get("format") != 1:
        sys.exit(f"train_gpt.py: {path}: hand-over format {run.get('format')!r} is not 1")
    torch.set_num_threads(max(1, int(run["threads"])))
    stop = {"signal": 0}

    def request_stop(number, _frame):
        stop["signal"] = stop["signal"] or number  # a repeated signal (terminal + forwarded) is one stop

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    sys.exit(Trainer(run).train(stop))


if __name__ == "__main__":
    main()
