// FileScores.swift — the `file:NAME=PATH` metric (issue 3 item 2): externally computed
// per-document scores (e.g. a reference model's perplexity), one JSON object per line
// `{"id": <document id>, "score": <number>}`, joined to samples by the `docs` table's doc id.

import Foundation
import Storage

enum FileScores {
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
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw IndexError.badInput(path: path, problem: "line \(lineNumber): not a JSON object")
            }
            let id: String
            switch object["id"] {
            case let s as String: id = s
            case let n as NSNumber: id = n.stringValue
            default: throw IndexError.badInput(path: path, problem: "line \(lineNumber): no \"id\"")
            }
            guard let score = (object["score"] as? NSNumber)?.doubleValue, score.isFinite else {
                throw IndexError.badInput(path: path, problem: "line \(lineNumber): no finite numeric \"score\"")
            }
            guard scores.updateValue(score, forKey: id) == nil else {
                throw IndexError.badInput(path: path, problem: "line \(lineNumber): id \(id) appears twice")
            }
        }
        return scores
    }

    /// The score of each sample's document; NaN for a missing one when `skipBad`.
    /// - Throws: `IndexError.badInput` for a sample without a document id or score (unless `skipBad`).
    static func join(path: String, store: IndexStore, samples: Int, skipBad: Bool) throws -> [Double] {
        let scores = try load(path: path)
        var values = [Double]()
        values.reserveCapacity(samples)
        let docs = try store.database(IndexFormat.docsDB)
        try store.env.read { txn in
            try txn.forEach(in: docs) { _, raw in
                let doc = try DocRecord.decode(raw)
                if let id = doc.docID, let score = scores[id] {
                    values.append(score)
                } else if skipBad {
                    values.append(.nan)
                } else {
                    throw IndexError.badInput(path: path, problem: doc.docID.map { "no score for document id \($0)" }
                        ?? "sample \(values.count) (input \(doc.input), record \(doc.record)) has no document id to join on")
                }
                return true
            }
        }
        return values
    }
}
