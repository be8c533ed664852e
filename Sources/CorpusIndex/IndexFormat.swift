// IndexFormat.swift — the byte layout of a Gradus index (issue 3 item 4, DESIGN.md §3): database
// names, key and value encodings. The prose version, for readers without Gradus, is
// docs/index-format.md; keep the two in step (tools/python/test_index_format.py checks it).

import Corpus
import Storage

/// Names, magic and the binary encodings of the index's LMDB databases.
public enum IndexFormat {
    /// The value of `meta["format"].magic`.
    public static let magic = "gradus-index"
    /// The value of `meta["format"].version` gradus writes: 4 (metric values and orders only in the
    /// dense `values/<m>` and `ranks/<m>` tables; version 3 also kept them in the `metric/<m>` and
    /// `order/<m>` B-trees; versions 1 and 2 kept the tokens in an LMDB `samples` database, version 1
    /// had no `checksums`).
    public static let version = 4
    /// The versions readers accept; older ones are refused with how to rebuild them.
    public static let readableVersions = 4...4
    /// The last version that kept its tokens in LMDB (refused with "tokens in LMDB"; version 3 is
    /// refused for its per-sample B-trees).
    public static let lastLMDBTokenVersion = 2
    /// The first version with the `checksums` database.
    public static let checksummedVersion = 2

    /// Named databases.
    public static let metaDB = "meta"
    /// The token store's name in `checksums` (the tokens themselves are in `TokenStore` files).
    public static let samplesDB = "samples"
    public static let docsDB = "docs"
    public static let countsDB = "counts"
    /// XXH3-64 checksums per chunk of every table (`IndexChecksums`), format ≥ 2.
    public static let checksumsDB = "checksums"
    /// A metric's values by sample id, dense: chunk c → the Float64 LE values of samples
    /// [c·denseChunk, (c+1)·denseChunk) (64 KiB; the last chunk shorter).
    public static func valuesDB(_ name: String) -> String { "values/\(name)" }
    /// A metric's order, dense: chunk c → for ranks [c·denseChunk, (c+1)·denseChunk) (sorted by
    /// (value, sample id)), the sample id UInt64 LE then the value Float64 LE (128 KiB; the last
    /// chunk shorter).
    public static func ranksDB(_ name: String) -> String { "ranks/\(name)" }
    /// Bytes per entry of `values/<m>`: the Float64 LE value.
    public static let valueEntryBytes = 8
    /// Bytes per entry of `ranks/<m>`: the sample id UInt64 LE, then the Float64 LE value.
    public static let rankEntryBytes = 16
    /// Entries per chunk of `values/<name>` and `ranks/<name>`: 2^denseChunkShift.
    public static let denseChunkShift = 13
    public static let denseChunk = 1 << denseChunkShift

    /// Keys of `meta`.
    public static let formatKey = "format"
    public static let stateKey = "state"
    public static let manifestKey = "manifest"
    public static let resumeKey = "resume"

    /// Vocabularies smaller than this are stored with 2-byte tokens (uint16), larger ones with
    /// 4 (int32): Megatron's `best_fitting_dtype`, so the token files are what Megatron writes.
    public static let narrowVocabularyLimit = 65_500

    /// Bytes per stored token for a vocabulary of `size` ids.
    public static func tokenWidth(vocabularySize size: Int) -> Int {
        size < narrowVocabularyLimit ? 2 : 4
    }

    /// A UInt64 big-endian key (sample ids, ranks).
    @inline(__always)
    public static func idKey(_ id: Int) -> KeyBuilder { KeyBuilder().appending(UInt64(id)) }

