// Gzip.swift — streaming gzip decompression over zlib's `inflate` (issue 15 item 2). Reads every
// member of a multi-member file (what `cat a.gz b.gz` or `gzip` on concatenated input gives) in
// bounded memory (one 128 KiB input buffer plus zlib's 32 KiB window); a corrupt or truncated
// stream is an error naming the file and the compressed byte offset, never a silent short read.

import CZlib

/// The two magic bytes that start every gzip member (RFC 1952 §2.3.1: ID1 0x1f, ID2 0x8b).
public let gzipMagic: [UInt8] = [0x1F, 0x8B]

/// Whether `head` (the first bytes of a file) starts a gzip member.
public func isGzipStart(_ head: [UInt8]) -> Bool { head.count >= 2 && Array(head.prefix(2)) == gzipMagic }

public enum GzipError: Error, CustomStringConvertible, Equatable {
    /// zlib rejected the data near compressed byte `offset` of `path` (`message` is zlib's).
    case corrupt(path: String, offset: Int, message: String)
    /// The file ended inside a member (its deflate data or its CRC-32/size trailer).
    case truncated(path: String, offset: Int)

    public var description: String {
        switch self {
        case let .corrupt(path, offset, message):
            return "\(path): corrupt gzip data near compressed byte \(offset): \(message); the file is damaged — re-download or re-compress it"
        case let .truncated(path, offset):
            return "\(path): gzip stream is truncated (ends inside a member at compressed byte \(offset)); the file is incomplete — re-download or re-compress it"
        }
    }
}

/// Streams the decompressed bytes of a gzip file: every member, in order (RFC 1952 §2.2).
///
/// One Swift owner for the `z_stream` (allocated so its address never moves, as zlib requires),
/// ended in `deinit`. Bytes after a member that do not start another member are `corrupt`.
public final class GzipDecompressingSource: ByteSource {
    public let path: String
    private let file: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private var input: UnsafeMutableRawBufferPointer
    private var inputFilled = 0
    /// Compressed bytes consumed before the current input buffer.
    private var consumedBefore = 0
    /// True once inflate has taken bytes of a member whose end it has not reached yet.
    private var insideMember = false
    /// The last call filled the caller's buffer: inflate may hold more output without new input.
    private var outputPending = false
    private static let inputBytes = 128 << 10

    /// Decompresses everything `source` yields; `path` names it in errors.
    /// - Throws: `GzipError.corrupt` when zlib cannot allocate its state.
    public init(source: ByteSource, path: String) throws {
        self.path = path
        self.file = source
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: Self.inputBytes, alignment: 16)
        // windowBits 15 + 16: a gzip wrapper (not zlib, not raw deflate) with the largest window.
        let rc = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deallocate(); input.deallocate()
            throw GzipError.corrupt(path: path, offset: 0, message: "zlib cannot start decompressing (error \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Compressed bytes taken from the file so far.
    public var compressedBytesRead: Int { consumedBefore + inputFilled - Int(stream.pointee.avail_in) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if stream.pointee.avail_in == 0 && !outputPending {
                consumedBefore += inputFilled
                inputFilled = try file.read(into: input)
                if inputFilled == 0 {
                    if insideMember { throw GzipError.truncated(path: path, offset: consumedBefore) }
                    return 0
                }
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(inputFilled)
            }
            let offsetBefore = compressedBytesRead
            // Output is given in pieces of at most 1 GiB, well inside `uInt`.
            let room = min(buffer.count, 1 << 30)
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(room)
            let rc = inflate(stream, Z_NO_FLUSH)
            let produced = room - Int(stream.pointee.avail_out)
            switch rc {
            case Z_STREAM_END:
                // The member ended (its CRC-32 and size checked by zlib); the next one, if any,
                // starts at the next input byte.
                insideMember = false
                outputPending = false
                inflateReset(stream)
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR: no progress without more input (or output room); not an error.
                insideMember = true
                outputPending = stream.pointee.avail_out == 0
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                let detail = insideMember || offsetBefore == 0 ? message
                    : "\(message) (bytes after the last gzip member that do not start another member)"
                throw GzipError.corrupt(path: path, offset: offsetBefore, message: detail)
            }
            if produced > 0 { return produced }
        }
    }
}
