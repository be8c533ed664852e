// IndexManifest.swift — the JSON documents kept in the `meta` database: format, manifest (what
// was indexed and how) and the resume cursor of an unfinished build (issue 3 items 4 and 6).

import Corpus
import Foundation
import Storage
import Support

/// `meta["format"]`: checked on every open.
public struct IndexFormatTag: Codable, Equatable, Sendable {
    public var magic: String
    public var version: Int
    public init(magic: String = IndexFormat.magic, version: Int = IndexFormat.version) {
        self.magic = magic; self.version = version
    }
}

/// `meta["state"]`.
public enum IndexState: String, Codable, Sendable {
    /// Being written; not readable (resume it).
    case building
    /// Finished and synced.
    case complete
}

/// Values of `IndexManifest.kind`.
public enum IndexKind {
    public static let index = "index"
    public static let shard = "shard"
}

/// One input file of the index.
public struct InputInfo: Codable, Equatable, Sendable {
    public var path: String
    /// Size in bytes on disk (nil for standard input).
    public var size: Int?
    /// `jsonl`, `fasta`, `text`, `jsonl-tokens` or `megatron`.
    public var format: String
    /// Modification time when the build read it (ISO-8601 UTC; nil for streams and older indexes).
    public var modified: String?
    /// `xxh3:` and the 16 hex digits of XXH3-64 over the bytes actually read from it (nil in
    /// indexes written before content fingerprints).
    public var contentHash: String?
    /// For a Megatron input whose tokens the index reads where they are: its entry in
    /// `tokenStore.files` (nil: the index stores its own copy of the input's samples).
    public var tokenFile: Int?
    public init(path: String, size: Int?, format: String, modified: String? = nil, contentHash: String? = nil) {
        self.path = path; self.size = size; self.format = format
        self.modified = modified; self.contentHash = contentHash
    }
}

/// The tokenizer that produced the stored ids.
public struct TokenizerInfo: Codable, Equatable, Sendable {
    /// `bytes`, `residues`, `bpe`, or `pretokenized` for `--vocab-size`.
    public var name: String
    public var vocabularySize: Int
    public var fingerprint: String
    public var endOfDocumentID: UInt32?
    public init(name: String, vocabularySize: Int, fingerprint: String, endOfDocumentID: UInt32?) {
        self.name = name; self.vocabularySize = vocabularySize
        self.fingerprint = fingerprint; self.endOfDocumentID = endOfDocumentID
    }
}

/// A metric stored in the index.
public struct MetricInfo: Codable, Equatable, Sendable {
    public var name: String
    public var definition: String
    public init(name: String, definition: String) { self.name = name; self.definition = definition }
}

/// Counts of an index.
public struct IndexCounts: Codable, Equatable, Sendable {
    /// Samples stored (`samples` entries).
    public var samples = 0
    /// Tokens stored over all samples.
    public var tokens = 0
    /// Documents read and kept (before packing).
    public var documents = 0
    /// Records skipped, by reason (`--skip-bad`).
    public var skipped: [String: Int] = [:]
    /// With `--pack`: tokens of the last, incomplete sample that were dropped.
    public var droppedTokens = 0
    /// Length of the longest sample, in tokens.
    public var maxSampleLength = 0
    public init() {}
}

/// What one input piece gave in pass 1: its samples are ids `firstSample ..< firstSample + samples`
/// of the build that read it (with `--pack`, samples never cross a piece: each piece's tail that
/// does not fill a sample is dropped, `droppedTokens`).
public struct PieceStats: Codable, Equatable, Sendable {
    /// The piece (`IndexManifest.inputPieces`) and its input.
    public var piece: Int
    public var input: Int
    /// Records of the piece read (kept or skipped), and `xxh3:` of its on-disk bytes (nil for a stream).
    public var records: Int
    public var contentHash: String?
    public var firstSample: Int
    public var samples: Int
    public var documents: Int
    public var tokens: Int
    public var droppedTokens: Int
    public init(piece: Int, input: Int, records: Int, contentHash: String?, firstSample: Int, samples: Int, documents: Int,
                tokens: Int, droppedTokens: Int) {
        self.piece = piece; self.input = input; self.records = records; self.contentHash = contentHash
        self.firstSample = firstSample; self.samples = samples
        self.documents = documents; self.tokens = tokens; self.droppedTokens = droppedTokens
    }
}

