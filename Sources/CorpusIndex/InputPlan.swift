// InputPlan.swift — the inputs of `gradus index` cut into pieces (issue 16 item 2), the same for
// every shard count. A file larger than `maxPieceBytes` is cut into about equal pieces of at most
// that size: an uncompressed JSONL/FASTA/text file at record starts (found by reading a few KiB
// after each candidate offset), a multi-frame zstd file between whole frames (found from the
// frame headers; the record that straddles each cut is found by decompressing the start of the
// frame after it). Everything else stays whole: gzip, single-frame zstd (with a warning when it is
// larger than a piece), standard input, Megatron `.bin/.idx` datasets.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Corpus
import Storage

/// The pieces of a list of inputs.
public struct InputPlan: Sendable, Equatable, Codable {
    /// Default `maxPieceBytes`: 256 MiB.
    public static let defaultMaxPieceBytes = 256 << 20

    /// The largest piece wanted, in on-disk bytes (a record longer than that makes a larger one).
    public let maxPieceBytes: Int
    /// Every piece of every input, in corpus order (by input, then by position in it).
    public let pieces: [InputPiece]
    /// Inputs larger than a piece that could not be cut, each naming the file and how to make it
    /// cuttable.
    public let warnings: [String]
    /// On-disk bytes read to plan: format sniffing, record-start probing, frame headers, and the
    /// frame starts decompressed to find the records that straddle cuts.
    public let bytesProbed: Int

    /// Cuts `paths` (`-` for standard input) into pieces of at most about `maxPieceBytes` on-disk
    /// bytes; `options` gives the format (or it is decided as `CorpusReader` does), paragraph mode
    /// and the zstd window limit.
    /// - Throws: `IndexError.invalidArgument` for `maxPieceBytes < 1`; `FileError` when a file
    ///   cannot be opened or read; `ZstdError` for a damaged frame; `UnreadFormatError`.
    /// - Parameter whole: inputs (by index) of the given sizes that are planned whole without being
    ///   opened (sources that are not files, such as tests' in-memory records).
    public static func make(paths: [String], maxPieceBytes: Int = defaultMaxPieceBytes,
                            options: ReaderOptions = ReaderOptions(), whole: [Int: Int] = [:]) throws -> InputPlan {
        guard maxPieceBytes >= 1 else {
            throw IndexError.invalidArgument("the largest piece must be at least 1 byte, not \(maxPieceBytes)")
        }
        var planner = Planner(maxPieceBytes: maxPieceBytes, options: options)
        for (input, path) in paths.enumerated() {
            if let size = whole[input] { planner.pieces.append(.whole(input, size: size)); continue }
            try planner.plan(input: input, path: path)
        }
        return InputPlan(maxPieceBytes: maxPieceBytes, pieces: planner.pieces, warnings: planner.warnings, bytesProbed: planner.probed)
    }
}

/// Cuts inputs one after the other, collecting pieces, warnings and the bytes read.
private struct Planner {
    let maxPieceBytes: Int
    let options: ReaderOptions
    var pieces: [InputPiece] = []
    var warnings: [String] = []
    var probed = 0

    init(maxPieceBytes: Int, options: ReaderOptions) { self.maxPieceBytes = maxPieceBytes; self.options = options }

