"""train_bloom.py — a small random-init BloomForCausalLM trained on Gradus curriculum batches, on CPU,
data-parallel under torchrun (gloo), checkpointing and resuming (docs/pytorch.md).

    gradus index corpora/*.jsonl.zst --tokenizer corpora/tokenizer.json --pack 64 --out runs/text64.idx
    torchrun --standalone --nproc_per_node 2 tools/python/examples/train_bloom.py \\
        --index runs/text64.idx --config tools/python/examples/bloom-cl.json --out runs/bloom --steps 40

Each rank streams its slice of every global batch (``GradusIterableDataset`` takes rank and world
from torch.distributed) through torchdata's ``StatefulDataLoader``; gradients are accumulated over
the step's micro-batches and averaged by DDP. Every ``--checkpoint-every`` steps each rank writes
OUT/checkpoint-rank<r>.pt (model, optimizer, LR scheduler, random-LTD state, data-loader position);
a run started with the same OUT continues from there with exactly the batches it had not consumed.
``--stop-after K`` ends the run after step K as a preemption would (after its checkpoint).

``--random-ltd`` drops tokens in the config's ``random_ltd_layer_id`` layers (gradus.torch.RandomLTD);
the learning rate follows consumed layer-tokens (gradus.torch.LayerTokenLR: linear warmup, cosine
decay); without ``--random-ltd`` the run is dense and the same LayerTokenLR counts every layer's
tokens.

OUT/log.jsonl (rank 0): per step its loss, tokens, rate and tokens/s; OUT/batches-rank<r>.jsonl:
the step and sample ids each rank trained on.
"""

import argparse
import contextlib
import json
import os
import time
import warnings

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torchdata.stateful_dataloader import StatefulDataLoader
from transformers import BloomConfig, BloomForCausalLM

from gradus.data import GradusIterableDataset
from gradus.index import IndexReader
from gradus.schedule import LearningRate, RandomLTDSchedule, random_ltd_settings
from gradus.torch import LayerTokenLR, RandomLTD


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True, help="index directory (gradus index ... --pack S)")
    p.add_argument("--config", required=True, help="DeepSpeed config: batch geometry, curriculum, random_ltd")
    p.add_argument("--out", required=True, help="directory for checkpoints and logs (resumed from when present)")
    p.add_argument("--steps", type=int, default=40, help="global batches of the whole run")
    p.add_argument("--stop-after", type=int, default=None, help="end after this step (a checkpoint is written)")
    p.add_argument("--checkpoint-every", type=int, default=10)
    p.add_argument("--random-ltd", action="store_true", help="drop tokens as the config's random_ltd block says")
    p.add_argument("--workers", type=int, default=1, help="DataLoader worker processes per rank")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    p.add_argument("--warmup-layer-tokens", type=int, default=8000, help="LayerTokenLR warmup")
    p.add_argument("--total-layer-tokens", type=int, default=200000, help="LayerTokenLR cosine decay end")
    p.add_argument("--gradus", default=None, help="the gradus executable (default $GRADUS, else gradus on PATH)")
    return p.parse_args()


def build_model(args, vocab):
    torch.manual_seed(args.seed)
    return BloomForCausalLM(BloomConfig(vocab_size=vocab, hidden_size=args.d_model, n_layer=args.layers,
                                        n_head=args.heads, hidden_dropout=0.0, attention_dropout=0.0))


def schedulers(args, config, model, optimizer):
    """(RandomLTD, LayerTokenLR): the config's random-LTD layers, or a dense run with the same counters."""
    settings = random_ltd_settings(config)
    if not args.random_ltd:  # dense: the same counters, and no layer ever drops (r ≥ any row length)
        settings["schedule"] = RandomLTDSchedule(1 << 30, 1 << 30, 1, 1)
    ltd = RandomLTD(model.transformer.h, **settings)
    rate = LearningRate(peak=args.lr, min=args.lr / 10, warmup=args.warmup_layer_tokens,
                        total=args.total_layer_tokens, unit="layer_tokens", decay="cosine")
    return ltd, LayerTokenLR(optimizer, ltd, rate)


def main():
    args = arguments()
    warnings.filterwarnings("ignore", message="'set_vital' is deprecated")  # torchdata 0.11's own call
    if "WORLD_SIZE" in os.environ:
        dist.init_process_group("gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    with open(args.config) as f:
        config = json.load(f)
    with IndexReader(args.index) as index:
        vocab = index.manifest["tokenizer"]["vocabularySize"]
    model = build_model(args, vocab)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.1)
    ltd, lr = schedulers(args, config, model, optimizer)
    dataset = GradusIterableDataset(args.index, args.config, args.steps, gradus=args.gradus)
    loader = StatefulDataLoader(dataset, batch_size=None, num_workers=args.workers)

    os.makedirs(args.out, exist_ok=True)
    checkpoint = os.path.join(args.out, "checkpoint-rank%d.pt" % rank)
    step = 0
    if os.path.exists(checkpoint):
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        loader.load_state_dict(state["loader"])
        ltd.load_state_dict(state["random_ltd"])
        lr.load_state_dict(state["lr"])
        step = state["step"]
    ddp = DistributedDataParallel(model) if world > 1 else model

    def save():
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "loader": loader.state_dict(),
                 "random_ltd": ltd.state_dict(), "lr": lr.state_dict(), "step": step}
        torch.save(state, checkpoint + ".tmp")
        os.replace(checkpoint + ".tmp", checkpoint)

    log = open(os.path.join(args.out, "log.jsonl"), "a") if rank == 0 else None
    batches = open(os.path.join(args.out, "batches-rank%d.jsonl" % rank), "a")
    model.train()
    micro, tokens, loss_sum, ids, started = 0, 0, 0.0, [], time.perf_counter()
    for item in loader:
        accumulation = item["accumulation_steps"]
        last = item["micro_batch"] == accumulation - 1
        context = ddp.no_sync() if world > 1 and not last else contextlib.nullcontext()
        with context:
            out = ddp(input_ids=item["input_ids"], labels=item["labels"], attention_mask=item.get("attention_mask"))
            (out.loss / accumulation).backward()
        loss_sum += out.loss.item() / accumulation
        tokens += int(item["lengths"].sum())
        ids += item["sample_ids"].tolist()
        if not last:
            continue
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        lr.step()
        reserved = ltd.reserved_length  # r this step trained with
        ltd.step()
        optimizer.zero_grad(set_to_none=True)
        step = item["step"]
        batches.write(json.dumps({"step": step, "sample_ids": ids}) + "\n")
        totals = torch.tensor([loss_sum, float(tokens)])
        if world > 1:
            dist.all_reduce(totals)
        if log:
            seconds = time.perf_counter() - started
            log.write(json.dumps({"step": step, "loss": totals[0].item() / world, "tokens": int(totals[1]),
                                  "lr": optimizer.param_groups[0]["lr"], "tokens_per_s": totals[1].item() / seconds,
                                  "r": reserved}) + "\n")
            log.flush()
        batches.flush()
        loss_sum, tokens, ids, started = 0.0, 0, [], time.perf_counter()
        if step % args.checkpoint_every == 0 or step == args.stop_after or step == args.steps:
            save()
        if step == args.stop_after:
            break
    del loader
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
