// DeepSpeedExport.swift — writes a metric's difficulty index as the final file set of DeepSpeed's
// DataAnalyzer (spec §4.3, §4.4), readable by DeepSpeed's `DeepSpeedDataSampler` (§6):
//
//   <out>/<m>/<m>_sample_to_metric                  N items [v_i], dtype fit(min v, max v)
//   <out>/<m>/<m>_index_to_metric                   K items [v_k] ascending, same dtype
//   <out>/<m>/<m>_index_to_sample                   K items: the ids with value v_k, ascending, fit(0, N−1)
//   <out>/<m>/<m>_index_to_sample_percentile_merged ⌈K/ms⌉ items, ms = max(1, ⌊K/100⌋), fit(0, N−1)
//   <out>/<m>/<m>_metric_value                      (accumulate metrics) 1 item, fit(min, max)
//
// doc_idx convention. DeepSpeed's bytes depend on how the analyzer was run: DataAnalyzer merges one
// chunk file per reduce thread through its helper, so with R reduce threads the merged files carry
// R + 1 entries plus a duplicated tail ([0, 2, 5, 5] in the §4.5 example with R = 2), while
// DistributedDataAnalyzer writes [0, K] with no tail. Gradus writes exactly what DataAnalyzer writes
// with its default `num_threads_reduce = 1`:
//   sample_to_metric [0, N, N], index_to_metric and index_to_sample [0, K, K],
//   percentile_merged [0, ⌈K/ms⌉], metric_value [0, 1].
// Why: those are DeepSpeed's default settings, so a byte-for-byte `cmp` against a reference run
// with defaults succeeds; the output does not depend on a thread count Gradus does not have; and
// DeepSpeed's sampler reads only sizes, pointers and items (`len(ds)`, `ds[i]`), never doc_idx, so
// every convention reads identically there.
//
// Values are Int64. Gradus keeps exact Float64 metrics internally; `truncatedForExport` converts
// them like Python's `int()` / torch `.to(torch.long)` (toward zero), as DeepSpeed's metric
// functions do before the analyzer sees them.

/// Writing DeepSpeed DataAnalyzer index files for one metric.
public enum DeepSpeedExport {
    /// One file of a metric's file set (the suffix after `<m>_`).
    public enum File: String, CaseIterable, Sendable {
        case sampleToMetric = "sample_to_metric"
        case indexToMetric = "index_to_metric"
        case indexToSample = "index_to_sample"
        case indexToSamplePercentileMerged = "index_to_sample_percentile_merged"
        case metricValue = "metric_value"
    }

    /// What `writeSingleValueMetric` wrote.
    public struct Summary: Equatable, Sendable {
        /// The metric name `m`.
        public var metric: String
        /// `<out>/<m>`.
        public var directory: String
        /// N.
        public var sampleCount: Int
        /// K, the number of distinct values.
        public var distinctValueCount: Int
        /// max(1, ⌊K/100⌋).
        public var mergeStep: Int
        /// ⌈K / mergeStep⌉, the items of the percentile-merged file.
        public var mergedItemCount: Int
        /// fit(min v, max v): sample_to_metric and index_to_metric.
        public var valueDType: IndexedDatasetDType
        /// fit(0, N − 1): index_to_sample and the percentile-merged file.
        public var sampleDType: IndexedDatasetDType
    }

    /// The path prefix (no extension) of `file` for metric `metric` under `outputDirectory`.
    public static func prefix(_ file: File, metric: String, outputDirectory: String) -> String {
        "\(outputDirectory)/\(metric)/\(metric)_\(file.rawValue)"
    }

    /// DataAnalyzer's merge step for the percentile-merged file: max(1, ⌊K/100⌋).
    public static func mergeStep(distinctValueCount k: Int) -> Int { max(1, k / 100) }

    /// Python `int(x)` of a finite double (truncation toward zero), or nil for NaN, ±inf or a value
    /// outside Int64 (where Python raises or numpy's int64 conversion would fail).
    public static func truncatedForExport(_ x: Double) -> Int64? {
        guard x.isFinite else { return nil }
        let t = x.rounded(.towardZero)
        guard t >= -9_223_372_036_854_775_808.0, t < 9_223_372_036_854_775_808.0 else { return nil }
        return Int64(t)
    }

    /// Truncates every value with `truncatedForExport`.
    /// - Throws: `metricValueNotExportable` naming the first bad sample.
    /// - Complexity: O(N); allocates 8·N bytes.
    public static func truncatedForExport(metric: String, values: [Double]) throws -> [Int64] {
        var out = [Int64]()
        out.reserveCapacity(values.count)
        for (i, x) in values.enumerated() {
            guard let v = truncatedForExport(x) else {
                throw IndexedDatasetError.metricValueNotExportable(metric: metric, sample: i, value: x)
            }
            out.append(v)
        }
        return out
    }

