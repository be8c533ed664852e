// TokenizerFile.swift — reads a Hugging Face `tokenizer.json` into the steps of a
// `PipelineTokenizer` (issue 15 item 1): one `switch` per step kind on the step's `"type"`, each
// case building the one Swift type that implements it. A type Gradus does not implement is
// refused by name, with the key path, so a user learns exactly which part of their file is the
// problem. `Sequence`s are flattened: running [a, [b, c]] is running a, b, c.

import Storage
import Support
import TextSupport

/// A parsed tokenizer.json and the typed readers every step's initializer uses.
struct TokenizerFile {
    /// The file, as given; every problem names it.
    let path: String
    /// The whole document.
    let root: JSONValue
    /// SHA-256 (lower-case hex) of the file's bytes.
    let fingerprint: String

    /// Reads and parses `path`.
    /// - Throws: `FileError` if it cannot be read; `invalidDefinition` if it is not a JSON object.
    init(path: String) throws {
        let bytes = try PosixFile(path: path, mode: .read).readAll()
        self.path = path
        fingerprint = SHA256.hexDigest(bytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw TokenizerError.invalidDefinition(path: path, problem: "not valid JSON: invalid UTF-8")
        }
        do {
            root = try JSONValue.parse(text)
        } catch let error as JSONSyntaxError {
            throw TokenizerError.invalidDefinition(path: path, problem: "not valid JSON: \(error)")
        }
        guard case .object = root else { throw problem("the top level is not a JSON object") }
    }

    /// The error for `text` (which names the key path) in this file.
    func problem(_ text: String) -> TokenizerError { .invalidDefinition(path: path, problem: text) }

    /// The `"type"` of a step object.
    func typeName(_ value: JSONValue?) -> String? { value?["type"]?.stringValue }

    // MARK: typed readers (`default` when the key is absent or null)

    func string(_ object: JSONValue, _ key: String, at keyPath: String, default fallback: String?) throws -> String? {
        guard let value = object[key], value != .null else { return fallback }
        guard let text = value.stringValue else { throw problem("`\(keyPath).\(key)` is not a string") }
        return text
    }

    func bool(_ object: JSONValue, _ key: String, at keyPath: String, default fallback: Bool) throws -> Bool {
        guard let value = object[key], value != .null else { return fallback }
        guard case .bool(let flag) = value else { throw problem("`\(keyPath).\(key)` is not a boolean") }
        return flag
    }

    func int(_ object: JSONValue, _ key: String, at keyPath: String, default fallback: Int?) throws -> Int? {
        guard let value = object[key], value != .null else { return fallback }
        guard let number = value.intValue else { throw problem("`\(keyPath).\(key)` is not an integer") }
        return number
    }

    func double(_ object: JSONValue, _ key: String, at keyPath: String, default fallback: Double?) throws -> Double? {
        guard let value = object[key], value != .null else { return fallback }
        guard let number = value.number else { throw problem("`\(keyPath).\(key)` is not a number") }
        return number
    }

    /// A one-character string (Metaspace's `replacement`, Strip's `content`), as a scalar.
    func character(_ object: JSONValue, _ key: String, at keyPath: String, default fallback: Unicode.Scalar?) throws -> Unicode.Scalar? {
        guard let text = try string(object, key, at: keyPath, default: nil) else { return fallback }
        guard text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first else {
            throw problem("`\(keyPath).\(key)` is \(text.debugDescription), not one character")
        }
        return scalar
    }

    /// A `Replace` step's `pattern`: `{"String": s}` (literal) or `{"Regex": r}` (Oniguruma).
    func replacePattern(_ object: JSONValue, at keyPath: String) throws -> PatternReplacer.Pattern {
        guard let pattern = object["pattern"] else { throw problem("`\(keyPath).pattern` is missing") }
        if let literal = pattern["String"]?.stringValue { return .literal(literal) }
        if let regex = pattern["Regex"]?.stringValue { return .regex(regex) }
        throw problem("`\(keyPath).pattern` is neither {\"String\": ...} nor {\"Regex\": ...}")
    }

    /// `added_tokens`, in file order.
    func addedTokens() throws -> [AddedToken] {
        guard let value = root["added_tokens"], value != .null else { return [] }
        guard let list = value.arrayValue else { throw problem("`added_tokens` is not an array") }
        return try list.enumerated().map { index, entry in
            let key = "added_tokens[\(index)]"
            guard let content = entry["content"]?.stringValue else { throw problem("`\(key)` has no string `content`") }
            guard let id = entry["id"]?.intValue, id >= 0, id < Int(UInt32.max) else { throw problem("`\(key).id` is not a token id") }
            let special = try bool(entry, "special", at: key, default: false)
            return AddedToken(id: TokenID(id), content: content,
                              singleWord: try bool(entry, "single_word", at: key, default: false),
                              lstrip: try bool(entry, "lstrip", at: key, default: false),
                              rstrip: try bool(entry, "rstrip", at: key, default: false),
                              normalized: try bool(entry, "normalized", at: key, default: !special),
                              special: special)
        }
    }

    // MARK: steps

    /// The `normalizer`, flattened; empty when there is none.
    func normalizers() throws -> [any NormalizerStep] {
        try steps(root["normalizer"], at: "normalizer", sequenceKey: "normalizers", make: normalizer)
    }

    /// The `pre_tokenizer`, flattened; empty when there is none (the whole normalized text is one pre-token).
    func preTokenizers() throws -> [any PreTokenizerStep] {
        try steps(root["pre_tokenizer"], at: "pre_tokenizer", sequenceKey: "pretokenizers", make: preTokenizer)
    }

