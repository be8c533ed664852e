// IndexExport.swift — `gradus export DIR --format deepspeed` (issue 3 item 8): a complete index
// written as the files DeepSpeed's curriculum sampler and Megatron's trainer read:
//
//   <out>/<m>/<m>_{sample_to_metric, index_to_sample, index_to_metric,
//                  index_to_sample_percentile_merged}.{bin,idx}   per metric, via DeepSpeedExport
//   <out>/total_vocab_freq/total_vocab_freq_metric_value.{bin,idx}  the `counts` table, V entries
//   <out>/tokens_text_document.{bin,idx}                          sample i = item i = document i
//
// Metric values are the index's exact Float64 values truncated toward zero (Python `int()`, as
// DeepSpeed's metric functions do). Sample ids are the index's ids, so row ids in the metric files
// name items of the token dataset.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Exporting a complete index to DeepSpeed/Megatron files.
public enum IndexExport {
    /// The token dataset's path prefix under the output directory.
    public static let tokensPrefix = "tokens_text_document"
    /// The accumulate metric holding the corpus token counts.
    public static let vocabularyFrequencyMetric = "total_vocab_freq"

    /// What `deepSpeed` wrote.
    public struct Summary: Sendable {
        /// One per metric of the index, in manifest order.
        public var metrics: [DeepSpeedExport.Summary]
        /// Samples written to the token dataset.
        public var samples: Int
        /// `<out>/tokens_text_document`.
        public var tokensPrefix: String
    }

    /// Writes the DeepSpeed/Megatron files of the index at `indexPath` (opened as `options` says)
    /// under `outputDirectory`.
    /// - Throws: `IndexError.notComplete` for a `building` index (from `IndexReader`),
    ///   `IndexError.invalidArgument` for a shard, `IndexedDatasetError.metricValueNotExportable`
    ///   for a NaN or out-of-range value, and I/O errors.
    /// - Complexity: O(samples + tokens); memory 24 bytes per sample for one metric at a time
    ///   (values, truncated values and the sort), tokens streamed.
    public static func deepSpeed(indexPath: String, outputDirectory: String,
                                 options: IndexReadOptions = IndexReadOptions()) throws -> Summary {
        let reader = try IndexReader(path: indexPath, options: options)
        guard reader.manifest.kind != IndexKind.shard else {
            throw IndexError.invalidArgument("\(indexPath) is a shard; merge the shards with `gradus merge` first, then export")
        }
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        var summaries: [DeepSpeedExport.Summary] = []
        for metric in reader.metricNames {
            let exact = try IndexFinisher.readValues(metric, store: reader.store, count: reader.sampleCount)
            let values = try DeepSpeedExport.truncatedForExport(metric: metric, values: exact)
            summaries.append(try DeepSpeedExport.writeSingleValueMetric(name: metric, values: values,
                                                                        outputDirectory: outputDirectory))
        }
        let counts = try reader.tokenCounts().enumerated().map { k, c in
            guard let v = Int64(exactly: c) else { throw IndexError.corrupt("token \(k) has count \(c) above Int64.max") }
            return v
        }
        try DeepSpeedExport.writeAccumulatedMetric(name: vocabularyFrequencyMetric, values: counts,
                                                   outputDirectory: outputDirectory)
        let prefix = outputDirectory + "/" + tokensPrefix
        try writeTokens(reader, prefix: prefix)
        return Summary(metrics: summaries, samples: reader.sampleCount, tokensPrefix: prefix)
    }

    /// Writes only the Megatron token dataset `<outputDirectory>/tokens_text_document.bin/.idx` of
    /// the index at `indexPath`: a hard link to the index's own token files when they hold every
    /// sample in order (nothing is copied), else a copy. Returns its prefix and the samples.
    public static func megatron(indexPath: String, outputDirectory: String,
                                options: IndexReadOptions = IndexReadOptions()) throws -> (prefix: String, samples: Int, linked: Bool) {
        let reader = try IndexReader(path: indexPath, options: options)
        guard reader.manifest.kind != IndexKind.shard else {
            throw IndexError.invalidArgument("\(indexPath) is a shard; merge the shards with `gradus merge` first, then export")
        }
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let prefix = outputDirectory + "/" + tokensPrefix
        let linked = try writeTokens(reader, prefix: prefix)
        return (prefix, reader.sampleCount, linked)
    }

    /// Every sample as one item and one document of a Megatron token dataset, in id order: a hard
    /// link to the index's own `tokens.bin/.idx` when they hold every sample in order (a copy
    /// when the output is on another filesystem), else written item by item.
    /// - Returns: whether the files were linked (or copied whole) rather than written sample by sample.
    @discardableResult
    private static func writeTokens(_ reader: IndexReader, prefix: String) throws -> Bool {
        let info = reader.tokens.info
        if info.segments.count == 1, let s = info.segments.first, s.file == 0, s.firstItem == 0,
           info.files[0].owned, let own = try? IndexedDatasetReader(prefix: reader.store.path + "/" + info.files[0].prefix, codeTable: .megatron),
           own.count == reader.sampleCount {
            for ext in [".bin", ".idx"] {
                let source = reader.store.path + "/" + info.files[0].prefix + ext
                try? FileManager.default.removeItem(atPath: prefix + ext)
                if link(source, prefix + ext) != 0 {
                    try FileManager.default.copyItem(atPath: source, toPath: prefix + ext)
                }
            }
            return true
        }
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: reader.manifest.tokenizer.vocabularySize)
        let chunk = 4096
        for start in stride(from: 0, to: reader.sampleCount, by: chunk) {
            try reader.forEach(in: start..<min(reader.sampleCount, start + chunk), tokens: true) { _, tokens, _, _ in
                try writer.addDocument(tokens)
            }
        }
        try writer.finalize()
        return false
    }
}
