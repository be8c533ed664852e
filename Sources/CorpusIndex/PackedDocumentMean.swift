// PackedDocumentMean.swift — per-document values on a packed index (issue 15 item 4): a sample's
// value is the token-weighted mean of the values of the documents its L+1 tokens come from. In the
// packed stream every document is followed by the end-of-document id, which belongs to it; so
// walking a sample's tokens, a token belongs to the current document, and an end-of-document id
// closes it (the next token starts the next document). The token shared by consecutive samples
// counts in both. Document boundaries found this way are checked against the `docs` table (the
// document holding each sample's first token).

import Corpus
import Foundation
import Storage

/// Per-document values → per-sample values of a packed index.
enum PackedDocumentMean {
    /// The value of every sample of the packed index in `store`: Σ_d n_d·v_d / Σ_d n_d over the
    /// documents d overlapping the sample in document order, n_d = the sample's tokens of d
    /// (its end-of-document id included), summed in Float64 in that order.
    /// - Parameters:
    ///   - documentValues: one value per document of the index, in document order
    ///     (`manifest.counts.documents`; documents in the dropped tail are not used).
    ///   - valuesPath: the values file, for messages.
    /// - Throws: `IndexError.badInput` when the end-of-document ids in the samples disagree with
    ///   the `docs` table (a document that contains the end-of-document id itself) or count more
    ///   documents than the index has; `IndexError.corrupt` for a sample that is not L+1 tokens.
    static func sampleValues(documentValues: [Double], store: IndexStore, manifest: IndexManifest,
                             valuesPath: String) throws -> [Double] {
        guard let length = manifest.pack, let eod = manifest.tokenizer.endOfDocumentID else {
            throw IndexError.invalidArgument("\(store.path) is not packed: per-document values are per-sample values there")
        }
        let n = manifest.counts.samples
        let tokenStore = try TokenStore(indexPath: store.path, manifest: manifest)
        let docsDB = try store.database(IndexFormat.docsDB)
        func disagree(_ sample: Int) -> IndexError {
            .badInput(path: valuesPath, problem: "per-document values cannot be assigned to the samples of \(store.path): "
                + "at sample \(sample) the end-of-document ids (\(eod)) in the tokens disagree with the documents the docs table "
                + "records (a document contains the end-of-document id itself); give the values --per sample instead")
        }
        var out = [Double](repeating: 0, count: n)
        var tokens: [TokenID] = []
        var docAtStart = 0  // the document holding the current sample's first token
        var previous: (doc: Int, record: DocRecord)?
        try store.env.read { txn in
            for i in 0..<n {
                tokens.removeAll(keepingCapacity: true)
                try tokenStore.appendTokens(of: i, to: &tokens)
                guard tokens.count == length + 1 else {
                    throw IndexError.corrupt("\(store.path): packed sample \(i) has \(tokens.count) tokens, not \(length + 1)")
                }
                guard let rawRecord = try txn.get(key: IndexFormat.idKey(i), in: docsDB) else {
                    throw IndexError.corrupt("\(store.path): docs has no entry for sample \(i)")
                }
                let record = try rawRecord.withUnsafeBytes { try DocRecord.decode($0) }
                if let previous {
                    // Same document ⇔ same record; within an input, the ordinal advances at least as
                    // far as the document count (records may be skipped, never split).
                    let docs = docAtStart - previous.doc
                    let sameRecord = record == previous.record
                    if sameRecord != (docs == 0) { throw disagree(i) }
                    if record.input == previous.record.input && docs > record.record - previous.record.record { throw disagree(i) }
                }
                previous = (docAtStart, record)
                var d = docAtStart, run = 0, sum = 0.0
                for (j, t) in tokens.enumerated() {
                    if j == tokens.count - 1 { docAtStart = d }  // the shared token starts the next sample
                    run += 1
                    if t == eod || j == tokens.count - 1 {
                        guard d < documentValues.count else { throw disagree(i) }
                        sum += Double(run) * documentValues[d]
                        run = 0
                        if t == eod { d += 1 }
                    }
                }
                out[i] = sum / Double(tokens.count)
            }
        }
        return out
    }
}
