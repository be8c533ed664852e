"""gradus.data — curriculum batches for PyTorch (docs/pytorch.md).

``GradusIterableDataset`` runs ``gradus batches ... --tokens --format binary`` (docs/stream-format.md)
and turns each micro-batch of this data-parallel rank into the tensors a Hugging Face causal-LM
model takes. The sampler and the sequence-length post-processing run inside ``gradus``; this
module only reads their output, splits it among DataLoader workers, and resumes it.

Without torch the class is a plain iterable yielding numpy arrays, so numpy-only code can use it.
"""

import os

import numpy as np

from .stream import GradusStream

try:
    import torch
    from torch.utils.data import IterableDataset as _Base
except ImportError:  # numpy-only use
    torch, _Base = None, object

IGNORE_INDEX = -100
"""The label of padding positions: Hugging Face's (and PyTorch's) cross-entropy ignore index."""


def _worker():
    """(worker id, worker count) of the DataLoader worker running this code; (0, 1) outside one."""
    if torch is None:
        return 0, 1
    info = torch.utils.data.get_worker_info()
    return (0, 1) if info is None else (info.id, info.num_workers)


def _distributed():
    """(rank, world) of the initialised default process group, else None."""
    if torch is None or not torch.distributed.is_available() or not torch.distributed.is_initialized():
        return None
    return torch.distributed.get_rank(), torch.distributed.get_world_size()


