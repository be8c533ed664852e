"""gradus.schedule — the schedules of ``gradus train`` in pure Python (no torch, no numpy).

- ``RandomLTDSchedule``: DeepSpeed's ``random_ltd_schedule`` (``fixed_linear``), the reserved length
  r(step) = min(v − v mod Δ, max) with v = ⌊step/R · (max − min) + min⌋ and no lower clamp
  (docs/training.md, "Random-LTD"); the same values as the ``random_ltd`` column of ``gradus schedule``.
- ``LearningRate``: linear warmup, then cosine or linear decay to ``min`` at ``total`` (or constant),
  evaluated at a counter (docs/training.md, "Learning-rate schedule").
- ``random_ltd_settings`` / ``learning_rate``: those blocks of a run config (DeepSpeed JSON plus the
  ``gradus`` block, as ``gradus train`` reads it).
"""

import json
import math
from dataclasses import dataclass

__all__ = ["RandomLTDSchedule", "LearningRate", "load_config", "random_ltd_settings", "learning_rate"]


@dataclass(frozen=True)
class RandomLTDSchedule:
    """DeepSpeed's ``random_ltd_schedule`` with ``schedule_type: fixed_linear``."""

    min_value: int
    max_value: int
    require_steps: int
    seq_per_step: int

    def __post_init__(self):
        problems = []
        if min(self.min_value, self.seq_per_step, self.require_steps) < 1:
            problems.append("min_value, seq_per_step and require_steps must be >= 1")
        if self.max_value < self.min_value:
            problems.append(f"max_value ({self.max_value}) must be >= min_value ({self.min_value})")
        if self.min_value < self.seq_per_step:
            problems.append(f"min_value ({self.min_value}) < seq_per_step ({self.seq_per_step}) gives r = 0 at step 0")
        if problems:
            raise ValueError("random_ltd_schedule: " + "; ".join(problems))

    def value(self, step):
        """r at ``step`` = optimiser steps completed before this one (DeepSpeed's ``global_steps``)."""
        lo, hi = self.min_value, self.max_value
        v = math.floor(step / self.require_steps * (hi - lo) + lo)
        v -= v % self.seq_per_step
        return min(v, hi)


_UNITS = ("steps", "tokens", "layer_tokens", "layer_averaged_tokens")
_DECAYS = ("cosine", "linear", "constant")


@dataclass(frozen=True)
class LearningRate:
    """``gradus.train.lr``: warmup and total are in ``unit``; the rate is taken at the counter
    *after* the step being taken (step 0 of a 10-step warmup trains at peak/10)."""

    peak: float
    warmup: int
    total: int = 0
    min: float = 0.0
    unit: str = "steps"
    decay: str = "cosine"

    def __post_init__(self):
        problems = []
        if self.unit not in _UNITS:
            problems.append(f"unit must be one of {', '.join(_UNITS)} (got {self.unit!r})")
        if self.decay not in _DECAYS:
            problems.append(f"decay must be one of {', '.join(_DECAYS)} (got {self.decay!r})")
        if not (self.peak > 0 and math.isfinite(self.peak)):
            problems.append(f"peak must be > 0 (got {self.peak})")
        if not 0 <= self.min <= self.peak:
            problems.append(f"min must be in [0, peak] (got {self.min})")
        if self.warmup < 0:
            problems.append(f"warmup must be >= 0 (got {self.warmup})")
        if self.decay != "constant" and self.total <= self.warmup:
            problems.append(f"total ({self.total}) must exceed warmup ({self.warmup}) for {self.decay} decay")
        if problems:
            raise ValueError("lr: " + "; ".join(problems))

    def rate(self, x):
        """The learning rate once ``x`` (in ``unit``) has been consumed."""
        if self.warmup > 0 and x <= self.warmup:
            return self.peak * x / self.warmup
        if self.decay == "constant":
            return self.peak
        if x >= self.total:
            return self.min
        rho = (x - self.warmup) / (self.total - self.warmup)
        if self.decay == "cosine":
            return self.min + (self.peak - self.min) * 0.5 * (1 + math.cos(math.pi * rho))
        return self.peak - (self.peak - self.min) * rho


def load_config(config):
    """A run config as a dict: ``config`` itself when it is a mapping, else the JSON file it names."""
    if isinstance(config, dict):
        return config
    with open(config, encoding="utf-8") as f:
        return json.load(f)


def random_ltd_settings(config):
    """The keyword arguments of ``gradus.torch.RandomLTD`` from a run config's enabled
    ``data_efficiency.data_routing.random_ltd`` block, or None when it (or a block above it) is
    disabled. ``seed`` is ``data_efficiency.seed`` (DeepSpeed's default 1234)."""
    de = load_config(config).get("data_efficiency", {})
    routing = de.get("data_routing", {})
    block = routing.get("random_ltd", {})
    if not (de.get("enabled", False) and routing.get("enabled", False) and block.get("enabled", False)):
        return None
    ids = [int(i) for i in block["random_ltd_layer_id"]]
    if block.get("random_ltd_layer_num", len(ids)) != len(ids):
        raise ValueError(f"random_ltd: random_ltd_layer_num ({block['random_ltd_layer_num']}) "
                         f"!= the number of random_ltd_layer_id ({len(ids)})")
    sched = block["random_ltd_schedule"]
    if sched.get("schedule_type", "fixed_linear") != "fixed_linear":
        raise ValueError(f"random_ltd_schedule: schedule_type {sched['schedule_type']!r} is not fixed_linear")
    sc = sched["schedule_config"]
    return {
        "layer_ids": ids,
        "schedule": RandomLTDSchedule(int(sched["min_value"]), int(sched["max_value"]),
                                      int(sc["require_steps"]), int(sc["seq_per_step"])),
        "total_layers": int(block["total_layer_num"]),
        "model_type": block.get("model_type", "decoder"),
        "hidden_state_order": block.get("hidden_state_order", "batch_seq_dim"),
        "allow_edge_layers": bool(sc.get("allow_edge_layers", False)),
        "seed": int(de.get("seed", 1234)),
    }


def learning_rate(config):
    """``gradus.train.lr`` of a run config as a ``LearningRate``, or None when absent."""
    lr = load_config(config).get("gradus", {}).get("train", {}).get("lr")
    if lr is None:
        return None
    unknown = set(lr) - {"peak", "min", "warmup", "total", "unit", "decay"}
    if unknown:
        raise ValueError(f"gradus.train.lr: unknown keys {sorted(unknown)}")
    return LearningRate(peak=float(lr["peak"]), warmup=int(lr["warmup"]), total=int(lr.get("total", 0)),
                        min=float(lr.get("min", 0.0)), unit=lr.get("unit", "steps"),
                        decay=lr.get("decay", "cosine"))
