// LineReader.swift — chunked line splitter over a `ByteSource` (issue 2 item 3, DESIGN.md §2
// `Corpus`). Every reader (JSONL, FASTA, plain text) sits on top of this.
//
// Memory: one buffer (1 MiB by default) that is refilled in place; a line longer than the buffer
// doubles it, up to the line limit (`maxLineBytes`, 256 MiB by default; issue 14 item 4), so a
// 10 MB single-line document works and the buffer then stays at that size for the rest of the
// file (we never shrink: a file with one huge line usually has more). A line longer than the
// limit is an `OversizedLine` error raised while reading it — the buffer never grows past the
// limit, so `/dev/zero` or a zstd bomb of one endless line cannot exhaust memory. Lines are
// handed out as pointers into the buffer — nothing is allocated per line.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Storage

/// A line longer than `LineReader.maxLineBytes`, reported while it is being read.
public struct OversizedLine: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based number of the line.
    public let number: Int
    /// Offset of the line's first byte in the (decompressed) stream.
    public let byteOffset: Int
    /// The first byte of the line (FASTA tells a header from sequence by it).
    public let firstByte: UInt8
    /// The limit it exceeds, in bytes.
    public let limit: Int
    /// True when the rest of the line was consumed (`LineReader.discardsOversizedLines`), so
    /// that `next()` goes on with the following line; false when the reader cannot go on.
    public let skipped: Bool

    public var description: String { "line \(number) is longer than the limit of \(limit) bytes" }
}

/// Splits a byte stream into lines, reading it in large chunks.
///
/// Lines end at `"\n"`; with `carriageReturnEndsLines` a lone `"\r"` (classic Mac OS) ends a
/// line too, and `"\r\n"` still counts as one line end. A final line without a terminating newline is still returned; an empty stream has no lines,
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

    /// Default line limit: 256 MiB.
    public static let defaultMaxLineBytes = 256 << 20
    /// The longest line accepted, in bytes (without its line end); a longer one throws
    /// `OversizedLine` once this many bytes of it have been read.
    public let maxLineBytes: Int
    /// When true, an oversized line is read to its end and dropped before `OversizedLine` is
    /// thrown (`skipped` true), and reading can go on; when false it is thrown at once.
    public var discardsOversizedLines = false
    /// When true, a lone `"\r"` ends a line as well as `"\n"` (FASTA from classic Mac OS).
    public var carriageReturnEndsLines = false
    /// When true (the default), a UTF-8 byte order mark at the very start of the stream is dropped;
    /// false for a stream that starts inside a file (a piece, issue 16 item 2), where it is text.
    public var dropsByteOrderMark = true

    /// - Parameters:
    ///   - bufferSize: initial buffer size (at least 16 bytes); grows for longer lines.
    ///   - maxLineBytes: the longest line accepted (at least 1); the buffer never grows beyond
    ///     the larger of `bufferSize` and `maxLineBytes + 1`.
    public init(source: ByteSource, bufferSize: Int = LineReader.defaultBufferSize,
                maxLineBytes: Int = LineReader.defaultMaxLineBytes) {
        self.source = source
        self.maxLineBytes = max(1, maxLineBytes)
        buffer = .allocate(byteCount: max(16, bufferSize), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Current buffer capacity in bytes (grows only for lines longer than the buffer).
    public var bufferCapacity: Int { buffer.count }

    /// The next line, or nil at the end of the stream.
    /// - Throws: `OversizedLine` for a line longer than `maxLineBytes`; whatever the source
    ///   throws (I/O errors, `ZstdError`).
    /// - Complexity: amortised O(length of the line).
    public func next() throws -> Line? {
        while true {
            if let (lineEnd, after) = findLineEnd() {
                if lineEnd - start > maxLineBytes { try rejectOversized(consumingTo: after) }
                return takeLine(upTo: lineEnd, consuming: after)
            }
            if atEnd {
                guard start < end else { return nil }
                if end - start > maxLineBytes { try rejectOversized(consumingTo: end) }
                return takeLine(upTo: end, consuming: end)
            }
            if end - start > maxLineBytes { try rejectOversized(consumingTo: nil) }
            try fill()
        }
    }

    /// The end of the line that starts at `start`, searching from `scanned`: the index of its
    /// line end and the index after it. Nil when the buffer holds no complete line yet; `scanned`
    /// then says where to search after the next `fill` (at a `"\r"` that ends the buffer, whose
    /// following byte decides between CR and CRLF).
    private func findLineEnd() -> (Int, Int)? {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var newline: Int?
        if scanned < end, let hit = memchr(base + scanned, 0x0A, end - scanned) {
            newline = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        let stop = newline ?? end
        if carriageReturnEndsLines, scanned < stop, let hit = memchr(base + scanned, 0x0D, stop - scanned) {
            let cr = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if cr + 1 < end { return (cr, base[cr + 1] == 0x0A ? cr + 2 : cr + 1) }
            if atEnd { return (cr, cr + 1) }
            scanned = cr
            return nil
        }
        if let newline { return (newline, newline + 1) }
        scanned = end
        return nil
    }

    /// Throws `OversizedLine` for the line at `start`; with `discardsOversizedLines` first
    /// consumes it up to `after` (its known end) or, when its end is not buffered yet, reads and
    /// drops bytes until its end, in the buffer as it is.
    private func rejectOversized(consumingTo after: Int?) throws -> Never {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        lineCount += 1
        let error = OversizedLine(number: lineCount, byteOffset: bufferBase + start, firstByte: base[start],
                                  limit: maxLineBytes, skipped: discardsOversizedLines)
        guard discardsOversizedLines else { throw error }
        if let after {
            start = after; scanned = after
            throw error
        }
        while true {
            start = scanned  // drop what is known to be inside the line
            if atEnd { throw error }
            try fill()
            if let (_, next) = findLineEnd() {
                start = next; scanned = next
                throw error
            }
        }
    }

    /// The first byte of the stream that is not ASCII whitespace, without consuming anything;
    /// nil when the stream is empty or all whitespace. Call before the first `next()`.
    /// - Throws: `OversizedLine` for a run of blanks without a line end longer than the limit.
    public func peekFirstNonBlankByte() throws -> UInt8? {
        while end - start < 3 && !atEnd { try fill() }  // enough to see a byte order mark
        var position = start
        if lineCount == 0, dropsByteOrderMark, LineReader.hasByteOrderMark(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + start,
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
            if end - start > maxLineBytes {
                dropBlankLines(before: position)
                if end - start > maxLineBytes { try rejectOversized(consumingTo: nil) }
            }
            let shift = start
            try fill()
            position -= shift - start  // `fill` may have moved the unconsumed bytes to 0
        }
    }

    /// Peeking through more blank bytes than a line may hold: consumes the complete (blank)
    /// lines before `position`, counting them, so that the buffer need not grow; a single blank
    /// line longer than the limit is an `OversizedLine`.
    private func dropBlankLines(before position: Int) {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var last: Int?
        for i in start..<position where base[i] == 0x0A {
            lineCount += 1
            last = i
        }
        if let last { start = last + 1; scanned = start }
    }

    private func takeLine(upTo lineEnd: Int, consuming next: Int) -> Line {
        let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if lineCount == 0 && dropsByteOrderMark && LineReader.hasByteOrderMark(base + start, lineEnd - start) { start += 3 }
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
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(buffer.count * 2, maxLineBytes + 1),
                                                                alignment: 16)
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
