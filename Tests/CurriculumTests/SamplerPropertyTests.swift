// SamplerPropertyTests.swift — properties of the curriculum sampler over many seeds and random
// configs (issue 4 acceptance): clusters equal the naive spec §6.3 reference at every step, every
// served sample is admitted, no repeat within a cluster pass, rank slices partition the global
// batch, resume at any step equals the uninterrupted stream (through JSON), a different world at
// the same global batch gives the same global batches, and fingerprints refuse foreign states.

import Curriculum
import Foundation
import XCTest
import Support

final class SamplerPropertyTests: XCTestCase {
    /// A random dataset and metric list (1–3 metrics over values 0…9).
    struct Case {
        var values: [String: [Double]]
        var metrics: [CurriculumMetricConfig]
        var index: InMemoryDifficultyIndex
        var n: Int
    }

    func randomPacing(_ rng: inout SplitMix64, maxValue: Double) -> PacingFunction {
        let lo = Double(rng.nextInt(below: UInt64(maxValue / 2) + 1))
        switch rng.nextInt(below: 3) {
        case 0: return .linear(min: lo, max: maxValue, totalSteps: Double(1 + rng.nextInt(below: 12)),
                               difficultyStep: Double(1 + rng.nextInt(below: 3)))
        case 1: return .root(min: lo, max: maxValue, totalSteps: Double(1 + rng.nextInt(below: 12)),
                             difficultyStep: 1, rootDegree: 2)
        default:
            let ds = (0..<3).map { _ in Double(rng.nextInt(below: UInt64(maxValue) + 1)) }.sorted() + [maxValue]
            return .discrete(min: lo, max: maxValue, difficulties: ds, maxSteps: [2, 4, 7])
        }
    }

    func randomCase(seed: UInt64) throws -> Case {
        var rng = SplitMix64(seed: seed)
        let n = 20 + Int(rng.nextInt(below: 180))
        var values: [String: [Double]] = [:], metrics: [CurriculumMetricConfig] = [], columns: [(String, [Double])] = []
        for k in 0..<(1 + Int(rng.nextInt(below: 3))) {
            let name = "m\(k)"
            let column = (0..<n).map { _ in Double(rng.nextInt(below: 10)) }
            values[name] = column
            columns.append((name, column))
            switch rng.nextInt(below: 4) {
            case 0: metrics.append(metric(name, .percentile, pacing: randomPacing(&rng, maxValue: [100, 7, 13][Int(rng.nextInt(below: 3))])))
            case 1: metrics.append(metric(name, .value, .singleCluster, pacing: randomPacing(&rng, maxValue: 64)))
            default: metrics.append(metric(name, .value, pacing: randomPacing(&rng, maxValue: 9)))
            }
        }
        return Case(values: values, metrics: metrics, index: try InMemoryDifficultyIndex(metrics: columns), n: n)
    }

    /// Clusters equal the reference at every step; served ⊆ admitted; passes are permutations.
    func testAdmittedSetEqualsReferenceOverManySeeds() throws {
        var checked = 0
        for seed in UInt64(0)..<120 {
            let c = try randomCase(seed: seed)
            let steps = 14
            let reference = NaiveClusters(values: c.values, metrics: c.metrics, n: c.n).run(steps: steps)
            var s = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: seed, globalBatchSize: 1 + Int(seed % 9))
            for step in 0..<steps {
                if reference[step].isEmpty {
                    XCTAssertThrowsError(try s.nextGlobalBatch(), "seed \(seed): nothing admitted must throw")
                    break
                }
                let batch = try s.nextGlobalBatch()
                let sets = try s.clusters.indices.map { Set(try s.members(ofCluster: $0).map { Int($0) }) }
                XCTAssertEqual(sets, reference[step], "seed \(seed) step \(step + 1)")
                XCTAssertEqual(s.clusters.map(\.size), sets.map(\.count))
                let admitted = sets.reduce(Set<Int>()) { $0.union($1) }
                XCTAssertTrue(batch.sampleIDs.allSatisfy { admitted.contains(Int($0)) }, "seed \(seed): served ⊄ admitted")
                XCTAssertEqual(batch.sampleIDs.count, s.globalBatchSize)
                checked += 1
            }
            for k in s.clusters.indices {
                let members = try s.members(ofCluster: k)
                for pass in UInt64(0)..<3 {
                    let order = try s.passOrder(ofCluster: k, pass: pass)
                    XCTAssertEqual(order.count, members.count, "a pass serves every member once")
                    XCTAssertEqual(Set(order), Set(members))
                }
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }

    /// A single cluster of N samples served in batches dividing N: every window of N/g batches
    /// is one pass (no repeat, full coverage).
    func testNoRepeatWithinAPassInTheStream() throws {
        for seed in UInt64(0)..<20 {
            let n = 60, g = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20][Int(seed % 10)]
            let index = try InMemoryDifficultyIndex(metrics: [("m", (0..<n).map { Double($0 % 7) })])
            let c = metric("m", .value, .singleCluster, pacing: .linear(min: 1, max: 1, totalSteps: 1, difficultyStep: 1))
            var s = try CurriculumSampler(index: index, metrics: [c], seed: seed, globalBatchSize: g)
            for _ in 0..<3 {
                let ids = try (0..<(n / g)).flatMap { _ in try s.nextGlobalBatch().sampleIDs }
                XCTAssertEqual(Set(ids).count, n, "seed \(seed) g \(g)")
            }
        }
    }

