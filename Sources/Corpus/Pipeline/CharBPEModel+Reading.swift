// CharBPEModel+Reading.swift — a tokenizer.json `model` of type `BPE` in a pipeline (issue 15 item
// 1), read as HF's `BPEVisitor` (`models/bpe/serialization.rs`) reads it: `vocab` (token → id),
// `merges` (`"a b"` strings split on every space, or `["a", "b"]` pairs), and the options
// `unk_token`, `fuse_unk`, `byte_fallback`, `ignore_merges`, `continuing_subword_prefix`,
// `end_of_word_suffix` (null = absent). `dropout` other than null/0 is refused: it is random, and an
// index must not depend on chance. Keys HF ignores are ignored.

import Support

extension CharBPEModel {
    /// Reads the `model` object at `keyPath` of `file`.
    /// - Throws: `file.problem(...)` naming the key for a missing or mistyped field, a dropout, or
    ///   a vocabulary/merge inconsistency (see `init(vocabulary:merges:options:at:problem:)`).
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        if let dropout = try file.double(json, "dropout", at: keyPath, default: nil), dropout != 0 {
            throw file.problem("`\(keyPath).dropout` is \(dropout); BPE dropout is random and not supported (set it to null for the ids `tokenizers` gives without dropout)")
        }
        var options = Options()
        options.unknownToken = try file.string(json, "unk_token", at: keyPath, default: nil).map { Array($0.utf8) }
        options.fuseUnknown = try file.bool(json, "fuse_unk", at: keyPath, default: false)
        options.byteFallback = try file.bool(json, "byte_fallback", at: keyPath, default: false)
        options.ignoreMerges = try file.bool(json, "ignore_merges", at: keyPath, default: false)
        options.prefix = Array((try file.string(json, "continuing_subword_prefix", at: keyPath, default: nil) ?? "").utf8)
        options.suffix = Array((try file.string(json, "end_of_word_suffix", at: keyPath, default: nil) ?? "").utf8)
        try self.init(vocabulary: try CharBPEModel.vocabulary(json["vocab"], file: file, at: keyPath),
                      merges: try CharBPEModel.merges(json["merges"], file: file, at: keyPath),
                      options: options, at: keyPath, problem: { file.problem($0) })
    }

    private static func vocabulary(_ value: JSONValue?, file: TokenizerFile, at keyPath: String) throws -> [([UInt8], TokenID)] {
        guard case .object(let members)? = value else { throw file.problem("`\(keyPath).vocab` is missing or not an object") }
        return try members.map { member in
            guard let id = member.value.intValue, id >= 0, id < Int(UInt32.max) else {
                throw file.problem("`\(keyPath).vocab[\(member.key.debugDescription)]` is not a token id (an integer in 0..<2^32-1)")
            }
            return (Array(member.key.utf8), TokenID(id))
        }
    }

    private static func merges(_ value: JSONValue?, file: TokenizerFile, at keyPath: String) throws -> [([UInt8], [UInt8])] {
        guard let list = value?.arrayValue else { throw file.problem("`\(keyPath).merges` is missing or not an array") }
        return try list.enumerated().map { rank, entry in
            if let line = entry.stringValue {
                // HF splits on every space and requires exactly two parts.
                let parts = Array(line.utf8).split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw file.problem("`\(keyPath).merges[\(rank)]` \(line.debugDescription) is not two tokens separated by one space")
                }
                return (Array(parts[0]), Array(parts[1]))
            }
            guard let pair = entry.arrayValue, pair.count == 2, let left = pair[0].stringValue, let right = pair[1].stringValue else {
                throw file.problem("`\(keyPath).merges[\(rank)]` is neither a \"a b\" string nor a pair of strings")
            }
            return (Array(left.utf8), Array(right.utf8))
        }
    }
}
