// HeldOutPartitionTests.swift — the held-out split stratified by sample group (issue 17 item 2):
// per-stratum counts worked by hand (round(fraction × n), at least one of two or more), the
// lowest hash ranks chosen, strata over two fields, the interleaved evaluation order, the plain
// split unchanged without groups, and groups of another index refused.

import CorpusIndex
import XCTest
@testable import Training

final class HeldOutPartitionTests: XCTestCase {
    /// 33 samples: group 0 ("en") 20, group 1 ("fr") 10, group 2 ("de") 2, group 3 ("xx") 1, interleaved by id.
    private func languages() -> SampleGroups {
        var g: [UInt32] = []
        for i in 0..<33 { g.append(i == 32 ? 3 : i >= 30 ? 2 : i % 3 == 2 ? 1 : 0) }
        return SampleGroups(field: "lang", names: ["en", "fr", "de", "xx"], sampleGroup: g)
    }

    func testEachStratumHoldsOutItsRoundedShareByLowestHashRank() throws {
        let groups = languages()
        XCTAssertEqual(groups.histogram, [20, 10, 2, 1])
        let p = try HeldOutPartition(count: 33, fraction: 0.1, groups: [groups])
        // en: round(2.0) = 2; fr: round(1.0) = 1; de: round(0.2) = 0, raised to 1 (2 samples); xx: 1 sample, 0.
        var held = [0, 0, 0, 0]
        for id in p.heldOut { held[Int(groups.sampleGroup[id])] += 1 }
        XCTAssertEqual(held, [2, 1, 1, 0])
        XCTAssertEqual(Set(p.training).union(p.heldOut), Set(0..<33))
        XCTAssertTrue(Set(p.training).isDisjoint(with: p.heldOut))
        XCTAssertEqual(p.training, p.training.sorted())
        for g in 0..<4 {
            let ids = (0..<33).filter { Int(groups.sampleGroup[$0]) == g }
            let maxHeld = ids.filter(p.contains).map { HeldOutSplit.rank(id: $0) }.max() ?? -1
            let minTrain = ids.filter { !p.contains($0) }.map { HeldOutSplit.rank(id: $0) }.min() ?? 2
            XCTAssertLessThan(maxHeld, minTrain, "group \(g) holds out its lowest hash ranks")
        }
        XCTAssertEqual(try HeldOutPartition(count: 33, fraction: 0.1, groups: [groups]).heldOut, p.heldOut, "deterministic")
    }

    func testHeldOutCountRoundsAndKeepsOneOfTwoOrMore() {
        XCTAssertEqual(HeldOutPartition.heldOutCount(of: 1, fraction: 0.1), 0)
        XCTAssertEqual(HeldOutPartition.heldOutCount(of: 2, fraction: 0.1), 1)
        XCTAssertEqual(HeldOutPartition.heldOutCount(of: 10, fraction: 0.25), 3)  // 2.5 rounds away from zero
        XCTAssertEqual(HeldOutPartition.heldOutCount(of: 10, fraction: 0.24), 2)
        XCTAssertEqual(HeldOutPartition.heldOutCount(of: 50, fraction: 0), 0)
    }

    func testStrataAreCombinationsOfEveryField() throws {
        // lang a/b × source x/y: (a,x) 8, (a,y) 4, (b,x) 4, (b,y) 4 samples; fraction 0.25 → 2, 1, 1, 1.
        var lang: [UInt32] = [], source: [UInt32] = []
        for (l, s, n) in [(0, 0, 8), (0, 1, 4), (1, 0, 4), (1, 1, 4)] as [(UInt32, UInt32, Int)] {
            lang += repeatElement(l, count: n)
            source += repeatElement(s, count: n)
        }
        let fields = [SampleGroups(field: "lang", names: ["a", "b"], sampleGroup: lang),
                      SampleGroups(field: "source", names: ["x", "y"], sampleGroup: source)]
        let p = try HeldOutPartition(count: 20, fraction: 0.25, groups: fields)
        var held: [String: Int] = [:]
        for id in p.heldOut { held["\(lang[id])\(source[id])", default: 0] += 1 }
        XCTAssertEqual(held, ["00": 2, "01": 1, "10": 1, "11": 1])
    }

