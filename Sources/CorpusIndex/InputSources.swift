// InputSources.swift — the record sources of `gradus index` over real files (issue 3 item 1):
// corpus files through `CorpusReader` (text, or JSONL with `tokens` arrays — detected from the
// first record), and Megatron/DeepSpeed MMapIndexedDataset `.bin/.idx` document datasets
// (spec §3.1: one record per document of `doc_idx`), read through the memory-mapped
// `IndexedDatasetReader` (no per-document read or allocation).

import Corpus
import Foundation
import Storage

public enum InputSources {
    /// Opens `path`: a Megatron dataset when it ends in `.idx`/`.bin` or `path.idx` exists,
    /// otherwise a corpus file read with `options`.
    public static func open(path: String, options: ReaderOptions) throws -> any RecordSource {
        if let prefix = megatronPrefix(path) { return try MegatronRecordSource(prefix: prefix) }
        return try CorpusRecordSource(path: path, options: options)
    }

    /// Opens one piece of an input (issue 16 item 2); `path` is the input's path. A whole piece
    /// is `open(path:options:)`; a `bytes` or `frames` piece reads only its bytes, as its
    /// `format`, with record ordinals and byte offsets counted from the piece's start (see
    /// `CorpusReader.init(path:piece:format:options:)`). Its `tracker` counts and hashes the
    /// piece's on-disk bytes.
    public static func open(piece: InputPiece, path: String, options: ReaderOptions) throws -> any RecordSource {
        guard let bytes = piece.bytes, let format = piece.format else { return try open(path: path, options: options) }
        let reader = try CorpusReader(path: path, piece: bytes, format: format, options: options)
        return try CorpusRecordSource(reader: reader, name: PieceInput.label(path, bytes))
    }

    /// The dataset prefix if `path` names a Megatron `.bin/.idx` pair.
    static func megatronPrefix(_ path: String) -> String? {
        for ext in [".idx", ".bin"] where path.hasSuffix(ext) {
            let prefix = String(path.dropLast(ext.count))
            if FileManager.default.fileExists(atPath: prefix + ".idx") { return prefix }
        }
        return FileManager.default.fileExists(atPath: path + ".idx") && FileManager.default.fileExists(atPath: path + ".bin") ? path : nil
    }
}

/// A corpus file (JSONL, FASTA, text; zstd or not). Pre-tokenized when the first record carries
/// a `tokens` array; then every record must carry one.
public final class CorpusRecordSource: RecordSource {
    private let reader: CorpusReader
    /// The file, or the piece of it (`PieceInput.label`), in errors.
    private let name: String
    private var pending: Document?
    private var pendingTokens: [UInt32]?
    public let isPretokenized: Bool

    /// - Throws: `IndexError.noSamples` naming a file without a single record (empty or blank:
    ///   an input that contributes nothing is more likely a mistake than intended); the reader's
    ///   errors.
    public convenience init(path: String, options: ReaderOptions) throws {
        try self.init(reader: CorpusReader(path: path, options: options), name: path)
    }

    /// Reads the records of `reader` (a file or one piece of it, named `name` in errors).
    /// - Throws: `IndexError.noSamples` when it has no record; the reader's errors.
    public init(reader: CorpusReader, name: String) throws {
        self.reader = reader
        self.name = name
        pending = try reader.next()
        pendingTokens = reader.tokens
        isPretokenized = pendingTokens != nil
        if pending == nil && reader.skipped.total == 0 {
            throw IndexError.noSamples(reason: name == reader.path
                ? "\(name) holds no records (the file is empty or blank); remove it from the inputs"
                : "\(name) holds no records, although pieces are cut at records: the file changed after its pieces were planned; index it again")
        }
    }

    public var formatName: String { reader.format.rawValue + (isPretokenized ? "-tokens" : "") }
    public var tracker: InputTracker? { reader.tracker }
    public var bytesRead: Int { reader.compressedBytesRead }
    public var size: Int? { reader.inputSize }
    public var skipped: [String: Int] {
        Dictionary(uniqueKeysWithValues: reader.skipped.counts.map { ($0.key.rawValue, $0.value) })
    }

