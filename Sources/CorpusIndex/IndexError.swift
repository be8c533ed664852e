// IndexError.swift — every way building, merging or opening an index can fail, each with one
// clear message that names the path and says what to do (issue 3 "Bad input").

/// Errors of the CorpusIndex module.
public enum IndexError: Error, CustomStringConvertible, Equatable {
    /// `--out` already holds a complete index and `--force` was not given.
    case alreadyComplete(path: String)
    /// `--out` holds an unfinished index and neither `--resume` nor `--force` was given.
    case unfinishedOutput(path: String)
    /// An index (or shard) that is still `building` was opened for reading.
    case notComplete(path: String, state: String)
    /// Another process holds the index's lock file.
    case locked(path: String, pid: Int32?)
    /// `--resume` on a directory with nothing to resume, or with different inputs/options.
    case cannotResume(path: String, reason: String)
    /// The directory is not a Gradus index (no meta, wrong magic or version).
    case notAnIndex(path: String, reason: String)
    /// The output directory cannot be written.
    case notWritable(path: String, reason: String)
    /// The inputs yielded no sample at all.
    case noSamples(reason: String)
    /// A bad argument: unknown metric, bad shard spec, mismatched shards, vocabulary too small...
    case invalidArgument(String)
    /// An input problem (unknown format, token id out of range, missing score...).
    case badInput(path: String, problem: String)
    /// Stored data does not decode.
    case corrupt(String)
    /// A token file the index reads (its own, or a referenced Megatron input) is missing or
    /// differs from what was recorded when the index was completed.
    case tokenFileChanged(index: String, file: String, detail: String)
    /// The index was written in a format this gradus no longer reads.
    case oldFormat(path: String, version: Int, commandLine: [String])

    public var description: String {
        switch self {
        case let .alreadyComplete(path):
            return "\(path) already holds a complete index; pass --force to replace it"
        case let .unfinishedOutput(path):
            return "\(path) holds an unfinished index: resume it with --resume, or replace it with --force"
        case let .notComplete(path, state):
            return "\(path) is not a complete index (state: \(state)); finish it by re-running the same `gradus index ... --out \(path) --resume` command"
        case let .locked(path, pid):
            return "\(path) is being written by another gradus process\(pid.map { " (pid \($0))" } ?? ""); wait for it or stop it"
        case let .cannotResume(path, reason):
            return "cannot resume \(path): \(reason)"
        case let .notAnIndex(path, reason):
            return "\(path) is not a Gradus index: \(reason)"
        case let .notWritable(path, reason):
            return "cannot write the index at \(path): \(reason)"
        case let .noSamples(reason):
            return "no samples to index: \(reason)"
        case let .invalidArgument(message):
            return message
        case let .badInput(path, problem):
            return "\(path): \(problem)"
        case let .corrupt(message):
            return "corrupt index: \(message)"
        case let .tokenFileChanged(index, file, detail):
            return "\(index) reads its tokens from \(file).bin/.idx, which changed since the index was built: \(detail). "
                + "Restore the file, or rebuild the index (`gradus index ... --force`; `--copy` keeps a copy of Megatron inputs in the index)"
        case let .oldFormat(path, version, commandLine):
            let kept = version <= IndexFormat.lastLMDBTokenVersion
                ? "which kept its tokens in LMDB; this gradus reads format \(IndexFormat.version) (tokens in Megatron .bin/.idx files)"
                : "which kept its metric values and orders in per-sample metric/ and order/ B-trees as well; this gradus reads format "
                    + "\(IndexFormat.version) (only the dense values/ and ranks/ tables)"
            // The command that built it, made to replace it: `--force` once, whether or not it had one.
            let rebuild = commandLine + (commandLine.contains("--force") ? [] : ["--force"])
            return "\(path) is an index of format version \(version), \(kept). Rebuild it"
                + (commandLine.isEmpty ? "" : ": \(rebuild.joined(separator: " "))")
        }
    }
}
