// GeneratedIndex.swift — the small generated index the experiment tests train on.

import CorpusIndex
import Corpus
import TestSupport

/// Builds at `path` an index of 20 generated documents, document i holding 70 + i tokens drawn
/// from 20 byte values (`97 + (k · stride + i) mod 20`), vocabulary 258 (the byte tokenizer's).
func buildGeneratedIndex(at path: String, stride: Int) throws {
    let docs: [[TokenID]] = (0..<20).map { (i: Int) -> [TokenID] in
        (0..<(70 + i)).map { (k: Int) -> TokenID in TokenID(97 + (k * stride + i) % 20) }
    }
    var options = IndexBuildOptions(inputs: ["generated"], output: path)
    options.vocabularySize = 258
    _ = try IndexBuilder.build(options, openSource: { _, _ in ArrayRecordSource(tokens: docs) }, onCommit: { _ in })
}
