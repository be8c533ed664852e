// WordPieceModel.swift — the `WordPiece` model of a tokenizer.json (issue 15 item 1), as
// `tokenizers`' `models/wordpiece/mod.rs` tokenizes one pre-token:
//
// * a word of more than `max_input_chars_per_word` characters (scalars) is one `unk_token`;
// * otherwise, greedy longest match first: from each start, the longest vocabulary token ending
//   on a character boundary (after the first piece, looked up with `continuing_subword_prefix`
//   in front); if some start has no match, the whole word is one `unk_token`.
//
// The vocabulary lives in two read-only `ByteKeyedTable`s: every token, and the tokens that begin
// with the prefix keyed without it, so a continuation is looked up without building
// prefix + piece. Candidate ends beyond the longest token are skipped (they cannot match). Each
// worker keeps a word cache (`tokenizers` has none for WordPiece; a cache changes speed only).

import Support

/// The vocabulary and settings of a WordPiece model; immutable and shareable.
struct WordPieceModel: SubwordModel {
    /// `unk_token`, and its id when the vocabulary has it.
    let unknownToken: [UInt8]
    let unknownID: TokenID?
    /// `continuing_subword_prefix` (`##` in BERT files).
    let continuingSubwordPrefix: [UInt8]
    /// `max_input_chars_per_word` (100 in BERT files).
    let maxInputCharsPerWord: Int
    private let vocabulary: Vocabulary
    private let wordStarts: ByteKeyedTable
    private let continuations: ByteKeyedTable
    /// Longest key of each table, in bytes.
    private let longestStart: Int
    private let longestContinuation: Int

    /// Reads a `"type": "WordPiece"` model object at `keyPath` (`vocab`, `unk_token` default
    /// `[UNK]`, `continuing_subword_prefix` default `##`, `max_input_chars_per_word` default 100).
    /// - Throws: `invalidDefinition` naming the key path for a missing or malformed field.
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        let vocabulary = try Vocabulary(json["vocab"], file: file, at: "\(keyPath).vocab")
        let unknown = try file.string(json, "unk_token", at: keyPath, default: "[UNK]")!
        let prefix = try file.string(json, "continuing_subword_prefix", at: keyPath, default: "##")!
        guard let limit = try file.int(json, "max_input_chars_per_word", at: keyPath, default: 100), limit >= 0 else {
            throw file.problem("`\(keyPath).max_input_chars_per_word` is negative; it is a number of characters")
        }
        self.init(vocabulary: vocabulary, unknownToken: Array(unknown.utf8), continuingSubwordPrefix: Array(prefix.utf8),
                  maxInputCharsPerWord: limit)
    }

    init(vocabulary: Vocabulary, unknownToken: [UInt8], continuingSubwordPrefix: [UInt8], maxInputCharsPerWord: Int) {
        let entries = vocabulary.ids.map { (token: $0.key, id: $0.value) }
        let prefix = continuingSubwordPrefix
        let continuing = entries.compactMap { entry -> (token: [UInt8], id: TokenID)? in
            entry.token.starts(with: prefix) ? (Array(entry.token.dropFirst(prefix.count)), entry.id) : nil
        }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        unknownID = vocabulary.id(of: unknownToken)
        self.continuingSubwordPrefix = prefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        (wordStarts, longestStart) = WordPieceModel.table(entries)
        (continuations, longestContinuation) = WordPieceModel.table(continuing)
    }

    /// A read-only table of `entries` and its longest key.
    private static func table(_ entries: [(token: [UInt8], id: TokenID)]) -> (ByteKeyedTable, Int) {
        let longest = max(1, entries.map(\.token.count).max() ?? 1)
        let table = ByteKeyedTable(maxEntries: max(1, entries.count), maxKeyLength: longest,
                                   keyBytes: max(longest, entries.reduce(0) { $0 + $1.token.count }), valueCount: max(1, entries.count))
        for (token, id) in entries where !token.isEmpty {
            token.withUnsafeBufferPointer { key in
                withUnsafePointer(to: id) { value in
                    let h = ByteKeyedTable.hash(key.baseAddress!, key.count)
                    if table.lookup(key.baseAddress!, key.count, hash: h) == nil {
                        table.insert(key.baseAddress!, key.count, hash: h, ids: UnsafeBufferPointer(start: value, count: 1))
                    }
                }
            }
        }
        return (table, longest)
    }

    func id(of token: [UInt8]) -> TokenID? { vocabulary.id(of: token) }

    func token(of id: TokenID) -> [UInt8]? { vocabulary.token(of: id) }

    var vocabularySize: Int { vocabulary.size }

    func makeWorker() -> any SubwordWorker { WordPieceWorker(model: self) }

    /// The id of the `n` bytes at `p` in `table`.
    @inline(__always)
    private func lookup(_ table: ByteKeyedTable, _ p: UnsafePointer<UInt8>?, _ n: Int) -> TokenID? {
        guard let p, n > 0 else { return nil }
        return table.lookup(p, n, hash: ByteKeyedTable.hash(p, n))?.first
    }

    /// Appends the ids of one word (UTF-8, non-empty) to `output`, without the cache.
    /// - Throws: `TokenizerError.unknownToken` when the word needs `unk_token` and the vocabulary
    ///   has none (`tokenizers` fails too: "Missing [UNK] token from the vocabulary").
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) throws {
        let n = word.count
        var characters = 0
        for b in word where b & 0xC0 != 0x80 { characters += 1 }
        if characters > maxInputCharsPerWord { return try appendUnknown(word, to: &output) }
        let mark = output.count
        var start = 0
        while start < n {
            let isStart = start == 0
            let table = isStart ? wordStarts : continuations
            var end = min(n, start + (isStart ? longestStart : longestContinuation))
            var found: TokenID?
            while end > start {
                // Only ends on a character boundary are candidates.
                if end == n || word[end] & 0xC0 != 0x80, let id = lookup(table, word.baseAddress! + start, end - start) {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                output.removeSubrange(mark...)
                return try appendUnknown(word, to: &output)
            }
            output.append(id)
            start = end
        }
    }
}

