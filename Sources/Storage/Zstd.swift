// Zstd.swift — streaming zstd decompression and compression over libzstd (issue 2, DESIGN.md §2
// `Storage`). Decompression handles multi-frame files of unknown content size in bounded memory
// (one input and one output buffer of libzstd's recommended sizes, ~128 KiB each); a corrupt or
// truncated stream is an error naming the file and the compressed byte offset.

import CZstd

/// The four magic bytes that start every zstd frame (RFC 8878 §3.1.1), little-endian 0xFD2FB528.
public let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

/// Whether `head` (the first four bytes of a file) starts a zstd frame or a skippable frame
/// (RFC 8878 §3.1.2: magic 0x184D2A50...0x184D2A5F, little-endian; `pzstd` starts its output
/// with one, and libzstd's streaming decoder skips such frames).
public func isZstdFrameStart(_ head: [UInt8]) -> Bool {
    guard head.count >= 4 else { return false }
    if Array(head.prefix(4)) == zstdMagic { return true }
    return head[0] & 0xF0 == 0x50 && head[1] == 0x2A && head[2] == 0x4D && head[3] == 0x18
}

public enum ZstdError: Error, CustomStringConvertible, Equatable {
    /// libzstd rejected the data at compressed byte `offset` of `path`.
    case corrupt(path: String, offset: Int, message: String)
    /// The stream ended inside a frame.
    case truncated(path: String, offset: Int)
    /// The frame at compressed byte `offset` needs a window of 2^`windowLog` bytes (at most
    /// 2^31; a larger one is `corrupt`), more than the 2^`limit` the decoder allows (issue 14
    /// item 16: `zstd --long=31` writes such frames; they are not corrupt).
    case windowTooLarge(path: String, offset: Int, windowLog: Int, limit: Int)
    case compressionFailed(message: String)

    public var description: String {
        switch self {
        case let .corrupt(path, offset, message):
            return "\(path): corrupt zstd data near compressed byte \(offset): \(message)"
        case let .truncated(path, offset):
            return "\(path): zstd stream is truncated (ends inside a frame at compressed byte \(offset)); the file is incomplete — re-download or re-compress it"
        case let .windowTooLarge(path, offset, windowLog, limit):
            return "\(path): the zstd frame at compressed byte \(offset) needs a window of 2^\(windowLog) bytes "
                + "(\(Self.size(windowLog)), as `zstd --long=\(windowLog)` writes), more than the \(Self.size(limit)) allowed "
                + (limit == ZstdDecompressingSource.defaultWindowLog ? "by default" : "by --zstd-window-log \(limit)")
                + "; the data is not corrupt: allow the window with --zstd-window-log \(windowLog) if this machine has "
                + "that much memory, or recompress with a smaller --long"
        case let .compressionFailed(message):
            return "zstd compression failed: \(message)"
        }
    }

    /// 2^`log` bytes in MiB or GiB, e.g. "128 MiB", "2 GiB".
    private static func size(_ log: Int) -> String { log >= 30 ? "\(1 << (log - 30)) GiB" : "\(1 << max(0, log - 20)) MiB" }
}

/// Streams the decompressed bytes of a zstd file (any number of concatenated frames).
///
/// One Swift owner for the `ZSTD_DCtx`, freed in `deinit`.
public final class ZstdDecompressingSource: ByteSource {
    public let path: String
    private let file: ByteSource
    private let dctx: OpaquePointer
    private var input: UnsafeMutableRawBufferPointer
    private var inputFilled = 0
    private var inputPosition = 0
    /// Compressed bytes consumed before the current input buffer.
    private var consumedBefore = 0
    /// True while libzstd is inside a frame (it returned a non-zero hint).
    private var insideFrame = false
    /// The last call filled the caller's buffer inside a frame: libzstd may hold more output
    /// without new input. Never set at a frame end (hint 0 means fully flushed): calling libzstd
    /// there with no input would start a new frame and report a non-zero hint, and a stream that
    /// then ends would be called truncated although it is complete.
    private var outputPending = false
    /// Compressed offset of the current frame and its first bytes (up to a whole frame header:
    /// libzstd may take the header over several calls).
    private var frameStart = 0
    private var frameHead: [UInt8] = []
    /// The longest zstd frame header (RFC 8878 §3.1.1): magic 4, descriptor 1, window 1,
    /// dictionary id 4, content size 8.
    private static let maximumHeaderBytes = 18

