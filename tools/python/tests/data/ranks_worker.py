"""Run by test_torchrun.py under `torchrun --nproc_per_node 2`: each rank streams the dataset
with rank/world taken from torch.distributed (gloo) and writes its micro-batches' step, micro-batch
and sample ids to OUT/rank<r>.json; also a dataset with explicit rank 0 / world 1, which must
override the process group's."""

import json
import sys

import torch.distributed as dist
from torch.utils.data import DataLoader

from gradus.data import GradusIterableDataset


def main(index, config, steps, gradus, out):
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    dataset = GradusIterableDataset(index, config, int(steps), gradus=gradus)
    mine = [[item["step"], item["micro_batch"], item["sample_ids"].tolist()]
            for item in DataLoader(dataset, batch_size=None, num_workers=1)]
    explicit = GradusIterableDataset(index, config, int(steps), rank=0, world=1, gradus=gradus)
    whole = [item["sample_ids"].tolist() for item in explicit]
    with open("%s/rank%d.json" % (out, rank), "w") as f:
        json.dump({"rank": dataset.rank, "world": dataset.world, "batches": mine, "explicit": whole}, f)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