/// `meta["manifest"]`: everything needed to interpret, reproduce or resume the index.
public struct IndexManifest: Codable, Equatable, Sendable {
    /// `index`, or `shard` for the output of `--shard I/N` (merge it with `gradus merge`).
    public var kind: String
    public var tokenizer: TokenizerInfo
    /// Bytes per stored token: 2 (vocabulary ≤ 65 536) or 4.
    public var tokenWidth: Int
    public var inputs: [InputInfo]
    public var metrics: [MetricInfo]
    /// `--pack L` (samples of L+1 tokens), or nil when a sample is a document.
    public var pack: Int?
    /// For shards: index and count of `--shard I/N`.
    public var shard: Int?
    public var shardCount: Int?
    public var counts: IndexCounts
    public var commandLine: [String]
    /// ISO-8601 UTC time the build started.
    public var created: String
    /// Options that change content, compared on resume and merge.
    public var options: [String: String]
    /// Where the samples' tokens are (format 3): the own `tokens.bin/.idx` (file 0) and any
    /// referenced Megatron inputs, and the segments mapping sample ids to their items. Its
    /// segments are filled when pass 1 ends.
    public var tokenStore: TokenStoreInfo?
    /// The pieces the inputs are cut into (`InputPlan`; the same for every shard count).
    public var inputPieces: [InputPiece]?
    /// Per piece this build read, in order, what it gave (`gradus merge` places a shard's samples
    /// with it). A shard reads only its own pieces.
    public var pieces: [PieceStats]?
    /// `--group-field` names, in command-line order (nil: built without groups). Content: compared
    /// on resume and merge.
    public var groupFields: [String]?
    /// Per group field, its groups (names ascending) and their samples, tokens and `(none)`
    /// documents; set when pass 1 ends. The samples' codes are in the `groups` table.
    public var groups: [GroupSummary]?

    public init(kind: String, tokenizer: TokenizerInfo, inputs: [InputInfo], metrics: [MetricInfo],
                pack: Int?, shard: Int?, shardCount: Int?, commandLine: [String], created: String,
                options: [String: String]) {
        self.kind = kind; self.tokenizer = tokenizer
        self.tokenWidth = IndexFormat.tokenWidth(vocabularySize: tokenizer.vocabularySize)
        self.inputs = inputs; self.metrics = metrics; self.pack = pack
        self.shard = shard; self.shardCount = shardCount; self.counts = IndexCounts()
        self.commandLine = commandLine; self.created = created; self.options = options
    }

    /// XXH3-64 (16 hex digits) of what the index holds, independent of when, where and how fast
    /// it was built: kind, tokenizer, token width, each input's format, size and content hash (its
    /// path where an older index has no hash), metrics, pack, shard, counts and content options,
    /// and the group fields and groups (`--group-field`; left out when absent). A byte-identical rebuild has the same fingerprint; the same files in another order, or
    /// an edited file, a different one. Training checkpoints record it to refuse another index.
    public var contentFingerprint: String {
        struct Content: Encodable {
            var kind: String, tokenizer: TokenizerInfo, tokenWidth: Int, inputs: [[String]]
            var metrics: [MetricInfo], pack: Int?, shard: Int?, shardCount: Int?
            var counts: IndexCounts, options: [String: String]
            var groupFields: [String]?, groups: [GroupSummary]?
        }
        let content = Content(
            kind: kind, tokenizer: tokenizer, tokenWidth: tokenWidth,
            inputs: inputs.map { [$0.format, $0.size.map(String.init) ?? "-", $0.contentHash ?? $0.path] },
            metrics: metrics, pack: pack, shard: shard, shardCount: shardCount, counts: counts, options: options,
            groupFields: groupFields, groups: groups)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = [UInt8]((try? encoder.encode(content)) ?? Data())
        return hexText(withUnsafeBytes(of: XXH3.hash64(bytes).bigEndian) { Array($0) })
    }