    /// Appends the tokens of a stored `samples` value to `out`.
    public static func decodeTokens(_ raw: UnsafeRawBufferPointer, width: Int, into out: inout [TokenID]) {
        let n = raw.count / width
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: n))
        out.withUnsafeMutableBufferPointer { dst in
            if width == 2 {
                for i in 0..<n { dst[start + i] = TokenID(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            } else {
                for i in 0..<n { dst[start + i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            }
        }
    }

    /// Decodes the tokens of a stored `samples` value into the front of `out`; returns them.
    /// - Precondition: `out` holds at least `raw.count / width` ids (the longest sample).
    /// - Complexity: O(tokens); one vectorisable loop when `raw` is aligned (LMDB values are at
    ///   least 2-byte aligned; long ones start on their own page).
    static func decodeTokens(_ raw: UnsafeRawBufferPointer, width: Int,
                             into out: UnsafeMutableBufferPointer<TokenID>) -> UnsafeBufferPointer<TokenID> {
        let n = raw.count / width
        precondition(n <= out.count, "sample of \(n) tokens longer than the longest sample")
        guard n > 0, let base = raw.baseAddress else { return UnsafeBufferPointer(start: out.baseAddress, count: 0) }
        if width == 2 && Int(bitPattern: base) % 2 == 0 {
            let src = base.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { out[i] = TokenID(UInt16(littleEndian: src[i])) }
        } else if width == 4 && Int(bitPattern: base) % 4 == 0 {
            let src = base.assumingMemoryBound(to: UInt32.self)
            for i in 0..<n { out[i] = UInt32(littleEndian: src[i]) }
        } else {
            for i in 0..<n {
                out[i] = width == 2 ? TokenID(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                                    : UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
            }
        }
        return UnsafeBufferPointer(rebasing: out[0..<n])
    }

    /// A Float64 little-endian value (an entry of `values/<name>`).
    @inline(__always)
    public static func encodeValue(_ value: Double) -> UInt64 { value.bitPattern.littleEndian }

    /// Reads a Float64 little-endian value at `offset`.
    public static func decodeValue(_ raw: UnsafeRawBufferPointer, at offset: Int = 0) throws -> Double {
        guard raw.count >= offset + 8 else { throw IndexError.corrupt("value of \(raw.count) bytes, expected ≥ \(offset + 8)") }
        return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
    }

    /// A `counts` value: UInt64 little-endian.
    public static func countValue(_ count: UInt64) -> KeyBuilder {
        var v = KeyBuilder()
        v.append(count.byteSwapped)  // KeyBuilder writes big-endian: swapped, the bytes are LE
        return v
    }
}

/// Where a sample came from: the `docs` value (docs/index-format.md "docs").
///
/// Layout (little-endian): u8 flags (bit 0 `id`, bit 1 `lang`, bit 2 `source` present),
/// u32 input index, u64 record ordinal in that input, u64 byte offset, then for each present
/// string in the order id, lang, source: u32 byte length and the UTF-8 bytes.
public struct DocRecord: Equatable, Sendable, Codable {
    public var input: Int
    public var record: Int
    public var byteOffset: Int
    public var docID: String?
    public var lang: String?
    public var source: String?
    /// The document's groups while it is being indexed (one per `--group-field`; nil entries: no
    /// usable value). Kept in the resume cursor's pack carry-over, not in the `docs` table: a
    /// sample's groups are in the `groups` table.
    public var groups: [String?]?

    public init(input: Int, record: Int, byteOffset: Int, docID: String? = nil, lang: String? = nil, source: String? = nil,
                groups: [String?]? = nil) {
        self.input = input; self.record = record; self.byteOffset = byteOffset
        self.docID = docID; self.lang = lang; self.source = source; self.groups = groups
    }

    /// Appends the encoding to `out`: the fixed part (`storeFixed`), then each string present.
    public func encode(into out: inout [UInt8]) {
        let flags: UInt8 = (docID != nil ? 1 : 0) | (lang != nil ? 2 : 0) | (source != nil ? 4 : 0)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: Self.fixedBytes))
        out.withUnsafeMutableBytes { storeFixed(flags: flags, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
        for s in [docID, lang, source] {
            guard let s else { continue }
            appendLE(UInt32(s.utf8.count), &out)
            out.append(contentsOf: s.utf8)
        }
    }

    /// Bytes of the encoding of a record without strings (flags, input, record, byte offset).
    static let fixedBytes = 21

    /// Writes the encoding into the first `fixedBytes` of `out` when the record has no strings
    /// (the same bytes `encode(into:)` appends); false, writing nothing, when it has one.
    @inline(__always)
    func encodeFixed(into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard docID == nil && lang == nil && source == nil else { return false }
        storeFixed(flags: 0, into: out)
        return true
    }

    /// The fixed part of the encoding: flags (bit 0 docID, 1 lang, 2 source), input UInt32 LE,
    /// record UInt64 LE, byte offset UInt64 LE, into the first `fixedBytes` of `out`.
    @inline(__always)
    private func storeFixed(flags: UInt8, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= Self.fixedBytes)
        out.storeBytes(of: flags, toByteOffset: 0, as: UInt8.self)
        out.storeBytes(of: UInt32(input).littleEndian, toByteOffset: 1, as: UInt32.self)
        out.storeBytes(of: UInt64(record).littleEndian, toByteOffset: 5, as: UInt64.self)
        out.storeBytes(of: UInt64(byteOffset).littleEndian, toByteOffset: 13, as: UInt64.self)
    }

    /// Decodes a `docs` value.
    public static func decode(_ raw: UnsafeRawBufferPointer) throws -> DocRecord {
        guard raw.count >= 21 else { throw IndexError.corrupt("docs entry of \(raw.count) bytes") }
        let flags = raw[0]
        guard let record = Int(exactly: raw.loadUnaligned(fromByteOffset: 5, as: UInt64.self).littleEndian),
              let offset = Int(exactly: raw.loadUnaligned(fromByteOffset: 13, as: UInt64.self).littleEndian) else {
            throw IndexError.corrupt("docs entry with a record ordinal or byte offset beyond 2^63")
        }
        var r = DocRecord(input: Int(raw.loadUnaligned(fromByteOffset: 1, as: UInt32.self).littleEndian),
                          record: record, byteOffset: offset)
        var at = 21
        func string() throws -> String {
            guard at + 4 <= raw.count else { throw IndexError.corrupt("truncated docs entry") }
            let n = Int(raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian)
            guard at + 4 + n <= raw.count else { throw IndexError.corrupt("truncated docs entry") }
            defer { at += 4 + n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[(at + 4)..<(at + 4 + n)]), as: UTF8.self)
        }
        if flags & 1 != 0 { r.docID = try string() }
        if flags & 2 != 0 { r.lang = try string() }
        if flags & 4 != 0 { r.source = try string() }
        return r
    }
}

/// What is added to a piece's record ordinals and byte offsets, which count from the piece's start:
/// the records of the input's earlier pieces, and a byte range piece's first byte.
struct DocRecordBase: Equatable, Sendable {
    var record = 0
    var byteOffset = 0
}

@inline(__always)
func appendLE<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
}
