// CorpusReader.swift — streaming reader of one corpus file, one document at a time (issue 2
// item 3, DESIGN.md §2 `Corpus`): JSONL, FASTA or plain text, zstd-compressed or not (detected
// by magic bytes in `Storage.openInput`), in constant memory apart from the current record.
//
// Bad records: without `skipBad` the first one throws a `CorpusError`; with `skipBad` it is
// counted in `skipped` by reason and reading goes on. Damaged input below the record level — a
// corrupt or truncated zstd stream (`ZstdError`) or an I/O error (`FileError`) — always throws,
// since nothing after it can be trusted.

import Storage
import Support

/// The record syntax of a corpus file.
public enum CorpusFormat: String, Sendable, CaseIterable, Codable {
    /// One JSON object per line.
    case jsonl
    /// `>header` lines each followed by sequence lines.
    case fasta
    /// One document per line, or per blank-line-separated paragraph.
    case text

    /// The format named by a file's extension, after removing `.zst`/`.zstd`/`.gz`:
    /// `.jsonl` `.json` `.ndjson` → jsonl; `.fasta` `.fa` `.faa` `.fas` → fasta; `.txt` → text;
    /// nil when the name says nothing (the reader then looks at the first non-blank byte).
    public static func fromFileName(_ path: String) -> CorpusFormat? {
        var name = Substring(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
        name = Substring(name.lowercased())
        for suffix in [".zst", ".zstd", ".gz"] where name.hasSuffix(suffix) {
            name = name.dropLast(suffix.count)
        }
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...] {
        case "jsonl", "json", "ndjson": return .jsonl
        case "fasta", "fa", "faa", "fas": return .fasta
        case "txt": return .text
        default: return nil
        }
    }

    /// The format suggested by the first non-blank byte: `{` → jsonl, `>` → fasta, else text.
    public static func sniff(firstNonBlankByte byte: UInt8?) -> CorpusFormat {
        switch byte {
        case UInt8(ascii: "{"): return .jsonl
        case UInt8(ascii: ">"): return .fasta
        default: return .text
        }
    }
}

/// How to read a corpus file.
public struct ReaderOptions: Sendable, Equatable {
    /// JSONL: the field holding the document text.
    public var textField: String
    /// Plain text: one document per blank-line-separated paragraph instead of per line.
    public var paragraphs: Bool
    /// Skip and count bad records instead of throwing at the first one.
    public var skipBad: Bool
    /// Overrides detection from the file name and content.
    public var format: CorpusFormat?
    /// The longest record accepted, in bytes (a line, a paragraph, a FASTA header or sequence):
    /// a longer one is a bad record (`record-too-large`) found while reading it, so memory stays
    /// bounded by this whatever the input (issue 14 item 4).
    public var maxRecordBytes: Int

    /// The largest zstd window accepted, as a base-2 logarithm (nil: libzstd's default, 27);
    /// frames written by `zstd --long=N` need N (at most 31).
    public var zstdWindowLog: Int?

    /// JSONL: fields whose string values each document carries as its groups
    /// (`Document.groups`, `gradus index --group-field`). Other formats have no fields.
    public var groupFields: [String] = []

    /// Default `maxRecordBytes`: 256 MiB.
    public static let defaultMaxRecordBytes = LineReader.defaultMaxLineBytes

    public init(textField: String = "text", paragraphs: Bool = false, skipBad: Bool = false,
                format: CorpusFormat? = nil, maxRecordBytes: Int = ReaderOptions.defaultMaxRecordBytes) {
        self.textField = textField; self.paragraphs = paragraphs
        self.skipBad = skipBad; self.format = format; self.maxRecordBytes = maxRecordBytes
    }
}

/// What a format parser produces for one record.
enum ParseOutcome {
    case document(Document)
    case bad(CorpusError)
}

/// A format's record parser over a `LineReader`.
protocol RecordParser: AnyObject {
    /// The next record, or nil at the end of the input.
    func next(_ lines: LineReader) throws -> ParseOutcome?
    /// Pre-tokenized ids of the record last returned (JSONL `tokens`), if any.
    var lastTokens: [UInt32]? { get }
    /// Whether the record last returned had a text field (false only for a JSONL record that
    /// carries `tokens` instead).
    var lastHadText: Bool { get }
}

