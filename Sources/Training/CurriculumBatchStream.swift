// CurriculumBatchStream.swift — the one curriculum batch path (issue 12 item 3, spec §6 and §8),
// used by `gradus train` (as its `BatchSource`) and by `gradus batches` (every micro-batch of one
// rank). Each step draws a global batch from `CurriculumSampler` over the whole index, drops
// held-out ids, reads the rows of a micro-batch straight from the index into a reused buffer and
// applies the sequence curriculum (`seqlen_truncate` / `seqlen_reshape`) at the step's difficulty
// per micro-batch, as Megatron-DeepSpeed's `data_post_process` does (the trainer has one
// micro-batch per step: its whole batch). The tokens consumed — the pacing argument under
// `step_unit: tokens` — are the tokens served after post-processing, rows × T summed over every
// micro-batch of every rank, which is what the trainer's `tokens` counter adds per step.
//
// Held-out exclusion: the validation split is defined by a hash of the sample id
// (`HeldOutSplit`), so it needs no list and the sampler's index view stays the whole index (its
// order tables, thresholds and cluster boundaries equal DeepSpeed's, spec §6.3). A drawn id that is
// held out is skipped; the shortfall is made up from the next global batch, and unused ids carry
// over to the next step (fewer than B of them, saved in the state). The admitted pool is thus
// admitted(s) ∩ training split, each cluster still consumed without replacement — and the
// sampler's curriculum step runs ahead of the optimiser step by about the held-out fraction
// (both are logged: `step` and `curriculum_step`). Percentile thresholds count held-out samples.
// Fraction 0 (`gradus batches`) serves each global batch as drawn.

import CorpusIndex
import Curriculum
import Foundation
import Model

/// The rows of one micro-batch of one rank.
public struct StreamRows {
    /// The micro-batch's sample ids, in the sampler's order.
    public var sampleIDs: ArraySlice<UInt64>
    /// The sequence curriculum applied to the rows, or nil.
    public var applied: SequenceCurriculumKind?
    /// Tokens per row (T + 1); rows are stored row-major in `tokens`.
    public var width: Int
    /// rows × `width` token ids, −1 after a row's last real token; empty without tokens.
    public var tokens: [Int32]
    /// Real tokens in each row (no padding); one per row.
    public var lengths: [Int]
    /// Rows (one per sample unless `seqlen_reshape` cut them).
    public var rows: Int { lengths.count }

    /// Inputs row[0..<T] (padding read as token 0), targets row[1...T], loss counted where the
    /// target is a real token.
    /// - Throws: `ModelError.invalidBatch` for no rows or rows of fewer than two positions.
    public func tokenBatch() throws -> TokenBatch {
        let T = width - 1
        guard rows > 0, T >= 1, tokens.count == rows * width else { throw ModelError.invalidBatch("no rows of two or more tokens") }
        var inputs = [Int32](repeating: 0, count: rows * T), targets = inputs
        var mask = [Float](repeating: 0, count: rows * T)
        for r in 0..<rows {
            for t in 0..<T {
                let (a, b) = (tokens[r * width + t], tokens[r * width + t + 1])
                (inputs[r * T + t], targets[r * T + t], mask[r * T + t]) = (max(0, a), b, a >= 0 && b >= 0 ? 1 : 0)
            }
        }
        return try TokenBatch(batchSize: rows, length: T, inputs: inputs, targets: targets, lossMask: mask)
    }
}

/// Curriculum global batches over a complete index, and the rows of their micro-batches.
public final class CurriculumBatchStream {
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
    private let geometry: BatchGeometry, rank: Int
    private let sequenceLength: Int?, shapesRows: Bool, vocab: Int, heldOutFraction: Double
    /// The sequence curriculum the config asks for (applied to rows only when `shapesRows`).
    public let kind: SequenceCurriculumKind?
    private let kindMetric: Int?
    private var pending: [UInt64] = []
    private var consumedTokens = 0.0
    private var raw: [UInt32] = [], rawLengths: [Int] = [], rawStarts: [Int] = []
    private var buffer: [Int32] = []

    /// Global batches in a row that may yield no training sample before the stream gives up.
    static let maxEmptyDraws = 64

    /// The curriculum metrics, config order.
    public var metrics: [CurriculumMetricConfig] { sampler.metrics }

