// TokenStore.swift — where an index's tokens live (format 3, issue 16 item 1): Megatron-LM
// document datasets (`.bin/.idx`), not LMDB values. An index's own tokens are `tokens.bin` /
// `tokens.idx` in its directory; a Megatron input indexed unpacked is referenced where it lies
// instead of copied. Sample ids map to (dataset, item) through a short list of segments, so
// access stays O(1) (a binary search over the segments, then the `.idx` pointer).

import Corpus
import Foundation
import Storage

/// One Megatron dataset that holds stored tokens (`manifest.tokenStore.files`).
public struct TokenFileInfo: Codable, Equatable, Sendable {
    /// The dataset prefix (`prefix.bin`, `prefix.idx`): relative to the index directory for the
    /// index's own files (`tokens`), an absolute path for a referenced input.
    public var prefix: String
    /// True for files the index wrote (and owns); false for a referenced input.
    public var owned: Bool
    /// The dtype-code table the `.idx` is read with (`DTypeCodeTable.rawValue`).
    public var codeTable: String
    /// `.bin` and `.idx` sizes in bytes and `TokenFileInfo.fingerprint(prefix:)`, as recorded when
    /// the index was completed (nil while the index's own files are still being written).
    public var binSize: Int?
    public var idxSize: Int?
    public var fingerprint: String?

    public init(prefix: String, owned: Bool, codeTable: DTypeCodeTable) {
        self.prefix = prefix; self.owned = owned; self.codeTable = codeTable.rawValue
    }

    /// The prefix as a path, resolved against the index directory `indexPath`.
    func path(in indexPath: String) -> String { owned ? indexPath + "/" + prefix : prefix }

    /// Records the current sizes and fingerprint of the files at `prefix`.
    mutating func seal(prefix path: String) throws {
        let (bin, idx, print) = try Self.fingerprint(prefix: path)
        (binSize, idxSize, fingerprint) = (bin, idx, print)
    }

    /// Sizes of `prefix.bin` and `prefix.idx`, and `xxh3:` + 16 hex digits of XXH3-64 over the first
    /// and last 64 KiB of each file (`.idx` first): cheap enough to check on every open of a
    /// terabyte corpus, and any change of the sizes, header, the first or the last documents
    /// shows. What lies in between is covered by the per-chunk token checksums, checked on use.
    static func fingerprint(prefix: String) throws -> (bin: Int, idx: Int, fingerprint: String) {
        let hasher = XXH3Hasher()
        var sizes: [Int] = []
        for ext in [".idx", ".bin"] {
            let file = try PosixFile(path: prefix + ext, mode: .read)
            let size = file.size ?? 0
            sizes.append(size)
            let span = 64 << 10
            for range in size <= 2 * span ? [0..<size] : [0..<span, (size - span)..<size] {
                var buffer = [UInt8](repeating: 0, count: range.count)
                var got = 0
                while got < range.count {
                    let n = try buffer.withUnsafeMutableBytes {
                        try file.read(at: range.lowerBound + got, into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]))
                    }
                    guard n > 0 else { throw IndexError.corrupt("\(prefix + ext) ended at byte \(range.lowerBound + got) while being read") }
                    got += n
                }
                buffer.withUnsafeBytes { hasher.update($0) }
            }
        }
        return (sizes[1], sizes[0], InputTracker.format(hasher.digest))
    }
}

/// Consecutive samples whose tokens are consecutive items of one token file.
public struct TokenSegmentInfo: Codable, Equatable, Sendable {
    /// Index into `TokenStoreInfo.files`.
    public var file: Int
    /// The item holding the segment's first sample.
    public var firstItem: Int
    public var samples: Int
    public init(file: Int, firstItem: Int, samples: Int) { self.file = file; self.firstItem = firstItem; self.samples = samples }
}

/// `manifest.tokenStore`: the token files and, in sample-id order, the segments that map sample
/// ids onto their items (sample ids of segment k start at the sum of the earlier segments' samples).
public struct TokenStoreInfo: Codable, Equatable, Sendable {
    public var files: [TokenFileInfo]
    public var segments: [TokenSegmentInfo]
    public init(files: [TokenFileInfo], segments: [TokenSegmentInfo] = []) { self.files = files; self.segments = segments }

    /// The prefix of an index's own token files, relative to its directory.
    public static let ownPrefix = "tokens"
    /// The file names an index's own token store uses in its directory (`tokens.sizes` only while building).
    public static let ownFileNames: Set<String> = ["tokens.bin", "tokens.idx", "tokens.sizes", "tokens.idx.partial"]

    /// Appends sample (file `file`, item `item`) after the existing ones; `newSegment` starts a
    /// segment even where the item follows on (the first sample of an input: segments never
    /// span two inputs, so a shard's segments are the merged index's).
    mutating func append(file: Int, item: Int, newSegment: Bool = false) {
        if !newSegment, var last = segments.last, last.file == file, last.firstItem + last.samples == item {
            last.samples += 1
            segments[segments.count - 1] = last
        } else {
            segments.append(TokenSegmentInfo(file: file, firstItem: item, samples: 1))
        }
    }

