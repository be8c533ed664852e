// MetricSampleValues.swift — matching the values of a `gradus metric add --from` file to the
// samples of an index (issue 15 item 4): per-sample values as they are; per-document values one to
// one on an unpacked index (by position, or by the document id the `docs` table records, as
// `file:` metrics join them), and as token-weighted means on a packed one (`PackedDocumentMean`).

import Foundation
import Storage

/// The per-sample values of an added metric and the definition the manifest records for it.
struct MetricSampleValues {
    let values: [Double]
    let definition: String

    /// Reads `path` and matches it to the samples of the index in `store`.
    /// - Throws: `IndexError.badInput` naming `path` and the problem: a count that is not the
    ///   index's sample (or document) count, a sample without a value, an id that is no document
    ///   of the index, per-document JSONL on a packed index or on samples without document ids,
    ///   and what `MetricValueFile.read` and `PackedDocumentMean` throw.
    init(path: String, per: MetricGranularity, store: IndexStore, manifest: IndexManifest) throws {
        let n = manifest.counts.samples
        let documents = manifest.counts.documents
        func bad(_ problem: String) -> IndexError { .badInput(path: path, problem: problem) }
        let file = try MetricValueFile.read(path: path, per: per, samples: n)
        switch (per, file) {
        case (.sample, .positions(let v)):
            guard v.count == n else { throw bad("the array has \(v.count) values, the index \(store.path) has \(n) samples") }
            (values, definition) = (v, "external per-sample score in sample order from \(path)")
        case (.document, .positions(let v)):
            guard v.count == documents else {
                throw bad("the array has \(v.count) values, the index \(store.path) has \(documents) documents")
            }
            if manifest.pack == nil {
                guard documents == n else {
                    throw IndexError.corrupt("\(store.path): an unpacked index with \(documents) documents but \(n) samples")
                }
                (values, definition) = (v, "external per-document score in document order from \(path)")
            } else {
                values = try PackedDocumentMean.sampleValues(documentValues: v, store: store, manifest: manifest, valuesPath: path)
                definition = "token-weighted mean of the overlapping documents' external scores (document order) from \(path)"
            }
        case (.document, .documentIDs(let byID)):
            guard manifest.pack == nil else {
                throw bad("a packed index does not record the id of every document (only of each sample's first), so JSONL "
                    + "document ids cannot be matched: give the per-document values as a .npy array in document order")
            }
            values = try Self.joined(byID, path: path, store: store, samples: n)
            // The definition a `file:NAME=PATH` metric records: the same values, the same entry.
            definition = "external per-document score joined by document id from \(path)"
        case (.sample, .documentIDs):
            preconditionFailure("per-sample JSONL is read by sample index")
        }
    }

    /// The value of each sample's document, joined on the document id of its `docs` record.
    private static func joined(_ byID: [String: (value: Double, line: Int)], path: String, store: IndexStore,
                               samples n: Int) throws -> [Double] {
        var out = [Double](repeating: 0, count: n)
        var used = Set<String>()
        let docsDB = try store.database(IndexFormat.docsDB)
        try store.env.read { txn in
            var i = 0
            try txn.forEach(in: docsDB) { _, raw in
                guard i < n else { throw IndexError.corrupt("\(store.path): docs holds more than \(n) entries") }
                guard let id = try DocRecord.decode(raw).docID else {
                    throw IndexError.badInput(path: path, problem: "sample \(i) of \(store.path) has no document id (its input has no "
                        + "\"id\" field), so JSONL ids cannot be matched: give the values as a .npy array, or --per sample")
                }
                guard let entry = byID[id] else {
                    throw IndexError.badInput(path: path, problem: "no value for document id \(id) (sample \(i) of \(store.path)); "
                        + "every document of the index needs exactly one line")
                }
                out[i] = entry.value
                used.insert(id)
                i += 1
                return true
            }
            guard i == n else { throw IndexError.corrupt("\(store.path): docs holds \(i) entries for \(n) samples") }
        }
        if used.count < byID.count, let extra = byID.filter({ !used.contains($0.key) }).min(by: { $0.value.line < $1.value.line }) {
            throw IndexError.badInput(path: path, problem: "line \(extra.value.line): document id \(extra.key) is not a document of "
                + "\(store.path) (skipped when indexing?); remove the line")
        }
        return out
    }
}