    mutating func plan(input: Int, path: String) throws {
        if path == "-" { return pieces.append(.whole(input, size: 0)) }
        if let prefix = InputSources.megatronPrefix(path) {
            let size = (try? PosixFile(path: prefix + ".bin", mode: .read))?.size ?? 0
            return pieces.append(.whole(input, size: size))
        }
        // Not opened unless a regular file larger than a piece: opening a FIFO would wait for its
        // writer, and closing it again could end the writer with SIGPIPE.
        var status = stat()
        guard stat(path, &status) == 0 else { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        let isRegular = (status.st_mode & S_IFMT) == S_IFREG, size = Int(status.st_size)
        guard isRegular, size > maxPieceBytes else { return pieces.append(.whole(input, size: isRegular ? size : 0)) }
        let file = try PosixFile(path: path, mode: .read)
        var head = [UInt8](repeating: 0, count: 10)  // the longest magic `UnreadFormat` knows
        head.removeLast(head.count - (try head.withUnsafeMutableBytes { try file.read(at: 0, into: $0) }))
        probed += head.count
        if isGzipStart(head) {
            warnings.append("\(path): a gzip file cannot be cut into pieces, so one shard reads all \(size) bytes of it; "
                + "to spread it over shards recompress it into zstd frames: `gzip -dc \(path) | pzstd -o NAME.zst`")
            return pieces.append(.whole(input, size: size))
        }
        if isZstdFrameStart(head) { return try planFrames(input: input, path: path, file: file, size: size) }
        if UnreadFormat(head: head) != nil { return pieces.append(.whole(input, size: size)) }  // its reader refuses it
        let format = try self.format(path)
        var cuts = try cutPoints(count: size, format: format, path: path) { offset, buffer in
            try file.read(at: offset, into: buffer)
        }
        // The first piece must hold a record too (not only blank lines or a FASTA preamble).
        if let first = cuts.first {
            let head = FileRangeSource(file: file, range: 0..<first)
            if try !hasRecordStart(format: format, source: head) { cuts.removeFirst() }
            probed += head.bytesRead
        }
        for (start, end) in zip([0] + cuts, cuts + [size]) {
            pieces.append(InputPiece(input: input, kind: .bytes, start: start, end: end, firstFrame: nil, endFrame: nil,
                                     skip: nil, tail: nil, format: format))
        }
    }

    /// The file's record syntax as `CorpusReader` decides it (options, name, or first byte).
    private mutating func format(_ path: String) throws -> CorpusFormat {
        let reader = try CorpusReader(path: path, options: options)
        probed += reader.tracker.bytesRead
        return reader.format
    }

    /// Record starts near `k * count / n` (`n` pieces of at most `maxPieceBytes`) in a stream of
    /// `count` bytes read by `read(offset, buffer)`: for each candidate, the first record start at
    /// or after it; a candidate inside a record that reaches past the next one is dropped, and one
    /// with no record start before the end gives no cut.
    private mutating func cutPoints(count: Int, format: CorpusFormat, path: String,
                                    read: (Int, UnsafeMutableRawBufferPointer) throws -> Int) throws -> [Int] {
        var candidates = CutCandidates(count: count, maxPieceBytes: maxPieceBytes)
        var cuts: [Int] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while let candidate = candidates.next(after: cuts.last ?? 0) {
            var finder = RecordStartFinder(format: format, paragraphs: options.paragraphs)
            var offset = candidate - 1, found: Int?
            while found == nil && offset < count {
                let got = try buffer.withUnsafeMutableBytes { try read(offset, UnsafeMutableRawBufferPointer(rebasing: $0[0..<min($0.count, count - offset)])) }
                if got == 0 { break }
                probed += got
                found = buffer.withUnsafeBytes { finder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<got]), at: offset) }
                offset += got
            }
            guard let found, found < count else { break }
            cuts.append(found)
        }
        return cuts
    }

    /// A zstd file: runs of whole frames, or whole (with a warning) when it has one data frame.
    private mutating func planFrames(input: Int, path: String, file: PosixFile, size: Int) throws {
        let frames = try ZstdFrameTable.read(file, size: size, bytesRead: &probed)
        if frames.filter({ !$0.isSkippable }).count < 2 {
            warnings.append("\(path): a single-frame zstd file cannot be cut into pieces, so one shard reads all \(size) bytes of it; "
                + "to spread it over shards recompress it in independent frames with `pzstd` (`zstd -dc \(path) | pzstd -o NAME.zst`; "
                + "`zstd -B`, `-T` and `--rsyncable` still write one frame)")
            return pieces.append(.whole(input, size: size))
        }
        let format = try self.format(path)
        var candidates = CutCandidates(count: size, maxPieceBytes: maxPieceBytes)
        var cuts: [(frame: Int, skip: Int)] = []
        while let candidate = candidates.next(after: cuts.last.map { frames[$0.frame].offset } ?? 0) {
            var frame = frames.firstIndex { $0.offset >= candidate } ?? frames.count
            var cut: (frame: Int, skip: Int)?
            while cut == nil && frame < frames.count {
                if !frames[frame].isSkippable, let skip = try firstRecordStart(in: frames[frame], file: file, path: path, format: format) {
                    cut = (frame, skip)
                } else {
                    frame += 1
                }
            }
            guard let cut else { break }
            cuts.append(cut)
        }
        if let first = cuts.first {
            let body = FileRangeSource(file: file, range: 0..<frames[first.frame].offset, maximumRead: 4096)
            if try !hasRecordStart(format: format, source: ZstdDecompressingSource(source: body, path: path, windowLogMax: options.zstdWindowLog)) {
                cuts.removeFirst()
            }
            probed += body.bytesRead
        }
        let starts = [(frame: 0, skip: 0)] + cuts, ends = cuts + [(frame: frames.count, skip: 0)]
        for (first, after) in zip(starts, ends) {
            let end = after.frame < frames.count ? frames[after.frame].offset : size
            pieces.append(InputPiece(input: input, kind: .frames, start: frames[first.frame].offset, end: end,
                                     firstFrame: first.frame, endFrame: after.frame, skip: first.skip, tail: after.skip, format: format))
        }
    }

    /// Whether a record starts in the bytes of `source` (read from the start of the file), read
    /// only up to that start (the caller counts the on-disk bytes read).
    private mutating func hasRecordStart(format: CorpusFormat, source: ByteSource) throws -> Bool {
        var finder = RecordStartFinder(format: format, paragraphs: options.paragraphs, atFileStart: true)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var offset = 0
        while true {
            let got = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 { return false }
            if buffer.withUnsafeBytes({ finder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<got]), at: offset) }) != nil { return true }
            offset += got
        }
    }

    /// Decompressed bytes before the first record start in `frame` (whose first byte is taken as
    /// inside a record), or nil when none starts in it. Decompresses only up to that start.
    private mutating func firstRecordStart(in frame: ZstdFrame, file: PosixFile, path: String, format: CorpusFormat) throws -> Int? {
        let range = FileRangeSource(file: file, range: frame.offset..<frame.end, maximumRead: 4096)
        let zstd = try ZstdDecompressingSource(source: range, path: path, windowLogMax: options.zstdWindowLog)
        defer { probed += range.bytesRead }
        var finder = RecordStartFinder(format: format, paragraphs: options.paragraphs)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var offset = 0
        while true {
            let got = try buffer.withUnsafeMutableBytes { try zstd.read(into: $0) }
            if got == 0 { return nil }
            if let found = buffer.withUnsafeBytes({ finder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<got]), at: offset) }) {
                return found
            }
            offset += got
        }
    }
}

/// The candidate cut offsets ⌊k · count / n⌋, k = 1 ..< n, of a file of `count` bytes cut into
/// n = ⌈count / maxPieceBytes⌉ about equal pieces (computed without overflow for any size).
private struct CutCandidates {
    let count: Int
    let n: Int
    private var k = 1

    init(count: Int, maxPieceBytes: Int) {
        self.count = count
        n = count / maxPieceBytes + (count % maxPieceBytes == 0 ? 0 : 1)
    }

    /// The next candidate after `last` (the last cut; candidates at or before it are skipped in
    /// one step, so a record or frame spanning many candidates costs nothing), or nil.
    mutating func next(after last: Int) -> Int? {
        // The first k with ⌊k · count / n⌋ > last is ⌈(last + 1) · n / count⌉.
        let (q, r) = count.dividingFullWidth((last + 1).multipliedFullWidth(by: n))
        k = max(k, q + (r == 0 ? 0 : 1))
        guard k < n else { return nil }
        defer { k += 1 }
        return n.dividingFullWidth(k.multipliedFullWidth(by: count)).quotient
    }
}
