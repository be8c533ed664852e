// MetricMonitors.swift — the DeepSpeed monitors Gradus writes beside log.jsonl (issue 17 item 3):
// TensorBoard event files and csv_monitor files under `output_path/job_name/`, with DeepSpeed's
// engine tags (`Train/Samples/train_loss`, `Train/Samples/lr`, the samples consumed as the step) and
// the held-out loss as `Train/Samples/val_loss` (on a grouped index also each group's, as
// `Train/Samples/val_loss/FIELD/GROUP`).

import Curriculum

/// Writes a run's steps and evaluations to the enabled TensorBoard and csv_monitor outputs.
public final class MetricMonitors {
    private let tensorboard: TensorBoardEventFile?
    private let csv: CSVMonitorFiles?

    /// The tags written: DeepSpeed's engine's training loss and learning rate, and the validation loss.
    public static let trainLossTag = "Train/Samples/train_loss", lrTag = "Train/Samples/lr", valLossTag = "Train/Samples/val_loss"

    /// Opens the outputs `monitors` enables; nil when it enables neither. A block's directory is
    /// `output_path/job_name`, `output_path` relative to `runDirectory` (itself when empty).
    /// - Throws: `TrainingError.io` naming a directory or file that cannot be created.
    public init?(_ monitors: MonitorsConfig?, runDirectory: String) throws {
        guard let monitors, monitors.tensorboard != nil || monitors.csvMonitor != nil else { return nil }
        func directory(_ block: FileMonitorConfig) -> String {
            let base = block.outputPath.isEmpty ? runDirectory
                : block.outputPath.hasPrefix("/") ? block.outputPath : runDirectory + "/" + block.outputPath
            return base + "/" + block.jobName
        }
        tensorboard = try monitors.tensorboard.map { try TensorBoardEventFile(directory: directory($0)) }
        csv = try monitors.csvMonitor.map { try CSVMonitorFiles(directory: directory($0)) }
    }

    /// Writes a step's loss and learning rate, or an evaluation's loss at `samples` (the samples
    /// consumed when it ran); checkpoints write nothing.
    /// - Throws: `TrainingError.io` on a write failure.
    public func record(_ event: Trainer.Event, samples: Int) throws {
        switch event {
        case .step(let r):
            try add(Self.trainLossTag, r.loss, r.samples)
            try add(Self.lrTag, r.lr, r.samples)
        case .evaluation(let e):
            try add(Self.valLossTag, e.valLoss, samples)
            // On a grouped index, each group's loss under its own tag (fields and groups sorted).
            for (field, groups) in (e.valGroups ?? [:]).sorted(by: { $0.key < $1.key }) {
                for (name, group) in groups.sorted(by: { $0.key < $1.key }) {
                    try add(Self.groupTag(field: field, group: name), group.loss, samples)
                }
            }
        case .checkpoint: break
        }
    }

    /// The tag of one group's validation loss: `Train/Samples/val_loss/FIELD/GROUP`. Field and group
    /// names come from the corpus, so each keeps only ASCII letters, digits, `.`, `-` and `_`
    /// (anything else becomes `_`) and at most 64 characters: a tag is a csv_monitor file name.
    public static func groupTag(field: String, group: String) -> String {
        func safe(_ name: String) -> String {
            let kept = String(name.unicodeScalars.prefix(64).map { c -> Character in
                c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || ".-_".unicodeScalars.contains(c)) ? Character(c) : "_"
            })
            return kept.isEmpty || kept.allSatisfy({ $0 == "." }) ? "_" + kept : kept
        }
        return "\(valLossTag)/\(safe(field))/\(safe(group))"
    }

    private func add(_ tag: String, _ value: Double, _ step: Int) throws {
        try tensorboard?.add(tag: tag, value: value, step: step)
        try csv?.add(tag: tag, value: value, step: step)
    }
}
