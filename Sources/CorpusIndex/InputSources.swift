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
    /// The open dataset (its mapping), which pass 2 reuses for an input the index references.
    var datasetReader: IndexedDatasetReader { reader }

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
        releaseBehind(record.byteOffset)
        return true
    }

    /// Like `next(into:appendingTokensTo:)`, but hands out no tokens (issue 16 item 5: for an input
    /// the index references, widening every token into a batch was ≈ 13 % of a one-thread build):
    /// counts the document's ids into `counts` straight from the mapped file and returns how many
    /// it has, and its first id at or above `limit` (not counted past `counts`), if any.
    /// - Returns: nil after the last document.
    /// - Throws: `IndexError.badInput` (as `next`) for an element that is no token id.
    /// - Complexity: O(tokens of the document); no allocation for uint8/uint16/uint32 files.
    func next(into record: inout SourceRecord, countingInto counts: UnsafeMutableBufferPointer<UInt32>,
              limit: Int) throws -> (tokens: Int, outside: TokenID?)? {
        guard position < reader.documentCount else { return nil }
        let items = reader.items(ofDocument: position)
        record.ordinal = position
        record.byteOffset = items.lowerBound < reader.count ? reader.pointer(ofItem: items.lowerBound) : binSize
        record.docID = nil; record.lang = nil; record.source = nil; record.groups = []
        var tokens = 0
        var outside: TokenID?
        do {
            for item in items {
                let found: TokenID? = try reader.withItemBytes(item) { raw, dtype in
                    switch dtype {
                    case .uint8: return Self.count(raw.assumingMemoryBound(to: UInt8.self), into: counts, limit: limit)
                    case .uint16: return Self.count(uint16: raw, into: counts, limit: limit)
                    case .uint32: return Self.count(raw.assumingMemoryBound(to: UInt32.self), into: counts, limit: limit)
                    default:
                        scratch.removeAll(keepingCapacity: true)
                        try reader.appendTokens(ofItem: item, to: &scratch)
                        return scratch.withUnsafeBufferPointer { Self.count($0, into: counts, limit: limit) }
                    }
                }
                tokens += reader.size(ofItem: item)
                if outside == nil { outside = found }
            }
        } catch {
            throw IndexError.badInput(path: reader.dataPath, problem: "document \(position): \(error)")
        }
        position += 1
        releaseBehind(record.byteOffset)
        return (tokens, outside)
    }

    /// Counts little-endian ids below `counts.count` into `counts`; returns the first id at or
    /// above `limit`, if any. A first vectorisable pass finds the largest id, so the counting
    /// loop has no bounds check when every id is in range.
    @inline(__always)
    private static func count<T: UnsignedInteger & FixedWidthInteger>(
        _ items: UnsafeBufferPointer<T>, into counts: UnsafeMutableBufferPointer<UInt32>, limit: Int
    ) -> TokenID? {
        var high: T = 0
        for x in items { high = max(high, T(littleEndian: x)) }
        if Int(high) < min(limit, counts.count) {
            for x in items { counts[Int(T(littleEndian: x))] &+= 1 }
            return nil
        }
        var outside: TokenID?
        for x in items {
            let t = Int(T(littleEndian: x))
            if t < counts.count { counts[t] &+= 1 }
            if t >= limit && outside == nil { outside = TokenID(t) }
        }
        return outside
    }

    /// `count(_:into:limit:)` for little-endian uint16 elements (the Megatron files of a
    /// vocabulary below 65 500), with the counting loop reading four ids per 8-byte load and
    /// unrolled by four into the one histogram. Measured on Zipf(1) ids (vocabulary 50 000, one
    /// core): 0.47 ns a token against 0.68 for the element-by-element loop; two or four
    /// alternating histograms measured slower than one.
    @inline(__always)
    private static func count(uint16 raw: UnsafeRawBufferPointer, into counts: UnsafeMutableBufferPointer<UInt32>,
                              limit: Int) -> TokenID? {
        let items = raw.assumingMemoryBound(to: UInt16.self)
        var high: UInt16 = 0
        for x in items { high = max(high, UInt16(littleEndian: x)) }
        guard Int(high) < min(limit, counts.count), let base = raw.baseAddress, let c = counts.baseAddress else {
            return count(items, into: counts, limit: limit)
        }
        let n = items.count
        var j = 0
        while j + 4 <= n {
            let q = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 2 &* j, as: UInt64.self))
            c[Int(truncatingIfNeeded: q & 0xFFFF)] &+= 1
            c[Int(truncatingIfNeeded: (q &>> 16) & 0xFFFF)] &+= 1
            c[Int(truncatingIfNeeded: (q &>> 32) & 0xFFFF)] &+= 1
            c[Int(truncatingIfNeeded: q &>> 48)] &+= 1
            j &+= 4
        }
        while j < n {
            c[Int(UInt16(littleEndian: items[j]))] &+= 1
            j &+= 1
        }
        return nil
    }

    /// Reused by `next(into:countingInto:limit:)` for element types wider than 32 bits.
    private var scratch: [TokenID] = []

    /// Releases `.bin` pages more than `residentBudget` bytes behind `offset` (see below).
    private func releaseBehind(_ offset: Int) {
        if offset >= releasedBelow + Self.residentBudget + Self.releaseStride {
            releasedBelow = offset - Self.residentBudget
            reader.releaseMappedPages(dataBelow: releasedBelow)
        }
    }

    /// Pages of `.bin` more than `residentBudget` bytes behind the reader are released every
    /// `releaseStride` bytes, so reading a corpus larger than memory does not grow the resident
    /// set (issue 3: memory bounded), while a corpus within the budget pays nothing for it
    /// (dropping pages costs page-table teardown, ~0.1 ms per MiB).
    private static let residentBudget = 256 << 20
    private static let releaseStride = 64 << 20
    private var releasedBelow = 0
}
