// InputTracker.swift — what an input file gave while it was read (issue 14 item 9): the number
// of on-disk bytes (compressed or not) and their XXH3-64, and the file's size and modification
// time at open. At the end of the file it checks that the file did not change while being read
// (size, mtime, and bytes read equal to the size at open), and on resume that the first bytes
// are those the interrupted build read. Streams (no regular file) are counted and hashed only.
// A tracker may read one byte range of the file (a piece, issue 16 item 2): it then counts and
// hashes only the range's bytes and expects to read the whole range.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An input file changed while it was being read, or differs from what an interrupted build read.
public struct InputChangedError: Error, CustomStringConvertible, Equatable {
    /// The file.
    public let path: String
    /// What differs.
    public let detail: String
    /// True when found on resume (the build cannot continue); false while reading.
    public let onResume: Bool

    public init(path: String, detail: String, onResume: Bool) {
        self.path = path; self.detail = detail; self.onResume = onResume
    }

    public var description: String {
        onResume
            ? "\(path) is not the file the interrupted build read (\(detail)); the build cannot resume: start over with --force"
            : "\(path) changed while being indexed (\(detail)); the index was not completed — index it again once the file no longer changes"
    }
}

/// Counts and hashes the bytes read from `file` and checks at its end that it did not change.
public final class InputTracker: ByteSource {
    public let path: String
    private let file: PosixFile
    /// The piece's bytes when the tracker reads one range of the file; nil for the whole file.
    private let rangeSource: FileRangeSource?
    /// The on-disk bytes read: the piece's range, or nil for the whole file.
    public var range: Range<Int>? { rangeSource?.range }
    /// Size in bytes at open (nil for a stream); the whole file's size for a range.
    public let sizeAtOpen: Int?
    /// Modification time at open, seconds and nanoseconds since 1970 (nil for a stream).
    public let modifiedAtOpen: (seconds: Int, nanoseconds: Int)?
    /// On-disk bytes read so far.
    public private(set) var bytesRead = 0
    private let hasher = XXH3Hasher()
    /// Resume: the digest the first `bytes` bytes must have.
    private var expected: (bytes: Int, digest: UInt64)?

    /// Wraps `file` (opened for reading by the caller), taking its size and mtime now.
    package init(file: PosixFile) {
        self.file = file
        rangeSource = nil
        path = file.path
        let status = file.status
        sizeAtOpen = status?.size
        modifiedAtOpen = status.map { ($0.seconds, $0.nanoseconds) }
    }

    /// Reads only the bytes `range` of `file` (a regular file opened for reading by the caller):
    /// `bytesRead` and `digest` are those of the range, and the end of the range is checked as the
    /// end of a whole file is (every byte of the range read, size and mtime as at open).
    package init(file: PosixFile, range: Range<Int>) {
        self.file = file
        rangeSource = FileRangeSource(file: file, range: range)
        path = file.path
        let status = file.status
        sizeAtOpen = status?.size
        modifiedAtOpen = status.map { ($0.seconds, $0.nanoseconds) }
    }

    /// XXH3-64 of the bytes read so far.
    public var digest: UInt64 { hasher.digest }

    /// `xxh3:` and 16 lowercase hex digits of `value`, as manifests record content hashes.
    public static func format(_ value: UInt64) -> String {
        let hex = String(value, radix: 16)
        return "xxh3:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Requires the first `bytes` bytes of the file to hash to `digest` (checked when reading
    /// reaches them, or now when exactly that many were read). Returns false when that can no
    /// longer be checked because more than `bytes` were read already (a stream opened before).
    /// - Throws: `InputChangedError` (on resume) when the bytes already read differ.
    @discardableResult
    public func expectPrefix(bytes: Int, digest: UInt64) throws -> Bool {
        guard bytesRead <= bytes else { return false }
        if bytesRead == bytes {
            guard hasher.digest == digest else {
                throw InputChangedError(path: path, detail: "its first \(bytes) bytes differ", onResume: true)
            }
            return true
        }
        expected = (bytes, digest)
        return true
    }

    /// Reads the rest of the file (hashing it, and checking at the end that it did not change).
    public func readToEnd() throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while try read(into: chunk) > 0 {}
    }

    /// The digest in a manifest's `xxh3:` form, parsed; nil for anything else.
    public static func parse(_ text: String) -> UInt64? {
        guard text.hasPrefix("xxh3:"), text.count == 21 else { return nil }
        return UInt64(text.dropFirst(5), radix: 16)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try rangeSource?.read(into: buffer) ?? file.read(into: buffer)
        var done = 0
        if let e = expected, bytesRead < e.bytes, n > 0 {
            let k = min(n, e.bytes - bytesRead)
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<k]))
            bytesRead += k
            done = k
            if bytesRead == e.bytes {
                expected = nil
                if hasher.digest != e.digest {
                    throw InputChangedError(path: path, detail: "its first \(e.bytes) bytes differ", onResume: true)
                }
            }
        }
        if n > done {
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[done..<n]))
            bytesRead += n - done
        }
        if n == 0 { try atEnd() }
        return n
    }

    /// The end of the file: what was read must be the whole file as it was at open.
    private func atEnd() throws {
        if let e = expected {
            throw InputChangedError(path: path, detail: "it ends after \(bytesRead) bytes, before the \(e.bytes) read before", onResume: true)
        }
        guard let sizeAtOpen, let modifiedAtOpen else { return }
        let now = file.status
        if let range, bytesRead != range.count {
            throw InputChangedError(path: path, detail: "\(bytesRead) bytes were read of the \(range.count) of its bytes \(range.lowerBound)..<\(range.upperBound) (it had \(sizeAtOpen) bytes when opened)", onResume: false)
        }
        if range == nil, bytesRead != sizeAtOpen {
            throw InputChangedError(path: path, detail: "\(bytesRead) bytes were read of the \(sizeAtOpen) it had when opened", onResume: false)
        }
        if let now, now.size != sizeAtOpen {
            throw InputChangedError(path: path, detail: "its size went from \(sizeAtOpen) to \(now.size) bytes", onResume: false)
        }
        if let now, (now.seconds, now.nanoseconds) != modifiedAtOpen {
            throw InputChangedError(path: path, detail: "it was modified after it was opened", onResume: false)
        }
    }
}
