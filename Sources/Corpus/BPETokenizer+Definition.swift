// BPETokenizer+Definition.swift — reading and validating a Hugging Face `tokenizer.json` for the
// byte-level BPE tokenizer (issue 2, item 4), and the immutable tables built from it (`BPEModel`).
//
// Token strings are compared by their UTF-8 bytes (as Rust compares `String`s), never as Swift
// `String`s, whose equality is canonical equivalence. Every problem is an
// `invalidDefinition(path:problem:)` that names the JSON key.

import Support
import TextSupport

/// The tables shared (read-only) by all encoders of one tokenizer.
struct BPEModel: Sendable {
    static let missing = TokenID.max
    /// `byteIDs[b]`: the id of the one-byte token for byte `b`, or `missing`.
    var byteIDs: [TokenID]
    var unknownID: TokenID?
    var fuseUnknown: Bool
    var merges: MergeTable
    var ignoreMerges: Bool
    /// Byte-level vocabulary (token bytes → id), built only for `ignore_merges`.
    var vocabularyByBytes: ByteKeyedTable?
    var addedTokens: AddedTokenSplitter
    var addPrefixSpace: Bool
    var useRegex: Bool
    /// The `Split` pre-tokenizers before ByteLevel, in order (Llama-3, GPT-4o, Qwen2); empty for
    /// GPT-2-style files, which keep the hand-written regex alone.
    var splits: [SplitPreTokenizer]
    /// The `NFC` normalizer (Qwen2), if the file has one.
    var normalizer: UnicodeNormalizer?
    /// Decoded bytes of id `i`: `decodeBytes[decodeStart[i]..<decodeStart[i + 1]]`, if `known[i]`.
    var decodeBytes: [UInt8]
    var decodeStart: [Int]
    var known: [Bool]

    func decodeRange(_ id: TokenID) -> Range<Int>? {
        let i = Int(id)
        guard i < known.count, known[i] else { return nil }
        return decodeStart[i]..<decodeStart[i + 1]
    }
}

/// A parsed, validated `tokenizer.json`.
struct BPEDefinition {
    let path: String
    /// Largest id (vocabulary or added token) + 1.
    private(set) var vocabularySize = 0
    private(set) var specialTokens: [String: TokenID] = [:]
    /// Model vocabulary keyed by the UTF-8 of the token string.
    private var vocabulary: [[UInt8]: TokenID] = [:]
    private var addedTokens: [AddedToken] = []
    /// Merges as (left, right) UTF-8 token strings, in rank order.
    private var merges: [([UInt8], [UInt8])] = []
    private var settings = ModelSettings(unknownToken: nil, fuseUnknown: false, ignoreMerges: false)
    private var addPrefixSpace = false
    private var useRegex = true
    private var splits: [SplitPreTokenizer] = []
    private var normalizer: UnicodeNormalizer?

    /// Reads the byte-level BPE parts of `file` (parsed once by the loader).
    init(file: TokenizerFile) throws {
        self.path = file.path
        let root = file.root
        normalizer = try parseNormalizer(root["normalizer"])
        (splits, addPrefixSpace, useRegex) = try parsePreTokenizer(root["pre_tokenizer"])
        try checkDecoder(root["decoder"])
        guard let modelObject = root["model"], case .object = modelObject else { throw problem("`model` is missing or not an object") }
        settings = try parseModelSettings(modelObject)
        vocabulary = try parseVocabulary(modelObject["vocab"])
        merges = try parseMerges(modelObject["merges"])
        addedTokens = try file.addedTokens()
        if let maxID = (Array(vocabulary.values) + addedTokens.map(\.id)).max() { vocabularySize = Int(maxID) + 1 }
        for token in addedTokens where token.special { specialTokens[token.content] = token.id }
    }

    /// The id of a token by content: an added token first (as HF's `token_to_id`), else the vocabulary.
    func id(of content: String) -> TokenID? {
        if let token = addedTokens.first(where: { Array($0.content.utf8) == Array(content.utf8) }) { return token.id }
        return vocabulary[Array(content.utf8)]
    }

    private func problem(_ text: String) -> TokenizerError {
        TokenizerError.invalidDefinition(path: path, problem: text)
    }

    private func typeName(_ value: JSONValue?) -> String? { value?["type"]?.stringValue }

    /// None, an empty `Sequence`, `NFC`, or a `Sequence` whose only member is `NFC`.
    private func parseNormalizer(_ value: JSONValue?) throws -> UnicodeNormalizer? {
        guard var object = value, object != .null else { return nil }
        var key = "normalizer"
        if typeName(object) == "Sequence", let members = object["normalizers"]?.arrayValue, members.count <= 1 {
            guard let only = members.first else { return nil }
            object = only
            key = "normalizer.normalizers[0]"
        }
        guard typeName(object) == "NFC" else {
            throw problem("`\(key)` is \(typeName(object) ?? "not an object"); a byte-level BPE supports no normalizer or NFC (alone or as the only member of a Sequence)")
        }
        return .nfc
    }

