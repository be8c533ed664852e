// InputSources.swift — the record sources of `gradus index` over real files (issue 3 item 1):
// corpus files through `CorpusReader` (text, or JSONL with `tokens` arrays — detected from the
// first record), and Megatron/DeepSpeed MMapIndexedDataset `.bin/.idx` document datasets
// (spec §3.1: one record per document of `doc_idx`).

import Corpus
import Foundation

public enum InputSources {
    /// Opens `path`: a Megatron dataset when it ends in `.idx`/`.bin` or `path.idx` exists,
    /// otherwise a corpus file read with `options`.
    public static func open(path: String, options: ReaderOptions) throws -> any RecordSource {
        if let prefix = megatronPrefix(path) { return try MegatronRecordSource(prefix: prefix) }
        return try CorpusRecordSource(path: path, options: options)
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
    private var pending: Document?
    private var pendingTokens: [UInt32]?
    public let isPretokenized: Bool

    public init(path: String, options: ReaderOptions) throws {
        reader = try CorpusReader(path: path, options: options)
        pending = try reader.next()
        pendingTokens = reader.tokens
        isPretokenized = pendingTokens != nil
    }

    public var formatName: String { reader.format.rawValue + (isPretokenized ? "-tokens" : "") }
    public var bytesRead: Int { reader.compressedBytesRead }
    public var size: Int? { reader.inputSize }
    public var skipped: [String: Int] {
        Dictionary(uniqueKeysWithValues: reader.skipped.counts.map { ($0.key.rawValue, $0.value) })
    }

    public func next(into record: inout SourceRecord) throws -> Bool {
        let doc: Document
        let tokens: [UInt32]?
        if let p = pending {
            doc = p; tokens = pendingTokens; pending = nil; pendingTokens = nil
        } else {
            guard let d = try reader.next() else { return false }
            doc = d; tokens = reader.tokens
        }
        record.ordinal = doc.record; record.byteOffset = doc.byteOffset
        record.docID = doc.id; record.lang = doc.lang; record.source = doc.source
        if isPretokenized {
            guard let tokens else {
                throw IndexError.badInput(path: reader.path, problem: "line \(doc.line): no \"tokens\" array, but the first record had one (pre-tokenized input)")
            }
            record.tokens.removeAll(keepingCapacity: true)
            record.tokens.append(contentsOf: tokens)
        } else {
            record.text = doc.text
        }
        return true
    }
}

/// A Megatron/DeepSpeed MMapIndexedDataset read document by document (`doc_idx` ranges of items).
public final class MegatronRecordSource: RecordSource {
    public let isPretokenized = true
    public let formatName = "megatron"
    public var bytesRead: Int { position < documents ? Int(pointers[docStarts[position]]) : binSize }
    public var size: Int? { binSize }
    public let skipped: [String: Int] = [:]
    private let prefix: String
    private let itemSize: Int
    private let sizes: [Int32]
    private let pointers: [Int64]
    private let docStarts: [Int]
    private let documents: Int
    private let bin: FileHandle
    private let binSize: Int
    private var position = 0
    private var scratch = [UInt8]()

    /// Reads `prefix.idx` and opens `prefix.bin`.
    /// - Throws: `IndexError.badInput` for a bad magic, version or dtype, or a truncated file.
    public init(prefix: String) throws {
        self.prefix = prefix
        guard let idx = FileManager.default.contents(atPath: prefix + ".idx"),
              let bin = FileHandle(forReadingAtPath: prefix + ".bin") else {
            throw IndexError.badInput(path: prefix + ".idx", problem: "cannot read the .idx/.bin pair")
        }
        let header = try MegatronIndexHeader(idx, path: prefix + ".idx")
        itemSize = header.itemSize
        sizes = header.sizes; pointers = header.pointers
        // doc_idx [0, d1, ..., len]: document k covers items doc_idx[k]..<doc_idx[k+1].
        var starts = header.docIndex.map { Int($0) }
        if starts.first != 0 { starts.insert(0, at: 0) }
        if starts.last != sizes.count { starts.append(sizes.count) }
        docStarts = starts
        documents = max(0, starts.count - 1)
        self.bin = bin
        binSize = Int(try bin.seekToEnd())
    }

    public func next(into record: inout SourceRecord) throws -> Bool {
        guard position < documents else { return false }
        let first = docStarts[position], end = docStarts[position + 1]
        record.ordinal = position
        record.byteOffset = first < sizes.count ? Int(pointers[first]) : binSize
        record.docID = nil; record.lang = nil; record.source = nil
        record.tokens.removeAll(keepingCapacity: true)
        if first < end {
            let bytes = (first..<end).reduce(0) { $0 + Int(sizes[$1]) } * itemSize
            try bin.seek(toOffset: UInt64(pointers[first]))
            guard let data = try bin.read(upToCount: bytes), data.count == bytes else {
                throw IndexError.badInput(path: prefix + ".bin", problem: "truncated at document \(position)")
            }
            data.withUnsafeBytes { raw in appendTokens(raw, into: &record.tokens) }
        }
        position += 1
        return true
    }

    private func appendTokens(_ raw: UnsafeRawBufferPointer, into tokens: inout [TokenID]) {
        let n = raw.count / itemSize
        tokens.reserveCapacity(n)
        switch itemSize {
        case 1: for i in 0..<n { tokens.append(TokenID(raw[i])) }
        case 2: for i in 0..<n { tokens.append(TokenID(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
        case 4: for i in 0..<n { tokens.append(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        default: for i in 0..<n { tokens.append(TokenID(truncatingIfNeeded: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        }
    }
}

/// The parsed `.idx` of an MMapIndexedDataset (spec §3.1, DeepSpeed ≥ 0.13.3 dtype codes).
struct MegatronIndexHeader {
    let itemSize: Int
    let sizes: [Int32]
    let pointers: [Int64]
    let docIndex: [Int64]

    init(_ data: Data, path: String) throws {
        let magic: [UInt8] = [0x4D, 0x4D, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]
        guard data.count >= 34, Array(data.prefix(9)) == magic else {
            throw IndexError.badInput(path: path, problem: "not an MMapIndexedDataset index (bad magic)")
        }
        func u64(_ at: Int) -> Int { Int(data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }) }
        guard u64(9) == 1 else { throw IndexError.badInput(path: path, problem: "unsupported version \(u64(9))") }
        let code = data[data.startIndex + 17]
        // Integer codes only: uint8, int8, int16, int32, int64, uint16, uint32, uint64.
        let widths: [UInt8: Int] = [1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 2, 7: 4, 8: 8]
        guard let width = widths[code] else { throw IndexError.badInput(path: path, problem: "unsupported dtype code \(code)") }
        let len = u64(18), docCount = u64(26)
        guard data.count >= 34 + 12 * len + 8 * docCount else {
            throw IndexError.badInput(path: path, problem: "truncated: \(len) items and \(docCount) doc_idx entries announced")
        }
        itemSize = width
        (sizes, pointers, docIndex) = data.withUnsafeBytes { raw in
            ((0..<len).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 34 + 4 * $0, as: Int32.self)) },
             (0..<len).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 34 + 4 * len + 8 * $0, as: Int64.self)) },
             (0..<docCount).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 34 + 12 * len + 8 * $0, as: Int64.self)) })
        }
    }
}
