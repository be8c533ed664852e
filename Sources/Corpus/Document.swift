// Document.swift — one record read from a corpus file (JSONL line, FASTA record, text line or
// paragraph), with where it came from so that errors and the index can point back to it.

public struct Document: Sendable, Equatable {
    /// The record's own id (JSONL `id`, FASTA header's first word), if it has one.
    public var id: String?
    /// The text (UTF-8 validated) or the residue sequence (upper-cased, no line breaks).
    public var text: String
    /// JSONL `lang`, if present.
    public var lang: String?
    /// JSONL `source`, if present.
    public var source: String?
    /// JSONL with `ReaderOptions.groupFields`: per group field, in that order, the record's string
    /// value (nil: missing, null or not a string). Empty otherwise.
    public var groups: [String?] = []
    /// 1-based line number in the input where the record starts.
    public var line: Int
    /// 0-based ordinal of the record in its file, counting skipped records too.
    public var record: Int
    /// Byte offset in the decompressed stream where the record starts.
    public var byteOffset: Int

    public init(id: String? = nil, text: String, lang: String? = nil, source: String? = nil,
                line: Int, record: Int, byteOffset: Int) {
        self.id = id; self.text = text; self.lang = lang; self.source = source
        self.line = line; self.record = record; self.byteOffset = byteOffset
    }
}
