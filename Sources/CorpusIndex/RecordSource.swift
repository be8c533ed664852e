// RecordSource.swift — what pass 1 reads: one input file as a sequence of records, either text
// (to be tokenized) or token ids (pre-tokenized Megatron .bin/.idx or JSONL `tokens` arrays).
// Adapters over the Corpus readers and the Megatron reader live in InputSources.swift.

import Corpus

/// One record of an input, reused between calls to avoid allocation.
public struct SourceRecord: Sendable {
    /// 0-based ordinal of the record in its input, counting skipped records.
    public var ordinal = 0
    public var byteOffset = 0
    public var docID: String?
    public var lang: String?
    public var source: String?
    /// The text to tokenize (text sources).
    public var text = ""
    /// The ids (pre-tokenized sources); cleared by the source before filling.
    public var tokens: [TokenID] = []
    public init() {}
}

/// A sequential reader of one input.
public protocol RecordSource: AnyObject {
    /// Whether records carry `tokens` (true) or `text` (false).
    var isPretokenized: Bool { get }
    /// `jsonl`, `fasta`, `text`, `jsonl-tokens` or `megatron` (recorded in the manifest).
    var formatName: String { get }
    /// Bytes of the input consumed so far and its size, for progress and ETA.
    var bytesRead: Int { get }
    var size: Int? { get }
    /// Records skipped so far (`--skip-bad`), by reason.
    var skipped: [String: Int] { get }
    /// Reads the next record into `record`; false at the end.
    func next(into record: inout SourceRecord) throws -> Bool
}

/// Records held in memory (tests, and inputs built by other tools).
public final class ArrayRecordSource: RecordSource {
    private let records: [SourceRecord]
    private var position = 0
    public let isPretokenized: Bool
    public let formatName: String
    public var bytesRead: Int { position }
    public var size: Int? { records.count }
    public var skipped: [String: Int] = [:]

    /// `texts` become text records with ordinals 0, 1, ...
    public init(texts: [String], ids: [String?]? = nil) {
        records = texts.enumerated().map { i, t in
            var r = SourceRecord(); r.ordinal = i; r.text = t; r.docID = ids?[i]; return r
        }
        isPretokenized = false
        formatName = "memory"
    }

    /// `documents` become pre-tokenized records with ordinals 0, 1, ...
    public init(tokens documents: [[TokenID]]) {
        records = documents.enumerated().map { i, t in
            var r = SourceRecord(); r.ordinal = i; r.tokens = t; return r
        }
        isPretokenized = true
        formatName = "memory-tokens"
    }

    public func next(into record: inout SourceRecord) throws -> Bool {
        guard position < records.count else { return false }
        let r = records[position]
        position += 1
        record.ordinal = r.ordinal; record.byteOffset = r.byteOffset
        record.docID = r.docID; record.lang = r.lang; record.source = r.source
        record.text = r.text
        record.tokens.removeAll(keepingCapacity: true)
        record.tokens.append(contentsOf: r.tokens)
        return true
    }
}