    func testEvaluationOrderInterleavesStrataInProportion() throws {
        // en 40 samples (fraction 0.1 → 4 held out), fr 20 (→ 2), de 10 (→ 1). Slot keys (j + 0.5)/k:
        // en .125 .375 .625 .875, fr .25 .75, de .5 → en fr en de en fr en.
        let g = [UInt32](repeating: 0, count: 40) + [UInt32](repeating: 1, count: 20) + [UInt32](repeating: 2, count: 10)
        let groups = SampleGroups(field: "lang", names: ["en", "fr", "de"], sampleGroup: g)
        let p = try HeldOutPartition(count: 70, fraction: 0.1, groups: [groups])
        XCTAssertEqual(p.heldOut.map { groups.names[Int(g[$0])] }, ["en", "fr", "en", "de", "en", "fr", "en"])
        let en = p.heldOut.filter { g[$0] == 0 }
        XCTAssertEqual(en, en.sorted(), "within a stratum the held-out ids keep ascending order")
    }

    func testWithoutGroupsTheSplitIsThePlainHashSplit() throws {
        let p = try HeldOutPartition(count: 5000, fraction: 0.05, groups: [])
        let plain = HeldOutSplit.split(count: 5000, fraction: 0.05)
        XCTAssertEqual(p.training, plain.training)
        XCTAssertEqual(p.heldOut, plain.heldOut)
        XCTAssertTrue((0..<5000).allSatisfy { p.contains($0) == HeldOutSplit.isHeldOut(id: $0, fraction: 0.05) })
    }

    /// `validation_split_seed` (issue 18): seed 0 is the original split; another seed holds out an
    /// independent set of about the same size (5000 × 0.05 = 250; an independent set overlaps the
    /// original in about 250 × 0.05 ≈ 12 ids), deterministically, and the stratified split takes
    /// each stratum's lowest ranks under that seed.
    func testASplitSeedHoldsOutAnIndependentSetAndZeroIsTheOriginal() throws {
        XCTAssertEqual(HeldOutSplit.split(count: 5000, fraction: 0.05, seed: 0).heldOut, HeldOutSplit.split(count: 5000, fraction: 0.05).heldOut)
        let original = Set(HeldOutSplit.split(count: 5000, fraction: 0.05).heldOut)
        let seeded = HeldOutSplit.split(count: 5000, fraction: 0.05, seed: 1).heldOut
        XCTAssertEqual(seeded, HeldOutSplit.split(count: 5000, fraction: 0.05, seed: 1).heldOut, "deterministic")
        XCTAssertTrue((190...310).contains(seeded.count), "\(seeded.count)")
        XCTAssertLessThan(original.intersection(seeded).count, 40)
        XCTAssertNotEqual(Set(seeded), Set(HeldOutSplit.split(count: 5000, fraction: 0.05, seed: 2).heldOut))
        let plain = try HeldOutPartition(count: 5000, fraction: 0.05, groups: [], seed: 1)
        XCTAssertEqual(plain.heldOut, seeded)
        XCTAssertTrue((0..<5000).allSatisfy { plain.contains($0) == HeldOutSplit.isHeldOut(id: $0, fraction: 0.05, seed: 1) })
        let groups = languages()
        let p = try HeldOutPartition(count: 33, fraction: 0.1, groups: [groups], seed: 1)
        for g in 0..<4 {
            let ids = (0..<33).filter { Int(groups.sampleGroup[$0]) == g }
            let maxHeld = ids.filter(p.contains).map { HeldOutSplit.rank(id: $0, seed: 1) }.max() ?? -1
            let minTrain = ids.filter { !p.contains($0) }.map { HeldOutSplit.rank(id: $0, seed: 1) }.min() ?? 2
            XCTAssertLessThan(maxHeld, minTrain, "group \(g) holds out its lowest hash ranks under seed 1")
        }
    }

    func testGroupsOfAnotherIndexAreRefusedNamingTheField() {
        let groups = SampleGroups(field: "lang", names: ["en"], sampleGroup: [0, 0, 0])
        XCTAssertThrowsError(try HeldOutPartition(count: 4, fraction: 0.5, groups: [groups])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("\"lang\"") && text.contains("3 samples") && text.contains("holds 4"), text)
        }
    }
}
