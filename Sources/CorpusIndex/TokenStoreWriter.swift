// TokenStoreWriter.swift — appends samples to an index's own token files while it is built
// (format 3, issue 16 item 1): `tokens.bin` (the elements, Megatron's dtype for the vocabulary)
// and `tokens.sizes` (Int32 LE element count per item). Each batch is written at the lengths the
// last LMDB commit recorded (positioned writes: a transaction LMDB retries after growing its map
// writes the same bytes again), and a resume truncates both files back to those lengths, so what
// a `kill -9` left beyond the last commit is dropped. `finish` writes `tokens.idx` (Megatron's
// layout, one document per item) and syncs both files before the index may become complete.

import Corpus
import Foundation
import Storage

final class TokenStoreWriter {
    /// The element type: Megatron's `best_fitting_dtype` for the vocabulary.
    let dtype: IndexedDatasetDType
    private let directory: String
    private let bin: PosixFile
    private let sizes: PosixFile
    /// Items and `.bin` bytes as of the last commit.
    private(set) var committedItems: Int
    private(set) var committedBytes: Int
    private var pending: UnsafeMutableRawPointer
    private var pendingCapacity: Int
    private var pendingBytes = 0
    private var pendingSizes: [Int32] = []

    var binPath: String { directory + "/" + TokenStoreInfo.ownPrefix + ".bin" }
    var sizesPath: String { directory + "/" + TokenStoreInfo.ownPrefix + ".sizes" }
    var prefix: String { directory + "/" + TokenStoreInfo.ownPrefix }

    /// Opens (creating) the token files in `directory`, cut back to `items` items of `bytes` bytes
    /// (0 and 0 for a fresh build; the resume cursor's lengths on resume).
    /// - Throws: `IndexError.cannotResume` when a file is shorter than the last commit recorded
    ///   (the system lost data the commit relied on).
    init(directory: String, vocabularySize: Int, items: Int, bytes: Int) throws {
        self.directory = directory
        dtype = MegatronTokenDatasetWriter.dtype(vocabularySize: vocabularySize)
        bin = try PosixFile(path: directory + "/" + TokenStoreInfo.ownPrefix + ".bin", mode: .update)
        sizes = try PosixFile(path: directory + "/" + TokenStoreInfo.ownPrefix + ".sizes", mode: .update)
        for (file, want) in [(bin, bytes), (sizes, 4 * items)] {
            let have = file.size ?? 0
            guard have >= want else {
                throw IndexError.cannotResume(path: directory, reason: "\(file.path) holds \(have) bytes, but the last committed batch "
                    + "recorded \(want) (data lost in a system crash?); start over with --force")
            }
            if have > want { try file.truncate(to: want) }
        }
        committedItems = items
        committedBytes = bytes
        pendingCapacity = 1 << 20
        pending = .allocate(byteCount: pendingCapacity, alignment: 16)
    }

    deinit { pending.deallocate() }

    /// Items written and committed, plus those of the batch in progress.
    var itemCount: Int { committedItems + pendingSizes.count }
    /// `.bin` bytes committed plus those of the batch in progress.
    var byteCount: Int { committedBytes + pendingBytes }

    /// Starts a batch (again, when LMDB retries a transaction): drops what is pending.
    func beginBatch() {
        pendingBytes = 0
        pendingSizes.removeAll(keepingCapacity: true)
    }

    /// Appends one item of `count` elements, which `fill` writes (little-endian `dtype`) into the
    /// buffer it is given.
    func append(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let bytes = count * dtype.itemSize
        if pendingBytes + bytes > pendingCapacity {
            var capacity = pendingCapacity
            while capacity < pendingBytes + bytes { capacity *= 2 }
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            grown.copyMemory(from: pending, byteCount: pendingBytes)
            pending.deallocate()
            (pending, pendingCapacity) = (grown, capacity)
        }
        fill(UnsafeMutableRawBufferPointer(start: pending + pendingBytes, count: bytes))
        pendingBytes += bytes
        pendingSizes.append(Int32(count))
    }

    /// Writes the batch in progress after the committed bytes (before its LMDB commit).
    /// - Throws: a full disk as `LMDBError.noSpace` (the index's storage is full, whichever file
    ///   hit it: the build keeps what it committed and resumes once space is freed), other write
    ///   failures as `IndexError.notWritable`.
    func writePending() throws {
        do {
            try bin.write(at: committedBytes, UnsafeRawBufferPointer(start: pending, count: pendingBytes))
            try pendingSizes.withUnsafeBytes { try sizes.write(at: 4 * committedItems, $0) }
        } catch let error as FileError {
            if error.reason == String(cString: strerror(ENOSPC)) { throw LMDBError.noSpace(path: directory) }
            throw IndexError.notWritable(path: directory, reason: error.description)
        }
    }

    /// Marks the written batch committed (after its LMDB commit).
    func commitPending() {
        committedBytes += pendingBytes
        committedItems += pendingSizes.count
        beginBatch()
    }

    /// Writes `tokens.idx` for the committed items (Megatron layout: magic, version 1, dtype code
    /// of Megatron's table, len, doc_count = len + 1, sizes, pointers, doc_idx 0…len: every item is
    /// its own document) through a `.partial` file renamed into place, and syncs `.bin` and `.idx`.
    /// Streams the sizes file, so memory does not grow with the number of items.
    func finish() throws {
        try bin.sync()
        let path = prefix + ".idx"
        let idx = try BufferedSink(path: path + ".partial", capacity: 1 << 20)
        try IndexedDatasetReader.magic.withUnsafeBytes { try idx.write(bytes: $0) }
        try idx.write(UInt64(1))
        try idx.write(DTypeCodeTable.megatron.code(of: dtype)!)
        try idx.write(UInt64(committedItems))
        try idx.write(UInt64(committedItems + 1))
        let block = 1 << 18
        var chunk = [Int32](repeating: 0, count: block)
        func forEachBlock(_ body: (UnsafeBufferPointer<Int32>) throws -> Void) throws {
            var done = 0
            while done < committedItems {
                let n = min(block, committedItems - done)
                var got = 0
                while got < 4 * n {
                    let r = try chunk.withUnsafeMutableBytes {
                        try sizes.read(at: 4 * done + got, into: UnsafeMutableRawBufferPointer(rebasing: $0[got..<(4 * n)]))
                    }
                    guard r > 0 else { throw IndexError.corrupt("\(sizesPath) ended after \(4 * done + got) bytes, expected \(4 * committedItems)") }
                    got += r
                }
                try chunk.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<n])) }
                done += n
            }
        }
        try forEachBlock { try idx.write(bytes: UnsafeRawBufferPointer($0)) }
        var pointer: Int64 = 0
        var pointers = [Int64](repeating: 0, count: block)
        try forEachBlock { part in
            for (i, s) in part.enumerated() {
                pointers[i] = pointer
                pointer += Int64(s) * Int64(dtype.itemSize)
            }
            try pointers.withUnsafeBytes { try idx.write(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<(8 * part.count)])) }
        }
        guard pointer == Int64(committedBytes) else {
            throw IndexError.corrupt("\(sizesPath): the item sizes add up to \(pointer) bytes, \(binPath) holds \(committedBytes)")
        }
        for d in 0...committedItems { try idx.write(Int64(d)) }
        try idx.close()
        let written = try PosixFile(path: path + ".partial", mode: .read)
        try written.sync()
        try AtomicFile.commit(path + ".partial", to: path)
    }

    /// Removes `tokens.sizes` (the index is complete: `tokens.idx` holds the sizes).
    func removeSizes() { PosixFile.remove(sizesPath) }
}
