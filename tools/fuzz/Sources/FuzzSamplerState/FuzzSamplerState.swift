// FuzzSamplerState.swift — libFuzzer target `state`: arbitrary bytes as a sampler state file
// (`gradus batches --resume` / `--save-state`, SamplerState) decoded and restored into samplers
// over a small fixed in-memory index (issue 14 item 13). The first byte picks the config (one
// value-mode clustering metric, or two percentile metrics in intersection mode) and whether the
// fingerprints are checked (`--force` otherwise, so the range checks are reached).
//
// Invariants beyond "no trap, no ASan report":
// - decode and restore throw only `CurriculumError`;
// - a state that restores resumes: three batches are drawn (or a `CurriculumError` is thrown),
//   each has the global batch size of sample ids inside the index, and re-encoding the state
//   after the restore and restoring that into a fresh sampler draws the same next batch.
//
// `FuzzSamplerState --write-seeds DIR` writes seed states saved by real samplers of both configs.

import Curriculum
import Foundation
import FuzzSupport

let sampleCount = 48
let index: InMemoryDifficultyIndex = {
    let a = (0..<sampleCount).map { Double(($0 * 7) % 13) }
    let b = (0..<sampleCount).map { Double(($0 * 5) % 11) + 0.5 }
    return try! InMemoryDifficultyIndex(metrics: [(name: "a", values: a), (name: "b", values: b)])
}()

/// The two configs: `a` in value mode (one cluster per difficulty change), and `a` and `b` in
/// percentile mode on a 0…10 scale (intersection clusters with filters and excluded boxes; 48
/// samples give ⌊48/10⌋ = 4 samples a step, so the first step admits some).
let configs: [[CurriculumMetricConfig]] = [
    [CurriculumMetricConfig(name: "a", difficultyType: .value, clusteringType: .scheduleBased,
                            pacing: .linear(min: 2, max: 12, totalSteps: 6, difficultyStep: 2))],
    [CurriculumMetricConfig(name: "a", difficultyType: .percentile, clusteringType: .scheduleBased,
                            pacing: .linear(min: 5, max: 10, totalSteps: 5, difficultyStep: 1)),
     CurriculumMetricConfig(name: "b", difficultyType: .percentile, clusteringType: .scheduleBased,
                            pacing: .discrete(min: 6, max: 10, difficulties: [6, 8, 10], maxSteps: [2, 4]))],
]
let globalBatchSize = 5

func sampler(_ config: Int) throws -> CurriculumSampler<InMemoryDifficultyIndex> {
    try CurriculumSampler(index: index, metrics: configs[config], seed: 7, globalBatchSize: globalBatchSize, numEpochs: 3)
}

func expectCurriculumError(_ error: any Error, _ what: String) {
    fuzzCheck(error is CurriculumError, "\(what) threw \(type(of: error)): \(error)")
}

func checkBatch(_ batch: GlobalBatch) {
    fuzzCheck(batch.sampleIDs.count == globalBatchSize, "a batch of \(batch.sampleIDs.count) ids, expected \(globalBatchSize)")
    fuzzCheck(batch.sampleIDs.allSatisfy { $0 < UInt64(sampleCount) }, "a sample id outside the index: \(batch.sampleIDs)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let selector = input.first else { return 0 }
    let config = Int(selector % 2), force = selector & 2 == 0
    let state: SamplerState
    do { state = try SamplerState.decode(Data(input.dropFirst())) } catch {
        expectCurriculumError(error, "decode")
        return 0
    }
    var s = try! sampler(config)
    do { try s.restore(state, force: force) } catch {
        expectCurriculumError(error, "restore")
        return 0
    }
    let resumed = s.state()
    var first: GlobalBatch?
    do {
        for k in 0..<3 {
            let batch = try s.nextGlobalBatch()
            checkBatch(batch)
            if k == 0 { first = batch }
        }
    } catch { expectCurriculumError(error, "drawing after a restore") }
    // The state as restored, written and read back, resumes to the same next batch.
    do {
        let again = try SamplerState.decode(try resumed.encoded())
        var t = try! sampler(config)
        try t.restore(again, force: true)
        let batch = try t.nextGlobalBatch()
        fuzzCheck(batch == first, "a re-encoded state drew \(batch) instead of \(String(describing: first))")
    } catch {
        fuzzCheck(first == nil, "the re-encoded state of a resumable one failed: \(error)")
    }
    return 0
}

/// Writes states saved by both configs after 0, 1, 3 and 9 batches to `directory`.
func writeSeeds(_ directory: String) {
    for config in configs.indices {
        var s = try! sampler(config)
        for step in 0...9 {
            if [0, 1, 3, 9].contains(step) {
                let selector = UInt8(config) | (step == 3 ? 2 : 0)
                writeScratch("\(directory)/c\(config)-step\(step).json", [selector] + [UInt8](try! s.state().encoded()))
            }
            _ = try! s.nextGlobalBatch()
        }
    }
}

@main
enum FuzzSamplerState {
    static func main() {
        let args = CommandLine.arguments
        if args.count == 3, args[1] == "--write-seeds" { writeSeeds(args[2]); exit(0) }
        runFuzzer(fuzzOne)
    }
}
