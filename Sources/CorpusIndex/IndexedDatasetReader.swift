// IndexedDatasetReader.swift — memory-mapped reader of a Megatron/DeepSpeed MMapIndexedDataset
// `<prefix>.idx` + `<prefix>.bin` pair (spec §3.1), used for Gradus's own DeepSpeed export files
// and for pre-tokenized Megatron token datasets given to the indexer as input.
//
// Everything read from disk is validated once at open — magic, version, dtype code, the exact
// `.idx` length, non-negative sizes, pointers equal to the prefix sums of sizes · itemsize, the
// exact `.bin` length and a non-decreasing doc_idx within [0, len] — so item access afterwards
// needs no further checks beyond the item number. DeepSpeed's reader checks only magic and version;
// every file its builder writes passes these checks. As with numpy's memmap, the files must not be
// truncated while a reader is open.

#if !_endian(little)
#error("IndexedDatasetReader's typed access assumes a little-endian host")
#endif

import Storage

/// Read-only view of one indexed dataset.
public final class IndexedDatasetReader {
    /// The path prefix; the files are `prefix + ".idx"` and `prefix + ".bin"`.
    public let prefix: String
    /// The element type, decoded with `codeTable`.
    public let dtype: IndexedDatasetDType
    /// The table used to decode the dtype byte.
    public let codeTable: DTypeCodeTable
    /// The number of items (`len`).
    public let count: Int
    /// The number of doc_idx entries (`doc_count`).
    public let documentIndexCount: Int
    /// The total number of elements over all items.
    public let elementCount: Int

    private let index: MappedFile
    private let data: MappedFile
    static let headerSize = 34
    static let magic: [UInt8] = [0x4D, 0x4D, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]

    /// Opens and validates `<prefix>.idx` and `<prefix>.bin`.
    /// - Parameter codeTable: how to read the dtype byte; `.megatron` for Megatron token datasets,
    ///   `.deepSpeedLegacy` for files from DeepSpeed ≤ 0.13.2.
    /// - Throws: `IndexedDatasetError` naming the file and the problem.
    /// - Complexity: O(len + doc_count) to validate; the data are mapped, not read.
    public init(prefix: String, codeTable: DTypeCodeTable = .deepSpeed) throws {
        self.prefix = prefix
        self.codeTable = codeTable
        index = try withIndexedDatasetErrors { try MappedFile(path: prefix + ".idx") }
        let header = try Self.parseHeader(index, codeTable: codeTable)
        dtype = header.dtype
        count = header.count
        documentIndexCount = header.documentIndexCount
        data = try withIndexedDatasetErrors { try MappedFile(path: prefix + ".bin") }
        elementCount = try Self.validateSizes(index, data: data, count: count, dtype: dtype, table: codeTable)
        try Self.validatePointers(index, count: count, dtype: dtype)
        try Self.validateDocumentIndex(index, count: count, entries: documentIndexCount)
    }

    /// Gives the mapped pages of `.bin` below byte `offset`, and all of `.idx`, back to the kernel
    /// (a sequential reader calls this behind itself so that its resident set does not grow with
    /// the files; pages read again fault back in from the page cache).
    public func releaseMappedPages(dataBelow offset: Int) {
        data.releasePages(below: offset)
        index.releaseAllPages()
    }

    /// Gives every mapped page of `.bin` and `.idx` back to the kernel, as often as called (a reader
    /// that visits the file more than once, such as pass 2 after the checksums).
    public func releaseAllMappedPages() {
        data.releaseAllPages()
        index.releaseAllPages()
    }

    /// `<prefix>.idx`.
    public var indexPath: String { index.path }
    /// `<prefix>.bin`.
    public var dataPath: String { data.path }

    // MARK: Items

    /// The element count of item `i`.
    public func size(ofItem i: Int) -> Int {
        precondition(i >= 0 && i < count, "item \(i) out of range 0..<\(count)")
        return Int(index.int(Int32.self, at: Self.headerSize + 4 * i))
    }

    /// The byte offset of item `i` in `.bin`.
    public func pointer(ofItem i: Int) -> Int {
        precondition(i >= 0 && i < count, "item \(i) out of range 0..<\(count)")
        return Int(index.int(Int64.self, at: Self.headerSize + 4 * count + 8 * i))
    }

    /// Calls `body` with the raw little-endian bytes of item `i` and the dtype, without copying.
    /// The pointer must not escape `body`.
    /// - Complexity: O(1).
    public func withItemBytes<R>(
        _ i: Int, _ body: (UnsafeRawBufferPointer, IndexedDatasetDType) throws -> R
    ) rethrows -> R {
        let start = pointer(ofItem: i)
        let length = size(ofItem: i) * dtype.itemSize
        return try body(UnsafeRawBufferPointer(rebasing: data.bytes[start..<(start + length)]), dtype)
    }

