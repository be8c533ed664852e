// UnigramModel.swift — `tokenizers`' `Unigram` model (`models/unigram/model.rs`, serialization in
// `serialization.rs`; Kudo 2018, SentencePiece's `unigram_model.cc`): a vocabulary of pieces with
// log-probability scores; a pre-token becomes the sequence of pieces with the highest total score
// (Viterbi over the lattice of pieces, `UnigramWorker`). T5, mT5, XLM-R, ALBERT and most
// SentencePiece-converted files use it.
//
// Read as the library reads it: `vocab` is a list of [piece, score] pairs whose position is the
// id; `unk_id` (optional) and `byte_fallback` (default false); other keys are ignored there and
// here. A piece listed twice maps to its last id (the library's `token_to_ids` is built by
// inserting in order), and that id's score is the one the search uses.

import Support

/// A Unigram vocabulary and the trie the Viterbi search walks; immutable and shared by workers.
struct UnigramModel: SubwordModel {
    /// Piece bytes by id.
    let pieces: [[UInt8]]
    /// Score (log probability) by id.
    let scores: [Double]
    /// Id by piece bytes; a piece listed twice has its last id.
    let ids: [[UInt8]: TokenID]
    /// The id that stands for characters no piece covers; nil when the file has none (then such
    /// a character is an error, as in the library).
    let unknownID: TokenID?
    /// Whether a run of unknown characters becomes the `<0xNN>` pieces of its bytes (when the
    /// vocabulary has all of them) instead of `unknownID`.
    let byteFallback: Bool
    /// The id of `<0xNN>` for every byte, or -1.
    let byteIDs: [Int32]
    /// The score of an unknown character: the lowest score minus 10 (the library's `K_UNK_PENALTY`).
    let unknownScore: Double
    let trie: UnigramTrie

    /// Reads `vocab`, `unk_id`, `byte_fallback` of the model object at `keyPath`.
    /// - Throws: `invalidDefinition` naming the key path: no or empty `vocab`, an entry that is not
    ///   a [string, number] pair, `unk_id` outside the vocabulary.
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        guard let list = json["vocab"]?.arrayValue else { throw file.problem("`\(keyPath).vocab` is missing or not an array of [piece, score] pairs") }
        guard !list.isEmpty else { throw file.problem("`\(keyPath).vocab` is empty; a Unigram model needs at least its unknown piece") }
        var pieces: [[UInt8]] = []
        var scores: [Double] = []
        pieces.reserveCapacity(list.count)
        scores.reserveCapacity(list.count)
        for (index, entry) in list.enumerated() {
            guard let pair = entry.arrayValue, pair.count == 2, let piece = pair[0].stringValue, let score = pair[1].number else {
                throw file.problem("`\(keyPath).vocab[\(index)]` is not a [piece, score] pair (a string and a number)")
            }
            pieces.append(Array(piece.utf8))
            scores.append(score)
        }
        var unknownID: TokenID?
        if let value = json["unk_id"], value != .null {
            guard let id = value.intValue, id >= 0, id < list.count else {
                throw file.problem("`\(keyPath).unk_id` is \(value.jsonText), not an id of `\(keyPath).vocab` (0..<\(list.count))")
            }
            unknownID = TokenID(id)
        }
        self.init(pieces: pieces, scores: scores, unknownID: unknownID,
                      byteFallback: try file.bool(json, "byte_fallback", at: keyPath, default: false))
    }

    /// A model of `pieces` (UTF-8) with `scores`, by id.
    init(pieces: [[UInt8]], scores: [Double], unknownID: TokenID?, byteFallback: Bool) {
        precondition(pieces.count == scores.count && !pieces.isEmpty)
        self.pieces = pieces
        self.scores = scores
        self.unknownID = unknownID
        self.byteFallback = byteFallback
        var ids: [[UInt8]: TokenID] = [:]
        ids.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() { ids[piece] = TokenID(id) }
        self.ids = ids
        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let hex = String(byte, radix: 16, uppercase: true)
            if let id = ids[Array("<0x\(hex.count == 1 ? "0" + hex : hex)>".utf8)] { byteIDs[byte] = Int32(id) }
        }
        self.byteIDs = byteIDs
        unknownScore = scores.min()! - 10
        let keyed = ids.filter { !$0.key.isEmpty }
        trie = UnigramTrie(keys: Array(keyed.keys), ids: keyed.values.map { Int32($0) })
    }

    func id(of token: [UInt8]) -> TokenID? { ids[token] }
    func token(of id: TokenID) -> [UInt8]? { Int(id) < pieces.count ? pieces[Int(id)] : nil }
    var vocabularySize: Int { pieces.count }
    func makeWorker() -> any SubwordWorker { UnigramWorker(model: self) }
}