    public func next(into record: inout SourceRecord, appendingTokensTo tokens: inout [TokenID]) throws -> Bool {
        let doc: Document
        let ids: [UInt32]?
        if let p = pending {
            doc = p; ids = pendingTokens; pending = nil; pendingTokens = nil
        } else {
            guard let d = try reader.next() else { return false }
            doc = d; ids = reader.tokens
        }
        record.ordinal = doc.record; record.byteOffset = doc.byteOffset
        record.docID = doc.id; record.lang = doc.lang; record.source = doc.source
        record.groups = doc.groups
        if isPretokenized {
            guard let ids else {
                throw IndexError.badInput(path: name, problem: "line \(doc.line): no \"tokens\" array, but the first record had one (pre-tokenized input)")
            }
            tokens.append(contentsOf: ids)
        } else {
            guard reader.hasText else {
                throw IndexError.badInput(path: name, problem: "line \(doc.line): no \"\(reader.options.textField)\" field, but the first record had one (text input); only pre-tokenized input may carry \"tokens\" instead")
            }
            record.text = doc.text
        }
        return true
    }
}

/// A Megatron/DeepSpeed MMapIndexedDataset read document by document (`doc_idx` ranges of items)
/// through the memory-mapped `IndexedDatasetReader`.
public final class MegatronRecordSource: RecordSource {
    public let isPretokenized = true
    public let formatName = "megatron"
    public var bytesRead: Int {
        guard position < reader.documentCount else { return binSize }
        let first = reader.items(ofDocument: position).lowerBound
        return first < reader.count ? reader.pointer(ofItem: first) : binSize
    }
    public var size: Int? { binSize }
    private let binSize: Int
    public let skipped: [String: Int] = [:]
    private let reader: IndexedDatasetReader
    private var position = 0

    /// Opens `prefix.idx/.bin` (validated by `IndexedDatasetReader`). The dtype byte is read with
    /// Megatron's code table first (what `preprocess_data.py` writes), then DeepSpeed's current and
    /// legacy tables; the first table under which the pair is consistent wins.
    /// - Throws: `IndexError.badInput` with the reader's explanation under Megatron's table.
    public init(prefix: String) throws {
        var firstError: Error?
        var opened: IndexedDatasetReader?
        for table in [DTypeCodeTable.megatron, .deepSpeed, .deepSpeedLegacy] {
            do { opened = try IndexedDatasetReader(prefix: prefix, codeTable: table); break } catch {
                if firstError == nil { firstError = error }
            }
        }
        guard let opened else { throw IndexError.badInput(path: prefix + ".idx", problem: "\(firstError!)") }
        reader = opened
        binSize = opened.elementCount * opened.dtype.itemSize
    }

    /// The dataset as a token file an index can read in place (sealed: sizes and fingerprint
    /// now), when each of its documents is exactly one item (`doc_idx` = 0, 1, …, len), so that
    /// document d is item d; nil otherwise (e.g. sentence-split BERT data: the index copies it).
    public func reference() throws -> TokenFileInfo? {
        guard reader.documentCount == reader.count else { return nil }
        for k in 0..<reader.documentIndexCount where reader.documentIndexEntry(k) != k { return nil }
        let absolute = reader.prefix.hasPrefix("/") ? reader.prefix
            : FileManager.default.currentDirectoryPath + "/" + reader.prefix
        var file = TokenFileInfo(prefix: URL(fileURLWithPath: absolute).standardizedFileURL.path, owned: false, codeTable: reader.codeTable)
        try file.seal(prefix: file.prefix)
        return file
    }

    public func next(into record: inout SourceRecord, appendingTokensTo tokens: inout [TokenID]) throws -> Bool {
        guard position < reader.documentCount else { return false }
        let items = reader.items(ofDocument: position)
        record.ordinal = position
        record.byteOffset = items.lowerBound < reader.count ? reader.pointer(ofItem: items.lowerBound) : binSize
        record.docID = nil; record.lang = nil; record.source = nil; record.groups = []
        do {
            for item in items { try reader.appendTokens(ofItem: item, to: &tokens) }
        } catch {
            throw IndexError.badInput(path: reader.dataPath, problem: "document \(position): \(error)")
        }
        position += 1
        if record.byteOffset >= releasedBelow + Self.residentBudget + Self.releaseStride {
            releasedBelow = record.byteOffset - Self.residentBudget
            reader.releaseMappedPages(dataBelow: releasedBelow)
        }
        return true
    }

    /// Pages of `.bin` more than `residentBudget` bytes behind the reader are released every
    /// `releaseStride` bytes, so reading a corpus larger than memory does not grow the resident
    /// set (issue 3: memory bounded), while a corpus within the budget pays nothing for it
    /// (dropping pages costs page-table teardown, ~0.1 ms per MiB).
    private static let residentBudget = 256 << 20
    private static let releaseStride = 64 << 20
    private var releasedBelow = 0
}