extension WordPieceModel {
    /// Appends `unk_token`'s id for `word`, or throws when the vocabulary lacks it.
    private func appendUnknown(_ word: UnsafeBufferPointer<UInt8>, to output: inout [TokenID]) throws {
        guard let unknownID else {
            throw TokenizerError.unknownToken(String(decoding: word, as: UTF8.self), unknownToken: String(decoding: unknownToken, as: UTF8.self))
        }
        output.append(unknownID)
    }
}

/// Tokenizes pre-tokens with a `WordPieceModel` and a word cache; one per thread.
final class WordPieceWorker: SubwordWorker {
    private let model: WordPieceModel
    private let cache: ByteKeyedTable
    /// Words kept before the cache empties itself (as the BPE encoder's).
    static let cacheEntries = 65_536
    /// Words longer than this (in bytes) are not cached.
    static let longestCachedWord = 255

    /// - Parameter cacheEntries: words the cache keeps (tests use a tiny cache to exercise clearing).
    init(model: WordPieceModel, cacheEntries: Int = WordPieceWorker.cacheEntries) {
        self.model = model
        cache = ByteKeyedTable(maxEntries: cacheEntries, maxKeyLength: WordPieceWorker.longestCachedWord,
                               keyBytes: max(cacheEntries * 16, 1024), valueCount: max(cacheEntries * 4, 256))
    }

    func tokenize(_ piece: [UInt8], into output: inout [TokenID]) throws {
        try piece.withUnsafeBufferPointer { try tokenize($0, into: &output) }
    }

    /// Appends the ids of the pre-token `word` (UTF-8, non-empty) to `output`.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) throws {
        guard let p = word.baseAddress, !word.isEmpty else { return }
        let h = ByteKeyedTable.hash(p, word.count)
        if let ids = cache.lookup(p, word.count, hash: h) {
            output.append(contentsOf: ids)
            return
        }
        let mark = output.count
        try model.tokenize(word, into: &output)
        output.withUnsafeBufferPointer { all in
            cache.insert(p, word.count, hash: h, ids: UnsafeBufferPointer(rebasing: all[mark...]))
        }
    }
}
