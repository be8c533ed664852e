// LineReader.swift — chunked line splitter over a `ByteSource` (issue 2 item 3, DESIGN.md §2
// `Corpus`). Every reader (JSONL, FASTA, plain text) sits on top of this.
//
// Memory: one buffer (1 MiB by default) that is refilled in place; a line longer than the buffer
// doubles it, so a 10 MB single-line document works, and the buffer then stays at that size for
// the rest of the file (we never shrink: a file with one huge line usually has more). Lines are
// handed out as pointers into the buffer — nothing is allocated per line.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Storage

/// Splits a byte stream into lines, reading it in large chunks.
///
/// A final line without a terminating newline is still returned; an empty stream has no lines,
/// and `"a\n"` has exactly one (`"a"`), while `"a\n\n"` has two (`"a"` and `""`). A UTF-8 byte
/// order mark (EF BB BF) at the very start is dropped (the first line's `byteOffset` is then 3).
public final class LineReader {
    /// One line of input, borrowed from the reader's buffer.
    ///
    /// `bytes` is valid only until the next call to `LineReader.next()` (or until the reader is
    /// deinitialised); copy what you need to keep.
    public struct Line {
        /// The line's bytes without the terminating `"\n"` and without one trailing `"\r"` (CRLF).
        public let bytes: UnsafeBufferPointer<UInt8>
        /// 1-based line number.
        public let number: Int
        /// Offset of the line's first byte in the (decompressed) stream.
        public let byteOffset: Int
    }

    /// Default buffer size: 1 MiB.
    public static let defaultBufferSize = 1 << 20

    /// The source being split.
    public let source: ByteSource
    private var buffer: UnsafeMutableRawBufferPointer
    /// Unconsumed bytes are `buffer[start..<end]`.
    private var start = 0
    private var end = 0
    /// Bytes in `buffer[start..<scanned]` are known to contain no newline.
    private var scanned = 0
    /// Stream offset of `buffer[0]`.
    private var bufferBase = 0
    private var atEnd = false
    private var lineCount = 0

    /// Bytes read from `source` so far (decompressed bytes, for a zstd source).
    public private(set) var bytesRead = 0

    /// - Parameter bufferSize: initial buffer size (at least 16 bytes); grows for longer lines.
    public init(source: ByteSource, bufferSize: Int = LineReader.defaultBufferSize) {
        self.source = source
        buffer = .allocate(byteCount: max(16, bufferSize), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Current buffer capacity in bytes (grows only for lines longer than the buffer).
    public var bufferCapacity: Int { buffer.count }

    /// The next line, or nil at the end of the stream.
    /// - Throws: whatever the source throws (I/O errors, `ZstdError`).
    /// - Complexity: amortised O(length of the line).
    public func next() throws -> Line? {
        while true {
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if scanned < end, let hit = memchr(base + scanned, 0x0A, end - scanned) {
                let newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                return takeLine(upTo: newline, consuming: newline + 1)
            }
            scanned = end
            if atEnd {
                return start < end ? takeLine(upTo: end, consuming: end) : nil
            }
            try fill()
        }
    }

    /// The first byte of the stream that is not ASCII whitespace, without consuming anything;
    /// nil when the stream is empty or all whitespace. Call before the first `next()`.
    public func peekFirstNonBlankByte() throws -> UInt8? {
        while end - start < 3 && !atEnd { try fill() }  // enough to see a byte order mark
        var position = start
        if lineCount == 0, LineReader.hasByteOrderMark(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + start,
                                                       end - start) {
            position += 3
        }
        while true {
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            while position < end {
                let byte = base[position]
                if !(byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09) { return byte }
                position += 1
            }
            if atEnd { return nil }
            let shift = start
            try fill()
            position -= shift - start  // `fill` may have moved the unconsumed bytes to 0
        }
    }

    private func takeLine(upTo lineEnd: Int, consuming next: Int) -> Line {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if lineCount == 0 && LineReader.hasByteOrderMark(base + start, lineEnd - start) { start += 3 }
        var stop = lineEnd
        if stop > start && base[stop - 1] == 0x0D { stop -= 1 }
        lineCount += 1
        let line = Line(bytes: UnsafeBufferPointer(start: base + start, count: stop - start),
                        number: lineCount, byteOffset: bufferBase + start)
        start = next
        scanned = next
        return line
    }

    /// Whether the `count` bytes at `p` start with the UTF-8 byte order mark EF BB BF.
    private static func hasByteOrderMark(_ p: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF
    }

    /// Reads more bytes: moves the unconsumed tail to the front, grows the buffer when the tail
    /// already fills it, then reads once from the source.
    private func fill() throws {
        if start > 0 {
            let tail = end - start
            if tail > 0 {
                memmove(buffer.baseAddress!, buffer.baseAddress! + start, tail)
            }
            bufferBase += start
            scanned -= start
            end = tail
            start = 0
        }
        if end == buffer.count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
            buffer.deallocate()
            buffer = bigger
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        if n == 0 { atEnd = true }
        end += n
        bytesRead += n
    }
}
