// DeepSpeedExportTests.swift — the DataAnalyzer final file set (spec §4.3–4.5): the worked example
// "mod" (N = 23) and the N = 500 percentile-merge example, with Gradus's documented doc_idx
// convention (DataAnalyzer with num_threads_reduce = 1), the accumulate file, truncation, and the
// (value, id) sort against a naive sort.

import Curriculum
import XCTest
@testable import CorpusIndex
import Support

final class DeepSpeedExportTests: TemporaryDirectoryTestCase {
    private func open(_ file: DeepSpeedExport.File, _ metric: String) throws -> IndexedDatasetReader {
        try IndexedDatasetReader(prefix: DeepSpeedExport.prefix(file, metric: metric, outputDirectory: directory))
    }

    /// Spec §4.5: x_i = (7i + 3) mod 11, metric "mod" = x mod 5, N = 23.
    func testWorkedExampleMod() throws {
        let values = (0..<23).map { Int64(((7 * $0 + 3) % 11) % 5) }
        let summary = try DeepSpeedExport.writeSingleValueMetric(name: "mod", values: values, outputDirectory: directory)
        XCTAssertEqual(summary.distinctValueCount, 5)
        XCTAssertEqual(summary.mergeStep, 1)
        XCTAssertEqual(summary.valueDType, .uint8)
        XCTAssertEqual(summary.sampleDType, .uint8)

        // Rows from the spec's "Reduce outputs" table.
        let expectedRows: [[Int64]] = [[1, 5, 9, 12, 16, 20], [2, 6, 13, 17], [3, 10, 14, 21], [0, 7, 11, 18, 22], [4, 8, 15, 19]]
        let metric = try open(.indexToMetric, "mod")
        XCTAssertEqual(metric.dtype, .uint8)
        XCTAssertEqual(try metric.allItems(), [[0], [1], [2], [3], [4]])
        XCTAssertEqual(metric.documentIndex, [0, 5, 5])

        let samples = try open(.indexToSample, "mod")
        XCTAssertEqual(samples.dtype, .uint8)
        XCTAssertEqual(try samples.allItems(), expectedRows)
        XCTAssertEqual(samples.documentIndex, [0, 5, 5])

        let merged = try open(.indexToSamplePercentileMerged, "mod")
        XCTAssertEqual(merged.dtype, .uint8)
        XCTAssertEqual(try merged.allItems(), expectedRows)
        XCTAssertEqual(merged.documentIndex, [0, 5])

        let perSample = try open(.sampleToMetric, "mod")
        XCTAssertEqual(perSample.dtype, .uint8)
        let expectedPerSample: [Int64] = [3, 0, 1, 2, 4, 0, 1, 3, 4, 0, 2, 3, 0, 1, 2, 4, 0, 1, 3, 4, 0, 2, 3]
        XCTAssertEqual(try perSample.allItems(), expectedPerSample.map { [$0] })
        XCTAssertEqual(perSample.documentIndex, [0, 23, 23])
    }

    /// The exact bytes of `mod_index_to_metric.idx` under the documented convention, from the §3.1 layout.
    func testWorkedExampleIndexToMetricBytes() throws {
        let values = (0..<23).map { Int64(((7 * $0 + 3) % 11) % 5) }
        _ = try DeepSpeedExport.writeSingleValueMetric(name: "mod", values: values, outputDirectory: directory)
        let prefix = DeepSpeedExport.prefix(.indexToMetric, metric: "mod", outputDirectory: directory)
        XCTAssertEqual(prefix, directory + "/mod/mod_index_to_metric")
        XCTAssertEqual(try bytes(prefix + ".bin"), [0, 1, 2, 3, 4])
        var expected = hex("4d 4d 49 44 49 44 58 00 00") + le64(1) + hex("01") + le64(5) + le64(3)
        for _ in 0..<5 { expected += le32(1) }
        for p in 0..<5 { expected += le64(Int64(p)) }
        expected += le64(0) + le64(5) + le64(5)
        XCTAssertEqual(try bytes(prefix + ".idx"), expected)
    }

    /// Spec §4.5 metric "tot": [Σx, count] summed = [113, 23], uint8, doc_idx [0, 1].
    func testAccumulatedMetricValue() throws {
        let dtype = try DeepSpeedExport.writeAccumulatedMetric(name: "tot", values: [113, 23], outputDirectory: directory)
        XCTAssertEqual(dtype, .uint8)
        let reader = try open(.metricValue, "tot")
        XCTAssertEqual(try reader.allItems(), [[113, 23]])
        XCTAssertEqual(reader.documentIndex, [0, 1])
        XCTAssertEqual(reader.dtype, .uint8)
    }

