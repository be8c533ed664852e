// CharBPEModel.swift — the `model.type: "BPE"` of a tokenizer.json pipeline whose pre-tokens are
// characters, not bytes: Llama-2 / Mistral files with SentencePiece-style byte fallback (issue 15
// item 1). Hugging Face tokenizers' `BPE::merge_word` (`models/bpe/model.rs`), as one pre-token's
// ids (`CharBPEWorker`):
//
// 1. every character of the pre-token is one symbol: its vocabulary id, looked up as the character
//    with `continuing_subword_prefix` in front when it is not the first and `end_of_word_suffix`
//    after it when it is the last;
// 2. a character (with its affixes) not in the vocabulary becomes, when `byte_fallback` is true and
//    every one of its UTF-8 bytes has a `<0xNN>` token, those tokens; else `unk_token` (consecutive
//    ones fused into one when `fuse_unk`), or nothing when there is no `unk_token`;
// 3. the symbols are merged by rank with HF's tie rule (`BPEMerger` over `MergeTable`, shared with
//    the byte-level BPE). A merge `a b` makes `a` + `b` without its first prefix-length bytes.
//
// `ignore_merges` first looks the whole pre-token up in the vocabulary. Loading from JSON:
// CharBPEModel+Reading.swift.

/// A character-level BPE vocabulary with its merges and unknown-character rules; immutable.
struct CharBPEModel: SubwordModel {
    /// `asciiIDs[b]` or `byteFallbackIDs[b]` when there is no such token.
    static let missing = TokenID.max

    /// Every vocabulary token (UTF-8) → its id; read only, shared by the workers.
    let vocabulary: ByteKeyedTable
    /// Token bytes per id (nil for ids no token has).
    let tokens: [[UInt8]?]
    /// Id of each one-byte (ASCII) token, used when there is no prefix or suffix.
    let asciiIDs: [TokenID]
    /// Id of `<0xNN>` for byte NN, `missing` when absent; all `missing` without `byte_fallback`.
    let byteFallbackIDs: [TokenID]
    let byteFallback: Bool
    let unknownID: TokenID?
    let fuseUnknown: Bool
    let merges: MergeTable
    let ignoreMerges: Bool
    /// `continuing_subword_prefix` (UTF-8), empty when absent.
    let prefix: [UInt8]
    /// `end_of_word_suffix` (UTF-8), empty when absent.
    let suffix: [UInt8]

    var vocabularySize: Int { tokens.count }

    /// The options of a `BPE` model other than its vocabulary and merges.
    struct Options {
        var unknownToken: [UInt8]?
        var fuseUnknown = false
        var byteFallback = false
        var ignoreMerges = false
        var prefix: [UInt8] = []
        var suffix: [UInt8] = []
    }

    /// Builds the tables.
    /// - Parameters:
    ///   - vocabulary: (token UTF-8, id) pairs; ids must be unique.
    ///   - merges: (left, right) token strings in rank order.
    ///   - keyPath: where the model is in the file (`model`), for messages.
    ///   - problem: makes the error for a message naming the JSON key (`TokenizerFile.problem`).
    /// - Throws: `problem(...)` for a duplicate id, an `unk_token` not in the vocabulary, or a merge
    ///   whose tokens or result are not in the vocabulary.
    init(vocabulary entries: [([UInt8], TokenID)], merges mergeList: [([UInt8], [UInt8])], options: Options,
         at keyPath: String = "model", problem: (String) -> Error) throws {
        var byToken: [[UInt8]: TokenID] = [:]
        byToken.reserveCapacity(entries.count)
        var tokens = [[UInt8]?](repeating: nil, count: Int(entries.map(\.1).max().map { $0 + 1 } ?? 0))
        for (token, id) in entries {
            if let other = tokens[Int(id)] {
                let names = [other, token].map { String(decoding: $0, as: UTF8.self).debugDescription }.sorted()
                throw problem("`\(keyPath).vocab` gives id \(id) to more than one token (\(names.joined(separator: ", "))); ids must be unique")
            }
            tokens[Int(id)] = token
            byToken[token] = id
        }
        self.tokens = tokens
        vocabulary = CharBPEModel.table(byToken)
        var ascii = [TokenID](repeating: CharBPEModel.missing, count: 128)
        for byte in 0..<128 { ascii[byte] = byToken[[UInt8(byte)]] ?? CharBPEModel.missing }
        asciiIDs = ascii
        var fallback = [TokenID](repeating: CharBPEModel.missing, count: 256)
        if options.byteFallback {
            for byte in 0..<256 { fallback[byte] = byToken[CharBPEModel.byteToken(UInt8(byte))] ?? CharBPEModel.missing }
        }
        byteFallbackIDs = fallback
        byteFallback = options.byteFallback
        if let unknown = options.unknownToken {
            guard let id = byToken[unknown] else {
                throw problem("`\(keyPath).unk_token` \(String(decoding: unknown, as: UTF8.self).debugDescription) is not in `\(keyPath).vocab`; add it or remove `unk_token`")
            }
            unknownID = id
        } else {
            unknownID = nil
        }
        fuseUnknown = options.fuseUnknown
        ignoreMerges = options.ignoreMerges
        prefix = options.prefix
        suffix = options.suffix
        merges = try CharBPEModel.mergeTable(mergeList, byToken, prefixLength: options.prefix.count, at: keyPath, problem: problem)
    }