    /// The decoder's window limit unless raised: 2^27 bytes (libzstd's
    /// `ZSTD_WINDOWLOG_LIMIT_DEFAULT`).
    public static let defaultWindowLog = 27
    /// The largest window a frame may need on a 64-bit system: 2^31 bytes (`ZSTD_WINDOWLOG_MAX_64`).
    public static let maximumWindowLog = 31
    /// The window limit in use, as a base-2 logarithm.
    public let windowLogMax: Int

    /// Decompresses everything `source` yields; `path` names it in errors. `windowLogMax`
    /// (`defaultWindowLog`...`maximumWindowLog`, default 27) is the largest window a frame may
    /// ask for (`ZSTD_d_windowLogMax`): frames written with `zstd --long=N` need N.
    public init(source: ByteSource, path: String, windowLogMax: Int? = nil) throws {
        self.path = path
        self.file = source
        self.windowLogMax = windowLogMax ?? Self.defaultWindowLog
        guard let ctx = ZSTD_createDCtx() else {
            throw ZstdError.corrupt(path: path, offset: 0, message: "cannot allocate a decompression context")
        }
        dctx = ctx
        input = .allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
        if let windowLogMax {
            let rc = ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, Int32(windowLogMax))
            if ZSTD_isError(rc) != 0 {
                ZSTD_freeDCtx(ctx); input.deallocate()
                throw ZstdError.corrupt(path: path, offset: 0, message: "window log \(windowLogMax) refused: \(String(cString: ZSTD_getErrorName(rc)))")
            }
        }
    }

    public convenience init(path: String) throws {
        try self.init(source: PosixFile(path: path, mode: .read), path: path)
    }

    deinit {
        ZSTD_freeDCtx(dctx)
        input.deallocate()
    }

    public var compressedBytesRead: Int { consumedBefore + inputPosition }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if inputPosition == inputFilled && !outputPending {
                consumedBefore += inputFilled
                inputFilled = try file.read(into: input)
                inputPosition = 0
                if inputFilled == 0 {
                    if insideFrame { throw ZstdError.truncated(path: path, offset: consumedBefore) }
                    return 0
                }
            }
            if !insideFrame {
                frameStart = consumedBefore + inputPosition
                frameHead.removeAll(keepingCapacity: true)
            }
            var inBuf = ZSTD_inBuffer(src: input.baseAddress, size: inputFilled, pos: inputPosition)
            var outBuf = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let hint = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
            let offsetBefore = consumedBefore + inputPosition
            let isError = ZSTD_isError(hint) != 0
            // The first bytes of the frame (at most a whole header), for the window it needs.
            let headEnd = isError ? inputFilled : inBuf.pos
            if frameHead.count < Self.maximumHeaderBytes && inputPosition < headEnd {
                frameHead += input[inputPosition..<min(headEnd, inputPosition + Self.maximumHeaderBytes - frameHead.count)]
            }
            inputPosition = inBuf.pos
            if isError {
                // A window no zstd writer uses (beyond 2^31) means a damaged header: corrupt.
                if ZSTD_getErrorCode(hint) == ZSTD_error_frameParameter_windowTooLarge,
                   let log = frameHead.withUnsafeBytes({ zstdWindowLog(frameHeader: $0) }), log <= Self.maximumWindowLog {
                    throw ZstdError.windowTooLarge(path: path, offset: frameStart, windowLog: log, limit: windowLogMax)
                }
                let message = String(cString: ZSTD_getErrorName(hint))
                throw ZstdError.corrupt(path: path, offset: offsetBefore, message: message)
            }
            insideFrame = hint != 0
            outputPending = insideFrame && outBuf.pos == outBuf.size
            if outBuf.pos > 0 { return outBuf.pos }
        }
    }
}

