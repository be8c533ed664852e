"""gradus.torch.random_ltd — random layerwise token dropping (random-LTD) for a PyTorch decoder.

``RandomLTD(layers, layer_ids, schedule)`` hooks chosen layers of a decoder's layer stack (an
``nn.ModuleList`` such as ``model.transformer.h`` or ``model.model.layers``) so that in training
mode each processes only r(step) kept tokens per sequence, as DeepSpeed's random-LTD and the Swift
trainer do (docs/training.md, "Random-LTD"; docs/pytorch.md):

- per layer and forward call, each row keeps a sorted uniform random r-subset of its T positions,
  drawn from a ``torch.Generator`` this object owns (saved in ``state_dict()``);
- the layer runs on the gathered (B, r, C) rows; its output is scattered over a copy of its input,
  so dropped tokens bypass the layer (gradient: identity at dropped positions, the layer's at kept
  ones, DeepSpeed's overwrite semantics);
- the layer's other arguments follow the kept tokens, by name: ``attention_mask`` (rows and columns
  of a 4-D mask, columns of a 2-D padding mask: a causal mask stays causal over the sorted kept
  order), ``alibi`` (BLOOM: the kept keys' biases from their original positions),
  ``position_embeddings`` (RoPE cos/sin at the original positions) and ``position_ids``; learned
  absolute positions need nothing (they are added before the first layer). The key/value cache is
  not passed to a dropping layer (a training step does not use it);
- r ≥ T, eval mode (``model.eval()``) or an r of a layer not listed: the layer runs unchanged.

The module tree is not changed (forward hooks), so ``model.state_dict()`` keeps its keys.
``RandomLTD`` also counts what the layer stack consumed in training forwards (``consumed``), which
``gradus.torch.LayerTokenLR`` turns into the learning rate.
"""

import inspect

import torch

from ..schedule import RandomLTDSchedule, random_ltd_settings

__all__ = ["RandomLTD"]

_CACHE_ARGUMENTS = ("cache", "past_key_values", "past_key_value", "layer_past")