def collate_rows(rows, pad_id=0):
    """A micro-batch's token rows (1-D integer arrays, lengths may differ) as numpy int64 arrays:
    ``input_ids`` (right-padded with ``pad_id``), ``labels`` (the same ids, ``IGNORE_INDEX`` at
    padding; Hugging Face models shift labels themselves), ``lengths``, and ``attention_mask``
    (1 on tokens, 0 on padding) only when the rows differ in length."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    width = int(lengths.max()) if len(rows) else 0
    real = np.arange(width)[None, :] < lengths[:, None]
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    if len(rows):
        input_ids[real] = np.concatenate(rows)
    labels = np.where(real, input_ids, IGNORE_INDEX)
    out = {"input_ids": input_ids, "labels": labels, "lengths": lengths}
    if len(rows) and (lengths != width).any():
        out["attention_mask"] = real.astype(np.int64)
    return out


class GradusIterableDataset(_Base):
    """One item per micro-batch of this rank, in stream order: ``input_ids``, ``labels``,
    ``attention_mask`` (only when the rows differ in length), ``lengths`` (tokens per row),
    ``sample_ids`` — int64 tensors (numpy arrays without torch) — plus ``difficulty`` ({metric:
    value}), ``step``, ``micro_batch`` and ``accumulation_steps`` (micro-batches per step: the
    step ends with micro-batch ``accumulation_steps − 1``). Use ``DataLoader(dataset, batch_size=None)`` (items are
    already batched) or torchdata's ``StatefulDataLoader`` to checkpoint the position.

    - rank/world: the arguments, else ``torch.distributed``'s when it is initialised (when the
      dataset is built or iterated), else 0/1.
    - DataLoader workers: worker w of W yields micro-batches w, w + W, w + 2W, … of the stream, so
      the DataLoader's round-robin returns exactly the single-process stream.
    - ``state_dict()``/``load_state_dict()``: the position of the next micro-batch; a loaded state
      makes the next iteration start there (``--start-step`` to its step, then skipping within it).
    - A failing ``gradus`` raises ``gradus.stream.CommandError`` carrying its stderr; leaving the
      loop early terminates ``gradus`` quietly.
    """

    def __init__(self, index, config, steps, *, rank=None, world=None, gradus=None, pad_id=0,
                 sequence_curriculum=True, no_lock=False, held_out_fraction=None):
        """``index``: an index directory; ``config``: a DeepSpeed/Gradus JSON config path;
        ``steps``: global batches to stream; ``gradus``: the executable (default ``$GRADUS``, else
        ``gradus`` on PATH); ``sequence_curriculum=False`` passes ``--no-sequence-curriculum``
        (rows stay the stored samples); ``no_lock`` passes ``--no-lock``; ``held_out_fraction``
        passes ``--held-out-fraction`` (the stream skips the ids a run with that validation
        fraction holds out, as ``gradus train`` and ``gradus experiment`` do)."""
        self.index, self.config, self.steps = os.fspath(index), os.fspath(config), int(steps)
        self.gradus = gradus or os.environ.get("GRADUS", "gradus")
        self.pad_id, self.sequence_curriculum, self.no_lock = pad_id, sequence_curriculum, no_lock
        self.held_out_fraction = held_out_fraction
        self.rank, self.world = rank, world
        self._fill_geometry()
        self._loaded = None
        self._position = {"next": 0, "stride": 1, "accumulation_steps": None}

    def _fill_geometry(self):
        """Takes rank and world not given from torch.distributed, if initialised."""
        if self.rank is None or self.world is None:
            found = _distributed()
            if found is not None:
                self.rank = found[0] if self.rank is None else self.rank
                self.world = found[1] if self.world is None else self.world

    def command(self, start_step=0):
        """The ``gradus batches`` argv that streams this rank from global batch ``start_step``."""
        argv = [self.gradus, "batches", self.index, "--config", self.config,
                "--steps", str(self.steps - start_step), "--rank", str(self.rank or 0),
                "--world", str(self.world or 1), "--tokens", "--format", "binary"]
        if start_step:
            argv += ["--start-step", str(start_step)]
        if not self.sequence_curriculum:
            argv.append("--no-sequence-curriculum")
        if self.no_lock:
            argv.append("--no-lock")
        if self.held_out_fraction:
            argv += ["--held-out-fraction", repr(float(self.held_out_fraction))]
        return argv

    def state_dict(self):
        """The position of the next micro-batch this iterator (this worker) yields: ``next``, its
        index in the rank's stream; ``stride``, the worker count; ``accumulation_steps``, the
        micro-batches per step (None until the stream's header was read)."""
        return dict(self._position)

    def load_state_dict(self, state):
        """Makes the next iteration start at ``state`` (from ``state_dict()`` of the same worker
        under the same worker count)."""
        self._loaded = dict(state)
        self._position = dict(state)

    def __iter__(self):
        worker, workers = _worker()
        self._fill_geometry()
        start = self._loaded
        self._loaded = None
        if start is None:
            start = {"next": worker, "stride": workers, "accumulation_steps": None}
        elif start["stride"] != workers:
            raise ValueError("the state was saved with %d DataLoader workers, this run has %d"
                             % (start["stride"], workers))
        self._position = dict(start)
        return self._items(start["next"], workers, start["accumulation_steps"])

    def _items(self, next_index, stride, accumulation):
        # Micro-batch g of the stream is yielded when g ≥ next_index and g ≡ next_index (mod stride).
        start_step = next_index // accumulation if accumulation else 0
        stream = GradusStream.from_command(self.command(start_step))
        index = start_step * (accumulation or 0)
        for batch in stream:
            if index >= next_index and (index - next_index) % stride == 0:
                item = self._item(batch, stream.header)
                self._position = {"next": index + stride, "stride": stride,
                                  "accumulation_steps": stream.header.accumulation_steps}
                yield item
            index += 1
        self._position = {"next": index, "stride": stride, "accumulation_steps": stream.header.accumulation_steps}

    def _item(self, batch, header):
        item = collate_rows(batch.tokens, self.pad_id)
        item["sample_ids"] = batch.sample_ids.astype(np.int64)
        if torch is not None:
            item = {k: torch.from_numpy(v) for k, v in item.items()}
        item.update(difficulty=dict(batch.difficulty), step=batch.step, micro_batch=batch.micro_batch,
                    accumulation_steps=header.accumulation_steps)
        return item
