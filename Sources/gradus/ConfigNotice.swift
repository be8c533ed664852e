// ConfigNotice.swift — the one stderr line that lists what a DeepSpeed config holds that Gradus
// does not use (issue 15 item 5), written once by each command that reads a config file.

import Curriculum

/// Writes "ignored DeepSpeed keys: …" for `file`'s accepted-but-unused keys, and how `"auto"`
/// batch keys were resolved; nothing when there are none.
func noteDeepSpeedKeys(_ file: GradusConfig, path: String) {
    if !file.ignoredDeepSpeedKeys.isEmpty {
        writeStderr("\(path): ignored DeepSpeed keys (Gradus does not use them): "
            + file.ignoredDeepSpeedKeys.joined(separator: ", ") + "\n")
    }
    if !file.autoBatchKeys.isEmpty {
        let values = [("train_batch_size", file.trainBatchSize), ("train_micro_batch_size_per_gpu", file.trainMicroBatchSizePerGPU),
                      ("gradient_accumulation_steps", file.gradientAccumulationSteps)]
        let resolved = values.filter { file.autoBatchKeys.contains($0.0) }
            .map { "\($0.0) = \($0.1.map(String.init) ?? "derived from the other batch keys")" }
        writeStderr("\(path): \"auto\" batch keys: " + resolved.joined(separator: ", ") + "\n")
    }
}
