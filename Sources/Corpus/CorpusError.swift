// CorpusError.swift — errors for bad records and the per-reason tally of skipped ones
// (issue 2 item 3: `--skip-bad` reporting). Bad records carry a stable reason key so that counts
// from many files (and shards) can be added up and printed the same way every time.

/// Why a record was rejected. The raw value is a stable key for reports and JSON output.
public enum SkipReason: String, Sendable, CaseIterable, Codable, Comparable {
    /// JSONL: not a JSON object, a syntax error, trailing characters, an unescaped control
    /// character in a string, a bad number or literal.
    case invalidJSON = "invalid-json"
    /// Ill-formed UTF-8 (including overlong encodings and encoded surrogates) in any format.
    case invalidUTF8 = "invalid-utf8"
    /// JSONL: an unknown escape, a bad `\u` escape or a lone UTF-16 surrogate.
    case invalidEscape = "invalid-escape"
    /// JSONL: the text field is absent.
    case missingField = "missing-field"
    /// JSONL: a known field has the wrong JSON type (e.g. `"text": 5`).
    case wrongType = "wrong-type"
    /// JSONL: `tokens` holds something other than integers in 0...UInt32.max.
    case invalidTokens = "invalid-tokens"
    /// FASTA: lines before the first `>` header.
    case textBeforeHeader = "text-before-header"
    /// FASTA: a header with no residues after it.
    case emptySequence = "empty-sequence"
    /// FASTA: a character outside the residue alphabet.
    case invalidResidue = "invalid-residue"
    /// Any format: text the chosen tokenizer cannot represent (e.g. a digit for `residues`).
    case untokenizable = "untokenizable"
    /// Any format: a record (line, paragraph, FASTA header or sequence) longer than
    /// `ReaderOptions.maxRecordBytes` (issue 14 item 4).
    case recordTooLarge = "record-too-large"

    public static func < (a: SkipReason, b: SkipReason) -> Bool { a.rawValue < b.rawValue }
}

/// A bad record: names the file, the line, the record ordinal and the problem.
///
/// `description` reads `corpora/x.jsonl.zst:17: record 16: missing field "text"`. Problems
/// located inside a line say so with `at column C` (1-based byte column) in `problem`.
public struct CorpusError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input file, as given to the reader.
    public var path: String
    /// 1-based line of the problem (for FASTA residue errors: the offending line, which may be
    /// after the header line where the record starts).
    public var line: Int
    /// 0-based record ordinal in the file; nil for text before the first FASTA header.
    public var record: Int?
    /// 1-based byte column within `line`, when the problem has one.
    public var column: Int?
    public var reason: SkipReason
    /// What is wrong, e.g. `missing field "text"`.
    public var problem: String

    public init(path: String, line: Int, record: Int?, column: Int? = nil,
                reason: SkipReason, problem: String) {
        self.path = path; self.line = line; self.record = record; self.column = column
        self.reason = reason; self.problem = problem
    }

    public var description: String {
        if let record { return "\(path):\(line): record \(record): \(problem)" }
        return "\(path):\(line): \(problem)"
    }
}

extension CorpusError {
    /// A record longer than the reader's limit of `limit` bytes, starting at `line`.
    static func tooLarge(path: String, line: Int, record: Int?, limit: Int) -> CorpusError {
        CorpusError(path: path, line: line, record: record, reason: .recordTooLarge,
                    problem: "record is longer than the limit of \(limit) bytes; if it is genuine, raise the limit "
                        + "with --max-record-bytes N, or skip such records with --skip-bad")
    }
}

/// Counts of skipped records by reason, with the first few messages as examples.
///
/// Reports from several files combine with `merge`, so a multi-file run prints one total.
public struct SkipReport: Sendable, Equatable {
    /// How many example messages are kept.
    public static let exampleLimit = 5

    /// Skipped records by reason (reasons never seen are absent).
    public private(set) var counts: [SkipReason: Int] = [:]
    /// The first `exampleLimit` error messages, in the order they occurred.
    public private(set) var examples: [String] = []

    public init() {}

    /// Total skipped records over all reasons.
    public var total: Int { counts.values.reduce(0, +) }

    /// The count for one reason (0 when none).
    public func count(_ reason: SkipReason) -> Int { counts[reason, default: 0] }

    /// Counts one skipped record.
    public mutating func record(_ error: CorpusError) {
        counts[error.reason, default: 0] += 1
        if examples.count < SkipReport.exampleLimit { examples.append(error.description) }
    }

    /// Adds `other`'s counts; its examples fill the remaining example slots.
    public mutating func merge(_ other: SkipReport) {
        for (reason, n) in other.counts { counts[reason, default: 0] += n }
        for message in other.examples where examples.count < SkipReport.exampleLimit {
            examples.append(message)
        }
    }

    /// One line per reason, sorted by key, e.g. `invalid-json: 3`; empty when nothing was skipped.
    public var summary: String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "\n")
    }
}
