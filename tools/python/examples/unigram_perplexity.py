"""A score computed in Python becomes a curriculum metric: the unigram perplexity of every sample of
an index, added with ``gradus.metric.add`` (``gradus metric add``).

The unigram model is the index's own token distribution, p(t) = c(t) / Σ c over the tokens of all
samples (read through ``gradus.index.IndexReader``); a sample of tokens t_1..t_n has perplexity
exp(-(1/n) Σ_j ln p(t_j)) (1 for an empty sample). High values mean rare tokens, i.e. a harder
sample. A small model's loss per sample would be added the same way.

    python tools/python/examples/unigram_perplexity.py runs/text.idx [--name unigram_ppl] [--replace]

then, e.g., a curriculum on it: "curriculum_metrics": {"unigram_ppl": {"difficulty_type": "percentile", ...}}.
"""

import argparse

import numpy as np

from gradus import metric
from gradus.index import IndexReader


def unigram_perplexity(index):
    """The unigram perplexity of each sample of the index directory ``index`` (float64, sample order)."""
    with IndexReader(index) as reader:
        samples = [np.asarray(reader.tokens(i), dtype=np.int64) for i in range(len(reader))]
        vocabulary = reader.manifest["tokenizer"]["vocabularySize"]
    counts = np.zeros(vocabulary, dtype=np.float64)
    for tokens in samples:
        counts += np.bincount(tokens, minlength=vocabulary)
    log_p = np.log(counts, where=counts > 0, out=np.full(vocabulary, -np.inf)) - np.log(counts.sum())
    return np.array([np.exp(-log_p[tokens].mean()) if len(tokens) else 1.0 for tokens in samples])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", help="a complete gradus index directory")
    parser.add_argument("--name", default="unigram_ppl", help="name of the added metric")
    parser.add_argument("--replace", action="store_true", help="overwrite a metric of that name added before")
    parser.add_argument("--gradus", help="the gradus executable (default $GRADUS, else gradus on the PATH)")
    args = parser.parse_args()
    print(metric.add(args.index, args.name, unigram_perplexity(args.index), replace=args.replace, gradus=args.gradus))


if __name__ == "__main__":
    main()
