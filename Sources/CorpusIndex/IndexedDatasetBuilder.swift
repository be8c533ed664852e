// IndexedDatasetBuilder.swift — writer of a Megatron/DeepSpeed MMapIndexedDataset `.bin/.idx` pair,
// byte-compatible with DeepSpeed ≥ 0.13.3's `MMapIndexedDatasetBuilder` and its helper pair
// `create_mmap_dataset_builder` / `close_mmap_dataset_builder` (spec §3.1).
//
// Semantics, and where Gradus deliberately differs from DeepSpeed:
// - Elements are streamed to `.bin` through a fixed buffer; only sizes (4 bytes/item) and doc_idx
//   are kept in memory, pointers are computed at finalize.
// - Values that do not fit the builder dtype **throw** (`valueOutOfRange`) and leave the builder
//   unchanged; DeepSpeed converts with a C cast, which silently wraps (e.g. 256 → 0 in uint8).
//   Items longer than Int32.max elements throw too (DeepSpeed's i32 size would overflow).
// - Files are written as `<prefix>.bin.partial` and `<prefix>.idx.partial` and renamed at finalize,
//   `.bin` first, each flushed to disk before its rename (`AtomicFile.commit`): an interrupted run
//   never leaves a half-written pair under the final names. The reader's exact-size checks reject
//   the short window in which a new `.bin` meets an old `.idx`.
//   A builder dropped without finalizing removes its partial files.
// - `merge` does not copy DeepSpeed's assertion that the output `.bin` is non-empty after copying
//   (spec §3.1, §4.7): merging an empty file is a no-op on the data, as it should be.

import Storage

/// Streams items to a `.bin` file and writes the `.idx` at `finalize`.
public final class IndexedDatasetBuilder {
    /// The output prefix; `finalize` produces `prefix + ".bin"` and `prefix + ".idx"`.
    public let prefix: String
    /// The element type every item is converted to.
    public let dtype: IndexedDatasetDType
    /// The table used for the dtype byte (`.deepSpeed` unless writing for Megatron).
    public let codeTable: DTypeCodeTable
    /// The element count of each item so far.
    public private(set) var sizes: [Int32] = []
    /// doc_idx so far; starts as [0].
    public private(set) var documentIndex: [Int64] = [0]

    private let code: UInt8
    private let bin: BufferedSink
    private let bufferCapacity: Int
    private var finalized = false

    /// The number of items added so far.
    public var count: Int { sizes.count }

    /// Opens `<prefix>.bin.partial` for writing.
    /// - Parameters:
    ///   - codeTable: `.deepSpeed` (DeepSpeed ≥ 0.13.3) or `.megatron` for Megatron token datasets.
    ///   - bufferCapacity: bytes buffered before each `write(2)`.
    /// - Throws: `dtypeNotInTable` if `codeTable` cannot encode `dtype`; `io` if the file cannot be created.
    public init(prefix: String, dtype: IndexedDatasetDType, codeTable: DTypeCodeTable = .deepSpeed,
                bufferCapacity: Int = 1 << 20) throws {
        guard let code = codeTable.code(of: dtype) else {
            throw IndexedDatasetError.dtypeNotInTable(path: prefix + ".idx", dtype: dtype, table: codeTable)
        }
        self.prefix = prefix
        self.dtype = dtype
        self.codeTable = codeTable
        self.code = code
        self.bufferCapacity = bufferCapacity
        bin = try BufferedSink(path: prefix + ".bin.partial", capacity: bufferCapacity)
    }

    deinit {
        if !finalized {
            PosixFile.remove(prefix + ".bin.partial")
            PosixFile.remove(prefix + ".idx.partial")
        }
    }

    // MARK: Adding items

