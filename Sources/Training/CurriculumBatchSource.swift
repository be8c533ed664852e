// CurriculumBatchSource.swift — training batches drawn by the curriculum sampler (issue 5 §4,
// DESIGN.md §4–5, spec §6 and §8): each step takes a global batch of B sample ids from
// `CurriculumSampler` over the whole index, drops the held-out ones, builds rows of S + 1 tokens
// and applies the sequence curriculum (`seqlen_truncate` / `seqlen_reshape`) at the sampler's
// current difficulty, so the model sees a shorter T (or more, shorter rows) early on.
//
// Held-out exclusion: the validation split is defined by a hash of the sample id
// (`HeldOutSplit`), so it needs no list and the sampler's index view stays the whole index (its
// order tables, thresholds and cluster boundaries equal DeepSpeed's, spec §6.3). A drawn id that is
// held out is skipped; the shortfall is made up from the next global batch, and unused ids carry
// over to the next step (fewer than B of them, saved in the state). The admitted pool is thus
// admitted(s) ∩ training split, each cluster still consumed without replacement — and the
// sampler's curriculum step runs ahead of the optimiser step by about the held-out fraction
// (both are logged: `step` and `curriculum_step`). Percentile thresholds count held-out samples.

import CorpusIndex
import Curriculum
import Foundation
import Model

/// The sequence curriculum of a run and the batch shapes it serves.
public enum SequenceCurriculum {
    /// The post-processing the metrics ask for; `seqlen_truncate` wins over `seqlen_reshape`
    /// (Megatron-DeepSpeed's GPT `data_post_process`, spec §8.1); nil for neither.
    public static func kind(of metrics: [CurriculumMetricConfig]) -> SequenceCurriculumKind? {
        let names = Set(metrics.map(\.name))
        if names.contains(SequenceCurriculumKind.truncate.rawValue) { return .truncate }
        if names.contains(SequenceCurriculumKind.reshape.rawValue) { return .reshape }
        return nil
    }

    /// (rows, T) of a batch of `batch` rows of `sequenceLength` positions after `kind` at
    /// difficulty `c` — the arithmetic of `SequencePostProcess.truncate` / `.reshape`.
    public static func servedShape(batch b: Int, sequenceLength s: Int, kind: SequenceCurriculumKind?,
                                   difficulty c: Int) -> (rows: Int, length: Int) {
        guard let kind, c < s, c >= 1 else { return (b, s) }
        switch kind {
        case .truncate: return (b, c)
        case .reshape:
            let r = c + 1, k = (s + 1) / r
            var keep = min((b * (s + 1) + r - 1) / r, b * k + b)
            if keep > 1, keep % 2 == 1 { keep -= 1 }
            return (keep, c)
        }
    }
}

/// Curriculum batches over the training split of a complete index.
public final class CurriculumBatchSource: BatchSource {
    private struct State: Codable, Equatable {
        var sampler: SamplerState
        /// Training ids drawn but not served yet (fewer than B).
        var pending: [UInt64]
        /// Tokens served so far: the pacing argument of metrics paced by tokens.
        var consumedTokens: Double
        var heldOutFraction: Double
    }

    private let index: LMDBDifficultyIndex
    private var sampler: CurriculumSampler<LMDBDifficultyIndex>
    private let batchSize: Int, length: Int, vocab: Int
    private let heldOutFraction: Double
    private let kind: SequenceCurriculumKind?
    private var pending: [UInt64] = []
    private var consumedTokens = 0.0
    public private(set) var lastBatchInfo: BatchInfo?

    /// Global batches in a row that may yield no training sample before the source gives up.
    static let maxEmptyDraws = 64

    /// - Parameters:
    ///   - index: the complete index; its schedule-based metrics must hold the config's metrics.
    ///   - config: B, S (the full sequence length), vocabulary, held-out fraction and curriculum.
    /// - Throws: `CurriculumError` when the curriculum does not fit the index.
    public init(index: LMDBDifficultyIndex, config: RunConfig) throws {
        self.index = index
        sampler = try CurriculumSampler(index: index, config: config.file, globalBatchSize: config.train.batchSize)
        (batchSize, length, vocab) = (config.train.batchSize, config.sequenceLength, config.model.vocab)
        heldOutFraction = config.train.validationFraction
        kind = SequenceCurriculum.kind(of: config.curriculumMetrics)
    }

