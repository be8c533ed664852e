// ByteSource.swift — sequential byte input from plain files and zstd files, detected by magic
// bytes (issue 2). Readers in `Corpus` stream through this in constant memory.

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
    case none, zstd
}

/// Opens `path` (or `-` for standard input) and returns a source of its decompressed bytes,
/// detecting zstd by its magic number rather than by the file name. A file that starts with a
/// zstd skippable frame (as `pzstd` writes) is zstd too. `zstdWindowLog` raises the largest zstd
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
    var head = [UInt8](repeating: 0, count: 4)
    var got = 0
    while got < 4 {
        let n = try head.withUnsafeMutableBytes { try tracker.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
        if n == 0 { break }
        got += n
    }
    head.removeLast(4 - got)
    let replay = PrefixedSource(prefix: head, rest: tracker)
    if isZstdFrameStart(head) {
        let z = try ZstdDecompressingSource(source: replay, path: path, windowLogMax: zstdWindowLog)
        return (z, .zstd, tracker)
    }
    return (replay, .none, tracker)
}

/// Whether `path` names an existing file or directory.
public func fileExists(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0
}
