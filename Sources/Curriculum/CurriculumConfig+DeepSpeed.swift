// CurriculumConfig+DeepSpeed.swift — a whole DeepSpeed config as users have it (issue 15 item 5):
// the DeepSpeed top-level keys Gradus does not use (accepted, listed in `ignoredDeepSpeedKeys`;
// any other unknown top-level key is an error), the HF Trainer's `"auto"` batch sizes (resolved
// from `gradus.train.batch_size`, else an error saying so), and the `data_sampling` loader keys
// (`pin_memory` ignored, `dynamic_batching` refused when enabled).

import Support

extension GradusConfig {
    /// DeepSpeed top-level keys that Gradus accepts and does not use: every top-level key
    /// DeepSpeed 0.19's `DeepSpeedConfig` (deepspeed/runtime/config.py and the constants it
    /// reads) or its monitor/profiler/ZeRO/compression sub-configs look up, except the three
    /// batch keys, `data_efficiency` and the legacy `curriculum_learning`, which Gradus reads.
    public static let ignoredTopLevelKeys: [String] = [
        "fp16", "bf16", "bfloat16", "amp", "torch_autocast", "optimizer", "scheduler", "gradient_clipping",
        "zero_optimization", "zero_allow_untested_optimizer", "zero_force_ds_cpu_optimizer", "steps_per_print",
        "wall_clock_breakdown", "memory_breakdown", "dump_state", "dataloader_drop_last", "prescale_gradients",
        "gradient_predivide_factor", "gradient_allreduce_op", "communication_data_type",
        "seq_parallel_communication_data_type", "sparse_gradients", "managed_gradient_accumulation", "disable_allgather",
        "graph_harvesting", "activation_checkpointing", "flops_profiler", "tensorboard", "wandb", "csv_monitor", "comet",
        "comms_logger", "timers", "checkpoint", "data_types", "aio", "nebula", "elasticity", "autotuning", "pipeline",
        "compression_training", "weight_quantization", "quantize_training", "eigenvalue", "progressive_layer_drop",
        "sparse_attention", "hybrid_engine", "compile", "tensor_parallel", "sequence_parallel_size", "expert_parallel",
        "use_data_before_expert_parallelism", "vocabulary_size", "log_level",
    ]

    /// The batch keys the HF Trainer may write as `"auto"`.
    static let batchKeys = ["train_batch_size", "train_micro_batch_size_per_gpu", "gradient_accumulation_steps"]

    /// Reads a batch key: an integer, or `"auto"` (recorded in `autoBatchKeys`, value nil until
    /// `resolveAutoBatchKeys`).
    mutating func readBatchKey(_ key: String, _ top: inout ObjectReader) -> Int? {
        if case .string("auto")? = top.raw(key) {
            autoBatchKeys.append(key)
            return nil
        }
        return top.int(key)
    }

    /// Resolves `"auto"` batch keys as the HF Trainer would from its own batch size: Gradus's is
    /// `gradus.train.batch_size` (`trainBatchSize`), the global batch; an `"auto"` micro batch or
    /// accumulation is then derived from the other keys as DeepSpeed derives a missing one. Without
    /// that block, an `"auto"` key is an error unless a number in another batch key determines it.
    mutating func resolveAutoBatchKeys(trainBatchSize b: Int?, log: IssueLog) {
        guard !autoBatchKeys.isEmpty else { return }
        if autoBatchKeys.contains("train_batch_size"), let b { trainBatchSize = b }
        guard trainBatchSize == nil, trainMicroBatchSizePerGPU == nil else { return }
        for key in autoBatchKeys {
            log.add(key, "is \"auto\" (filled in by the HF Trainer), and nothing here determines it: set "
                + "gradus.train.batch_size (the global batch Gradus resolves \"auto\" from) or write the number here")
        }
    }

    /// `data_efficiency.data_sampling`'s loader keys: `pin_memory` (a torch DataLoader setting,
    /// accepted and listed as ignored) and `dynamic_batching` (accepted only when not enabled).
    static func readLoaderKeys(_ sampling: inout ObjectReader, ignored: inout [String]) {
        let base = "data_efficiency.data_sampling"
        if sampling.has("pin_memory") {
            _ = sampling.bool("pin_memory", default: false)
            ignored.append("\(base).pin_memory")
        }
        guard sampling.has("dynamic_batching") else { return }
        var dynamic = sampling.object("dynamic_batching")
        if dynamic.bool("enabled", default: false) {
            dynamic.issue("enabled", "dynamic batching (DeepSpeed's variable batch size by token budget, with the LR scaled) "
                + "is not supported by Gradus: set it to false or remove data_sampling.dynamic_batching; Gradus trains fixed-size batches")
        } else {
            ignored.append("\(base).dynamic_batching")
        }
        dynamic.accept(dynamic.keys)
        dynamic.finish()
    }

    /// Logs every top-level key nobody read that is not a DeepSpeed key either.
    static func rejectUnknownTopLevelKeys(_ top: inout ObjectReader, read: [String]) {
        for key in top.keys where !read.contains(key) && !ignoredTopLevelKeys.contains(key) {
            top.issue(key, "unknown key (not a DeepSpeed 0.19.8 key either); check its spelling")
        }
        top.accept(top.keys)
    }
}