    /// `ByteLevel`, or a `Sequence` of any number of `Split`s followed by `ByteLevel`.
    private func parsePreTokenizer(_ value: JSONValue?) throws -> (splits: [SplitPreTokenizer], addPrefixSpace: Bool, useRegex: Bool) {
        guard var object = value, case .object = object else {
            throw problem("`pre_tokenizer` is missing; a byte-level BPE needs the ByteLevel pre-tokenizer")
        }
        var splits: [SplitPreTokenizer] = []
        var key = "pre_tokenizer"
        if typeName(object) == "Sequence" {
            let supported = "a byte-level BPE supports ByteLevel, alone or last in a Sequence after any number of Split pre-tokenizers"
            guard let members = object["pretokenizers"]?.arrayValue, let last = members.last else {
                throw problem("`pre_tokenizer.pretokenizers` is missing, not an array or empty; \(supported)")
            }
            for (index, member) in members.dropLast().enumerated() {
                let memberKey = "pre_tokenizer.pretokenizers[\(index)]"
                guard typeName(member) == "Split" else {
                    throw problem("`\(memberKey)` is \(typeName(member) ?? "untyped"); \(supported)")
                }
                splits.append(try SplitPreTokenizer(json: member, at: memberKey, problem: problem))
            }
            object = last
            key = "pre_tokenizer.pretokenizers[\(members.count - 1)]"
        }
        guard typeName(object) == "ByteLevel" else {
            throw problem("`\(key)` is \(typeName(object) ?? "untyped"); a byte-level BPE needs ByteLevel as the last pre-tokenizer (alone or after Split pre-tokenizers in a Sequence)")
        }
        let addPrefixSpace = try bool(object, "add_prefix_space", in: key, default: true)
        let useRegex = try bool(object, "use_regex", in: key, default: true)
        return (splits, addPrefixSpace, useRegex)
    }

    private func checkDecoder(_ value: JSONValue?) throws {
        guard typeName(value) == "ByteLevel" else {
            throw problem("`decoder` is \(typeName(value) ?? "missing"); a byte-level BPE needs the ByteLevel decoder")
        }
    }

    private func bool(_ object: JSONValue, _ key: String, in parent: String, default fallback: Bool) throws -> Bool {
        guard let value = object[key], value != .null else { return fallback }
        guard case .bool(let flag) = value else { throw problem("`\(parent).\(key)` is not a boolean") }
        return flag
    }

    fileprivate struct ModelSettings {
        var unknownToken: String?
        var fuseUnknown: Bool
        var ignoreMerges: Bool
    }

