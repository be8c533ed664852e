// PoolPreviewTests.swift — `gradus schedule --index`'s pool numbers (issue 4 item 5): over many
// random indexes and configs, PoolPreview's admitted total equals the sampler's admitted count at
// every step, each metric's pool bounds the total, and the starvation flag follows the batch size.

import XCTest
@testable import Curriculum

extension SamplerPropertyTests {
    func testPoolPreviewEqualsTheSamplersAdmittedSet() throws {
        var checked = 0
        for seed in UInt64(0)..<150 {
            let c = try randomCase(seed: seed)
            let gbs = 1 + Int(seed % 40)
            var sampler = try CurriculumSampler(index: c.index, metrics: c.metrics, seed: seed, globalBatchSize: gbs)
            var pool = try PoolPreview(index: c.index, metrics: c.metrics, globalBatchSize: gbs)
            var coverage = 0.0
            for step in 1...12 {
                let row = try pool.next()
                XCTAssertEqual(row.step, step)
                guard (try? sampler.nextGlobalBatch()) != nil else {
                    XCTAssertEqual(row.total, 0, "seed \(seed): the sampler found nothing admitted")
                    break
                }
                XCTAssertEqual(row.total, sampler.admittedCount, "seed \(seed) step \(step)")
                XCTAssertEqual(row.starved, row.total < gbs)
                for (i, m) in c.metrics.enumerated() {
                    XCTAssertGreaterThanOrEqual(row.perMetric[i], row.total, "seed \(seed): metric \(m.name) pool < total")
                }
                coverage += Double(gbs) / Double(row.total)
                XCTAssertEqual(row.coverage, coverage, accuracy: 1e-9)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }
}