extension RecordParser {
    var lastTokens: [UInt32]? { nil }
    var lastHadText: Bool { true }
}

/// Streams the documents of one corpus file.
///
/// ```swift
/// let reader = try CorpusReader(path: "corpora/udhr.sample.jsonl.zst")
/// while let doc = try reader.next() { use(doc.text) }
/// ```
public final class CorpusReader {
    /// The file, as given.
    public let path: String
    public let options: ReaderOptions
    /// The format in use (from `options.format`, the file name, or the content).
    public let format: CorpusFormat
    /// Whether the file is zstd- or gzip-compressed (by its magic bytes).
    public let compression: Compression
    /// The file's size on disk (compressed), when it is a regular file; nil for standard input.
    public let inputSize: Int?
    /// The on-disk bytes read so far (count and XXH3), the file's size and mtime at open; it
    /// throws `InputChangedError` at the end of a file that changed while being read.
    public let tracker: InputTracker
    /// Records skipped so far (always empty unless `options.skipBad`).
    public private(set) var skipped = SkipReport()

    private let source: ByteSource
    private let lines: LineReader
    /// Opened on a piece: `compressedBytesRead` is then the tracker's count of on-disk bytes.
    private let isPiece: Bool
    private let parser: RecordParser

    /// Opens `path` (`-` for standard input) and decides its format.
    /// - Throws: `FileError` when the file cannot be opened or read, `ZstdError` for a damaged
    ///   zstd header, `UnreadFormatError` for a Parquet, Arrow, bzip2 or xz file.
    public convenience init(path: String, options: ReaderOptions = ReaderOptions()) throws {
        let input = try openTrackedInput(path: path, zstdWindowLog: options.zstdWindowLog)
        try self.init(path: path, source: input.source, compression: input.compression, tracker: input.tracker,
                      inputSize: input.tracker.sizeAtOpen, options: options, isPiece: false, label: path)
    }

    /// Opens one piece of the regular file `path` (issue 16 item 2): its bytes `piece`, read as
    /// `format` (the whole file's, decided when the file was cut; `options.format` is ignored).
    /// Only the piece's on-disk bytes are read and tracked: `tracker` counts and hashes them and
    /// `inputSize` is their count. Record ordinals (`Document.record`), line numbers and byte
    /// offsets (`Document.byteOffset`, in the piece's decompressed bytes after its `skip`) count
    /// from the piece's start, not the file's: the caller adds the piece's first ordinal and
    /// offset. Errors name the file as `PATH (piece from byte N)` (`PieceInput.label`), so that
    /// their line and record numbers, which count from the piece, can be found. A byte order mark
    /// is dropped only at the start of the file.
    /// - Throws: `FileError` when the file cannot be opened or is not a regular file.
    public convenience init(path: String, piece: PieceBytes, format: CorpusFormat, options: ReaderOptions = ReaderOptions()) throws {
        let input = try PieceInput(path: path, bytes: piece, zstdWindowLog: options.zstdWindowLog)
        var options = options
        options.format = format
        try self.init(path: path, source: input.source, compression: input.compression, tracker: input.tracker,
                      inputSize: piece.onDisk.count, options: options, isPiece: true, label: PieceInput.label(path, piece))
        if piece.onDisk.lowerBound > 0 { lines.dropsByteOrderMark = false }
    }

    private init(path: String, source: ByteSource, compression: Compression, tracker: InputTracker, inputSize: Int?,
                 options: ReaderOptions, isPiece: Bool, label: String) throws {
        self.path = path
        self.options = options
        self.source = source
        self.compression = compression
        self.tracker = tracker
        self.inputSize = inputSize
        self.isPiece = isPiece
        lines = LineReader(source: source, maxLineBytes: options.maxRecordBytes)
        if let chosen = options.format ?? CorpusFormat.fromFileName(path) {
            format = chosen
        } else {
            do {
                format = CorpusFormat.sniff(firstNonBlankByte: try lines.peekFirstNonBlankByte())
            } catch let oversized as OversizedLine {
                throw CorpusError.tooLarge(path: label, line: oversized.number, record: nil, limit: oversized.limit)
            }
        }
        lines.discardsOversizedLines = options.skipBad
        switch format {
        case .jsonl: parser = JSONLRecordParser(path: label, textField: options.textField, groupFields: options.groupFields)
        case .fasta:
            lines.carriageReturnEndsLines = true  // classic Mac OS FASTA (issue 14 item 22)
            parser = FASTAParser(path: label, maxRecordBytes: options.maxRecordBytes)
        case .text: parser = PlainTextParser(path: label, paragraphs: options.paragraphs, maxRecordBytes: options.maxRecordBytes)
        }
    }

