// FileRangeSource.swift — sequential reads of one byte range [start, end) of a regular file
// (issue 16 item 2: a shard reads only its pieces' bytes). Positioned reads (`pread`), so several
// sources may share nothing but the path; every byte handed out is counted in `bytesRead`.

/// Reads the bytes [`range.lowerBound`, `range.upperBound`) of a file, in order, with positioned
/// reads; `read` returns 0 at the end of the range (or earlier, at the end of the file).
package final class FileRangeSource: ByteSource {
    /// The file, for messages.
    package let path: String
    /// The on-disk bytes this source reads.
    package let range: Range<Int>
    /// Bytes of the range handed out so far (the next read starts at `range.lowerBound + bytesRead`).
    package private(set) var bytesRead = 0
    private let file: PosixFile
    private let maximumRead: Int

    /// Reads `range` of `file` (opened for reading by the caller); each `read` asks the file for at
    /// most `maximumRead` bytes (a decompressor that needs only the start of the range then pulls
    /// little more than it uses).
    package init(file: PosixFile, range: Range<Int>, maximumRead: Int = Int.max) {
        self.file = file; self.range = range; path = file.path
        self.maximumRead = max(1, maximumRead)
    }

    /// Fills up to `buffer.count` bytes (at most `maximumRead`); returns how many, 0 at the end.
    /// - Throws: `FileError.readFailed`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, maximumRead, range.count - bytesRead)
        guard count > 0 else { return 0 }
        let n = try file.read(at: range.lowerBound + bytesRead, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]))
        bytesRead += n
        return n
    }
}
