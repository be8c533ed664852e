"""gradus.torch.lr — the LayerToken learning rate (docs/training.md, "LayerToken learning rate").

``LayerTokenLR(optimizer, random_ltd, schedule)`` sets every parameter group's learning rate to
``schedule.rate(x)``, x the counter ``schedule.unit`` names as ``random_ltd`` counted it over the
training forwards so far, scaled by the data-parallel world size:

    tokens         Σ B·T
    layer_tokens   Σ B·(T·(L − l) + min(r, T)·l)      (each layer's processed tokens)
    layer_averaged_tokens  Σ B·⌊(T·(L − l) + min(r, T)·l)/L⌋   (Megatron-DeepSpeed's counter)

The rate is set right before each ``optimizer.step()`` (an optimizer step pre-hook), so a step
trains at the rate of the counter *including* its own batch, as ``gradus train`` does; calling
``scheduler.step()`` after ``optimizer.step()`` as usual only updates ``get_last_lr()``.
"""

import torch
from torch.optim.lr_scheduler import LRScheduler

from ..schedule import LearningRate, learning_rate

__all__ = ["LayerTokenLR"]


class LayerTokenLR(LRScheduler):
    """Warmup + decay over consumed tokens or layer-tokens.

    - Parameters:
      - optimizer: the ``torch.optim.Optimizer`` whose groups' ``lr`` this sets.
      - random_ltd: the ``gradus.torch.RandomLTD`` whose ``consumed`` counters drive the rate.
      - schedule: a ``gradus.schedule.LearningRate`` with unit ``layer_tokens``, ``tokens`` or
        ``layer_averaged_tokens`` (unit ``steps`` is refused: use a step-based torch scheduler).
      - world_size: multiplies the counters (every rank's batch has the same shape); default: the
        ``torch.distributed`` world size when it is initialised, else 1.
    """

    def __init__(self, optimizer, random_ltd, schedule, *, world_size=None, last_epoch=-1):
        if not isinstance(schedule, LearningRate):
            raise TypeError(f"schedule must be a gradus.schedule.LearningRate (got {type(schedule).__name__})")
        if schedule.unit == "steps":
            raise ValueError("LayerTokenLR: lr.unit 'steps' does not count tokens; use a step-based scheduler "
                             "(e.g. torch.optim.lr_scheduler.LambdaLR with LearningRate.rate)")
        if world_size is None:
            dist = torch.distributed
            world_size = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        self.random_ltd, self.schedule, self.world_size = random_ltd, schedule, int(world_size)
        self._hook = optimizer.register_step_pre_hook(self._before_step)
        super().__init__(optimizer, last_epoch)

    @classmethod
    def from_config(cls, optimizer, random_ltd, config, **kwargs):
        """The scheduler of a run config's ``gradus.train.lr`` (a dict or a JSON file path)."""
        schedule = learning_rate(config)
        if schedule is None:
            raise ValueError("LayerTokenLR: the config has no gradus.train.lr block")
        return cls(optimizer, random_ltd, schedule, **kwargs)

    def consumed(self):
        """The schedule's counter now: ``random_ltd.consumed[unit]`` × world size."""
        return self.random_ltd.consumed[self.schedule.unit] * self.world_size

    def get_lr(self):
        """The rate at the current counter, for every parameter group."""
        return [self.schedule.rate(self.consumed())] * len(self.optimizer.param_groups)

    def state_dict(self):
        """The scheduler's own fields (the counters live in ``random_ltd.state_dict()``)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "random_ltd", "_hook")}

    def _before_step(self, optimizer, args, kwargs):
        """Optimizer step pre-hook: sets the rate of the counter including this step's batch."""
        for group, lr in zip(optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