    /// `<0xNN>` with upper-case hex digits, the name HF looks up (`format!("<{b:#04X}>")`).
    static func byteToken(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return Array("<0x".utf8) + [digits[Int(byte >> 4)], digits[Int(byte & 15)], UInt8(ascii: ">")]
    }

    /// HF's `BpeBuilder::build`: the merge of `a b` is `a` + `b` minus its first `prefixLength` bytes.
    private static func mergeTable(_ list: [([UInt8], [UInt8])], _ byToken: [[UInt8]: TokenID], prefixLength: Int,
                                   at keyPath: String, problem: (String) -> Error) throws -> MergeTable {
        var table: [(TokenID, TokenID, TokenID)] = []
        table.reserveCapacity(list.count)
        for (rank, (left, right)) in list.enumerated() {
            let shown = "(\(String(decoding: left, as: UTF8.self)) \(String(decoding: right, as: UTF8.self)))"
            guard right.count >= prefixLength else {
                throw problem("`\(keyPath).merges[\(rank)]` \(shown): the right token is shorter than `\(keyPath).continuing_subword_prefix`")
            }
            guard let a = byToken[left], let b = byToken[right], let merged = byToken[left + right.dropFirst(prefixLength)] else {
                throw problem("`\(keyPath).merges[\(rank)]` \(shown) uses a token that is not in `\(keyPath).vocab`, or makes one that is not")
            }
            table.append((a, b, merged))
        }
        return MergeTable(merges: table)
    }

    /// The whole vocabulary as a read-only `ByteKeyedTable` (one id per key).
    private static func table(_ byToken: [[UInt8]: TokenID]) -> ByteKeyedTable {
        let keyBytes = byToken.keys.reduce(0) { $0 + $1.count }
        let longest = max(1, byToken.keys.map(\.count).max() ?? 1)
        let table = ByteKeyedTable(maxEntries: max(1, byToken.count), maxKeyLength: longest,
                                   keyBytes: max(keyBytes, longest), valueCount: max(1, byToken.count))
        for (token, id) in byToken where !token.isEmpty {
            token.withUnsafeBufferPointer { key in
                withUnsafePointer(to: id) { value in
                    table.insert(key.baseAddress!, key.count, hash: ByteKeyedTable.hash(key.baseAddress!, key.count),
                                 ids: UnsafeBufferPointer(start: value, count: 1))
                }
            }
        }
        return table
    }

    /// The id of `n` bytes at `p` in the vocabulary, if they are a token.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> TokenID? {
        vocabulary.lookup(p, n, hash: ByteKeyedTable.hash(p, n))?.first
    }

    func id(of token: [UInt8]) -> TokenID? {
        guard !token.isEmpty else { return nil }
        return token.withUnsafeBufferPointer { lookup($0.baseAddress!, $0.count) }
    }

    func token(of id: TokenID) -> [UInt8]? {
        Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    func makeWorker() -> any SubwordWorker { CharBPEWorker(model: self) }
}