class RandomLTD:
    """Random-LTD over ``layers`` (an ``nn.ModuleList`` of L decoder layers) in ``layer_ids``.

    - Parameters:
      - layers: the layer stack; every layer takes the hidden states (B, T, C) first.
      - layer_ids: indices into ``layers`` of the dropping layers (DeepSpeed's ``random_ltd_layer_id``).
      - schedule: a ``gradus.schedule.RandomLTDSchedule``: r(step).
      - seed: seeds the generator the kept positions are drawn from.
      - total_layers: DeepSpeed's ``total_layer_num``; checked against ``len(layers)`` when given.
      - model_type: ``"decoder"``; ``"encoder"`` is refused (not supported yet).
      - hidden_state_order: ``"batch_seq_dim"`` ((B, T, C), as Hugging Face models); ``"seq_batch_dim"``
        is refused.
      - allow_edge_layers: lets the first and last layer drop (refused otherwise, as in ``gradus train``).
    - Raises: ``ValueError`` listing every problem of the settings at once.
    """

    def __init__(self, layers, layer_ids, schedule, *, seed=1234, total_layers=None, model_type="decoder",
                 hidden_state_order="batch_seq_dim", allow_edge_layers=False):
        layers = list(layers)
        ids = [int(i) for i in layer_ids]
        problems = _problems(len(layers), ids, total_layers, model_type, hidden_state_order, allow_edge_layers)
        if not isinstance(schedule, RandomLTDSchedule):
            problems.append(f"schedule must be a gradus.schedule.RandomLTDSchedule (got {type(schedule).__name__})")
        if problems:
            raise ValueError("random-LTD: " + "; ".join(problems))
        self.layers, self.layer_ids, self.schedule = layers, sorted(ids), schedule
        self.generator = torch.Generator()
        self.generator.manual_seed(seed)
        self.steps = 0
        self.consumed = {"tokens": 0, "layer_tokens": 0, "layer_averaged_tokens": 0}
        self._pending = {}
        self._signatures = {}
        self._handles = [layers[0].register_forward_pre_hook(self._count, with_kwargs=True)]
        for i in self.layer_ids:
            self._handles.append(layers[i].register_forward_pre_hook(self._gather, with_kwargs=True))
            self._handles.append(layers[i].register_forward_hook(self._scatter))

    @classmethod
    def from_config(cls, layers, config, **overrides):
        """Random-LTD as a run config's ``data_efficiency.data_routing.random_ltd`` block says (a dict or
        a JSON file path; see ``gradus.schedule.random_ltd_settings``); ``overrides`` replace settings
        (e.g. ``seed``). Raises ``ValueError`` when the block is disabled."""
        settings = random_ltd_settings(config)
        if settings is None:
            raise ValueError("random-LTD: the config does not enable data_efficiency.data_routing.random_ltd")
        settings.update(overrides)
        return cls(layers, **settings)

    @property
    def reserved_length(self):
        """r for the next training forward: ``schedule.value(steps)``."""
        return self.schedule.value(self.steps)

    def step(self):
        """Counts one optimiser step (call it once per ``optimizer.step()``); r follows the new count."""
        self.steps += 1

    def state_dict(self):
        """Step count, consumed counters and generator state (for checkpoints)."""
        return {"steps": self.steps, "consumed": dict(self.consumed), "generator": self.generator.get_state()}

    def load_state_dict(self, state):
        """Restores ``state_dict()``'s output: the next forward draws what the saved run would have."""
        self.steps = int(state["steps"])
        self.consumed = {k: int(v) for k, v in state["consumed"].items()}
        self.generator.set_state(state["generator"])

    def remove(self):
        """Removes the hooks: every layer runs dense again."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def _routes(self, r, length):
        """Whether a layer drops at reserved length r for sequences of ``length`` (DeepSpeed: r < T)."""
        return r < length

    def _arguments(self, module, args, kwargs):
        """The call's arguments by parameter name (keyword catch-alls flattened), and the hidden states' name."""
        sig = self._signatures.get(type(module))
        if sig is None:
            sig = self._signatures[type(module)] = inspect.signature(module.forward)
        bound = sig.bind(*args, **kwargs).arguments
        extra = [n for n, p in sig.parameters.items() if p.kind is inspect.Parameter.VAR_KEYWORD]
        for n in extra:
            bound.update(bound.pop(n, {}))
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values()):
            raise TypeError(f"random-LTD: {type(module).__name__}.forward takes *args; its arguments cannot be named")
        return bound, next(iter(sig.parameters))

    def _count(self, module, args, kwargs):
        """Pre-hook of the stack's first layer: adds this training forward's tokens and layer-tokens."""
        if not module.training:
            return None
        arguments, hidden_name = self._arguments(module, args, kwargs)
        batch, length = arguments[hidden_name].shape[:2]
        r = self.reserved_length
        kept = r if self._routes(r, length) else length
        total, dropping = len(self.layers), len(self.layer_ids)
        per_row = length * (total - dropping) + kept * dropping
        self.consumed["tokens"] += batch * length
        self.consumed["layer_tokens"] += batch * per_row
        self.consumed["layer_averaged_tokens"] += batch * (per_row // total)
        return None

    def _gather(self, module, args, kwargs):
        """Pre-hook of a dropping layer: draws the kept positions and gathers every argument."""
        if not module.training:
            return None
        arguments, hidden_name = self._arguments(module, args, kwargs)
        hidden = arguments.pop(hidden_name)
        batch, length = hidden.shape[:2]
        r = self.reserved_length
        if not self._routes(r, length):
            return None
        keys = torch.rand(batch, length, generator=self.generator)
        idx = keys.topk(r, dim=1).indices.sort(dim=1).values.to(hidden.device)
        self._pending[module] = (hidden, idx)
        for name, value in arguments.items():
            arguments[name] = _follow(name, value, idx, length)
        return (_gather_rows(hidden, idx),), arguments

    def _scatter(self, module, args, output):
        """Forward hook of a dropping layer: writes the kept rows' output over a copy of the input."""
        pending = self._pending.pop(module, None)
        if pending is None:
            return None
        hidden, idx = pending
        out = output[0] if isinstance(output, tuple) else output
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"random-LTD: {type(module).__name__} returned {type(output).__name__}, "
                            "not a tensor or a tuple starting with one")
        full = hidden.scatter(1, idx[:, :, None].expand(-1, -1, hidden.shape[2]), out)
        return (full,) + tuple(output[1:]) if isinstance(output, tuple) else full