    /// Appends one item, converting every element to `dtype`.
    /// - Throws: `valueOutOfRange` (nothing is written) if an element does not fit `dtype`;
    ///   `itemTooLong` above Int32.max elements; `io` on a write error.
    /// - Complexity: O(elements.count).
    public func addItem<T: FixedWidthInteger>(_ elements: UnsafeBufferPointer<T>) throws {
        try checkOpen()
        guard elements.count <= Int(Int32.max) else {
            throw IndexedDatasetError.itemTooLong(path: prefix + ".bin", item: count, count: elements.count)
        }
        try routeToSpecialized(elements, elementsAreItems: false)
        sizes.append(Int32(elements.count))
    }

    /// Appends one item; see `addItem(_: UnsafeBufferPointer<T>)`.
    public func addItem<T: FixedWidthInteger>(_ elements: [T]) throws {
        try elements.withUnsafeBufferPointer { try addItem($0) }
    }

    /// Appends one single-element item `[value]` (the shape of every DeepSpeed metric row).
    public func addItem<T: FixedWidthInteger>(single value: T) throws {
        try withUnsafePointer(to: value) { try addItem(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Appends `values.count` one-element items `[v]` in one pass — the shape of `sample_to_metric`
    /// — equivalent to `addItem(single:)` per value but without per-item overhead.
    /// - Throws: `valueOutOfRange` (nothing is written) naming the first value that does not fit.
    /// - Complexity: O(values.count).
    public func addSingleElementItems<T: FixedWidthInteger>(_ values: UnsafeBufferPointer<T>) throws {
        try checkOpen()
        try routeToSpecialized(values, elementsAreItems: true)
        sizes.append(contentsOf: repeatElement(1, count: values.count))
    }

    /// Calls `write` with the concrete element type for the common types. A call from another
    /// module arrives here unspecialized, and converting through generic witnesses element by
    /// element is about 20× slower; `unsafeBitCast` only relabels a buffer whose type was just
    /// checked to be identical.
    private func routeToSpecialized<T: FixedWidthInteger>(_ source: UnsafeBufferPointer<T>,
                                                          elementsAreItems: Bool) throws {
        func cast<U>(_: U.Type) -> UnsafeBufferPointer<U> { unsafeBitCast(source, to: UnsafeBufferPointer<U>.self) }
        if T.self == Int64.self { try write(cast(Int64.self), elementsAreItems: elementsAreItems) }
        else if T.self == UInt64.self { try write(cast(UInt64.self), elementsAreItems: elementsAreItems) }
        else if T.self == Int32.self { try write(cast(Int32.self), elementsAreItems: elementsAreItems) }
        else if T.self == UInt32.self { try write(cast(UInt32.self), elementsAreItems: elementsAreItems) }
        else { try write(source, elementsAreItems: elementsAreItems) }
    }

    private func write<S: FixedWidthInteger>(_ source: UnsafeBufferPointer<S>, elementsAreItems: Bool) throws {
        var writer = ItemWriter(source: source, sink: bin, path: prefix + ".bin", item: count, dtype: dtype,
                                elementsAreItems: elementsAreItems)
        try dtype.dispatch(&writer)
    }

    /// DeepSpeed's `end_document`: pushes the current item count onto doc_idx.
    public func endDocument() {
        documentIndex.append(Int64(count))
    }

    /// DeepSpeed's `merge_file_`: appends the other dataset's `.bin` bytes and sizes, and its
    /// doc_idx shifted by the current item count with its leading entry dropped.
    /// - Throws: `dtypeMismatch` if the other file's dtype differs; any reader error.
    /// - Complexity: O(size of the other dataset).
    public func merge(prefix other: String) throws {
        try checkOpen()
        let reader = try IndexedDatasetReader(prefix: other, codeTable: codeTable)
        guard reader.dtype == dtype else {
            throw IndexedDatasetError.dtypeMismatch(path: reader.indexPath, expected: dtype, found: reader.dtype)
        }
        let offset = Int64(count)
        try reader.withDataBytes { try bin.write(bytes: $0) }
        sizes.reserveCapacity(count + reader.count)
        for i in 0..<reader.count { sizes.append(Int32(reader.size(ofItem: i))) }
        if reader.documentIndexCount > 1 {
            for k in 1..<reader.documentIndexCount {
                documentIndex.append(offset + Int64(reader.documentIndexEntry(k)))
            }
        }
    }

    // MARK: Finishing

    /// DeepSpeed's `finalize`: closes `.bin`, writes `.idx`, and renames both to their final names.
    /// - Complexity: O(items + doc_idx entries).
    public func finalize() throws {
        try checkOpen()
        finalized = true
        do {
            try bin.close()
            try writeIndex(path: prefix + ".idx.partial")
            try withIndexedDatasetErrors {
                try AtomicFile.commit(prefix + ".bin.partial", to: prefix + ".bin")
                try AtomicFile.commit(prefix + ".idx.partial", to: prefix + ".idx")
            }
        } catch {
            PosixFile.remove(prefix + ".bin.partial")
            PosixFile.remove(prefix + ".idx.partial")
            throw error
        }
    }

    /// DeepSpeed's `close_mmap_dataset_builder`: `endDocument()` then `finalize()`. Every file
    /// DeepSpeed's data analyzer writes goes through this, hence the extra doc_idx entry.
    public func closeAsHelper() throws {
        try checkOpen()
        endDocument()
        try finalize()
    }

    private func checkOpen() throws {
        if finalized { throw IndexedDatasetError.alreadyFinalized(path: prefix + ".idx") }
    }

    /// Writes the `.idx` layout of spec §3.1: magic, version, code, len, doc_count, sizes,
    /// pointers (exclusive prefix sums of sizes · itemsize), doc_idx.
    private func writeIndex(path: String) throws {
        let idx = try BufferedSink(path: path, capacity: min(bufferCapacity, 1 << 16))
        try IndexedDatasetReader.magic.withUnsafeBytes { try idx.write(bytes: $0) }
        try idx.write(UInt64(1))
        try idx.write(code)
        try idx.write(UInt64(count))
        try idx.write(UInt64(documentIndex.count))
        try sizes.withUnsafeBufferPointer { try idx.write(converting: $0, to: Int32.self) }
        var pointers = [Int64]()
        pointers.reserveCapacity(min(count, 1 << 14))
        var pointer: Int64 = 0
        for (i, s) in sizes.enumerated() {
            pointers.append(pointer)
            pointer += Int64(s) * Int64(dtype.itemSize)
            if pointers.count == pointers.capacity || i == count - 1 {
                try pointers.withUnsafeBufferPointer { try idx.write(converting: $0, to: Int64.self) }
                pointers.removeAll(keepingCapacity: true)
            }
        }
        try documentIndex.withUnsafeBufferPointer { try idx.write(converting: $0, to: Int64.self) }
        try idx.close()
    }
}

/// Converts one item from the caller's element type `S` to the builder's type and streams it out.
/// All elements are range-checked before any byte is written, so a failure changes nothing.
struct ItemWriter<S: FixedWidthInteger>: IntegerVisitor {
    let source: UnsafeBufferPointer<S>
    let sink: BufferedSink
    let path: String
    let item: Int
    let dtype: IndexedDatasetDType
    /// Whether each element is its own item (for error messages: element j is item `item + j`).
    var elementsAreItems = false

    func visit<D: FixedWidthInteger>(_: D.Type) throws {
        if S.self == D.self {
            try sink.write(bytes: UnsafeRawBufferPointer(source))  // little-endian host (see reader)
            return
        }
        for (j, v) in source.enumerated() where D(exactly: v) == nil {
            throw IndexedDatasetError.valueOutOfRange(path: path, item: elementsAreItems ? item + j : item,
                                                      value: "\(v)", dtype: dtype.description)
        }
        try sink.write(converting: source, to: D.self)
    }
}
