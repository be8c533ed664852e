// MetricValueFile.swift — the file `gradus metric add --from FILE` reads (issue 15 item 4): a numpy
// `.npy` array (recognised by its magic) in sample or document order, or JSONL lines
// `{"id": …, "value": …}` (`"score"` is accepted for `"value"`, so a `file:` scores file works as
// is). Every value must be finite and every id appear exactly once; each problem names the file
// and the line (or array element).

import Foundation
import Support

/// Whether `gradus metric add` values are per sample or per document.
public enum MetricGranularity: String, Sendable, CaseIterable {
    /// One value per sample, in sample order (JSONL ids: sample indices 0..<N).
    case sample
    /// One value per document: `.npy` in document order; JSONL ids: the input's document ids.
    case document
}

/// The values of a `gradus metric add --from` file, before they are matched to samples.
enum MetricValueFile {
    /// Element i is the value of sample (or document) i: a `.npy` array, or per-sample JSONL.
    case positions([Double])
    /// Per-document JSONL: document id → value and the line it is on.
    case documentIDs([String: (value: Double, line: Int)])

    /// Reads `path`.
    /// - Parameters:
    ///   - per: `sample`: JSONL ids are sample indices below `samples`; `document`: the input's
    ///     document ids (strings, or integers written in decimal), as `file:` metrics join them.
    ///   - samples: the index's sample count.
    /// - Throws: `IndexError.badInput` naming `path` and the line or element: unreadable file,
    ///   malformed `.npy` (`NumpyVector.read`), a line that is not a JSON object, an id that is
    ///   missing, not a sample index or repeated, a value that is missing or not a finite number,
    ///   a sample without a line.
    static func read(path: String, per: MetricGranularity, samples: Int) throws -> MetricValueFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IndexError.badInput(path: path, problem: "cannot read the values file (check the path and its permissions)")
        }
        if NumpyVector.isNumpy(data) {
            let values = try NumpyVector.read(data, path: path)
            if let i = values.firstIndex(where: { !$0.isFinite }) {
                throw IndexError.badInput(path: path, problem: "element \(i) is \(values[i]); every value must be a finite number")
            }
            return .positions(values)
        }
        return try readLines(data, path: path, per: per, samples: samples)
    }

    /// The JSONL form; see `read`.
    private static func readLines(_ data: Data, path: String, per: MetricGranularity, samples: Int) throws -> MetricValueFile {
        func bad(_ line: Int, _ problem: String) -> IndexError { .badInput(path: path, problem: "line \(line): \(problem)") }
        var bySample = [Double](repeating: 0, count: per == .sample ? samples : 0)
        var sampleLine = [Int](repeating: 0, count: per == .sample ? samples : 0)  // 0 = no line yet
        var byDocument: [String: (value: Double, line: Int)] = [:]
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = try? JSONValue.parse(String(decoding: line, as: UTF8.self)), case .object = object else {
                throw bad(lineNumber, "not a JSON object (each line must be {\"id\": ..., \"value\": ...})")
            }
            guard let value = (object["value"] ?? object["score"])?.number, value.isFinite else {
                throw bad(lineNumber, "no finite numeric \"value\"")
            }
            switch per {
            case .sample:
                let id: Int?
                switch object["id"] {
                case .int(let n)?: id = Int(exactly: n)
                case .double(let d)?: id = d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
                default: id = nil
                }
                guard let id, id >= 0, id < samples else {
                    throw bad(lineNumber, "\"id\" must be a sample index 0..<\(samples) (with --per document it is a document id)")
                }
                guard sampleLine[id] == 0 else { throw bad(lineNumber, "sample \(id) appears twice (first on line \(sampleLine[id]))") }
                (bySample[id], sampleLine[id]) = (value, lineNumber)
            case .document:
                guard let id = FileScoreMetric.documentID(object["id"]) else {
                    throw bad(lineNumber, "no \"id\" (the document's id, a string or an integer)")
                }
                if let first = byDocument[id] { throw bad(lineNumber, "document id \(id) appears twice (first on line \(first.line))") }
                byDocument[id] = (value, lineNumber)
            }
        }
        guard per == .sample else { return .documentIDs(byDocument) }
        if let missing = sampleLine.firstIndex(of: 0) {
            throw IndexError.badInput(path: path, problem: "no line for sample \(missing); every sample 0..<\(samples) needs exactly one")
        }
        return .positions(bySample)
    }
}