    /// Token checksum chunks: each segment is cut into chunks of `IndexChecksums.chunk` samples
    /// from its start (so a shard's chunks are the merged index's); the number of chunks.
    var checksumChunks: Int { segments.reduce(0) { $0 + ($1.samples + IndexChecksums.chunk - 1) / IndexChecksums.chunk } }
}

/// Read access to the tokens of a complete index.
public final class TokenStore {
    /// The index directory, for messages.
    public let indexPath: String
    public let info: TokenStoreInfo
    private let readers: [IndexedDatasetReader]
    /// First sample id of each segment, ascending.
    private let starts: [Int]
    /// First checksum chunk of each segment (`TokenStoreInfo.checksumChunks`), and their number.
    private let chunkStarts: [Int]
    let chunkCount: Int
    /// The longest sample, in tokens: a longer item is corrupt.
    let maxSampleLength: Int

    /// Opens every token file of `manifest` and checks each against the sizes and fingerprint
    /// recorded when the index was completed.
    /// - Parameter openReaders: readers of some of the files (by `info.files` index) already open
    ///   on the same `.bin/.idx` with the same dtype-code table (pass 1's of a referenced input),
    ///   used instead of opening those files again.
    /// - Throws: `IndexError.corrupt` for an index whose store is inconsistent, `.tokenFileChanged`
    ///   when a file is missing or changed (a referenced input edited, moved or replaced).
    public init(indexPath: String, manifest: IndexManifest, checkFingerprints: Bool = true,
                openReaders: [Int: IndexedDatasetReader] = [:]) throws {
        self.indexPath = indexPath
        guard let info = manifest.tokenStore else {
            throw IndexError.corrupt("\(indexPath): the manifest has no token store")
        }
        self.info = info
        maxSampleLength = manifest.counts.maxSampleLength
        var readers: [IndexedDatasetReader] = []
        for (k, file) in info.files.enumerated() {
            let prefix = file.path(in: indexPath)
            if checkFingerprints { try Self.check(file, prefix: prefix, indexPath: indexPath) }
            guard let table = DTypeCodeTable(rawValue: file.codeTable) else {
                throw IndexError.corrupt("\(indexPath): token file \(file.prefix) has an unknown dtype-code table '\(file.codeTable)'")
            }
            if let open = openReaders[k], open.codeTable == table { readers.append(open); continue }
            do { readers.append(try IndexedDatasetReader(prefix: prefix, codeTable: table)) } catch {
                throw IndexError.tokenFileChanged(index: indexPath, file: prefix, detail: "it cannot be read: \(error)")
            }
        }
        self.readers = readers
        var starts: [Int] = [], chunkStarts: [Int] = [], next = 0, chunks = 0
        for s in info.segments {
            chunkStarts.append(chunks)
            chunks += (s.samples + IndexChecksums.chunk - 1) / IndexChecksums.chunk
            guard s.file >= 0, s.file < readers.count, s.firstItem >= 0, s.samples >= 0,
                  s.firstItem + s.samples <= readers[s.file].count else {
                throw IndexError.corrupt("\(indexPath): token segment \(s) lies outside its file")
            }
            starts.append(next)
            next += s.samples
        }
        guard next == manifest.counts.samples else {
            throw IndexError.corrupt("\(indexPath): the token store maps \(next) samples, the manifest counts \(manifest.counts.samples)")
        }
        self.starts = starts
        self.chunkStarts = chunkStarts
        chunkCount = chunks
    }