    /// Calls `body` with item `i` typed as `T`, without copying. Elements are naturally aligned
    /// because pointers are multiples of the itemsize and the mapping is page-aligned.
    /// - Precondition: `T` is the Swift type of `dtype` (e.g. `UInt16` for `.uint16`).
    /// - Complexity: O(1).
    public func withItem<T: FixedWidthInteger, R>(
        _ i: Int, as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(MemoryLayout<T>.size == dtype.itemSize && T.isSigned == dtype.isSigned,
                     "\(T.self) is not the element type \(dtype)")
        return try withItemBytes(i) { raw, _ in try raw.withMemoryRebound(to: T.self, body) }
    }

    /// Item `i` widened to Int64.
    /// - Throws: `valueOutOfRange` for a uint64 element above Int64.max.
    /// - Complexity: O(size of the item).
    public func item(_ i: Int) throws -> [Int64] {
        var collector = Int64Collector(path: data.path, item: i)
        try withItemBytes(i) { raw, dtype in
            collector.bytes = raw
            try dtype.dispatch(&collector)
        }
        return collector.values
    }

    /// Every item, widened to Int64 (convenient for tests and small files).
    /// - Complexity: O(total elements).
    public func allItems() throws -> [[Int64]] {
        try (0..<count).map { try item($0) }
    }

    // MARK: doc_idx

    /// doc_idx entry `k`.
    public func documentIndexEntry(_ k: Int) -> Int {
        precondition(k >= 0 && k < documentIndexCount, "doc_idx entry \(k) out of range")
        return Int(index.int(Int64.self, at: Self.headerSize + 12 * count + 8 * k))
    }

    /// The whole doc_idx array.
    public var documentIndex: [Int64] {
        (0..<documentIndexCount).map { Int64(documentIndexEntry($0)) }
    }

    /// The number of documents: consecutive doc_idx pairs (doc_count − 1, or 0).
    public var documentCount: Int { max(0, documentIndexCount - 1) }

    /// The items of document `d`: doc_idx[d] ..< doc_idx[d + 1]. May be empty (e.g. the duplicated
    /// tail entry that DeepSpeed's helper writes after a merge).
    public func items(ofDocument d: Int) -> Range<Int> {
        precondition(d >= 0 && d < documentCount, "document \(d) out of range 0..<\(documentCount)")
        return documentIndexEntry(d)..<documentIndexEntry(d + 1)
    }

    /// Internal: the whole `.bin`, for `IndexedDatasetBuilder.merge`.
    func withDataBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(data.bytes)
    }
}

// MARK: - Validation at open

extension IndexedDatasetReader {
    struct Header {
        var dtype: IndexedDatasetDType
        var count: Int
        var documentIndexCount: Int
    }

    static func parseHeader(_ file: MappedFile, codeTable: DTypeCodeTable) throws -> Header {
        let path = file.path
        let size = file.bytes.count
        let head = Array(file.bytes.prefix(magic.count))
        guard head == magic else { throw IndexedDatasetError.notAnIndexFile(path: path, found: head) }
        guard size >= headerSize else {
            throw IndexedDatasetError.indexSizeMismatch(path: path, actual: size, expected: "at least \(headerSize) bytes")
        }
        let version = file.int(UInt64.self, at: 9)
        guard version == 1 else { throw IndexedDatasetError.unsupportedVersion(path: path, version: version) }
        let code = file.int(UInt8.self, at: 17)
        let dtype: IndexedDatasetDType
        switch codeTable.lookUp(code) {
        case let .integer(t): dtype = t
        case .floatingPoint: throw IndexedDatasetError.floatingPointDType(path: path, code: code, table: codeTable)
        case .unknown: throw IndexedDatasetError.unknownDTypeCode(path: path, code: code, table: codeTable)
        }
        let len = file.int(UInt64.self, at: 18)
        let docs = file.int(UInt64.self, at: 26)
        // 34 + 12·len + 8·doc_count, computed without overflow.
        let (a, o1) = len.multipliedReportingOverflow(by: 12)
        let (b, o2) = docs.multipliedReportingOverflow(by: 8)
        let (c, o3) = a.addingReportingOverflow(b)
        let (expected, o4) = c.addingReportingOverflow(UInt64(headerSize))
        guard !(o1 || o2 || o3 || o4), expected == UInt64(size) else {
            let text = (o1 || o2 || o3 || o4) ? "more than 2^64" : "\(expected)"
            throw IndexedDatasetError.indexSizeMismatch(
                path: path, actual: size, expected: "\(text) bytes for \(len) items and \(docs) doc_idx entries")
        }
        return Header(dtype: dtype, count: Int(len), documentIndexCount: Int(docs))
    }

