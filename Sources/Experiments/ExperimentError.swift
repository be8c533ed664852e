// ExperimentError.swift — errors of the `Experiments` module (issue 7): a bad matrix file, a run
// directory that does not belong to this matrix, unreadable results. Each message says what to do
// (STYLE.md §6: library code throws, never exits).

/// Why an experiment, a matrix file or a report was refused.
public enum ExperimentError: Error, Equatable, CustomStringConvertible {
    /// The matrix file is inconsistent; every problem is listed with its key path.
    case invalidMatrix([String])
    /// The output directory holds another matrix's runs, or runs without `--resume`.
    case outputInUse(path: String, reason: String)
    /// `results.jsonl` (or a run's `result.json`) cannot be read.
    case invalidResults(path: String, reason: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// A plot's PNG could not be drawn from its SVG (librsvg or cairo refused; issue 17 item 4).
    case plot(path: String, reason: String)
    /// An external trainer could not be started, failed or was stopped (issue 17 item 1);
    /// `run` is the run directory.
    case trainerFailed(run: String, reason: String)
    /// An external trainer's `log.jsonl` breaks the documented schema (docs/evaluation.md);
    /// `line` is 1-based, nil for a problem of the whole log.
    case invalidTrainerLog(path: String, line: Int?, problem: String)
    /// A `gradus tune` search file is inconsistent (issue 18); every problem is listed with its key
    /// path (a candidate's config problem with the candidate and the space's key paths it set).
    case invalidSearch(path: String, issues: [String])

    public var description: String {
        switch self {
        case .invalidMatrix(let p): return "invalid experiment matrix: " + p.joined(separator: "; ")
        case .outputInUse(let path, let reason): return "\(path): \(reason)"
        case .invalidResults(let path, let reason): return "cannot read results \(path): \(reason)"
        case .io(let path, let reason): return "cannot access \(path): \(reason)"
        case .plot(let path, let reason):
            return "cannot draw plot \(path): \(reason) (the SVG beside it is complete; check librsvg2 with tools/setup.sh, "
                + "then run `gradus report DIR` again)"
        case .trainerFailed(let run, let reason): return "run \(run): \(reason)"
        case .invalidTrainerLog(let path, let line, let problem):
            return "\(path)\(line.map { " line \($0)" } ?? ""): \(problem); fix the trainer so that it writes the schema of "
                + "docs/evaluation.md (\"Your own trainer in the matrix\"), remove the run directory and rerun with --resume"
        case .invalidSearch(let path, let issues):
            return "invalid search file \(path): " + issues.joined(separator: "; ") + " (format: docs/evaluation.md, \"Finding a schedule: gradus tune\")"
        }
    }
}