    /// The segment holding sample `id`. - Precondition: 0 ≤ id < sample count.
    @inline(__always)
    private func segment(of id: Int) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {  // the last segment starting at or before id
            let mid = (lo + hi + 1) >> 1
            if starts[mid] <= id { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// The checksum chunk of sample `id`.
    func chunk(of id: Int) -> Int {
        let k = segment(of: id)
        return chunkStarts[k] + (id - starts[k]) / IndexChecksums.chunk
    }

    /// The sample ids of checksum chunk `c`.
    func samples(ofChunk c: Int) -> Range<Int> {
        var lo = 0, hi = chunkStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if chunkStarts[mid] <= c { lo = mid } else { hi = mid - 1 }
        }
        let first = starts[lo] + (c - chunkStarts[lo]) * IndexChecksums.chunk
        return first..<min(first + IndexChecksums.chunk, starts[lo] + info.segments[lo].samples)
    }

    /// Refuses a token file whose sizes or fingerprint differ from those recorded.
    private static func check(_ file: TokenFileInfo, prefix: String, indexPath: String) throws {
        guard let bin = file.binSize, let idx = file.idxSize, let expected = file.fingerprint else {
            throw IndexError.corrupt("\(indexPath): token file \(file.prefix) has no recorded size or fingerprint")
        }
        let found: (bin: Int, idx: Int, fingerprint: String)
        do { found = try TokenFileInfo.fingerprint(prefix: prefix) } catch {
            throw IndexError.tokenFileChanged(index: indexPath, file: prefix, detail: "it cannot be opened: \(error)")
        }
        guard found.bin == bin, found.idx == idx else {
            throw IndexError.tokenFileChanged(index: indexPath, file: prefix,
                detail: ".bin/.idx are \(found.bin)/\(found.idx) bytes, the index recorded \(bin)/\(idx)")
        }
        guard found.fingerprint == expected else {
            throw IndexError.tokenFileChanged(index: indexPath, file: prefix,
                detail: "its fingerprint is \(found.fingerprint), the index recorded \(expected) (same sizes, other content)")
        }
    }

    /// The reader and item of sample `id`.
    /// - Precondition: 0 ≤ id < sample count.
    @inline(__always)
    func location(of id: Int) -> (reader: IndexedDatasetReader, item: Int) {
        let lo = segment(of: id)
        let s = info.segments[lo]
        return (readers[s.file], s.firstItem + id - starts[lo])
    }

    /// Calls `body` with the stored bytes of sample `id` and their dtype, without copying.
    /// - Throws: `IndexError.corrupt` for an id outside the index or an item longer than the
    ///   longest sample.
    public func withRawTokens<R>(_ id: Int, _ body: (UnsafeRawBufferPointer, IndexedDatasetDType) throws -> R) throws -> R {
        let (raw, dtype) = try rawTokens(id)
        return try withExtendedLifetime(self) { try body(raw, dtype) }
    }

    /// The stored bytes of sample `id` and their dtype, without copying and without a closure
    /// (pass 2's per-sample loop: a closure per sample cost reference counting of what it
    /// captured). The bytes stay valid while this store is alive; the caller keeps it so.
    /// - Throws: as `withRawTokens`.
    @inline(__always)
    func rawTokens(_ id: Int) throws -> (UnsafeRawBufferPointer, IndexedDatasetDType) {
        guard id >= 0, id < (starts.last ?? 0) + (info.segments.last?.samples ?? 0) else {
            throw IndexError.corrupt("\(indexPath): sample \(id) is missing from the index")
        }
        let (reader, item) = location(of: id)
        guard reader.size(ofItem: item) <= maxSampleLength else {
            throw IndexError.corrupt("\(indexPath): sample \(id) (item \(item) of \(reader.dataPath)) has \(reader.size(ofItem: item)) "
                + "tokens; the longest sample has \(maxSampleLength) (restore the file or rebuild the index)")
        }
        return reader.withItemBytes(item) { ($0, $1) }
    }

    /// Decodes sample `id` into the front of `out`; returns the tokens.
    /// - Precondition: `out` holds at least the longest sample.
    public func tokens(_ id: Int, into out: UnsafeMutableBufferPointer<TokenID>) throws -> UnsafeBufferPointer<TokenID> {
        try withRawTokens(id) { raw, dtype in Self.decode(raw, dtype: dtype, into: out) }
    }

    /// Appends the tokens of sample `id` to `tokens`.
    public func appendTokens(of id: Int, to tokens: inout [TokenID]) throws {
        try withRawTokens(id) { raw, dtype in
            let n = raw.count / dtype.itemSize
            let start = tokens.count
            tokens.append(contentsOf: repeatElement(0, count: n))
            tokens.withUnsafeMutableBufferPointer { dst in
                _ = Self.decode(raw, dtype: dtype, into: UnsafeMutableBufferPointer(rebasing: dst[start...]))
            }
        }
    }

    /// The stored elements of sample `id` widened to Int64, unchecked against the vocabulary
    /// (`gradus verify` looks at them as they are), through the dataset reader's own widening.
    /// - Throws: `IndexedDatasetError.valueOutOfRange` for a uint64 element above Int64.max.
    func wideTokens(of id: Int) throws -> [Int64] {
        let (reader, item) = location(of: id)
        return try reader.item(item)
    }

    /// The element count of sample `id`.
    public func length(of id: Int) -> Int {
        let (reader, item) = location(of: id)
        return reader.size(ofItem: item)
    }

    /// Gives the mapped pages of every token file back to the kernel (they stay in the page cache).
    public func releaseMappedPages() {
        for r in readers { r.releaseAllMappedPages() }
    }

    /// Decodes stored elements of `dtype` to token ids (ids were checked against the vocabulary
    /// when indexed; a later change of a file is caught by the token checksums).
    @inline(__always)
    static func decode(_ raw: UnsafeRawBufferPointer, dtype: IndexedDatasetDType,
                       into out: UnsafeMutableBufferPointer<TokenID>) -> UnsafeBufferPointer<TokenID> {
        let n = raw.count / dtype.itemSize
        precondition(n <= out.count, "sample of \(n) tokens longer than the longest sample")
        switch dtype {
        case .uint16, .int16:
            for i in 0..<n { out[i] = TokenID(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .int32, .uint32:
            for i in 0..<n { out[i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        case .int64, .uint64:
            for i in 0..<n { out[i] = TokenID(truncatingIfNeeded: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
        case .uint8, .int8:
            for i in 0..<n { out[i] = TokenID(raw[i]) }
        }
        return UnsafeBufferPointer(rebasing: out[0..<n])
    }
}
