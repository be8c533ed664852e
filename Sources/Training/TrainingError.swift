// TrainingError.swift — errors of the `Training` module, each with a message saying what to do
// (STYLE.md §6: library code throws, never exits).

/// Why training, a config or a checkpoint was refused.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The training config is inconsistent; every problem is listed.
    case invalidConfig([String])
    /// The checkpoint file is unreadable, truncated, or fails its checksum.
    case corruptCheckpoint(path: String, reason: String)
    /// The checkpoint belongs to another config or data source.
    case checkpointMismatch(path: String, reason: String)
    /// A batch source could not restore the saved state.
    case invalidSourceState(String)
    /// The loss or gradient norm became NaN or infinite.
    case nonFinite(step: Int, what: String)
    /// A file could not be written.
    case io(path: String, reason: String)
    /// `--resume` on a run directory that holds no checkpoint.
    case noCheckpoint(directory: String)
    /// A stop was requested (SIGINT/SIGTERM, `StopSignal`): the step finished and, when the run has
    /// a checkpoint path, a checkpoint of it was written.
    case stopped(step: Int, checkpoint: String?)

    public var description: String {
        switch self {
        case .invalidConfig(let p): return "invalid training config: " + p.joined(separator: "; ")
        case .corruptCheckpoint(let path, let reason):
            return "checkpoint \(path) is corrupt (\(reason)); use an earlier checkpoint or start afresh"
        case .checkpointMismatch(let path, let reason):
            return "checkpoint \(path) does not match this run: \(reason)"
        case .invalidSourceState(let why): return "cannot restore the batch source: \(why)"
        case .nonFinite(let step, let what):
            return "\(what) is not finite at step \(step); lower the learning rate or enable clipping"
        case .io(let path, let reason): return "cannot write \(path): \(reason)"
        case .noCheckpoint(let directory):
            return "no checkpoint in \(directory) (nothing to resume; drop --resume to start)"
        case .stopped(let step, let checkpoint?):
            return "stopped after step \(step); checkpoint written to \(checkpoint); run the same command with --resume to continue"
        case .stopped(let step, nil):
            return "stopped after step \(step) (no checkpoint path, nothing saved)"
        }
    }
}
