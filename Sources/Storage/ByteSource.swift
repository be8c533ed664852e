// ByteSource.swift — sequential byte input from plain, zstd and gzip files, detected by magic
// bytes (issue 2, issue 15 item 2). Readers in `Corpus` stream through this in constant memory.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum FileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    /// Another call (`operation`: "stat", "mmap", "truncate", "mkdir", ...) failed.
    case failed(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .readFailed(path, reason): return "\(path): read failed: \(reason)"
        case let .writeFailed(path, reason): return "\(path): write failed: \(reason)"
        case let .failed(path, operation, reason): return "\(path): \(operation) failed: \(reason)"
        }
    }

    /// The system's reason alone, without the path.
    public var reason: String {
        switch self {
        case let .cannotOpen(_, reason), let .readFailed(_, reason), let .writeFailed(_, reason),
             let .failed(_, _, reason): reason
        }
    }
}

func errnoMessage(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Sequential reader of bytes. `read` returns 0 only at the end of the stream.
public protocol ByteSource: AnyObject {
    /// The file this source reads, for messages.
    var path: String { get }
    /// Fills up to `buffer.count` bytes; returns how many, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A source that first replays some already-read bytes (the sniffed magic), then the rest.
final class PrefixedSource: ByteSource {
    let path: String
    private var prefix: [UInt8]
    private var prefixPosition = 0
    private let rest: ByteSource

    init(prefix: [UInt8], rest: ByteSource) {
        self.path = rest.path; self.prefix = prefix; self.rest = rest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if prefixPosition < prefix.count {
            let n = min(buffer.count, prefix.count - prefixPosition)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + prefixPosition, byteCount: n)
            }
            prefixPosition += n
            return n
        }
        return try rest.read(into: buffer)
    }
}

/// Whether the input is compressed, as detected from its first bytes.
public enum Compression: String, Sendable {
    case none, zstd, gzip
}

/// Opens `path` (or `-` for standard input) and returns a source of its decompressed bytes,
/// detecting zstd and gzip by their magic numbers rather than by the file name. A file that
/// starts with a zstd skippable frame (as `pzstd` writes) is zstd too. Parquet, Arrow IPC, bzip2
/// and xz files are refused with `UnreadFormatError` rather than read as text. `zstdWindowLog` raises the largest zstd
/// window accepted (see `ZstdDecompressingSource.init(source:path:windowLogMax:)`).
public func openInput(path: String, zstdWindowLog: Int? = nil) throws -> (source: ByteSource, compression: Compression, size: Int?) {
    let input = try openTrackedInput(path: path, zstdWindowLog: zstdWindowLog)
    return (input.source, input.compression, input.tracker.sizeAtOpen)
}

/// `openInput`, also returning the `InputTracker` that counts and hashes the on-disk bytes and
/// checks at the end of the file that it did not change while being read.
public func openTrackedInput(path: String, zstdWindowLog: Int? = nil) throws
    -> (source: ByteSource, compression: Compression, tracker: InputTracker) {
    let tracker = InputTracker(file: try PosixFile(path: path, mode: .read))
    // Enough for every magic below (bzip2's is 10 bytes with its first block's); a pipe is
    // peeked in the same stream and the bytes replayed. Peeking stops as soon as the bytes
    // cannot begin a magic, so a short line typed into a terminal is not held back.
    var head = [UInt8](repeating: 0, count: UnreadFormat.longestMagic)
    var got = 0
    while got < head.count && (got == 0 || mayBeginMagic(head[0..<got])) {
        let n = try head.withUnsafeMutableBytes { try tracker.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
        if n == 0 { break }
        got += n
    }
    head.removeLast(head.count - got)
    if let unread = UnreadFormat(head: head) { throw UnreadFormatError(path: path, format: unread) }
    let replay = PrefixedSource(prefix: head, rest: tracker)
    if isZstdFrameStart(head) {
        let z = try ZstdDecompressingSource(source: replay, path: path, windowLogMax: zstdWindowLog)
        return (z, .zstd, tracker)
    }
    if isGzipStart(head) {
        return (try GzipDecompressingSource(source: replay, path: path), .gzip, tracker)
    }
    return (replay, .none, tracker)
}

/// The magic numbers `openTrackedInput` recognises, byte by byte (a range where several values
/// are allowed): zstd, a zstd skippable frame, gzip, then those of `UnreadFormat`.
private let magicPatterns: [[ClosedRange<UInt8>]] = {
    func exact(_ bytes: [UInt8]) -> [ClosedRange<UInt8>] { bytes.map { $0...$0 } }
    let bzip2 = exact(Array("BZh".utf8)) + [UInt8(ascii: "1")...UInt8(ascii: "9")]
    return [exact(zstdMagic), [0x50...0x5F] + exact([0x2A, 0x4D, 0x18]), exact(gzipMagic),
            exact(Array("PAR1".utf8) + [0x15]), exact(Array("ARROW1".utf8) + [0, 0]), exact([0xFF, 0xFF, 0xFF, 0xFF]), exact([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
            bzip2 + exact([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]), bzip2 + exact([0x17, 0x72, 0x45, 0x38, 0x50, 0x90])]
}()

/// Whether `head` is a proper prefix of one of `magicPatterns` (more bytes could complete it).
func mayBeginMagic(_ head: ArraySlice<UInt8>) -> Bool {
    magicPatterns.contains { pattern in
        head.count < pattern.count && zip(head, pattern).allSatisfy { $1.contains($0) }
    }
}

/// Whether `path` names an existing file or directory.
public func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}
