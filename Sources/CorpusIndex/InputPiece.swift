// InputPiece.swift — one piece of the inputs of `gradus index` (issue 16 item 2): a whole input,
// a byte range of an uncompressed corpus file cut at record starts, or a run of whole frames of a
// multi-frame zstd file. Pieces do not depend on the shard count, so packing per piece gives the
// same index for any `--shard I/N`. Recorded in the manifest (Codable).

import Corpus
import Storage

/// A part of one input that a shard reads on its own.
public struct InputPiece: Sendable, Equatable, Codable {
    /// What part of the input the piece is.
    public enum Kind: String, Sendable, Codable {
        /// The whole input (a small file, gzip, single-frame zstd, standard input, a Megatron
        /// `.bin/.idx` dataset).
        case whole
        /// The on-disk bytes [`start`, `end`) of an uncompressed JSONL/FASTA/text file.
        case bytes
        /// The zstd frames [`firstFrame`, `endFrame`) at on-disk bytes [`start`, `end`).
        case frames
    }

    /// Index of the input in the paths given to `InputPlan.make`.
    public let input: Int
    public let kind: Kind
    /// The piece's first on-disk byte (0 for a whole input).
    public let start: Int
    /// The on-disk byte after the piece (a whole input's size; 0 for standard input or a file of
    /// unknown size).
    public let end: Int
    /// `frames`: the piece's first frame and the frame after its last, counting every frame of
    /// the file (skippable ones included); nil otherwise.
    public let firstFrame: Int?
    public let endFrame: Int?
    /// `frames`: decompressed bytes at the start of the first frame that belong to the previous
    /// piece (the end of its last record); 0 for the first piece; nil otherwise.
    public let skip: Int?
    /// `frames`: decompressed bytes at the start of the frame after the piece that belong to it
    /// (the next piece's `skip`); 0 for the last piece; nil otherwise.
    public let tail: Int?
    /// `bytes` and `frames`: the whole file's record syntax, with which every piece is read;
    /// nil for a whole input (its reader decides).
    public let format: CorpusFormat?

    /// The piece's on-disk size in bytes (what shard assignment balances).
    public var size: Int { end - start }

    /// The bytes a piece reader reads, or nil for a whole input (opened as a file).
    public var bytes: PieceBytes? {
        switch kind {
        case .whole: nil
        case .bytes: .range(start..<end)
        case .frames: .frames(start..<end, skip: skip ?? 0, tail: tail ?? 0)
        }
    }

    /// A whole input of `size` on-disk bytes.
    static func whole(_ input: Int, size: Int) -> InputPiece {
        InputPiece(input: input, kind: .whole, start: 0, end: size, firstFrame: nil, endFrame: nil, skip: nil, tail: nil, format: nil)
    }
}