    /// The next batch: B training ids (in the sampler's order), rows post-processed at the
    /// current difficulty.
    /// - Throws: `CurriculumError` from the sampler, `IndexError` from the store,
    ///   `TrainingError.invalidConfig` for a token outside the vocabulary or a pool of held-out
    ///   samples only.
    public func nextBatch() throws -> TokenBatch {
        var emptyDraws = 0
        while pending.count < batchSize {
            let global = try sampler.nextGlobalBatch(consumedTokens: consumedTokens)
            let kept = global.sampleIDs.filter { !HeldOutSplit.isHeldOut(id: Int($0), fraction: heldOutFraction) }
            emptyDraws = kept.isEmpty ? emptyDraws + 1 : 0
            guard emptyDraws < Self.maxEmptyDraws else {
                throw TrainingError.invalidConfig(["at curriculum step \(global.step) the admitted samples are all held out "
                    + "for validation; raise min_difficulty or lower validation_fraction"])
            }
            pending += kept
        }
        let ids = Array(pending.prefix(batchSize))
        pending.removeFirst(batchSize)
        let named = Dictionary(uniqueKeysWithValues: zip(sampler.metrics.map(\.name), sampler.currentDifficulties.map { $0 ?? 0 }))
        let rows = try ids.map(row)
        let processed = try SequencePostProcess.apply(rows, difficulties: named, sequenceLength: length).rows
        let batch = try Self.tokenBatch(processed)
        consumedTokens += Double(batch.batchSize * batch.length)
        lastBatchInfo = BatchInfo(curriculumStep: sampler.step, difficulties: named)
        return batch
    }

    /// S + 1 tokens of sample `id`: truncated, or padded with −1 (document mode).
    private func row(_ id: UInt64) throws -> [Int32] {
        guard let tokens = try index.reader.tokens(of: Int(id)) else {
            throw TrainingError.invalidConfig(["sample \(id) is missing from the index"])
        }
        var out = [Int32](repeating: -1, count: length + 1)
        for t in 0..<min(tokens.count, length + 1) {
            guard tokens[t] < UInt32(vocab) else {
                throw TrainingError.invalidConfig(["token \(tokens[t]) of sample \(id) exceeds the model vocabulary \(vocab)"])
            }
            out[t] = Int32(tokens[t])
        }
        return out
    }

    /// Inputs row[0..<T] (padding read as token 0), targets row[1...T], loss counted where the
    /// target is a real token.
    static func tokenBatch(_ rows: [[Int32]]) throws -> TokenBatch {
        guard let first = rows.first, first.count >= 2 else { throw ModelError.invalidBatch("no rows of two or more tokens") }
        let T = first.count - 1
        var inputs: [Int32] = [], targets: [Int32] = [], mask: [Float] = []
        inputs.reserveCapacity(rows.count * T); targets.reserveCapacity(rows.count * T); mask.reserveCapacity(rows.count * T)
        for row in rows {
            for t in 0..<T {
                inputs.append(max(0, row[t]))
                targets.append(row[t + 1])
                mask.append(row[t] >= 0 && row[t + 1] >= 0 ? 1 : 0)
            }
        }
        return try TokenBatch(batchSize: rows.count, length: T, inputs: inputs, targets: targets, lossMask: mask)
    }

    public func saveState() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(State(sampler: sampler.state(), pending: pending, consumedTokens: consumedTokens,
                                        heldOutFraction: heldOutFraction))
    }

    /// - Throws: `TrainingError.invalidSourceState` for a blob that is not a curriculum state, or
    ///   one of another index, curriculum or held-out split.
    public func restoreState(_ data: Data) throws {
        guard let s = try? JSONDecoder().decode(State.self, from: data) else {
            throw TrainingError.invalidSourceState("not a curriculum-source state (was the run started without a curriculum?)")
        }
        guard s.heldOutFraction == heldOutFraction, s.pending.count < batchSize else {
            throw TrainingError.invalidSourceState("the state was saved with another validation_fraction or batch size")
        }
        do { try sampler.restore(s.sampler) } catch {
            throw TrainingError.invalidSourceState("\(error)")
        }
        (pending, consumedTokens, lastBatchInfo) = (s.pending, s.consumedTokens, nil)
    }
}