    /// Spec §4.5 second example: N = 500, metric i mod 250 → 125 merged items, dtype uint16.
    func testPercentileMergeSecondExample() throws {
        let values = (0..<500).map { Int64($0 % 250) }
        let summary = try DeepSpeedExport.writeSingleValueMetric(name: "m", values: values, outputDirectory: directory)
        XCTAssertEqual(summary.distinctValueCount, 250)
        XCTAssertEqual(summary.mergeStep, 2)
        XCTAssertEqual(summary.mergedItemCount, 125)
        let merged = try open(.indexToSamplePercentileMerged, "m")
        XCTAssertEqual(merged.dtype, .uint16)
        XCTAssertEqual(merged.count, 125)
        XCTAssertEqual(try merged.item(0), [0, 250, 1, 251])
        XCTAssertEqual(try merged.item(1), [2, 252, 3, 253])
        XCTAssertEqual(try merged.item(124), [248, 498, 249, 499])
        XCTAssertEqual(merged.documentIndex, [0, 125])
        XCTAssertEqual(try open(.indexToSample, "m").dtype, .uint16)
        XCTAssertEqual(try open(.indexToMetric, "m").dtype, .uint8)
    }

    /// K not a multiple of the merge step: the last merged item holds the leftover rows.
    func testPercentileMergeShortLastGroup() throws {
        let values = (0..<201).map { Int64(200 - $0) }  // K = 201, step 2 → 101 items
        let summary = try DeepSpeedExport.writeSingleValueMetric(name: "r", values: values, outputDirectory: directory)
        XCTAssertEqual(summary.mergedItemCount, 101)
        let merged = try open(.indexToSamplePercentileMerged, "r")
        XCTAssertEqual(try merged.item(0), [200, 199])  // values 0 and 1
        XCTAssertEqual(try merged.item(100), [0])       // value 200 alone
        XCTAssertEqual((0..<merged.count).map { merged.size(ofItem: $0) }.reduce(0, +), 201)
    }

    func testSignedValuesAndSingleSample() throws {
        let summary = try DeepSpeedExport.writeSingleValueMetric(name: "s", values: [-3], outputDirectory: directory)
        XCTAssertEqual(summary.valueDType, .int8)
        XCTAssertEqual(summary.sampleDType, .uint8)
        XCTAssertEqual(try open(.indexToSample, "s").allItems(), [[0]])
        XCTAssertThrowsError(try DeepSpeedExport.writeSingleValueMetric(name: "e", values: [], outputDirectory: directory))
    }

    func testTruncationLikePythonInt() throws {
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(4.9177), 4)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(8.7889), 8)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(-2.5), -2)
        XCTAssertEqual(DeepSpeedExport.truncatedForExport(-9_223_372_036_854_775_808.0), Int64.min)
        XCTAssertNil(DeepSpeedExport.truncatedForExport(.nan))
        XCTAssertNil(DeepSpeedExport.truncatedForExport(.infinity))
        XCTAssertNil(DeepSpeedExport.truncatedForExport(9_223_372_036_854_775_808.0))
        XCTAssertEqual(try DeepSpeedExport.truncatedForExport(metric: "m", values: [302.72, 204.39]), [302, 204])
        XCTAssertThrowsError(try DeepSpeedExport.truncatedForExport(metric: "m", values: [1, .infinity])) { error in
            XCTAssertEqual(error as? IndexedDatasetError, .metricValueNotExportable(metric: "m", sample: 1, value: .infinity))
        }
        XCTAssertThrowsError(try DeepSpeedExport.truncatedForExport(metric: "m", values: [.nan]))
    }

    /// The radix sort against a naive sort by (value, id), including the extremes of Int64.
    func testSortMatchesNaiveSort() {
        var rng = SplitMix64(seed: 7)
        let ranges: [ClosedRange<Int64>] = [0...3, -1000...1000, 0...(1 << 40), Int64.min...Int64.max]
        for range in ranges {
            var values = (0..<3000).map { _ in Int64.random(in: range, using: &rng) }
            values += [range.lowerBound, range.upperBound, range.lowerBound]
            let fast = values.withUnsafeBufferPointer { sampleIDsSortedByValue($0) }.map { Int($0) }
            let naive = values.indices.sorted { (values[$0], $0) < (values[$1], $1) }
            XCTAssertEqual(fast, naive, "\(range)")
        }
    }

    /// The Float64 radix sort (order tables) against a naive sort by (value, id): negatives,
    /// −0.0 equal to +0.0, infinities, ties, and NaN after every number.
    func testFloatSortMatchesNaiveSort() {
        var rng = SplitMix64(seed: 11)
        var values = (0..<3000).map { _ in Double(Int64.random(in: -50...50, using: &rng)) / 4 }
        values += [-0.0, 0.0, .infinity, -.infinity, .nan, 1e300, -1e-300, .nan, 0.0, -0.0]
        let fast = values.withUnsafeBufferPointer { sampleIDsSortedByValue($0) }.map { Int($0) }
        let naive = values.indices.sorted { a, b in
            let x = values[a], y = values[b]
            if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? a < b : y.isNaN }
            return x < y || (x == y && a < b)
        }
        XCTAssertEqual(fast, naive)
        XCTAssertEqual(Array(fast.suffix(2)), [3004, 3007])  // the two NaNs, by id
    }
}