    private func parseModelSettings(_ model: JSONValue) throws -> ModelSettings {
        let type = typeName(model)
        guard type == "BPE" || (type == nil && model["merges"] != nil) else {
            throw problem("`model.type` is \(type ?? "missing"), not BPE; only byte-level BPE tokenizers are supported")
        }
        if let dropout = model["dropout"], dropout != .null, dropout != .double(0) {
            throw problem("`model.dropout` is set; BPE dropout is random and not supported")
        }
        if try bool(model, "byte_fallback", in: "model", default: false) {
            throw problem("`model.byte_fallback` is true; byte fallback (SentencePiece-style <0xNN> tokens) is not supported")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key], value != .null, value != .string("") {
                throw problem("`model.\(key)` is set; subword prefixes/suffixes are not supported for byte-level BPE")
            }
        }
        let unknown = model["unk_token"]
        guard unknown == nil || unknown == .null || unknown?.stringValue != nil else { throw problem("`model.unk_token` is not a string") }
        return ModelSettings(unknownToken: unknown?.stringValue,
                             fuseUnknown: try bool(model, "fuse_unk", in: "model", default: false),
                             ignoreMerges: try bool(model, "ignore_merges", in: "model", default: false))
    }

    private func parseVocabulary(_ value: JSONValue?) throws -> [[UInt8]: TokenID] {
        guard case .object(let object)? = value else { throw problem("`model.vocab` is missing or not an object") }
        var vocabulary: [[UInt8]: TokenID] = [:]
        vocabulary.reserveCapacity(object.count)
        for (token, idValue) in object {
            guard let id = idValue.intValue, id >= 0, id < Int(UInt32.max) else {
                throw problem("`model.vocab[\(token.debugDescription)]` is not a token id (an integer in 0..<2^32-1)")
            }
            vocabulary[Array(token.utf8)] = TokenID(id)
        }
        // Two tokens with one id would make decode(encode(x)) differ from x silently.
        var owners: [TokenID: Int] = [:]
        owners.reserveCapacity(vocabulary.count)
        for id in vocabulary.values { owners[id, default: 0] += 1 }
        if let id = owners.filter({ $0.value > 1 }).keys.min() {
            let tokens = object.filter { $0.value.intValue == Int(id) }.map(\.key).sorted().map(\.debugDescription)
            throw problem("`model.vocab` gives id \(id) to more than one token (\(tokens.joined(separator: ", "))); ids must be unique")
        }
        return vocabulary
    }

    private func parseMerges(_ value: JSONValue?) throws -> [([UInt8], [UInt8])] {
        guard let list = value?.arrayValue else { throw problem("`model.merges` is missing or not an array") }
        var merges: [([UInt8], [UInt8])] = []
        merges.reserveCapacity(list.count)
        for (rank, entry) in list.enumerated() {
            if let line = entry.stringValue {
                // HF splits on every space and requires exactly two parts.
                let parts = Array(line.utf8).split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw problem("`model.merges[\(rank)]` \(line.debugDescription) is not two tokens separated by one space") }
                merges.append((Array(parts[0]), Array(parts[1])))
            } else if let pair = entry.arrayValue, pair.count == 2, let left = pair[0].stringValue, let right = pair[1].stringValue {
                merges.append((Array(left.utf8), Array(right.utf8)))
            } else {
                throw problem("`model.merges[\(rank)]` is neither a \"a b\" string nor a pair of strings")
            }
        }
        return merges
    }

    /// Builds the encoder's and decoder's tables: byte ids, merge table, decode table.
    /// - Throws: `invalidDefinition` for a merge or `unk_token` that is not in the vocabulary.
    func makeModel() throws -> BPEModel {
        var byteIDs = [TokenID](repeating: BPEModel.missing, count: 256)
        for byte in 0..<256 {
            if let id = vocabulary[Array(String(ByteLevel.scalars[byte]).utf8)] { byteIDs[byte] = id }
        }
        var unknownID: TokenID?
        if let unknown = settings.unknownToken {
            guard let id = vocabulary[Array(unknown.utf8)] else { throw problem("`model.unk_token` \(unknown.debugDescription) is not in `model.vocab`") }
            unknownID = id
        }
        var table: [(TokenID, TokenID, TokenID)] = []
        table.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let a = vocabulary[left], let b = vocabulary[right], let merged = vocabulary[left + right] else {
                throw problem("`model.merges[\(rank)]` (\(String(decoding: left, as: UTF8.self)) \(String(decoding: right, as: UTF8.self))) uses a token that is not in `model.vocab`")
            }
            table.append((a, b, merged))
        }
        let (decodeBytes, decodeStart, known) = buildDecodeTable()
        return BPEModel(byteIDs: byteIDs, unknownID: unknownID, fuseUnknown: settings.fuseUnknown,
                         merges: MergeTable(merges: table), ignoreMerges: settings.ignoreMerges,
                         vocabularyByBytes: settings.ignoreMerges ? buildByteVocabulary() : nil,
                         addedTokens: AddedTokenSplitter(tokens: addedTokens),
                         addPrefixSpace: addPrefixSpace, useRegex: useRegex, splits: splits, normalizer: normalizer,
                         decodeBytes: decodeBytes, decodeStart: decodeStart, known: known)
    }

    /// Per id, the bytes HF's ByteLevel decoder gives for its token (an added token's content
    /// takes precedence over a vocabulary entry with the same id, as in HF's `id_to_token`).
    private func buildDecodeTable() -> ([UInt8], [Int], [Bool]) {
        var tokenOf = [[UInt8]?](repeating: nil, count: vocabularySize)
        for (token, id) in vocabulary { tokenOf[Int(id)] = token }
        for token in addedTokens { tokenOf[Int(token.id)] = Array(token.content.utf8) }
        var bytes: [UInt8] = []
        var start: [Int] = [0]
        var known: [Bool] = []
        start.reserveCapacity(vocabularySize + 1)
        for token in tokenOf {
            if let token { bytes += ByteLevel.decodedBytes(ofToken: String(decoding: token, as: UTF8.self)) }
            known.append(token != nil)
            start.append(bytes.count)
        }
        return (bytes, start, known)
    }

    /// Byte strings of the vocabulary tokens written entirely in the byte-level alphabet (the
    /// only ones a pre-token can equal), for `ignore_merges`.
    private func buildByteVocabulary() -> ByteKeyedTable {
        var entries: [([UInt8], TokenID)] = []
        for (token, id) in vocabulary {
            if let bytes = ByteLevel.bytes(ofToken: String(decoding: token, as: UTF8.self)), !bytes.isEmpty { entries.append((bytes, id)) }
        }
        let keyBytes = max(1, entries.reduce(0) { $0 + $1.0.count })
        let longest = max(1, entries.map(\.0.count).max() ?? 1)
        let table = ByteKeyedTable(maxEntries: max(1, entries.count), maxKeyLength: longest,
                                   keyBytes: max(keyBytes, longest), valueCount: max(1, entries.count))
        for (bytes, id) in entries {
            bytes.withUnsafeBufferPointer { key in
                withUnsafePointer(to: id) { value in
                    table.insert(key.baseAddress!, key.count, hash: ByteKeyedTable.hash(key.baseAddress!, key.count),
                                 ids: UnsafeBufferPointer(start: value, count: 1))
                }
            }
        }
        return table
    }
}