    func testRankSlicesPartitionTheGlobalBatch() throws {
        let c = try randomCase(seed: 7)
        for (mbs, gas, world) in [(1, 1, 1), (2, 3, 4), (3, 2, 5), (4, 1, 2), (1, 4, 3)] {
            let g = BatchGeometry(microBatchSize: mbs, gradientAccumulationSteps: gas, world: world)
            var s = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: 3, globalBatchSize: g.globalBatchSize)
            for _ in 0..<5 {
                guard let batch = try? s.nextGlobalBatch() else { break }
                var joined: [UInt64] = []
                for j in 0..<gas {
                    for r in 0..<world {
                        let slice = batch.microBatch(j, rank: r, geometry: g)
                        XCTAssertEqual(slice.count, mbs)
                        joined += slice
                    }
                }
                XCTAssertEqual(joined, batch.sampleIDs, "slices are disjoint, in order, and cover the batch")
            }
        }
    }

    /// Resume at every step k (through the JSON state) equals the uninterrupted stream; a world of
    /// 2 × mbs 4 and a world of 4 × mbs 2 share global batches.
    func testResumeAtAnyStepEqualsUninterrupted() throws {
        for seed in UInt64(200)..<230 {
            let c = try randomCase(seed: seed)
            var full = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: seed, globalBatchSize: 8)
            guard let reference = try? (0..<12).map({ _ in try full.nextGlobalBatch() }) else { continue }
            for k in [0, 1, 2, 5, 11] {
                var first = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: seed, globalBatchSize: 8)
                for _ in 0..<k { _ = try first.nextGlobalBatch() }
                let saved = try SamplerState.decode(try first.state().encoded())
                var resumed = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: seed, globalBatchSize: 8)
                try resumed.restore(saved)
                for step in k..<12 {
                    XCTAssertEqual(try resumed.nextGlobalBatch(), reference[step], "seed \(seed) resume at \(k)")
                }
            }
            let worldA = BatchGeometry(microBatchSize: 4, gradientAccumulationSteps: 1, world: 2)
            let worldB = BatchGeometry(microBatchSize: 2, gradientAccumulationSteps: 1, world: 4)
            let batch = reference[11]
            let a = (0..<2).flatMap { batch.microBatch(0, rank: $0, geometry: worldA) }
            let b = (0..<4).flatMap { batch.microBatch(0, rank: $0, geometry: worldB) }
            XCTAssertEqual(a, b)
        }
    }

    func testFingerprintsRefuseForeignStates() throws {
        let c = try randomCase(seed: 3)
        var s = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: 1, globalBatchSize: 4)
        _ = try? s.nextGlobalBatch()
        let state = s.state()
        var otherSeed = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: 2, globalBatchSize: 4)
        XCTAssertThrowsError(try otherSeed.restore(state)) { error in
            guard case .fingerprintMismatch? = error as? CurriculumError else { return XCTFail("\(error)") }
        }
        XCTAssertNoThrow(try otherSeed.restore(state, force: true))
        let shifted = try InMemoryDifficultyIndex(metrics: c.values.keys.sorted().map { ($0, c.values[$0]!.map { $0 + 1 }) })
        var otherIndex = try CurriculumSampler(index: shifted, metrics: c.metrics, seed: 1, globalBatchSize: 4)
        XCTAssertThrowsError(try otherIndex.restore(state))
        var otherBatch = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: 1, globalBatchSize: 8)
        XCTAssertThrowsError(try otherBatch.restore(state))
    }

    func testStateIsSmall() throws {
        let n = 100_000
        let index = try InMemoryDifficultyIndex(metrics: [("a", (0..<n).map { Double($0 % 1000) }),
                                                          ("b", (0..<n).map { Double(($0 * 7919) % 997) })])
        let metrics = [metric("a", .percentile, pacing: .linear(min: 10, max: 100, totalSteps: 20, difficultyStep: 1)),
                       metric("b", pacing: .linear(min: 100, max: 996, totalSteps: 20, difficultyStep: 1))]
        var s = try CurriculumSampler(index: index, metrics: metrics, seed: 5, globalBatchSize: 64)
        for _ in 0..<25 { _ = try s.nextGlobalBatch() }
        XCTAssertEqual(s.admittedCount, n)
        XCTAssertLessThan(try s.state().encoded().count, 64 * 1024, "state is O(clusters), not O(samples)")
    }
}

final class KeyedPermutationTests: XCTestCase {
    func testIsABijectionForManySizes() {
        for n in [1, 2, 3, 5, 16, 17, 100, 1000, 4097] {
            for key in UInt64(0)..<4 {
                let p = KeyedPermutation(count: UInt64(n), key: key &* 0x1234_5678_9abc)
                let image = Set((0..<n).map { p.apply(UInt64($0)) })
                XCTAssertEqual(image.count, n, "n \(n)")
                XCTAssertTrue(image.allSatisfy { $0 < UInt64(n) })
            }
        }
        let a = KeyedPermutation(count: 1000, key: 1), b = KeyedPermutation(count: 1000, key: 2)
        XCTAssertNotEqual((0..<1000).map { a.apply($0) }, (0..<1000).map { b.apply($0) })
    }

    func testSplitMixBoundedIsInRangeAndCoversIt() {
        var rng = SplitMix64(seed: 42)
        var seen = Set<UInt64>()
        for _ in 0..<2000 {
            let v = rng.nextInt(below: 7)
            XCTAssertLessThan(v, 7)
            seen.insert(v)
        }
        XCTAssertEqual(seen.count, 7)
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
    }
}
