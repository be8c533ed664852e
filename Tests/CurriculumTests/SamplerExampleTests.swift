// SamplerExampleTests.swift — cluster boundaries of spec §6.8's worked examples E1–E7 (value and
// percentile, one and two metrics, single_cluster, a cluster smaller than a batch). Expected ids
// and sizes are copied from the spec; draw order is Gradus's own (DESIGN.md §4), so clusters are
// compared as sets. Also the rank-slice table of spec §6.6.

import Curriculum
import XCTest

final class SamplerExampleTests: XCTestCase {
    /// E2's metric: m_i = 3i mod 10, N = 40.
    static let m = (0..<40).map { Double((3 * $0) % 10) }
    /// E4's second metric: m2_i = i mod 4.
    static let m2 = (0..<40).map { Double($0 % 4) }
    static let e2Metric = metric("m", pacing: .linear(min: 2, max: 9, totalSteps: 4, difficultyStep: 1))

    private func clusterSets<I>(_ s: CurriculumSampler<I>) throws -> [Set<UInt64>] {
        try s.clusters.indices.map { Set(try s.members(ofCluster: $0)) }
    }

    private func draw<I>(_ s: inout CurriculumSampler<I>, steps: Int) throws -> [GlobalBatch] {
        try (0..<steps).map { _ in try s.nextGlobalBatch() }
    }

    func testE2ValueMode() throws {
        let index = try InMemoryDifficultyIndex(metrics: [("m", Self.m)])
        var s = try CurriculumSampler(index: index, metrics: [Self.e2Metric], seed: 1234, globalBatchSize: 8)
        let batches = try draw(&s, steps: 6)
        XCTAssertEqual(batches.map { $0.difficulties[0] }, [3, 5, 7, 9, 9, 9])
        let expected: [Set<UInt64>] = [
            [11, 17, 4, 0, 14, 21, 1, 31, 27, 34, 20, 7, 37, 10, 30, 24],  // cluster_m3
            [38, 25, 5, 35, 8, 18, 15, 28],  // cluster_m5
            [22, 9, 2, 12, 39, 19, 32, 29],  // cluster_m7
            [16, 3, 26, 6, 13, 36, 33, 23],  // cluster_m9
        ]
        XCTAssertEqual(try clusterSets(s), expected)
        XCTAssertEqual(s.clusters.map(\.size), [16, 8, 8, 8])
        let admittedAfterStep1 = expected[0]
        XCTAssertTrue(Set(batches[0].sampleIDs).isSubset(of: admittedAfterStep1))
        XCTAssertEqual(batches[0].sampleIDs.count, 8)
        XCTAssertEqual(Set(batches[0].sampleIDs).count, 8, "no repeat within a pass of 16")
    }

    func testE3PercentileMode() throws {
        let values = (0..<250).map { Double((7 * $0) % 13) }
        let index = try InMemoryDifficultyIndex(metrics: [("m3", values)])
        let m3 = metric("m3", .percentile, pacing: .linear(min: 10, max: 100, totalSteps: 3, difficultyStep: 10))
        var s = try CurriculumSampler(index: index, metrics: [m3], seed: 1234, globalBatchSize: 3)
        let batches = try draw(&s, steps: 3)
        XCTAssertEqual(batches.map { $0.difficulties[0] }, [40, 70, 100])
        XCTAssertEqual(s.clusters.map(\.size), [80, 60, 110])
        // Sample-order positions [0, 80), [80, 140), [140, 250): by (value, id).
        let order = (0..<250).sorted { (values[$0], $0) < (values[$1], $1) }.map { UInt64($0) }
        XCTAssertEqual(try clusterSets(s), [Set(order[0..<80]), Set(order[80..<140]), Set(order[140..<250])])
    }

    func testE4TwoMetricsIntersection() throws {
        let index = try InMemoryDifficultyIndex(metrics: [("m", Self.m), ("m2", Self.m2)])
        let m2 = metric("m2", pacing: .discrete(min: 1, max: 3, difficulties: [1, 2, 3], maxSteps: [1, 2]))
        var s = try CurriculumSampler(index: index, metrics: [Self.e2Metric, m2], seed: 1234, globalBatchSize: 4)
        _ = try draw(&s, steps: 4)
        XCTAssertEqual(s.clusters.map(\.size), [8, 10, 14, 8])
        XCTAssertEqual(s.clusters.map(\.difficulties), [[3, 1], [5, 2], [7, 3], [9, 3]])
        let naive = NaiveClusters(values: ["m": Self.m, "m2": Self.m2], metrics: s.metrics, n: 40).run(steps: 4)
        XCTAssertEqual(try clusterSets(s), naive[3].map { Set($0.map(UInt64.init)) })
        // Spec yields for steps 1–4 (two micro-batches of 2 per step) lie in the admitted sets.
        let yields: [[UInt64]] = [[37, 24], [0, 21], [38, 14], [20, 1], [9, 29], [18, 8], [11, 17], [34, 13]]
        let sets = try clusterSets(s)
        for (k, y) in yields.enumerated() {
            let admitted = sets[0...(k / 2)].reduce(Set<UInt64>()) { $0.union($1) }
            XCTAssertTrue(Set(y).isSubset(of: admitted), "spec yield \(k) outside the admitted set")
        }
    }