    /// Writes `<m>_sample_to_metric`, `<m>_index_to_metric`, `<m>_index_to_sample` and
    /// `<m>_index_to_sample_percentile_merged` (`.bin/.idx`) under `<outputDirectory>/<m>/`, with the
    /// doc_idx convention in the file header (DataAnalyzer, `num_threads_reduce = 1`).
    /// - Parameter values: values[i] is the metric of sample i, for i in 0..<N.
    /// - Throws: `noSamples` for N = 0, `tooManySamples` above 2^32, or any I/O error.
    /// - Complexity: O(N · p) time with p ≤ 8 radix passes; memory 8·N bytes (sorted ids and
    ///   scratch, UInt32 each) besides `values`; the files are streamed.
    public static func writeSingleValueMetric(name: String, values: UnsafeBufferPointer<Int64>,
                                              outputDirectory: String) throws -> Summary {
        let n = values.count
        guard n > 0 else { throw IndexedDatasetError.noSamples(metric: name) }
        guard UInt64(n) <= UInt64(UInt32.max) + 1 else { throw IndexedDatasetError.tooManySamples(metric: name, count: n) }
        try makeDirectories("\(outputDirectory)/\(name)")
        let valueDType = fitIntDType(min: values.min()!, max: values.max()!)
        let sampleDType = fitIntDType(min: 0, max: Int64(n - 1))
        try writeSampleToMetric(values, dtype: valueDType,
                                prefix: prefix(.sampleToMetric, metric: name, outputDirectory: outputDirectory))
        let order = sampleIDsSortedByValue(values)
        let k = distinctValueCount(values, sortedIDs: order)
        let step = mergeStep(distinctValueCount: k)
        let files = RowFiles(
            metric: try IndexedDatasetBuilder(prefix: prefix(.indexToMetric, metric: name, outputDirectory: outputDirectory),
                                              dtype: valueDType),
            samples: try IndexedDatasetBuilder(prefix: prefix(.indexToSample, metric: name, outputDirectory: outputDirectory),
                                               dtype: sampleDType),
            merged: try IndexedDatasetBuilder(
                prefix: prefix(.indexToSamplePercentileMerged, metric: name, outputDirectory: outputDirectory),
                dtype: sampleDType))
        try writeRows(values, sortedIDs: order, distinctValueCount: k, mergeStep: step, into: files)
        return Summary(metric: name, directory: "\(outputDirectory)/\(name)", sampleCount: n, distinctValueCount: k,
                       mergeStep: step, mergedItemCount: (k + step - 1) / step,
                       valueDType: valueDType, sampleDType: sampleDType)
    }

    /// Array convenience for `writeSingleValueMetric(name:values:outputDirectory:)`.
    public static func writeSingleValueMetric(name: String, values: [Int64],
                                              outputDirectory: String) throws -> Summary {
        try values.withUnsafeBufferPointer {
            try writeSingleValueMetric(name: name, values: $0, outputDirectory: outputDirectory)
        }
    }

    /// Writes an accumulate metric (e.g. the `total_vocab_freq` histogram) as
    /// `<outputDirectory>/<m>/<m>_metric_value`: one item holding `values`, dtype fit(min, max),
    /// doc_idx [0, 1]. For byte parity with Megatron's `total_vocab_freq`, pass a histogram of
    /// length max(V + 1, max id + 1) (spec §5.2).
    /// - Returns: the dtype written.
    /// - Throws: `noSamples` for an empty array (DeepSpeed writes nothing then), or any I/O error.
    /// - Complexity: O(values.count).
    @discardableResult
    public static func writeAccumulatedMetric(name: String, values: [Int64],
                                              outputDirectory: String) throws -> IndexedDatasetDType {
        guard let low = values.min(), let high = values.max() else { throw IndexedDatasetError.noSamples(metric: name) }
        try makeDirectories("\(outputDirectory)/\(name)")
        let dtype = fitIntDType(min: low, max: high)
        let builder = try IndexedDatasetBuilder(prefix: prefix(.metricValue, metric: name, outputDirectory: outputDirectory),
                                                dtype: dtype)
        try builder.addItem(values)
        try builder.closeAsHelper()
        return dtype
    }
}

// MARK: - Steps

extension DeepSpeedExport {
    /// The three row-ordered outputs, written in one pass over the sorted ids.
    struct RowFiles {
        let metric: IndexedDatasetBuilder
        let samples: IndexedDatasetBuilder
        let merged: IndexedDatasetBuilder
    }

    /// N single-element items in sample order; doc_idx [0, N, N] (one reduce chunk, merged by the helper).
    static func writeSampleToMetric(_ values: UnsafeBufferPointer<Int64>, dtype: IndexedDatasetDType,
                                    prefix: String) throws {
        let builder = try IndexedDatasetBuilder(prefix: prefix, dtype: dtype)
        try builder.addSingleElementItems(values)
        builder.endDocument()
        try builder.closeAsHelper()
    }

    /// K: the number of runs of equal values in sorted order.
    static func distinctValueCount(_ values: UnsafeBufferPointer<Int64>, sortedIDs: [UInt32]) -> Int {
        var k = 1
        for j in 1..<sortedIDs.count where values[Int(sortedIDs[j])] != values[Int(sortedIDs[j - 1])] { k += 1 }
        return k
    }

    /// Row k of index_to_metric is [v_k]; row k of index_to_sample is the ids with value v_k (a
    /// contiguous run of `sortedIDs`); merged item j is the runs j·step ..< min(K, (j+1)·step),
    /// which are contiguous too, so every item is a slice of `sortedIDs`, written without copying.
    static func writeRows(_ values: UnsafeBufferPointer<Int64>, sortedIDs: [UInt32], distinctValueCount k: Int,
                          mergeStep step: Int, into files: RowFiles) throws {
        try sortedIDs.withUnsafeBufferPointer { ids in
            var runStart = 0
            var groupStart = 0
            var run = 0
            for j in 1...ids.count where j == ids.count || values[Int(ids[j])] != values[Int(ids[j - 1])] {
                try files.metric.addItem(single: values[Int(ids[runStart])])
                try files.samples.addItem(UnsafeBufferPointer(rebasing: ids[runStart..<j]))
                if run % step == step - 1 || run == k - 1 {
                    try files.merged.addItem(UnsafeBufferPointer(rebasing: ids[groupStart..<j]))
                    groupStart = j
                }
                runStart = j
                run += 1
            }
        }
        files.metric.endDocument()
        files.samples.endDocument()
        try files.metric.closeAsHelper()
        try files.samples.closeAsHelper()
        try files.merged.closeAsHelper()
    }
}
