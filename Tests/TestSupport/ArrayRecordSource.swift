// ArrayRecordSource.swift — index-build inputs held in memory, for the tests that build small
// indexes without files (text records to tokenize, or pre-tokenized documents).

import Corpus
import CorpusIndex

/// Records held in memory.
package final class ArrayRecordSource: RecordSource {
    private let records: [SourceRecord]
    private let tokens: [[TokenID]]
    private var position = 0
    package let isPretokenized: Bool
    package let formatName: String
    package var bytesRead: Int { position }
    package var size: Int? { records.count }
    package var skipped: [String: Int] = [:]

    /// `texts` become text records with ordinals 0, 1, ...
    package init(texts: [String], ids: [String?]? = nil) {
        records = texts.enumerated().map { i, t in
            var r = SourceRecord(); r.ordinal = i; r.text = t; r.docID = ids?[i]; return r
        }
        tokens = []
        isPretokenized = false
        formatName = "memory"
    }

    /// `documents` become pre-tokenized records with ordinals 0, 1, ...
    package init(tokens documents: [[TokenID]]) {
        records = documents.indices.map { i in var r = SourceRecord(); r.ordinal = i; return r }
        tokens = documents
        isPretokenized = true
        formatName = "memory-tokens"
    }

    package func next(into record: inout SourceRecord, appendingTokensTo tokens: inout [TokenID]) throws -> Bool {
        guard position < records.count else { return false }
        let r = records[position]
        record.ordinal = r.ordinal; record.byteOffset = r.byteOffset
        record.docID = r.docID; record.lang = r.lang; record.source = r.source
        record.text = r.text
        if isPretokenized { tokens.append(contentsOf: self.tokens[position]) }
        position += 1
        return true
    }
}
