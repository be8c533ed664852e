// RecordSource.swift — what pass 1 reads: one input file as a sequence of records, either text
// (to be tokenized) or token ids (pre-tokenized Megatron .bin/.idx or JSONL `tokens` arrays).
// Adapters over the Corpus readers and the Megatron reader live in InputSources.swift.

import Corpus
import Storage

/// One record of an input, reused between calls to avoid allocation.
public struct SourceRecord: Sendable {
    /// 0-based ordinal of the record in its input, counting skipped records.
    public var ordinal = 0
    public var byteOffset = 0
    public var docID: String?
    public var lang: String?
    public var source: String?
    /// The record's groups, one per `--group-field` (`Document.groups`); empty without.
    public var groups: [String?] = []
    /// The text to tokenize (text sources).
    public var text = ""
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
    /// Reads the next record into `record` and, for a pre-tokenized source, appends its token ids
    /// to `tokens` (so they are copied once, straight into the batch); false at the end.
    func next(into record: inout SourceRecord, appendingTokensTo tokens: inout [TokenID]) throws -> Bool
    /// The input file's on-disk bytes read so far (count, XXH3) and its size and mtime at open;
    /// nil for sources that are not read through a file (`InputTracker`, issue 14 item 9).
    var tracker: InputTracker? { get }
}

extension RecordSource {
    public var tracker: InputTracker? { nil }
}
