// WordLevelModel.swift — `tokenizers`' `WordLevel` model (`models/wordlevel/mod.rs`): each
// pre-token is one vocabulary entry, else `unk_token`. Small, but a real model type, and the one
// that checks the pipeline's normalizers and pre-tokenizers on their own.

import Support

/// A vocabulary shared by the models: token bytes ↔ id.
struct Vocabulary: Sendable {
    private(set) var ids: [[UInt8]: TokenID] = [:]
    private(set) var tokens: [[UInt8]?] = []

    /// Reads an object `{"token": id, ...}` at `keyPath`.
    /// - Throws: `invalidDefinition` for a non-integer id or two tokens with one id.
    init(_ value: JSONValue?, file: TokenizerFile, at keyPath: String) throws {
        guard case .object(let members)? = value else { throw file.problem("`\(keyPath)` is missing or not an object") }
        ids.reserveCapacity(members.count)
        for (token, idValue) in members {
            guard let id = idValue.intValue, id >= 0, id < Int(UInt32.max) else {
                throw file.problem("`\(keyPath)[\(token.debugDescription)]` is not a token id (an integer in 0..<2^32-1)")
            }
            ids[Array(token.utf8)] = TokenID(id)
        }
        let size = (ids.values.max().map { Int($0) + 1 }) ?? 0
        tokens = Array(repeating: nil, count: size)
        for (token, id) in ids {
            if let other = tokens[Int(id)] {
                let names = [token, other].map { String(decoding: $0, as: UTF8.self).debugDescription }.sorted()
                throw file.problem("`\(keyPath)` gives id \(id) to more than one token (\(names.joined(separator: ", "))); ids must be unique")
            }
            tokens[Int(id)] = token
        }
    }

    func id(of token: [UInt8]) -> TokenID? { ids[token] }
    func token(of id: TokenID) -> [UInt8]? { Int(id) < tokens.count ? tokens[Int(id)] : nil }
    var size: Int { tokens.count }
}

/// `WordLevel`: whole pre-tokens looked up in `vocab`.
struct WordLevelModel: SubwordModel {
    let vocabulary: Vocabulary
    let unknownID: TokenID?
    let unknownToken: String

    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        vocabulary = try Vocabulary(json["vocab"], file: file, at: "\(keyPath).vocab")
        unknownToken = try file.string(json, "unk_token", at: keyPath, default: "<unk>")!
        unknownID = vocabulary.id(of: Array(unknownToken.utf8))
    }

    func id(of token: [UInt8]) -> TokenID? { vocabulary.id(of: token) }
    func token(of id: TokenID) -> [UInt8]? { vocabulary.token(of: id) }
    var vocabularySize: Int { vocabulary.size }
    func makeWorker() -> any SubwordWorker { Worker(model: self) }

    final class Worker: SubwordWorker {
        let model: WordLevelModel
        init(model: WordLevelModel) { self.model = model }

        /// - Throws: `TokenizerError.unknownToken` when the pre-token is not in the vocabulary and
        ///   the vocabulary has no `unk_token` (HF raises too).
        func tokenize(_ piece: [UInt8], into output: inout [TokenID]) throws {
            if let id = model.vocabulary.id(of: piece) { output.append(id) }
            else if let unknown = model.unknownID { output.append(unknown) }
            else { throw TokenizerError.unknownToken(String(decoding: piece, as: UTF8.self), unknownToken: model.unknownToken) }
        }
    }
}