    /// - Parameters:
    ///   - geometry: micro-batch size, accumulation steps and world; B = its global batch size.
    ///   - sequenceLength: S; rows are cut to S + 1 tokens when `shapesRows`. Needed when rows are
    ///     shaped or a metric is paced by tokens (served tokens count T = S without a sequence
    ///     curriculum); nil otherwise.
    ///   - shapesRows: cut rows to S + 1 and apply the sequence curriculum; false serves the stored
    ///     samples whole (the consumer post-processes, as Megatron-DeepSpeed does).
    ///   - vocab: token ids must be below it.
    /// - Throws: `CurriculumError` when the curriculum does not fit the index,
    ///   `TrainingError.invalidConfig` when S is needed but nil.
    public init(index: LMDBDifficultyIndex, config: GradusConfig, geometry: BatchGeometry, rank: Int = 0,
                sequenceLength: Int?, shapesRows: Bool, vocab: Int, heldOutFraction: Double = 0) throws {
        self.index = index
        sampler = try CurriculumSampler(index: index, config: config, globalBatchSize: geometry.globalBatchSize)
        (self.geometry, self.rank, self.sequenceLength, self.shapesRows) = (geometry, rank, sequenceLength, shapesRows)
        (self.vocab, self.heldOutFraction) = (vocab, heldOutFraction)
        let kind = SequencePostProcess.kind(of: config.curriculumMetrics.map(\.name))
        (self.kind, kindMetric) = (kind, config.curriculumMetrics.firstIndex { $0.name == kind?.rawValue })
        let pacedByTokens = config.curriculumMetrics.contains { $0.pacing.stepUnit == .tokens }
        if sequenceLength == nil && (shapesRows || pacedByTokens) {
            throw TrainingError.invalidConfig(["\(shapesRows ? "the sequence curriculum" : "step_unit tokens") needs the "
                + "sequence length S: set gradus.train.seq_length or gradus.model.context, or use an index built with --pack"])
        }
    }

    /// The stream `gradus train` reads: one micro-batch of B = `batch_size` rows of S + 1 tokens per
    /// step, the held-out fraction skipped, rows checked against the model's vocabulary.
    public convenience init(index: LMDBDifficultyIndex, run config: RunConfig) throws {
        try self.init(index: index, config: config.file,
                      geometry: BatchGeometry(microBatchSize: config.train.batchSize, gradientAccumulationSteps: 1, world: 1),
                      sequenceLength: config.sequenceLength, shapesRows: true, vocab: config.model.vocab,
                      heldOutFraction: config.train.validationFraction)
    }

    /// The next global batch: B training ids (held-out ones skipped, in the sampler's order), the
    /// sampler's step and difficulties after drawing them. Adds the tokens it serves to the
    /// consumed count.
    /// - Throws: `CurriculumError` from the sampler, `TrainingError.invalidConfig` for a pool of
    ///   held-out samples only.
    public func next() throws -> GlobalBatch {
        let size = geometry.globalBatchSize
        var emptyDraws = 0
        while pending.count < size {
            let global = try sampler.nextGlobalBatch(consumedTokens: consumedTokens)
            let kept = global.sampleIDs.filter { !HeldOutSplit.isHeldOut(id: Int($0), fraction: heldOutFraction) }
            emptyDraws = kept.isEmpty ? emptyDraws + 1 : 0
            guard emptyDraws < Self.maxEmptyDraws else {
                throw TrainingError.invalidConfig(["at curriculum step \(global.step) the admitted samples are all held out "
                    + "for validation; raise min_difficulty or lower validation_fraction"])
            }
            pending += kept
        }
        let batch = GlobalBatch(step: sampler.step, difficulties: sampler.currentDifficulties.map { $0 ?? 0 },
                                sampleIDs: Array(pending.prefix(size)))
        pending.removeFirst(size)
        consumedTokens += Double(servedTokens(batch))
        return batch
    }

    /// Rows served for `batch` summed over every micro-batch of every rank, times T.
    private func servedTokens(_ batch: GlobalBatch) -> Int {
        guard let s = sequenceLength else { return 0 }
        let c = difficulty(batch)
        return (0..<geometry.gradientAccumulationSteps).reduce(0) { sum, j in
            (0..<geometry.world).reduce(sum) { sum, r in
                let n = batch.microBatch(j, rank: r, geometry: geometry).count
                return sum + SequencePostProcess.layout(batch: n, sequenceLength: s, kind: kind, difficulty: c).servedTokens
            }
        }
    }

    private func difficulty(_ batch: GlobalBatch) -> Int { kindMetric.map { Int(batch.difficulties[$0]) } ?? Int.max }

