// PieceInput.swift — the decompressed bytes of one piece of an input file (issue 16 item 2): a
// byte range of an uncompressed file, or a run of whole zstd frames. Only the piece's on-disk
// bytes are read and tracked (`InputTracker` over the range); a run of frames also reads the
// start of the frame after it, up to the end of the record that straddles the cut (`tail`).

/// Which bytes of a file one piece reads.
public enum PieceBytes: Sendable, Equatable {
    /// The on-disk bytes [start, end) of an uncompressed file, cut at record starts.
    case range(Range<Int>)
    /// The whole zstd frames at on-disk bytes `frames`: the first `skip` decompressed bytes belong
    /// to the previous piece and are dropped; after the last frame, the first `tail` decompressed
    /// bytes of the next frame (the next piece's `skip`) belong to this piece and are read too.
    case frames(Range<Int>, skip: Int, tail: Int)

    /// The on-disk bytes the piece owns (and its tracker counts and hashes).
    public var onDisk: Range<Int> {
        switch self {
        case let .range(range), let .frames(range, _, _): range
        }
    }
}

/// A piece's decompressed bytes, the compression of its file, and the tracker of its on-disk bytes.
public struct PieceInput {
    /// The piece's bytes, decompressed.
    public let source: ByteSource
    /// `.zstd` for a run of frames, `.none` for a byte range.
    public let compression: Compression
    /// Counts and hashes the piece's on-disk bytes (`PieceBytes.onDisk`) and checks at their end
    /// that the file did not change.
    public let tracker: InputTracker
    /// Compressed bytes read after the piece's frames, for its `tail` (0 for a byte range).
    public var tailBytesRead: Int { (source as? FrameRunSource)?.tailBytesRead ?? 0 }

    /// How errors name a piece of `path`: `PATH (piece from byte N)`, N its first on-disk byte;
    /// offsets and line numbers in them count from the piece's start.
    public static func label(_ path: String, _ bytes: PieceBytes) -> String {
        bytes.onDisk.lowerBound == 0 ? path : "\(path) (piece from byte \(bytes.onDisk.lowerBound))"
    }

    /// Opens the piece `bytes` of the regular file `path`; `zstdWindowLog` as for `openInput`.
    /// Decompression errors name the piece (`label`) and compressed offsets from its start.
    /// - Throws: `FileError` when the file cannot be opened or is not a regular file.
    public init(path: String, bytes: PieceBytes, zstdWindowLog: Int? = nil) throws {
        let file = try PosixFile(path: path, mode: .read)
        guard let size = file.size else { throw FileError.cannotOpen(path: path, reason: "not a regular file (only a file can be read in pieces)") }
        tracker = InputTracker(file: file, range: bytes.onDisk)
        switch bytes {
        case .range:
            source = tracker
            compression = .none
        case let .frames(range, skip, tail):
            let label = Self.label(path, bytes)
            let body = try ZstdDecompressingSource(source: tracker, path: label, windowLogMax: zstdWindowLog)
            source = FrameRunSource(path: label, body: body, skip: skip, tail: tail) {
                // Small reads: the tail is usually one line at the start of the frame.
                try ZstdDecompressingSource(source: FileRangeSource(file: file, range: range.upperBound..<size, maximumRead: 4096),
                                            path: "\(path) (piece from byte \(range.upperBound))", windowLogMax: zstdWindowLog)
            }
            compression = .zstd
        }
    }
}

/// A run of whole zstd frames less its first `skip` decompressed bytes, followed by the first
/// `tail` decompressed bytes of the next frame.
final class FrameRunSource: ByteSource {
    let path: String
    private let body: ZstdDecompressingSource
    private var skip: Int
    private var tailLeft: Int
    private let openTail: () throws -> ZstdDecompressingSource
    private var tail: ZstdDecompressingSource?
    private var bodyDone = false

    init(path: String, body: ZstdDecompressingSource, skip: Int, tail: Int, openTail: @escaping () throws -> ZstdDecompressingSource) {
        self.path = path; self.body = body; self.skip = skip; tailLeft = tail; self.openTail = openTail
    }

    /// Compressed bytes read after the run's frames.
    var tailBytesRead: Int { tail?.compressedBytesRead ?? 0 }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while skip > 0 {
            let n = try body.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, skip)]))
            guard n > 0 else { throw changed("its frames hold fewer than the \(skip) bytes planned before the first record") }
            skip -= n
        }
        if !bodyDone {
            let n = try body.read(into: buffer)
            if n > 0 { return n }
            bodyDone = true
        }
        guard tailLeft > 0 else { return 0 }
        if tail == nil { tail = try openTail() }
        let n = try tail!.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, tailLeft)]))
        guard n > 0 else { throw changed("the frame after the piece ends before the \(tailLeft) bytes planned") }
        tailLeft -= n
        return n
    }

    private func changed(_ detail: String) -> InputChangedError {
        InputChangedError(path: path, detail: detail + " (the file is not the one the pieces were planned for)", onResume: false)
    }
}
