// CorpusScan.swift — reads corpus files, tokenizes every document and counts (issue 2 item 6:
// the main job at this stage, `gradus scan`). Reading is sequential per file; tokenization of
// each batch of documents is spread over worker threads, each with its own encoder.

import Support

/// Counts for one input file (or, merged, for several).
public struct ScanStats: Sendable, Codable, Equatable {
    public var path: String
    public var format: String
    public var compression: String
    public var documents = 0
    /// UTF-8 bytes of document text (after decompression and JSON unescaping).
    public var textBytes = 0
    public var tokens = 0
    public var minTokens = Int.max
    public var maxTokens = 0
    /// Documents per `lang` (JSONL inputs that carry it).
    public var languages: [String: Int] = [:]
    /// Records skipped under `--skip-bad`, by reason.
    public var skipped: [String: Int] = [:]

    public init(path: String, format: String, compression: String) {
        self.path = path; self.format = format; self.compression = compression
    }

    public var skippedTotal: Int { skipped.values.reduce(0, +) }

    /// Adds `other`'s counts (used to total several files).
    public mutating func absorb(_ other: ScanStats) {
        documents += other.documents
        textBytes += other.textBytes
        tokens += other.tokens
        minTokens = min(minTokens, other.minTokens)
        maxTokens = max(maxTokens, other.maxTokens)
        languages.merge(other.languages, uniquingKeysWith: +)
        skipped.merge(other.skipped, uniquingKeysWith: +)
    }
}

/// Progress of a scan, reported after every batch.
public struct ScanProgress: Sendable {
    public var path: String
    public var documents: Int
    /// Bytes of the input file consumed so far (compressed bytes for zstd inputs).
    public var inputBytesRead: Int
    public var inputSize: Int?
}

public enum CorpusScan {
    /// Documents tokenized together; large enough to keep workers busy, small enough to bound memory.
    static let batchSize = 2048

    /// Scans `path`, returning its counts.
    /// - Throws: the reader's `CorpusError` for a bad record (without `skipBad`), a tokenizer
    ///   error naming the file and line, or an I/O / zstd error.
    public static func scan(path: String, tokenizer: any Tokenizer, options: ReaderOptions,
                            threads: Int, progress: (ScanProgress) -> Void = { _ in }) throws -> ScanStats {
        let reader = try CorpusReader(path: path, options: options)
        var stats = ScanStats(path: path, format: reader.format.rawValue, compression: reader.compression.rawValue)
        let encoders = (0..<threads).map { _ in tokenizer.makeEncoder() }
        var batch: [Document] = []
        batch.reserveCapacity(batchSize)
        while true {
            batch.removeAll(keepingCapacity: true)
            while batch.count < batchSize, let doc = try reader.next() { batch.append(doc) }
            if batch.isEmpty { break }
            let counts = try tokenize(batch, encoders: encoders, path: path, tokenizerName: tokenizer.name,
                                      skipBad: options.skipBad)
            for (doc, n) in zip(batch, counts) {
                guard let n else {
                    stats.skipped[SkipReason.untokenizable.rawValue, default: 0] += 1
                    continue
                }
                stats.documents += 1
                stats.textBytes += doc.text.utf8.count
                stats.tokens += n
                stats.minTokens = min(stats.minTokens, n)
                stats.maxTokens = max(stats.maxTokens, n)
                if let lang = doc.lang { stats.languages[lang, default: 0] += 1 }
            }
            progress(ScanProgress(path: path, documents: stats.documents,
                                  inputBytesRead: reader.compressedBytesRead, inputSize: reader.inputSize))
        }
        for (reason, n) in reader.skipped.counts { stats.skipped[reason.rawValue, default: 0] += n }
        return stats
    }

    /// Token counts for each document of `batch`; `nil` marks a document the tokenizer rejected
    /// when skipping is on (otherwise the first rejection throws).
    private static func tokenize(_ batch: [Document], encoders: [any TokenEncoder], path: String,
                                 tokenizerName: String, skipBad: Bool) throws -> [Int?] {
        let workers = encoders.count
        let slices = splitRange(batch.count, parts: workers)
        var counts = [Int?](repeating: nil, count: batch.count)
        var failures = [CorpusError?](repeating: nil, count: workers)
        counts.withUnsafeMutableBufferPointer { countsBuffer in
            failures.withUnsafeMutableBufferPointer { failureBuffer in
                let out = UncheckedSendable(countsBuffer), fail = UncheckedSendable(failureBuffer)
                parallelFor(workers) { w in
                    var ids: [TokenID] = []
                    ids.reserveCapacity(1 << 14)
                    for i in slices[w] {
                        ids.removeAll(keepingCapacity: true)
                        var text = batch[i].text
                        do {
                            try text.withUTF8 { try encoders[w].encode($0, into: &ids) }
                            out.value[i] = ids.count
                        } catch {
                            if fail.value[w] == nil {
                                fail.value[w] = CorpusError(path: path, line: batch[i].line, record: batch[i].record,
                                                            reason: .untokenizable,
                                                            problem: "\(tokenizerName) tokenizer: \(error)")
                            }
                        }
                    }
                }
            }
        }
        // Slices are in document order, so the first worker's failure is the earliest one.
        if !skipBad, let first = failures.compactMap({ $0 }).first { throw first }
        return counts
    }
}
