// FileScoreMetric.swift — the `file:NAME=PATH` metric (issue 3 item 2): externally computed
// per-document scores (e.g. a reference model's perplexity), one JSON object per line
// `{"id": <document id>, "score": <number>}`, joined to samples by their document id. The file is
// read once, when the metric is parsed; a missing id is an error unless `--skip-bad` (then NaN,
// which ranks after every number in the order table).

import Foundation
import Support

/// The score of the sample's document, from a JSONL scores file.
public final class FileScoreMetric: DifficultyMetric {
    public let name: String
    /// The scores file.
    public let path: String
    /// Document id → score.
    let scores: [String: Double]

    public var needsTokenCounts: Bool { false }
    public var argument: String { "file:\(name)=\(path)" }
    public var definition: String { "external per-document score joined by document id from \(path)" }

    /// Reads the scores at `path`.
    /// - Throws: `IndexError.badInput` (see `load`).
    public init(name: String, path: String) throws {
        self.name = name
        self.path = path
        scores = try Self.load(path: path)
    }

    /// `file:NAME=PATH` with a non-empty NAME (no `/`) and PATH; nil for other metrics.
    public static func parse(_ argument: String) throws -> FileScoreMetric? {
        guard argument.hasPrefix("file:"), let eq = argument.firstIndex(of: "=") else { return nil }
        let name = String(argument[argument.index(argument.startIndex, offsetBy: 5)..<eq])
        let path = String(argument[argument.index(after: eq)...])
        guard isSafePathComponent(name), !path.isEmpty else { return nil }
        return try FileScoreMetric(name: name, path: path)
    }

    /// - Throws: `MetricError.missingScore` when the document has no score (or the sample has no
    ///   document id), unless `context.skipBad` (then NaN).
    /// - Complexity: one dictionary look-up.
    public func value(of sample: MetricSample, context: MetricContext, scratch: inout MetricScratch) throws -> Double {
        if let id = sample.documentID, let score = scores[id] { return score }
        if context.skipBad { return .nan }
        throw MetricError.missingScore(metric: name, documentID: sample.documentID)
    }

    /// The document id a scores line's `"id"` names, as the `docs` table records it: a string as
    /// is, an integral number in decimal; nil for anything else.
    static func documentID(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: return s
        case .int(let n)?: return String(n)
        case .double(let d)?: return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        default: return nil
        }
    }

    /// Loads `path` into id → score.
    /// - Throws: `IndexError.badInput` naming the line for malformed JSON, a missing id/score, a
    ///   non-finite score or a duplicate id.
    static func load(path: String) throws -> [String: Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IndexError.badInput(path: path, problem: "cannot read the scores file")
        }
        var scores: [String: Double] = [:]
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = try? JSONValue.parse(String(decoding: line, as: UTF8.self)), case .object = object else {
                throw IndexError.badInput(path: path, problem: "line \(lineNumber): not a JSON object")
            }
            guard let id = documentID(object["id"]) else {
                throw IndexError.badInput(path: path, problem: "line \(lineNumber): no \"id\"")
            }
            guard let score = object["score"]?.number, score.isFinite else {
                throw IndexError.badInput(path: path, problem: "line \(lineNumber): no finite numeric \"score\"")
            }
            guard scores.updateValue(score, forKey: id) == nil else {
                throw IndexError.badInput(path: path, problem: "line \(lineNumber): id \(id) appears twice")
            }
        }
        return scores
    }
}