    /// The next document, or nil at the end of the file.
    /// - Throws: `CorpusError` for a bad record (unless `skipBad`), `ZstdError`/`GzipError` for a corrupt or
    ///   truncated zstd/gzip stream, `FileError` for an I/O error, `InputChangedError` for a file that
    ///   changed while being read.
    /// - Complexity: O(size of the record), amortised.
    public func next() throws -> Document? {
        while let outcome = try parser.next(lines) {
            switch outcome {
            case let .document(document):
                return document
            case let .bad(error):
                guard options.skipBad else { throw error }
                skipped.record(error)
            }
        }
        return nil
    }

    /// JSONL only: the `tokens` array of the document last returned by `next()` (pre-tokenized
    /// input), nil when that record had none.
    public var tokens: [UInt32]? { parser.lastTokens }

    /// False when the document last returned came from a JSONL record with a `tokens` array and
    /// no text field (its `text` is then empty): pre-tokenized input needs no text.
    public var hasText: Bool { parser.lastHadText }

    /// Bytes of the file consumed so far (compressed bytes for a zstd or gzip file), for progress and ETA
    /// against `inputSize`.
    public var compressedBytesRead: Int {
        if isPiece && compression == .zstd { return tracker.bytesRead }
        return (source as? ZstdDecompressingSource)?.compressedBytesRead
            ?? (source as? GzipDecompressingSource)?.compressedBytesRead ?? lines.bytesRead
    }

    /// Decompressed bytes read from the file so far.
    public var bytesRead: Int { lines.bytesRead }
}

/// JSONL: one `JSONLineParser` call per non-blank line. Blank (whitespace-only) lines are not
/// records: they are skipped silently and get no record number.
final class JSONLRecordParser: RecordParser {
    private let path: String
    private var parser: JSONLineParser
    private var ordinal = 0
    private(set) var lastTokens: [UInt32]?
    private(set) var lastHadText = true

    init(path: String, textField: String, groupFields: [String] = []) {
        self.path = path
        parser = JSONLineParser(textField: textField, requireText: false, groupFields: groupFields)
    }

    func next(_ lines: LineReader) throws -> ParseOutcome? {
        while true {
            let line: LineReader.Line
            do {
                guard let next = try lines.next() else { break }
                line = next
            } catch let oversized as OversizedLine {
                lastTokens = nil
                ordinal += 1
                return .bad(.tooLarge(path: path, line: oversized.number, record: ordinal - 1, limit: oversized.limit))
            }
            if PlainTextParser.isBlank(line.bytes) { continue }
            let record = ordinal
            ordinal += 1
            do throws(JSONLineError) {
                let fields = try parser.parse(line.bytes)
                guard fields.text != nil || fields.tokens != nil else {  // a `tokens` array stands in for the text
                    throw JSONLineError(reason: .missingField, column: nil, message: "missing field \(JSONValue.quoted(parser.textField))")
                }
                lastTokens = fields.tokens
                lastHadText = fields.text != nil
                var doc = Document(id: fields.id, text: fields.text ?? "", lang: fields.lang,
                                   source: fields.source, line: line.number, record: record,
                                   byteOffset: line.byteOffset)
                doc.groups = fields.groups
                return .document(doc)
            } catch {
                lastTokens = nil
                return .bad(CorpusError(path: path, line: line.number, record: record, column: error.column,
                                        reason: error.reason, problem: error.message))
            }
        }
        lastTokens = nil
        return nil
    }
}
