// BatchReader.swift — the reading side of pass 1: pulls records of one input in order and tokenizes text records over `threads` encoders (one per worker,
// no per-token allocation), producing `RecordBatch`es in corpus order (for a Megatron input the index references: lengths and
// token counts only, counted in the mapped file).

import Corpus
import Support

final class BatchReader {
    let source: any RecordSource
    private let input: Int
    private let batchRecords: Int
    private let batchTokens: Int
    private let skipBad: Bool
    private let tokenizerName: String
    private let encoders: [any TokenEncoder]
    private var record = SourceRecord()
    /// Tokens of skipped records (resume) are read into this and dropped.
    private var discarded: [TokenID] = []
    private var consumed = 0
    private var texts: [String] = []

    /// What is added to the source's record ordinals and byte offsets (a piece counts from its start).
    private let base: DocRecordBase

    /// When set, the vocabulary size of a referenced Megatron input's index: batches carry its
    /// documents' lengths and token counts only (`RecordBatch.inPlace`), not their tokens.
    private let inPlaceVocabulary: Int?
    private let megatron: MegatronRecordSource?

    /// - Parameter inPlaceVocabulary: read `source` (a `MegatronRecordSource`) into `inPlace`
    ///   batches, checking ids against this vocabulary size; nil: batches hold the tokens.
    init(source: any RecordSource, input: Int, options: IndexBuildOptions, tokenizer: (any Tokenizer)?,
         base: DocRecordBase = DocRecordBase(), inPlaceVocabulary: Int? = nil) {
        megatron = inPlaceVocabulary == nil ? nil : source as? MegatronRecordSource
        self.inPlaceVocabulary = megatron == nil ? nil : inPlaceVocabulary
        self.source = source
        self.base = base
        self.input = input
        batchRecords = max(1, options.batchRecords)
        batchTokens = max(1, options.batchTokens)
        skipBad = options.skipBad
        tokenizerName = tokenizer?.name ?? "pretokenized"
        encoders = source.isPretokenized ? [] : (0..<max(1, options.threads)).compactMap { _ in tokenizer?.makeEncoder() }
    }

    /// Skips the first `count` records (resume): they are read again, but not tokenized.
    func skip(_ count: Int) throws {
        while consumed < count {
            discarded.removeAll(keepingCapacity: true)
            guard try source.next(into: &record, appendingTokensTo: &discarded) else {
                throw IndexError.cannotResume(path: "input \(input)", reason: "the input has fewer records than when the index was started; was it changed?")
            }
            consumed += 1
        }
    }

    /// Reads the next batch into `batch` (cleared first, keeping its buffers); `endOfInput` is set
    /// on the last one (which may be empty).
    func read(into batch: inout RecordBatch) throws {
        if let megatron, let vocabulary = inPlaceVocabulary { return try readInPlace(megatron, vocabulary: vocabulary, into: &batch) }
        batch.clear()
        batch.ends.reserveCapacity(batchRecords)
        texts.removeAll(keepingCapacity: true)
        var budget = 0
        while batch.docs.count < batchRecords && budget < batchTokens {
            let start = batch.tokens.count
            guard try source.next(into: &record, appendingTokensTo: &batch.tokens) else { batch.endOfInput = true; break }
            consumed += 1
            batch.docs.append(DocRecord(input: input, record: base.record + record.ordinal, byteOffset: base.byteOffset + record.byteOffset,
                                        docID: record.docID, lang: record.lang, source: record.source,
                                        groups: record.groups.isEmpty ? nil : record.groups))
            if source.isPretokenized {
                batch.ends.append(batch.tokens.count)
                budget += batch.tokens.count - start
            } else {
                texts.append(record.text)
                budget += record.text.utf8.count
            }
        }
        batch.recordsConsumed = consumed
        if let tracker = source.tracker { (batch.inputBytes, batch.inputDigest) = (tracker.bytesRead, tracker.digest) }
        if !source.isPretokenized { try tokenize(&batch) }
    }