    /// The `decoder`, flattened; nil when there is none (HF then joins the tokens with spaces).
    func decoders() throws -> [any DecoderStep]? {
        guard let value = root["decoder"], value != .null else { return nil }
        return try steps(value, at: "decoder", sequenceKey: "decoders", make: decoder)
    }

    /// The `model`.
    func model() throws -> any SubwordModel {
        guard let json = root["model"], case .object = json else { throw problem("`model` is missing or not an object") }
        switch typeName(json) {
        case "WordLevel": return try WordLevelModel(json, file: self, at: "model")
        case "BPE": return try CharBPEModel(json, file: self, at: "model")
        case "WordPiece": return try WordPieceModel(json, file: self, at: "model")
        case "Unigram": return try UnigramModel(json, file: self, at: "model")
        case let other:
            throw problem("`model.type` is \(other.map { "\"\($0)\"" } ?? "missing"); supported: BPE, WordPiece, Unigram, WordLevel")
        }
    }

    private func normalizer(_ json: JSONValue, at keyPath: String) throws -> any NormalizerStep {
        switch typeName(json) {
        case "NFC": return UnicodeFormNormalizer(.nfc)
        case "NFD": return UnicodeFormNormalizer(.nfd)
        case "NFKC": return UnicodeFormNormalizer(.nfkc)
        case "NFKD": return UnicodeFormNormalizer(.nfkd)
        case "Lowercase": return LowercaseNormalizer()
        case "Strip":
            return StripNormalizer(left: try bool(json, "strip_left", at: keyPath, default: true),
                                   right: try bool(json, "strip_right", at: keyPath, default: true))
        case "StripAccents": return StripAccentsNormalizer()
        case "Replace": return ReplaceNormalizer(try replacer(json, at: keyPath))
        case "BertNormalizer": return try BertNormalizer(json, file: self, at: keyPath)
        case "Prepend":
            guard let prefix = try string(json, "prepend", at: keyPath, default: nil) else { throw problem("`\(keyPath).prepend` is missing") }
            return PrependNormalizer(prefix: Array(prefix.utf8))
        case "Precompiled": return try PrecompiledNormalizer(json, file: self, at: keyPath)
        case "Nmt": return NmtNormalizer()
        case let other:
            throw problem("`\(keyPath)` is \(other.map { "\"\($0)\"" } ?? "untyped"), a normalizer Gradus does not implement; supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Replace, Prepend, BertNormalizer, Precompiled, Nmt")
        }
    }

    private func preTokenizer(_ json: JSONValue, at keyPath: String) throws -> any PreTokenizerStep {
        switch typeName(json) {
        case "WhitespaceSplit": return WhitespaceSplitPreTokenizer()
        case "Whitespace": return WhitespacePreTokenizer()
        case "Metaspace": return try MetaspacePreTokenizer(json, file: self, at: keyPath)
        case "Split": return try SplitPreTokenizer(json, file: self, at: keyPath)
        case "BertPreTokenizer": return BertPreTokenizer()
        case "Punctuation": return try PunctuationPreTokenizer(json, file: self, at: keyPath)
        case "Digits": return try DigitsPreTokenizer(json, file: self, at: keyPath)
        case let other:
            throw problem("`\(keyPath)` is \(other.map { "\"\($0)\"" } ?? "untyped"), a pre-tokenizer Gradus does not implement in this pipeline; supported: Sequence, Whitespace, WhitespaceSplit, Metaspace, Split, BertPreTokenizer, Punctuation, Digits (ByteLevel: only for byte-level BPE files)")
        }
    }

    private func decoder(_ json: JSONValue, at keyPath: String) throws -> any DecoderStep {
        switch typeName(json) {
        case "Metaspace": return try MetaspaceDecoder(json, file: self, at: keyPath)
        case "Replace": return ReplaceDecoder(try replacer(json, at: keyPath))
        case "Strip":
            guard let content = try character(json, "content", at: keyPath, default: nil) else { throw problem("`\(keyPath).content` is missing") }
            return StripDecoder(content: content, start: try int(json, "start", at: keyPath, default: 0) ?? 0,
                                stop: try int(json, "stop", at: keyPath, default: 0) ?? 0)
        case "Fuse": return FuseDecoder()
        case "ByteFallback": return ByteFallbackDecoder()
        case "WordPiece": return try WordPieceDecoder(json, file: self, at: keyPath)
        case let other:
            throw problem("`\(keyPath)` is \(other.map { "\"\($0)\"" } ?? "untyped"), a decoder Gradus does not implement in this pipeline; supported: Sequence, Metaspace, Replace, Strip, Fuse, ByteFallback, WordPiece")
        }
    }

    private func replacer(_ json: JSONValue, at keyPath: String) throws -> PatternReplacer {
        guard let content = try string(json, "content", at: keyPath, default: nil) else { throw problem("`\(keyPath).content` is missing") }
        do {
            return try PatternReplacer(try replacePattern(json, at: keyPath), content: content)
        } catch let error as RegexCompileError {
            throw problem("`\(keyPath).pattern`: \(error)")
        }
    }

    /// One step or a `Sequence` of them (recursively), flattened.
    private func steps<Step>(_ value: JSONValue?, at keyPath: String, sequenceKey: String,
                             make: (JSONValue, String) throws -> Step) throws -> [Step] {
        guard let value, value != .null else { return [] }
        guard case .object = value else { throw problem("`\(keyPath)` is not an object") }
        guard typeName(value) == "Sequence" else { return [try make(value, keyPath)] }
        guard let members = value[sequenceKey]?.arrayValue else { throw problem("`\(keyPath).\(sequenceKey)` is missing or not an array") }
        var flat: [Step] = []
        for (index, member) in members.enumerated() {
            flat += try steps(member, at: "\(keyPath).\(sequenceKey)[\(index)]", sequenceKey: sequenceKey, make: make)
        }
        return flat
    }
}
