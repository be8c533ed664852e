// TokenizerLoader.swift — turns the `--tokenizer` argument (`bytes`, `residues` or a path to a
// Hugging Face tokenizer.json) into a `Tokenizer` (issue 2; issue 15 item 1): byte-level BPE files
// (a ByteLevel pre-tokenizer, alone or last in a Sequence) take the specialised `BPETokenizer`;
// every other file is run step by step by `PipelineTokenizer`.

import Storage
import Support

public enum TokenizerLoader {
    /// Loads the tokenizer named by `spec`.
    /// - Throws: `TokenizerError.invalidDefinition` naming the file when it is missing, is not
    ///   JSON, or uses a model or step Gradus does not implement.
    public static func load(_ spec: String) throws -> any Tokenizer {
        switch spec {
        case "bytes": return ByteTokenizer()
        case "residues": return ResidueTokenizer()
        default:
            guard fileExists(spec) else {
                throw TokenizerError.invalidDefinition(
                    path: spec,
                    problem: "no such file (use `bytes`, `residues` or the path of a Hugging Face tokenizer.json)")
            }
            let file = try TokenizerFile(path: spec)
            if isByteLevel(file) { return try BPETokenizer(file: file) }
            return try PipelineTokenizer(file: file)
        }
    }

    /// Whether the file is a byte-level BPE: its pre-tokenizer is ByteLevel or a Sequence whose
    /// last member is.
    static func isByteLevel(_ file: TokenizerFile) -> Bool {
        guard let preTokenizer = file.root["pre_tokenizer"] else { return false }
        if file.typeName(preTokenizer) == "ByteLevel" { return true }
        if file.typeName(preTokenizer) == "Sequence", let last = preTokenizer["pretokenizers"]?.arrayValue?.last {
            return file.typeName(last) == "ByteLevel"
        }
        return false
    }
}