/// The base-2 logarithm of the window the zstd frame starting at `header` needs, rounded up
/// (RFC 8878 §3.1.1.1: the Window_Descriptor, or the content size of a single-segment frame);
/// nil when `header` does not hold a whole frame header.
func zstdWindowLog(frameHeader header: UnsafeRawBufferPointer) -> Int? {
    guard header.count >= 6, Array(header.prefix(4)) == zstdMagic else { return nil }
    let descriptor = header[4]
    let singleSegment = descriptor & 0x20 != 0
    var window: UInt64
    if !singleSegment {
        let w = header[5]
        let base = UInt64(1) << (10 + UInt64(w >> 3))
        window = base + base / 8 * UInt64(w & 7)
    } else {
        let dictionaryBytes = [0, 1, 2, 4][Int(descriptor & 3)]
        let sizeBytes = [1, 2, 4, 8][Int(descriptor >> 6)]
        let start = 5 + dictionaryBytes
        guard header.count >= start + sizeBytes else { return nil }
        window = 0
        for i in 0..<sizeBytes { window |= UInt64(header[start + i]) << (8 * UInt64(i)) }
        if sizeBytes == 2 { window += 256 }
    }
    var log = 0
    while (UInt64(1) << UInt64(log)) < window && log < 63 { log += 1 }
    return log
}

/// Streaming zstd compression to a file.
public final class ZstdCompressingSink {
    private let cctx: OpaquePointer
    private let file: PosixFile
    private var output: UnsafeMutableRawBufferPointer

    /// - Parameter level: zstd level (1 fast ... 19 small); 3 is zstd's default.
    public init(path: String, level: Int32 = 3) throws {
        file = try PosixFile(path: path, mode: .replace)
        guard let ctx = ZSTD_createCCtx() else { throw ZstdError.compressionFailed(message: "cannot allocate a context") }
        cctx = ctx
        output = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
        do {
            try configure(cctx, level: level)
        } catch {
            ZSTD_freeCCtx(cctx); output.deallocate()
            throw error
        }
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        output.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var inBuf = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while inBuf.pos < inBuf.size {
            try step(&inBuf, ZSTD_e_continue)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Ends the current frame (a later `write` starts a new one, giving a multi-frame file).
    public func endFrame() throws {
        var inBuf = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&inBuf, ZSTD_e_end) != 0 {}
    }

    /// Ends the frame and closes the file.
    public func close() throws {
        try endFrame()
        try file.close()
    }

    @discardableResult
    private func step(_ inBuf: inout ZSTD_inBuffer, _ mode: ZSTD_EndDirective) throws -> Int {
        var outBuf = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = ZSTD_compressStream2(cctx, &outBuf, &inBuf, mode)
        if ZSTD_isError(remaining) != 0 {
            throw ZstdError.compressionFailed(message: String(cString: ZSTD_getErrorName(remaining)))
        }
        try file.write(UnsafeRawBufferPointer(rebasing: output[0..<outBuf.pos]))
        return remaining
    }
}

/// Sets the level and turns on the 32-bit content checksum (off by default in libzstd, on in the
/// `zstd` CLI): without it most bit flips in compressed data decode silently to wrong bytes; with
/// it the decoder reports them as corrupt at the end of the frame.
private func configure(_ cctx: OpaquePointer, level: Int32) throws {
    for (parameter, value) in [(ZSTD_c_compressionLevel, level), (ZSTD_c_checksumFlag, 1)] {
        let rc = ZSTD_CCtx_setParameter(cctx, parameter, value)
        if ZSTD_isError(rc) != 0 {
            throw ZstdError.compressionFailed(message: String(cString: ZSTD_getErrorName(rc)))
        }
    }
}

/// One-shot helpers for small buffers (tests, fixtures).
public enum Zstd {
    /// One frame holding `bytes`, with a content checksum.
    public static func compress(_ bytes: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        guard let cctx = ZSTD_createCCtx() else { throw ZstdError.compressionFailed(message: "cannot allocate a context") }
        defer { ZSTD_freeCCtx(cctx) }
        try configure(cctx, level: level)
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                ZSTD_compress2(cctx, dst.baseAddress, bound, src.baseAddress, src.count)
            }
        }
        if ZSTD_isError(n) != 0 { throw ZstdError.compressionFailed(message: String(cString: ZSTD_getErrorName(n))) }
        out.removeLast(bound - n)
        return out
    }
}
