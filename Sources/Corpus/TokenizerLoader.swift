// TokenizerLoader.swift — turns the `--tokenizer` argument (`bytes`, `residues` or a path to a
// Hugging Face tokenizer.json) into a `Tokenizer` (issue 2, DESIGN.md §3 CLI contract).

import Storage

public enum TokenizerLoader {
    /// Loads the tokenizer named by `spec`.
    /// - Throws: `TokenizerError.invalidDefinition` naming the file when it is missing, is not
    ///   JSON, or is not a byte-level BPE tokenizer.
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
            return try BPETokenizer(contentsOf: spec)
        }
    }
}