def _problems(count, ids, total_layers, model_type, hidden_state_order, allow_edge_layers):
    """Every problem of the settings, as sentences."""
    out = []
    if model_type == "encoder":
        out.append("model_type 'encoder' is not supported yet (encoder attention masks per kept token "
                   "are not implemented); only decoders (model_type 'decoder') can drop tokens")
    elif model_type != "decoder":
        out.append(f"model_type must be 'decoder' (got {model_type!r})")
    if hidden_state_order != "batch_seq_dim":
        out.append(f"hidden_state_order {hidden_state_order!r} is not supported: layers must take (batch, seq, hidden)")
    if total_layers is not None and total_layers != count:
        out.append(f"total_layer_num ({total_layers}) != the number of layers in the stack ({count})")
    if count == 0:
        out.append("the layer stack is empty")
    if not ids:
        out.append("random_ltd_layer_id is empty")
    if len(set(ids)) != len(ids):
        out.append(f"random_ltd_layer_id has duplicates {ids}")
    bad = [i for i in ids if not 0 <= i < count]
    if bad:
        out.append(f"layer id {bad[0]} is outside 0..<{count}")
    if not allow_edge_layers and count > 0 and (0 in ids or count - 1 in ids):
        out.append(f"the first and last layers (0, {count - 1}) never drop unless allow_edge_layers is true")
    return out


def _gather_rows(x, idx):
    """x[b, idx[b, j], ...] for (B, T, ...) x and (B, r) idx, as a (B, r, ...) tensor."""
    shape = idx.shape + x.shape[2:]
    return x.gather(1, idx.reshape(idx.shape + (1,) * (x.dim() - 2)).expand(shape))


def _follow(name, value, idx, length):
    """A dropping layer's argument ``name`` for the kept positions ``idx`` (B, r) of a length-T row."""
    if name in _CACHE_ARGUMENTS:
        return None
    if name == "use_cache":
        return False
    if value is None or name not in ("attention_mask", "alibi", "position_embeddings", "position_ids"):
        return value
    batch, r = idx.shape
    if name == "position_embeddings":
        return tuple(_gather_rows(t.expand(batch, *t.shape[1:]), idx) for t in value)
    if name == "position_ids":
        return _gather_rows(value.expand(batch, length), idx)
    if not isinstance(value, torch.Tensor) or value.shape[-1] != length:
        raise TypeError(f"random-LTD: cannot follow the kept tokens in {name} of type {type(value).__name__} "
                        f"and shape {tuple(getattr(value, 'shape', ()))} (expected a tensor whose last dimension is T = {length})")
    if name == "alibi":  # BLOOM: (B·heads, 1, T), slope · position of each key
        heads = value.shape[0] // batch
        per_head = value.reshape(batch, heads, value.shape[1], length)
        cols = idx[:, None, None, :].expand(batch, heads, value.shape[1], r)
        return per_head.gather(3, cols).reshape(batch * heads, value.shape[1], r)
    if value.dim() == 2:  # (B, T) padding mask
        return _gather_rows(value.expand(batch, length), idx)
    if value.dim() == 4 and value.shape[-2] == length:  # (B|1, heads|1, T, T)
        mask = value.expand(batch, *value.shape[1:])
        rows = mask.gather(2, idx[:, None, :, None].expand(batch, mask.shape[1], r, length))
        return rows.gather(3, idx[:, None, None, :].expand(batch, mask.shape[1], r, r))
    raise TypeError(f"random-LTD: cannot follow the kept tokens in attention_mask of shape {tuple(value.shape)}")