    func testE5SingleClusterOnly() throws {
        let index = try InMemoryDifficultyIndex(metrics: [("m", Self.m)])
        let t = metric("seqlen_truncate", .value, .singleCluster, pacing: .linear(min: 8, max: 64, totalSteps: 5, difficultyStep: 8))
        var s = try CurriculumSampler(index: index, metrics: [t], seed: 1234, globalBatchSize: 4)
        let batches = try draw(&s, steps: 12)
        XCTAssertEqual(batches.prefix(6).map { $0.difficulties[0] }, [16, 24, 40, 48, 64, 64])
        XCTAssertEqual(s.clusters.count, 1)
        XCTAssertEqual(try clusterSets(s), [Set(0..<40)])
        // 40 samples, batches of 4: each block of 10 batches is one pass.
        XCTAssertEqual(Set(batches[0..<10].flatMap(\.sampleIDs)).count, 40)
    }

    func testE6ClusteringPlusSingleCluster() throws {
        let index = try InMemoryDifficultyIndex(metrics: [("m", Self.m)])
        let t = metric("seqlen_truncate", .value, .singleCluster, pacing: .linear(min: 8, max: 64, totalSteps: 5, difficultyStep: 8))
        var s = try CurriculumSampler(index: index, metrics: [Self.e2Metric, t], seed: 1234, globalBatchSize: 4)
        _ = try draw(&s, steps: 3)
        XCTAssertEqual(s.clusters.map(\.difficulties), [[3, 16], [5, 24], [7, 40]])
        XCTAssertEqual(try clusterSets(s), [
            [11, 17, 4, 0, 14, 21, 1, 31, 27, 34, 20, 7, 37, 10, 30, 24],
            [38, 25, 5, 35, 8, 18, 15, 28], [22, 9, 2, 12, 39, 19, 32, 29],
        ])
    }

    /// E7: DeepSpeed serves a short batch with duplicates at step 1 and drops steps 2–3; Gradus
    /// serves full batches from the 2-sample cluster (a documented divergence).
    func testE7ClusterSmallerThanBatch() throws {
        let m4 = [0.0, 0] + Array(repeating: 5.0, count: 38)
        let index = try InMemoryDifficultyIndex(metrics: [("m4", m4)])
        let c = metric("m4", pacing: .discrete(min: 1, max: 5, difficulties: [1, 5], maxSteps: [3]))
        var s = try CurriculumSampler(index: index, metrics: [c], seed: 1234, globalBatchSize: 8)
        let batches = try draw(&s, steps: 5)
        for b in batches[0..<3] {
            XCTAssertEqual(b.sampleIDs.count, 8)
            XCTAssertEqual(b.sampleIDs.filter { $0 == 0 }.count, 4, "four passes of {0, 1}: each id four times")
        }
        XCTAssertEqual(try clusterSets(s), [[0, 1], Set(2..<40)])
        XCTAssertEqual(batches[3].difficulties, [5])
    }

    func testE1SingleClusterWrapAround() throws {
        let index = try InMemoryDifficultyIndex(metrics: [("s", (0..<8).map(Double.init))])
        let c = metric("s", .value, .singleCluster, pacing: .linear(min: 1, max: 1, totalSteps: 1, difficultyStep: 1))
        var s = try CurriculumSampler(index: index, metrics: [c], seed: 1234, globalBatchSize: 4)
        let batches = try draw(&s, steps: 4)
        XCTAssertEqual(Set(batches[0].sampleIDs + batches[1].sampleIDs), Set(0..<8))
        XCTAssertEqual(Set(batches[2].sampleIDs + batches[3].sampleIDs), Set(0..<8))
    }

    func testNoAdmittedSamplesIsAnError() throws {
        // Percentile with N < max_difficulty: per = 0 selects nothing until the end (spec §6.9 Q3).
        let index = try InMemoryDifficultyIndex(metrics: [("m", (0..<50).map(Double.init))])
        let c = metric("m", .percentile, pacing: .linear(min: 1, max: 100, totalSteps: 10, difficultyStep: 1))
        var s = try CurriculumSampler(index: index, metrics: [c], seed: 1, globalBatchSize: 4)
        XCTAssertThrowsError(try s.nextGlobalBatch()) { XCTAssertEqual($0 as? CurriculumError, .noAdmittedSamples(step: 1)) }
    }

    func testRankSliceTable() {
        let table: [(Int, Int, [Range<Int>])] = [
            (4, 6, [0..<2, 2..<3, 3..<4, 4..<6]), (4, 5, [0..<1, 1..<2, 2..<4, 4..<5]),
            (4, 7, [0..<2, 2..<4, 4..<5, 5..<7]), (3, 5, [0..<2, 2..<3, 3..<5]),
        ]
        for (dp, length, slices) in table {
            XCTAssertEqual((0..<dp).map { rankSlice(length: length, rank: $0, world: dp) }, slices, "dp \(dp) L \(length)")
        }
    }
}
