// ConfigNotice.swift — the one stderr line that lists what a DeepSpeed config holds that Gradus
// does not use (issue 15 item 5), written once by each command that reads a config file.

import Curriculum

/// Writes "ignored DeepSpeed keys: …" for `file`'s accepted-but-unused keys, one warning naming
/// the enabled monitors Gradus does not write (`wandb`, `comet`), and how `"auto"` batch keys were
/// resolved; nothing when there are none.
func noteDeepSpeedKeys(_ file: GradusConfig, path: String) {
    if !file.ignoredDeepSpeedKeys.isEmpty {
        writeStderr("\(path): ignored DeepSpeed keys (Gradus does not use them): "
            + file.ignoredDeepSpeedKeys.joined(separator: ", ") + "\n")
    }
    if let unwritten = file.monitors?.unwritten, !unwritten.isEmpty {
        let written = [("tensorboard", file.monitors?.tensorboard), ("csv_monitor", file.monitors?.csvMonitor)].filter { $0.1 != nil }.map(\.0)
        let destination = written.isEmpty ? "the run's log.jsonl; enable tensorboard (event files) or csv_monitor to get files a tracker can import"
            : "the run's log.jsonl and the " + written.joined(separator: " and ") + " files"
        writeStderr("warning: \(path): the config enables \(unwritten.joined(separator: " and ")), which gradus does not write; "
            + "its metrics are in \(destination)\n")
    }
    if !file.autoBatchKeys.isEmpty {
        let values = [("train_batch_size", file.trainBatchSize), ("train_micro_batch_size_per_gpu", file.trainMicroBatchSizePerGPU),
                      ("gradient_accumulation_steps", file.gradientAccumulationSteps)]
        let resolved = values.filter { file.autoBatchKeys.contains($0.0) }
            .map { "\($0.0) = \($0.1.map(String.init) ?? "derived from the other batch keys")" }
        writeStderr("\(path): \"auto\" batch keys: " + resolved.joined(separator: ", ") + "\n")
    }
}