    /// Sets each input's `contentHash` and `modified` from the digests of its pieces (`digests[k]`
    /// for `pieces[k]`): a whole input's is its file's; an input cut into pieces gets `pieces:` +
    /// the XXH3-64 (16 hex digits) of its pieces' `xxh3:` digests joined by newlines, in order.
    /// An input with a piece not read here (another shard's) gets none.
    mutating func setInputDigests(pieces: [InputPiece], digests: [InputDigest]) {
        for i in inputs.indices {
            let own = pieces.indices.filter { pieces[$0].input == i }
            let hashes = own.map { digests[$0].contentHash }
            guard !own.isEmpty, hashes.allSatisfy({ $0 != nil }) else {
                inputs[i].contentHash = nil
                inputs[i].modified = nil
                continue
            }
            inputs[i].modified = digests[own[0]].modified
            if own.count == 1 && pieces[own[0]].kind == .whole {
                inputs[i].contentHash = hashes[0]
            } else {
                let joined = Array(hashes.map { $0! }.joined(separator: "\n").utf8)
                inputs[i].contentHash = "pieces:" + hexText(withUnsafeBytes(of: XXH3.hash64(joined).bigEndian) { Array($0) })
            }
        }
    }

    /// The parts that must agree between a build and its resume, or between merged shards.
    func sameContent(as other: IndexManifest) -> Bool {
        // An input's mtime says when it was read, not what it holds (shards built on different
        // machines differ in it): its contentHash is what counts.
        // A shard reads (and hashes) only its own inputs, so shards compare paths, sizes and formats.
        let timeless = { (inputs: [InputInfo]) in
            inputs.map { var i = $0; i.modified = nil; if kind == IndexKind.shard { i.contentHash = nil }; return i }
        }
        return tokenizer == other.tokenizer && timeless(inputs) == timeless(other.inputs) && metrics == other.metrics
            && pack == other.pack && options == other.options && inputPieces == other.inputPieces
            && (groupFields ?? []) == (other.groupFields ?? [])
    }
}

/// What a finished input gave: `InputInfo.contentHash` and `.modified` (nil without a file).
public struct InputDigest: Codable, Equatable, Sendable {
    public var contentHash: String?
    public var modified: String?
    public init(contentHash: String?, modified: String?) { self.contentHash = contentHash; self.modified = modified }
}

/// `meta["resume"]`: where pass 1 stands after the last committed batch.
public struct ResumeCursor: Codable, Equatable, Sendable {
    /// `pass1` while reading inputs, `pass2` once every sample is stored.
    public var phase: String
    /// The input being read and how many records (`next()` results) of it are consumed.
    public var input: Int
    public var recordsConsumed: Int
    /// The id the next sample gets.
    public var nextSample: Int
    /// Counts as of the last commit (skipped reasons of finished inputs and the tokenizer).
    public var counts: IndexCounts
    /// With `--pack`: the tokens read but not yet cut into samples, and where each document in
    /// them starts (offset into `carry`).
    public var carry: [UInt32]
    public var carryDocs: [CarryDoc]
    /// The on-disk bytes of input `input` read by the last commit and their XXH3 (`xxh3:…`): on
    /// resume the same prefix must hash the same (issue 14 item 9). Nil for sources without a file.
    public var inputBytes: Int?
    public var inputHash: String?
    /// Per finished input, its content hash and mtime as read (`InputInfo.contentHash`/`modified`).
    public var finished: [InputDigest]?
    /// The token segments of the samples stored so far, and the lengths (items, bytes) of the
    /// own token files as of this commit: a resume cuts the files back to them.
    public var tokenSegments: [TokenSegmentInfo]?
    /// The inputs finished so far (`IndexManifest.pieces`), the counts when the current input
    /// started, and whether the next sample starts a token segment.
    public var pieces: [PieceStats]?
    public var pieceStart: IndexCounts?
    public var startsSegment: Bool?
    public var tokenItems: Int?
    public var tokenBytes: Int?
    /// `--group-field`: per field, the groups seen so far in order of first appearance (their
    /// codes in `groupcodes`) and their tallies; from pass 2 on, names ascending (`groups` written).
    public var groups: [GroupSummary]?
    public init(phase: String, input: Int, recordsConsumed: Int, nextSample: Int, counts: IndexCounts,
                carry: [UInt32], carryDocs: [CarryDoc]) {
        self.phase = phase; self.input = input; self.recordsConsumed = recordsConsumed
        self.nextSample = nextSample; self.counts = counts; self.carry = carry; self.carryDocs = carryDocs
    }
}

/// A document starting at `offset` of the pack carry-over.
public struct CarryDoc: Codable, Equatable, Sendable {
    public var offset: Int
    public var doc: DocRecord
}
