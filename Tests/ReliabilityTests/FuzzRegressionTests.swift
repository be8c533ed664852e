// FuzzRegressionTests.swift — inputs found by the libFuzzer targets in tools/fuzz/ (issue 8
// item 4), kept as regression tests with their outcome worked out by hand. Each test names the
// target and what the finding was; library bugs fixed because of a finding say so.

import Corpus
import Curriculum
import Foundation
import Storage
import TestSupport
import XCTest

final class FuzzRegressionTests: XCTestCase {
    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = try TemporaryDirectory("fuzz-regression", removedAfter: self).file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Target `fasta`, crash-4e806b95: not a library bug but a wrong invariant in the target (it
    /// assumed no document ends in '*'). Only one terminal stop is stripped, so a record whose
    /// lines are "WY*" and "*" reads as "WY*"; the empty records around it are counted.
    func testDoubleTerminalStopKeepsOne() throws {
        let p = try write("double-stop.fasta", Array("CD\n>+D\n>+6\n\n>p4\n>\n\n>p4*YW\nWY*\n*\n".utf8))
        assertStrict(p, documents: [], message: "\(p):1: text before the first '>' header (not a FASTA file, or a missing header)",
                     reason: .textBeforeHeader)
        assertSkipping(p, documents: [Doc("WY*", line: 8, record: 4, id: "p4*YW")],
                       counts: [.textBeforeHeader: 1, .emptySequence: 4], examples: [
                           "\(p):1: text before the first '>' header (not a FASTA file, or a missing header)",
                           "\(p):2: record 0: record \"+D\" has no sequence",
                           "\(p):3: record 1: record \"+6\" has no sequence",
                           "\(p):5: record 2: record \"p4\" has no sequence",
                           "\(p):6: record 3: record without id has no sequence",
                       ])
    }

    /// Target `zstd`, crash-c64cff16: not a Gradus bug. `27 B5 2F FD` is the magic of legacy zstd
    /// v0.7 frames, which libzstd decodes when it sees 5+ bytes at once but rejects ("Unknown
    /// frame descriptor") when they arrive one at a time. Gradus does not take such a file for
    /// zstd (only the current and skippable magics start a zstd input), and decoding it directly
    /// fails either way: here as a truncated frame.
    func testLegacyMagicIsNotZstdAndFailsToDecode() throws {
        let input: [UInt8] = [0x27, 0xB5, 0x2F, 0xFD, 0x20, 0x10]
        let p = try write("legacy.zst", input)
        let opened = try openInput(path: p)
        XCTAssertEqual(opened.compression, .none)
        var buffer = [UInt8](repeating: 0, count: 64)
        var plain: [UInt8] = []
        while case let n = try buffer.withUnsafeMutableBytes({ try opened.source.read(into: $0) }), n > 0 {
            plain += buffer[0..<n]  // the 4 sniffed bytes are replayed first, then the rest
        }
        XCTAssertEqual(plain, input)
        let direct = try ZstdDecompressingSource(path: p)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try direct.read(into: $0) }) { error in
            XCTAssertEqual(error as? ZstdError, .truncated(path: p, offset: 6))
        }
    }
    /// Target `state`, timeout-2d4172b1: a library bug (hang). The input is selector byte 1 (the
    /// target's config 1, fingerprints not checked) and a state saved by that config after 9
    /// batches in which the fuzzer changed the first bound of cluster 1's excluded box from 24 to
    /// 242. That bound is past the index's 48 samples, so it means "every rank": cluster 1's box
    /// (rank of a < 28, rank of b < 24) lies wholly inside the excluded box (any a, rank of b < 24)
    /// and the cluster has no member, although the state says 4. Drawing from it looped through
    /// empty passes for ever; a whole pass without a member is now an invalid state.
    func testStateClusterWithoutMembersIsAnErrorNotAHang() throws {
        let input = #"{"clusters":[{"box":{"bounds":[24,24]},"difficulties":[6,6],"excluded":[],"filterMetrics":[0,1],"segments":[{"lower":0,"metric":0,"upper":24}],"size":4},{"box":{"bounds":[28,24]},"difficulties":[7,6],"excluded":[{"bounds":[242,24]}],"filterMetrics":[0,1],"segments":[{"lower":24,"metric":0,"upper":28}],"size":4},{"box":{"bounds":[32,32]},"difficulties":[8,8],"excluded":[{"bounds":[28,24]}],"filterMetrics":[0,1],"segments":[{"lower":28,"metric":0,"upper":32},{"lower":24,"metric":1,"upper":32}],"size":12},{"box":{"bounds":[36,32]},"difficulties":[9,8],"excluded":[{"bounds":[32,32]}],"filterMetrics":[0,1],"segments":[{"lower":32,"metric":0,"upper":36}],"size":4},{"box":{"bounds":[48,48]},"difficulties":[10,10],"excluded":[{"bounds":[36,32]}],"filterMetrics":[0,1],"segments":[{"lower":36,"metric":0,"upper":48},{"lower":32,"metric":1,"upper":48}],"size":24}],"configFingerprint":"36d0f53d4f6ebe70","consumedSamples":45,"currentDifficulties":[10,10],"cursors":[{"pass":2,"position":12},{"pass":0,"position":4},{"pass":0,"position":10},{"pass":0,"position":3},{"pass":0,"position":19}],"format":"gradus-sampler-state","globalBatchSize":5,"indexFingerprint":"68fe0f13d4ca759a","rng":{"state":12393810789556576521},"schedulerDifficulties":[10,10],"step":9,"version":1}"#
        let state = try SamplerState.decode(Data(input.utf8))
        // The target's fixed index and config 1 (tools/fuzz/Sources/FuzzSamplerState).
        let index = try InMemoryDifficultyIndex(metrics: [(name: "a", values: (0..<48).map { Double(($0 * 7) % 13) }),
                                                          (name: "b", values: (0..<48).map { Double(($0 * 5) % 11) + 0.5 })])
        let metrics = [
            CurriculumMetricConfig(name: "a", difficultyType: .percentile, clusteringType: .scheduleBased,
                                   pacing: .linear(min: 5, max: 10, totalSteps: 5, difficultyStep: 1)),
            CurriculumMetricConfig(name: "b", difficultyType: .percentile, clusteringType: .scheduleBased,
                                   pacing: .discrete(min: 6, max: 10, difficulties: [6, 8, 10], maxSteps: [2, 4])),
        ]
        var sampler = try CurriculumSampler(index: index, metrics: metrics, seed: 7, globalBatchSize: 5, numEpochs: 3)
        try sampler.restore(state, force: true)  // every field is within its range
        var error: (any Error)?
        for _ in 0..<4 where error == nil {  // the empty cluster is chosen within a few batches
            do { _ = try sampler.nextGlobalBatch() } catch let e { error = e }
        }
        XCTAssertEqual(error as? CurriculumError, .invalidState("cluster 1 has no member in a whole pass although its size is 4 "
                                                                + "(the state does not belong to this index)"))
    }
    /// Target `state`, crash-568392e7: a library bug (trap). Selector byte 1 again, and the same
    /// saved state with two mutations in its last cluster: `"box"` became `"boxBool"` and the
    /// second segment's `"metric"` key gained a run of G's, so both are unknown keys and decode as
    /// absent. The cluster then had no box (no filter) but two segments, the second without a
    /// metric, and the reader force-unwrapped that metric. Both are now range problems of the state.
    func testStateSegmentWithoutMetricIsRefused() throws {
        let input = #"{"clusters":[{"box":{"bounds":[24,24]},"difficulties":[6,6],"excluded":[],"filterMetrics":[0,1],"segments":[{"lower":0,"metric":0,"upper":24}],"size":4},{"box":{"bounds":[28,24]},"difficulties":[7,6],"excluded":[{"bounds":[24,24]}],"filterMetrics":[0,1],"segments":[{"lower":24,"metric":0,"upper":28}],"size":4},{"box":{"bounds":[31,32]},"difficulties":[8,8],"excluded":[{"bounds":[28,24]}],"filterMetrics":[0,1],"segments":[{"lower":28,"metric":0,"upper":32},{"lower":24,"metric":1,"upper":32}],"size":12},{"box":{"bounds":[36,32]},"difficulties":[9,8],"excluded":[{"bounds":[32,32]}],"filterMetrics":[0,1],"segments":[{"lower":32,"metric":0,"upper":36}],"size":4},{"boxBool":{"bounds":[48,48]},"difficulties":[10,10],"excluded":[{"bounds":[36,32]}],"filterMetrics":[0,1],"segments":[{"lower":36,"metric":0,"upper":48},{"lower":32,"GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGmetric":1,"upper":48}],"size":24}],"configFingerprint":"36d0f53d4f6ebe70","consumedSamples":45,"currentDifficulties":[10,10],"cursors":[{"pass":2,"position":12},{"pass":0,"position":4},{"pass":0,"position":10},{"pass":0,"position":3},{"pass":0,"position":19}],"format":"gradus-sampler-state","globalBatchSize":5,"indexFingerprint":"68fe0f13d4ca759a","rng":{"state":12393810789556576521},"schedulerDifficulties":[10,10],"step":9,"version":1}"#
        let state = try SamplerState.decode(Data(input.utf8))
        let index = try InMemoryDifficultyIndex(metrics: [(name: "a", values: (0..<48).map { Double(($0 * 7) % 13) }),
                                                          (name: "b", values: (0..<48).map { Double(($0 * 5) % 11) + 0.5 })])
        let metrics = [
            CurriculumMetricConfig(name: "a", difficultyType: .percentile, clusteringType: .scheduleBased,
                                   pacing: .linear(min: 5, max: 10, totalSteps: 5, difficultyStep: 1)),
            CurriculumMetricConfig(name: "b", difficultyType: .percentile, clusteringType: .scheduleBased,
                                   pacing: .discrete(min: 6, max: 10, difficulties: [6, 8, 10], maxSteps: [2, 4])),
        ]
        var sampler = try CurriculumSampler(index: index, metrics: metrics, seed: 7, globalBatchSize: 5, numEpochs: 3)
        XCTAssertThrowsError(try sampler.restore(state, force: true)) { error in
            XCTAssertEqual(error as? CurriculumError, .invalidState(
                "clusters[4].segments: 2 segments in a cluster without a box (an unfiltered cluster has one); "
                    + "clusters[4].segments[1].metric: missing (only a single-segment cluster ranges over sample ids)"))
        }
    }
}
