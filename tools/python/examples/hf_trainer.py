"""hf_trainer.py — Gradus curriculum batches in the Hugging Face ``Trainer`` (docs/pytorch.md).

    python3 tools/python/examples/hf_trainer.py --index runs/text64.idx \\
        --config tools/python/examples/bloom-cl.json --steps 20 --out runs/hf
    (or under torchrun --nproc_per_node N: each rank streams its own slice)

The items of ``GradusIterableDataset`` are whole micro-batches in step order, so the Trainer must
neither batch nor shard them: ``get_train_dataloader`` returns a ``StatefulDataLoader`` with
``batch_size=None`` that keeps only the model's inputs, and ``gradient_accumulation_steps`` is the
stream's micro-batches per step, so each Trainer step is one Gradus global batch.
"""

import argparse
import warnings

from torchdata.stateful_dataloader import StatefulDataLoader
from transformers import BloomConfig, BloomForCausalLM, Trainer, TrainingArguments

from gradus.data import GradusIterableDataset
from gradus.index import IndexReader

MODEL_INPUTS = ("input_ids", "labels", "attention_mask")


def model_inputs(item):
    """The keys a causal-LM ``forward`` takes (``sample_ids``, ``difficulty``, … are dropped)."""
    return {k: v for k, v in item.items() if k in MODEL_INPUTS}


class GradusTrainer(Trainer):
    """A ``Trainer`` whose training batches are a ``GradusIterableDataset``'s micro-batches as they are."""

    def __init__(self, *args, gradus_dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.gradus_dataset = gradus_dataset

    def get_train_dataloader(self):
        return StatefulDataLoader(self.gradus_dataset, batch_size=None, num_workers=1, collate_fn=model_inputs)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", required=True)
    p.add_argument("--config", required=True, help="DeepSpeed config: batch geometry and curriculum")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    warnings.filterwarnings("ignore", message="'set_vital' is deprecated")  # torchdata 0.11's own call

    dataset = GradusIterableDataset(args.index, args.config, args.steps)
    accumulation = next(iter(dataset))["accumulation_steps"]  # micro-batches per step on this rank
    with IndexReader(args.index) as index:
        vocab = index.manifest["tokenizer"]["vocabularySize"]
    model = BloomForCausalLM(BloomConfig(vocab_size=vocab, hidden_size=64, n_layer=4, n_head=4))
    training = TrainingArguments(output_dir=args.out, max_steps=args.steps, gradient_accumulation_steps=accumulation,
                                 learning_rate=1e-3, warmup_steps=2, logging_steps=5, save_strategy="no",
                                 report_to=[], use_cpu=True)
    GradusTrainer(model=model, args=training, gradus_dataset=dataset).train()


if __name__ == "__main__":
    main()
