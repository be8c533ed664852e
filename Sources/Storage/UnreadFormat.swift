// UnreadFormat.swift — formats Gradus recognises by their magic bytes but does not read (issue 15
// item 2): Parquet, Arrow IPC (file and stream formats), bzip2 and xz. Such a file is refused with a message saying how to
// convert or decompress it, instead of being indexed as (binary) text.

/// A file format recognised at the start of an input but not read by Gradus.
public enum UnreadFormat: String, Sendable, Equatable {
    case parquet, arrow, arrowStream, bzip2, xz

    /// The most bytes `init(head:)` looks at.
    static let longestMagic = 10

    /// The format `head` (the first bytes of a file, up to `longestMagic`) starts, or nil.
    ///
    /// - Parquet: `PAR1` followed by a Thrift compact field header 0x15 (field 1, i32: a page
    ///   header's `type`, or for a file without row groups the footer's `version`).
    /// - Arrow IPC file: `ARROW1` and two zero padding bytes.
    /// - Arrow IPC stream (what Hugging Face `datasets` keeps in its cache as `*.arrow`): the
    ///   continuation marker FF FF FF FF before the first message's metadata length. No UTF-8
    ///   text starts with 0xFF, so no text file is mistaken for it.
    /// - bzip2: `BZh`, a block size `1`–`9`, then the block magic (BCD π, 31 41 59 26 53 59) or
    ///   the end-of-stream magic (BCD √π, 17 72 45 38 50 90).
    /// - xz: FD 37 7A 58 5A 00.
    ///
    /// The bytes after each short magic make a text file that merely begins with the same
    /// letters (say "PAR1" or "BZh9") keep being read as text.
    public init?(head: [UInt8]) {
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
        if starts(Array("PAR1".utf8) + [0x15]) {
            self = .parquet
        } else if starts(Array("ARROW1".utf8) + [0, 0]) {
            self = .arrow
        } else if starts([0xFF, 0xFF, 0xFF, 0xFF]) {
            self = .arrowStream
        } else if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
            self = .xz
        } else if head.count >= 10, starts(Array("BZh".utf8)), (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(head[3]),
                  [[0x31, 0x41, 0x59, 0x26, 0x53, 0x59], [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]].contains(Array(head[4..<10])) {
            self = .bzip2
        } else {
            return nil
        }
    }

    /// What to do with such a file, as a sentence for the error message.
    var advice: String {
        switch self {
        case .parquet:
            return "Parquet is not read directly; convert it to JSONL with `python -m gradus.convert parquet FILE... "
                + "[--text-column text] | gradus index - --format jsonl ...` (see README, \"Inputs\")"
        case .arrow, .arrowStream:
            return "Arrow IPC\(self == .arrowStream ? " stream (a Hugging Face datasets cache file?)" : "") is not read directly; convert it to JSONL with `python -m gradus.convert arrow FILE... "
                + "[--text-column text] | gradus index - --format jsonl ...` (see README, \"Inputs\")"
        case .bzip2:
            return "bzip2-compressed input is not read; decompress it first (`bzip2 -dc FILE | gradus index - ...`) "
                + "or recompress it with zstd or gzip"
        case .xz:
            return "xz-compressed input is not read; decompress it first (`xz -dc FILE | gradus index - ...`) "
                + "or recompress it with zstd or gzip"
        }
    }
}

/// An input in a format Gradus recognises but does not read (`UnreadFormat`).
public struct UnreadFormatError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let format: UnreadFormat
    public var description: String { "\(path): \(format.advice)" }
}
