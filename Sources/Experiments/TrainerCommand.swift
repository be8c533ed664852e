// TrainerCommand.swift — the matrix's `"trainer": {"command": [...]}` (issue 17 item 1): an
// external trainer's argv, at the top of the matrix (every variant) or in one variant (that
// variant only). Placeholders in the arguments — `{matrix_dir}`, `{run_dir}`, `{run_json}` — are
// replaced when a run is launched; everything else is passed as written (a relative path resolves
// against the directory `gradus experiment` was started in, as any command's would).

import Foundation
import Support

/// An external trainer: the command `gradus experiment` runs for each (variant, seed) instead of
/// the built-in trainer (docs/evaluation.md, "Your own trainer in the matrix").
public struct TrainerCommand: Sendable, Equatable {
    /// The argv as written in the matrix, placeholders unreplaced.
    public var command: [String]
    /// The matrix file's directory, absolute: what `{matrix_dir}` stands for.
    public var matrixDirectory: String

    /// The placeholders an argument may hold.
    public static let placeholders = ["{matrix_dir}", "{run_dir}", "{run_json}"]

    /// The argv of one run: each placeholder replaced by its path.
    public func argv(runDirectory: String, runJSON: String) -> [String] {
        command.map {
            $0.replacingOccurrences(of: "{matrix_dir}", with: matrixDirectory)
                .replacingOccurrences(of: "{run_dir}", with: runDirectory)
                .replacingOccurrences(of: "{run_json}", with: runJSON)
        }
    }

    /// The trainer as `matrix.json` records it (compared on `--resume`).
    var recorded: JSONValue { .object([("command", .array(command.map { .string($0) }))]) }

    /// Reads `"trainer"` of `reader` strictly: an object with exactly `command`, a non-empty
    /// list of strings whose first element is not empty. Problems go to the reader's log with
    /// their key path; nil when absent or invalid.
    static func parse(_ reader: inout ObjectReader, matrixDirectory: String) -> TrainerCommand? {
        guard reader.has("trainer") else { return nil }
        var t = reader.object("trainer")
        defer { t.finish() }
        guard case .array(let items)? = t.raw("command"), !items.isEmpty else {
            t.issue("command", "required, a non-empty list of strings: the program and its arguments, "
                + "e.g. [\"python3\", \"{matrix_dir}/train.py\"]")
            return nil
        }
        var command: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                t.issue("command[\(i)]", "must be a string, found \(item.typeName)")
                continue
            }
            command.append(s)
        }
        guard command.count == items.count else { return nil }
        if command[0].isEmpty { t.issue("command[0]", "the program must not be empty") }
        return command[0].isEmpty ? nil : TrainerCommand(command: command, matrixDirectory: matrixDirectory)
    }
}