    /// Checks sizes ≥ 0 and `.bin` length = Σ sizes · itemsize; returns Σ sizes.
    static func validateSizes(_ file: MappedFile, data: MappedFile, count: Int,
                              dtype: IndexedDatasetDType, table: DTypeCodeTable) throws -> Int {
        var elements = 0
        for i in 0..<count {
            let s = file.int(Int32.self, at: headerSize + 4 * i)
            guard s >= 0 else { throw IndexedDatasetError.negativeItemSize(path: file.path, item: i, size: s) }
            let (sum, overflow) = elements.addingReportingOverflow(Int(s))
            elements = overflow ? Int.max : sum
        }
        let (product, overflow) = elements.multipliedReportingOverflow(by: dtype.itemSize)
        let expected = overflow ? Int.max : product
        let actual = data.bytes.count
        guard expected == actual else {
            throw IndexedDatasetError.dataSizeMismatch(
                path: data.path, actual: actual, expected: expected,
                hint: sizeMismatchHint(actual: actual, expected: expected, elements: elements, dtype: dtype, table: table))
        }
        return elements
    }

    /// A guess at why `.bin` has the wrong length: another itemsize fits exactly (a code-table
    /// mix-up), or the file is shorter (truncated).
    static func sizeMismatchHint(actual: Int, expected: Int, elements: Int, dtype: IndexedDatasetDType,
                                 table: DTypeCodeTable) -> String {
        if elements > 0, actual % elements == 0, [1, 2, 4, 8].contains(actual / elements) {
            return "it holds \(actual / elements)-byte elements, not \(dtype.itemSize)-byte \(dtype) as the "
                + "\(table) table says; \(table.otherTablesHint)"
        }
        return actual < expected ? "truncated?" : ""
    }

    static func validatePointers(_ file: MappedFile, count: Int, dtype: IndexedDatasetDType) throws {
        let base = headerSize + 4 * count
        var expected: Int64 = 0
        for i in 0..<count {
            let found = file.int(Int64.self, at: base + 8 * i)
            guard found == expected else {
                throw IndexedDatasetError.inconsistentPointer(path: file.path, item: i, found: found, expected: expected)
            }
            expected += Int64(file.int(Int32.self, at: headerSize + 4 * i)) * Int64(dtype.itemSize)
        }
    }

    static func validateDocumentIndex(_ file: MappedFile, count: Int, entries: Int) throws {
        let base = headerSize + 12 * count
        var previous: Int64 = 0
        for k in 0..<entries {
            let value = file.int(Int64.self, at: base + 8 * k)
            guard value >= previous, value <= Int64(count) else {
                throw IndexedDatasetError.invalidDocumentIndex(path: file.path, position: k, value: value, itemCount: count)
            }
            previous = value
        }
    }
}

// MARK: - Element decoding

/// Widens every element of `bytes` to Int64.
struct Int64Collector: IntegerVisitor {
    let path: String
    let item: Int
    var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
    var values: [Int64] = []

    mutating func visit<T: FixedWidthInteger>(_: T.Type) throws {
        let n = bytes.count / MemoryLayout<T>.size
        values.reserveCapacity(n)
        for j in 0..<n {
            let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.size, as: T.self))
            guard let wide = Int64(exactly: v) else {
                throw IndexedDatasetError.valueOutOfRange(path: path, item: item, value: "\(v)", dtype: "int64")
            }
            values.append(wide)
        }
    }
}

/// A generic operation over the Swift type of a dtype; see `IndexedDatasetDType.dispatch`.
protocol IntegerVisitor {
    mutating func visit<T: FixedWidthInteger>(_ type: T.Type) throws
}

extension IndexedDatasetDType {
    /// Calls `visitor.visit` with the Swift integer type of this dtype.
    func dispatch<V: IntegerVisitor>(_ visitor: inout V) throws {
        switch self {
        case .uint8: try visitor.visit(UInt8.self)
        case .int8: try visitor.visit(Int8.self)
        case .int16: try visitor.visit(Int16.self)
        case .int32: try visitor.visit(Int32.self)
        case .int64: try visitor.visit(Int64.self)
        case .uint16: try visitor.visit(UInt16.self)
        case .uint32: try visitor.visit(UInt32.self)
        case .uint64: try visitor.visit(UInt64.self)
        }
    }
}

extension MappedFile {
    /// The little-endian integer at byte `offset`, read straight from the map in this module, so
    /// it is specialized for `T` (Storage's generic `load` is called unspecialized from here and
    /// looked up type metadata on every call: a fifth of indexing a Megatron input).
    /// - Precondition: `offset + size ≤ bytes.count`.
    @inline(__always)
    func int<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