    /// `read(into:)` for an input the index references: per document its length (`ends`) and its
    /// ids counted into `batch.counts` (`precounted`), with no tokens copied.
    /// - Throws: `IndexError.badInput` naming the record for an id outside the vocabulary (the
    ///   batch is then not written, as when the writer finds it).
    private func readInPlace(_ source: MegatronRecordSource, vocabulary: Int, into batch: inout RecordBatch) throws {
        batch.clear()
        batch.inPlace = true
        batch.ends.reserveCapacity(batchRecords)
        // Every uint16 id has a counter, so the counting loop needs no bounds check; the counts
        // past the vocabulary stay zero (an id there is an error) and are not handed on.
        let size = max(vocabulary, 1 << 16)
        if batch.counts.count != size { batch.counts = [UInt32](repeating: 0, count: size) } else {
            batch.counts.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        var total = 0
        // The counts are moved out of the batch for the loop, so their buffer is taken once, not per document.
        var counts: [UInt32] = []
        swap(&counts, &batch.counts)
        defer { swap(&counts, &batch.counts) }
        try counts.withUnsafeMutableBufferPointer { counts in
            while batch.docs.count < batchRecords && total < batchTokens {
                guard let (length, outside) = try source.next(into: &record, countingInto: counts, limit: vocabulary) else {
                    batch.endOfInput = true
                    break
                }
                consumed += 1
                let doc = DocRecord(input: input, record: base.record + record.ordinal, byteOffset: base.byteOffset + record.byteOffset,
                                    docID: nil, lang: nil, source: nil, groups: nil)
                if let outside { throw SampleWriter.outsideVocabulary(outside, doc: doc, vocabularySize: vocabulary) }
                batch.docs.append(doc)
                total += length
                batch.ends.append(total)
            }
        }
        batch.precounted = true
        batch.recordsConsumed = consumed
    }

    /// Tokenizes `texts` into `batch` (worker w takes a contiguous slice), dropping documents the
    /// tokenizer rejects under `--skip-bad`; otherwise the first rejection throws.
    private func tokenize(_ batch: inout RecordBatch) throws {
        let slices = splitRange(texts.count, parts: min(encoders.count, max(1, texts.count)))
        var outputs = [[TokenID]](repeating: [], count: slices.count)
        var ends = [[Int]](repeating: [], count: slices.count)
        var failures = [(Int, Error)?](repeating: nil, count: slices.count)
        let texts = self.texts, encoders = self.encoders
        outputs.withUnsafeMutableBufferPointer { outBuffer in
            ends.withUnsafeMutableBufferPointer { endBuffer in
                failures.withUnsafeMutableBufferPointer { failBuffer in
                    // Each worker writes only slot w of the three buffers.
                    let slots = UncheckedSendable((outBuffer, endBuffer, failBuffer))
                    parallelFor(slices.count) { w in
                        var ids: [TokenID] = []
                        var slotEnds: [Int] = []
                        slotEnds.reserveCapacity(slices[w].count)
                        for i in slices[w] {
                            var text = texts[i]
                            do {
                                try text.withUTF8 { try encoders[w].encode($0, into: &ids) }
                                slotEnds.append(ids.count)
                            } catch {
                                if slots.value.2[w] == nil { slots.value.2[w] = (i, error) }
                                slotEnds.append(-1 - ids.count)  // marks a rejected document
                            }
                        }
                        slots.value.0[w] = ids
                        slots.value.1[w] = slotEnds
                    }
                }
            }
        }
        if !skipBad, let (i, error) = failures.compactMap({ $0 }).first {
            throw IndexError.badInput(path: "input \(input)", problem: "record \(batch.docs[i].record): \(tokenizerName) tokenizer: \(error)")
        }
        var kept: [DocRecord] = []
        kept.reserveCapacity(batch.docs.count)
        for w in slices.indices {
            var start = 0
            for (k, end) in ends[w].enumerated() {
                let doc = batch.docs[slices[w].lowerBound + k]
                if end < 0 { batch.tokenizerSkipped += 1; start = -1 - end; continue }
                batch.tokens.append(contentsOf: outputs[w][start..<end])
                batch.ends.append(batch.tokens.count)
                kept.append(doc)
                start = end
            }
        }
        batch.docs = kept
    }
}