    /// Micro-batch `j` of this rank: its ids and, with `tokens`, its rows read from the index and
    /// post-processed at the batch's difficulty (when the stream shapes rows).
    /// - Throws: `IndexError` from the store, `TrainingError.invalidConfig` for a token outside the vocabulary.
    public func rows(of batch: GlobalBatch, microBatch j: Int, tokens: Bool) throws -> StreamRows {
        let ids = batch.microBatch(j, rank: rank, geometry: geometry)
        guard tokens else { return StreamRows(sampleIDs: ids, applied: nil, width: 0, tokens: [], lengths: []) }
        raw.removeAll(keepingCapacity: true)
        rawLengths.removeAll(keepingCapacity: true)
        try index.reader.appendTokens(of: ids, to: &raw, lengths: &rawLengths)
        if let bad = raw.firstIndex(where: { Int($0) >= vocab }) {
            var end = 0, row = 0
            while end + rawLengths[row] <= bad { end += rawLengths[row]; row += 1 }
            throw TrainingError.invalidConfig(["token \(raw[bad]) of sample \(ids[ids.startIndex + row]) exceeds the vocabulary \(vocab)"])
        }
        let s = shapesRows ? sequenceLength ?? 1 : max(1, (rawLengths.max() ?? 1) - 1)
        let layout = SequencePostProcess.layout(batch: ids.count, sequenceLength: s, kind: shapesRows ? kind : nil,
                                                difficulty: difficulty(batch))
        rawStarts.removeAll(keepingCapacity: true)
        var offset = 0
        for n in rawLengths { rawStarts.append(offset); offset += n }
        let w = layout.width
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(-1, count: layout.rows * w))
        var lengths = [Int](repeating: 0, count: layout.rows)
        for (i, start) in layout.starts.enumerated() {
            let (row, column) = start.quotientAndRemainder(dividingBy: s + 1)
            let n = max(0, min(w, rawLengths[row] - column))
            for t in 0..<n { buffer[i * w + t] = Int32(raw[rawStarts[row] + column + t]) }
            lengths[i] = n
        }
        return StreamRows(sampleIDs: ids, applied: shapesRows ? kind : nil, width: w, tokens: buffer, lengths: lengths)
    }

    /// The sampler's position, as `gradus batches --save-state` writes it.
    public func samplerState() -> SamplerState { sampler.state() }

    /// Continues from a sampler state (`gradus batches --resume`): the carried-over ids and the
    /// consumed-token count start empty.
    /// - Throws: `CurriculumError` for a state of another index or config unless `force`.
    public func restoreSampler(_ state: SamplerState, force: Bool) throws {
        try sampler.restore(state, force: force)
        (pending, consumedTokens) = ([], 0)
    }
}

extension CurriculumBatchStream: BatchSource {
    /// Micro-batch 0 of the next global batch as a `TokenBatch` (the trainer's geometry has one),
    /// with the sampler's step and difficulties.
    public func nextBatch() throws -> (batch: TokenBatch, info: BatchInfo?) {
        let global = try next()
        let named = Dictionary(uniqueKeysWithValues: zip(metrics.map(\.name), global.difficulties))
        return (try rows(of: global, microBatch: 0, tokens: true).tokenBatch(),
                BatchInfo(curriculumStep: global.step, difficulties: named))
    }

    public func saveState() throws -> Data {
        try sortedKeysEncoder().encode(State(sampler: sampler.state(), pending: pending, consumedTokens: consumedTokens,
                                             heldOutFraction: heldOutFraction))
    }

    /// - Throws: `TrainingError.invalidSourceState` for a blob that is not a curriculum state, or
    ///   one of another index, curriculum or held-out split.
    public func restoreState(_ data: Data) throws {
        guard let s = try? JSONDecoder().decode(State.self, from: data) else {
            throw TrainingError.invalidSourceState("not a curriculum-source state (was the run started without a curriculum?)")
        }
        guard s.heldOutFraction == heldOutFraction, s.pending.count < geometry.globalBatchSize else {
            throw TrainingError.invalidSourceState("the state was saved with another validation_fraction or batch size")
        }
        do { try sampler.restore(s.sampler) } catch {
            throw TrainingError.invalidSourceState("\(error)")
        }
        (pending, consumedTokens) = (s.pending, s.consumedTokens)
    }
}

/// The sequence curriculum of a run and the batch shapes it serves.
public enum SequenceCurriculum {
    /// The post-processing the metrics ask for (`SequencePostProcess.kind(of:)`); nil for neither.
    public static func kind(of metrics: [CurriculumMetricConfig]) -> SequenceCurriculumKind? {
        SequencePostProcess.kind(of: metrics.map(\.name))
    }

    /// (rows, T) of a batch of `batch` rows of `sequenceLength` positions after `kind` at
    /// difficulty `c` (`SequencePostProcess.layout`).
    public static func servedShape(batch b: Int, sequenceLength s: Int, kind: SequenceCurriculumKind?,
                                   difficulty c: Int) -> (rows: Int, length: Int) {
        let layout = SequencePostProcess.layout(batch: b, sequenceLength: s, kind: kind, difficulty: c)
        return (layout.rows, layout.width - 1)
    }
}
