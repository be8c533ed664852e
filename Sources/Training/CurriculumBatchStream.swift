// CurriculumBatchStream.swift — the one curriculum batch path (issue 12 item 3, spec §6 and §8) of
// `gradus train` (its `BatchSource`) and `gradus batches` (every micro-batch of one rank): global
// batches from `CurriculumSampler`, held-out ids skipped (`HeldOutSplit`, stratified by sample
// group when the index has groups: `HeldOutPartition`; the shortfall is drawn
// from the next global batch and unused ids carry over, so the curriculum step runs ahead of the
// optimiser step by about the held-out fraction; fraction 0 serves each batch as drawn), rows read
// straight from the index into a reused buffer and post-processed (`seqlen_truncate` /
// `seqlen_reshape`) per micro-batch as Megatron-DeepSpeed's `data_post_process` does — the trainer
// has one micro-batch per step. Under `step_unit: tokens` the pacing argument is the tokens served
// after post-processing, rows × T over every micro-batch of every rank: the trainer's `tokens`.

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

    /// The rows as a training batch (`TokenBatch(rows:width:)`: padding read as token 0, loss
    /// counted where the target is a real token).
    /// - Throws: `ModelError.invalidBatch` for no rows or rows of fewer than two positions.
    public func tokenBatch() throws -> TokenBatch { try TokenBatch(rows: tokens, width: width) }
}

/// Reads samples' token rows from an index into reused buffers (no per-sample arrays).
final class RowReader {
    private let reader: IndexReader, vocab: Int
    private var raw: [UInt32] = [], rawLengths: [Int] = [], buffer: [Int32] = []

    init(_ reader: IndexReader, vocab: Int) { (self.reader, self.vocab) = (reader, vocab) }

    /// The rows of `ids`: each sample cut to S + 1 tokens and laid out by `kind` at difficulty
    /// `c`, or with S nil the stored samples whole.
    /// - Throws: `IndexError` from the store, `TrainingError.invalidConfig` for a token ≥ `vocab`.
    func rows(_ ids: ArraySlice<UInt64>, sequenceLength: Int?, kind: SequenceCurriculumKind?, difficulty c: Int) throws -> StreamRows {
        raw.removeAll(keepingCapacity: true)
        rawLengths.removeAll(keepingCapacity: true)
        try reader.appendTokens(of: ids, to: &raw, lengths: &rawLengths)
        if let bad = raw.firstIndex(where: { Int($0) >= vocab }) {
            var row = 0, end = rawLengths[0]
            while end <= bad { row += 1; end += rawLengths[row] }
            throw TrainingError.invalidConfig(["token \(raw[bad]) of sample \(ids[ids.startIndex + row]) exceeds the vocabulary \(vocab)"])
        }
        let s = sequenceLength ?? max(1, (rawLengths.max() ?? 1) - 1)
        let layout = SequencePostProcess.layout(batch: ids.count, sequenceLength: s, kind: kind, difficulty: c)
        var offset = 0
        let rawStarts = rawLengths.map { n in defer { offset += n }; return offset }
        let w = layout.width
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(-1, count: layout.rows * w))
        let lengths = layout.starts.enumerated().map { i, start in
            let (row, column) = start.quotientAndRemainder(dividingBy: s + 1)
            let n = max(0, min(w, rawLengths[row] - column))
            for t in 0..<n { buffer[i * w + t] = Int32(raw[rawStarts[row] + column + t]) }
            return n
        }
        return StreamRows(sampleIDs: ids, applied: kind, width: w, tokens: buffer, lengths: lengths)
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

    private var sampler: CurriculumSampler<LMDBDifficultyIndex>
    private let rowReader: RowReader
    private let geometry: BatchGeometry, rank: Int
    private let sequenceLength: Int?, shapesRows: Bool, heldOutFraction: Double
    /// The split seed of the held-out ids skipped (`validation_split_seed`; 0: the original split).
    private let heldOutSeed: UInt64
    /// The stratified split when the index has sample groups; nil: the per-id hash alone decides.
    private let stratified: HeldOutPartition?
    /// The sequence curriculum the config asks for (applied to rows only when shaping them).
    public let kind: SequenceCurriculumKind?
    private let kindMetric: Int?
    private var pending: [UInt64] = []
    private var consumedTokens = 0.0

    /// Global batches in a row that may yield no training sample before the stream gives up.
    static let maxEmptyDraws = 64

    /// The curriculum metrics, config order.
    public var metrics: [CurriculumMetricConfig] { sampler.metrics }

    /// Samples the sampler has drawn (step × global batch size, held-out ids included).
    public var consumedSamples: Int { sampler.consumedSamples }

    /// N · num_epochs, DeepSpeed's `total_samples` (N = the index's samples).
    public var totalSamples: Int { sampler.totalSamples }

    /// Micro-batches (of all ranks together, mbs · world samples each) DeepSpeed's sampler yields
    /// before it ends (spec §6.6): it yields while consumed_samples ≤ total_samples, so
    /// ⌊total_samples / (mbs · world)⌋ + 1 of them, one more than the epochs hold (its off-by-one).
    public var epochLimitMicroBatches: Int { totalSamples / (geometry.microBatchSize * geometry.world) + 1 }

    /// - Parameters:
    ///   - geometry: micro-batch size, accumulation steps and world; B = its global batch size.
    ///   - sequenceLength: S. Needed when rows are shaped or a metric is paced by tokens (T = S
    ///     without a sequence curriculum).
    ///   - shapesRows: cut rows to S + 1 and apply the sequence curriculum; false serves the stored
    ///     samples whole (the consumer post-processes, as Megatron-DeepSpeed does).
    ///   - vocab: token ids must be below it.
    ///   - heldOutFraction: the validation fraction whose held-out ids are skipped (0: none).
    ///   - heldOutSeed: the split seed of those ids (`validation_split_seed`; 0: the original split).
    ///   - groups: the index's sample groups (`IndexReader.sampleGroups()`); with any, the skipped
    ///     ids are the stratified split's (`HeldOutPartition`), as `TrainingData` evaluates on.
    ///   - partition: that split when the caller has already computed it (`TrainingData`), so it
    ///     is not computed twice; nil computes it from `groups`.
    /// - Throws: `CurriculumError` when the curriculum does not fit the index,
    ///   `TrainingError.invalidConfig` when S is needed but nil or the groups do not fit the index.
    public init(index: LMDBDifficultyIndex, config: GradusConfig, geometry: BatchGeometry, rank: Int = 0,
                sequenceLength: Int?, shapesRows: Bool, vocab: Int, heldOutFraction: Double = 0,
                heldOutSeed: UInt64 = 0, groups: [SampleGroups] = [], partition: HeldOutPartition? = nil) throws {
        sampler = try CurriculumSampler(index: index, config: config, globalBatchSize: geometry.globalBatchSize)
        rowReader = RowReader(index.reader, vocab: vocab)
        (self.geometry, self.rank, self.sequenceLength) = (geometry, rank, sequenceLength)
        (self.shapesRows, self.heldOutFraction, self.heldOutSeed) = (shapesRows, heldOutFraction, heldOutSeed)
        stratified = groups.isEmpty || heldOutFraction <= 0 ? nil
            : try partition ?? HeldOutPartition(count: index.reader.sampleCount, fraction: heldOutFraction, groups: groups, seed: heldOutSeed)
        let kind = SequencePostProcess.kind(of: config.curriculumMetrics.map(\.name))
        (self.kind, kindMetric) = (kind, config.curriculumMetrics.firstIndex { $0.name == kind?.rawValue })
        if sequenceLength == nil && (shapesRows || config.curriculumMetrics.contains { $0.pacing.stepUnit == .tokens }) {
            throw TrainingError.invalidConfig(["\(shapesRows ? "the sequence curriculum" : "step_unit tokens") needs the "
                + "sequence length S: set gradus.train.seq_length or gradus.model.context, or use an index built with --pack"])
        }
    }

    /// The stream `gradus train` reads: one micro-batch of B = `batch_size` rows of S + 1 tokens per
    /// step, the held-out fraction skipped (stratified by `groups` when there are any), tokens
    /// checked against the model's vocabulary.
    /// `partition`: the run's split when already computed from the same `groups` (`TrainingData`).
    public convenience init(index: LMDBDifficultyIndex, run config: RunConfig, groups: [SampleGroups] = [],
                            partition: HeldOutPartition? = nil) throws {
        try self.init(index: index, config: config.file,
                      geometry: BatchGeometry(microBatchSize: config.train.batchSize, gradientAccumulationSteps: 1, world: 1),
                      sequenceLength: config.sequenceLength, shapesRows: true, vocab: config.model.vocab,
                      heldOutFraction: config.train.validationFraction, heldOutSeed: config.train.validationSplitSeed,
                      groups: groups, partition: partition)
    }

    /// The next global batch: B training ids (held-out ones skipped, in the sampler's order) with
    /// the sampler's step and difficulties; adds the tokens it serves to the consumed count.
    /// - Throws: `CurriculumError` from the sampler, `TrainingError.invalidConfig` for a pool of
    ///   held-out samples only.
    public func next() throws -> GlobalBatch {
        let size = geometry.globalBatchSize
        var emptyDraws = 0
        while pending.count < size {
            let global = try sampler.nextGlobalBatch(consumedTokens: consumedTokens)
            let kept = global.sampleIDs.filter { id in
                !(stratified?.contains(Int(id)) ?? HeldOutSplit.isHeldOut(id: Int(id), fraction: heldOutFraction, seed: heldOutSeed))
            }
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
        if let s = sequenceLength {
            for j in 0..<geometry.gradientAccumulationSteps {
                for r in 0..<geometry.world {
                    let n = batch.microBatch(j, rank: r, geometry: geometry).count
                    consumedTokens += Double(SequencePostProcess.layout(batch: n, sequenceLength: s, kind: kind,
                                                                        difficulty: difficulty(batch)).servedTokens)
                }
            }
        }
        return batch
    }

    private func difficulty(_ batch: GlobalBatch) -> Int { kindMetric.map { Int(batch.difficulties[$0]) } ?? Int.max }

    /// Micro-batch `j` of this rank: its ids and, with `tokens`, its rows read from the index and
    /// post-processed at the batch's difficulty when the stream shapes rows.
    /// - Throws: `IndexError` from the store, `TrainingError.invalidConfig` for a token outside the vocabulary.
    public func rows(of batch: GlobalBatch, microBatch j: Int, tokens: Bool) throws -> StreamRows {
        let ids = batch.microBatch(j, rank: rank, geometry: geometry)
        guard tokens else { return StreamRows(sampleIDs: ids, applied: nil, width: 0, tokens: [], lengths: []) }
        return try rowReader.rows(ids, sequenceLength: shapesRows ? sequenceLength : nil, kind: shapesRows ? kind : nil,
                                  difficulty: difficulty(batch))
    }

    /// The sampler's position, as `gradus batches --save-state` writes it.
    public func samplerState() -> SamplerState { sampler.state() }

    /// Continues from a sampler state (`gradus batches --resume`); carried-over ids and the
    /// consumed-token count start empty.
    /// - Throws: `CurriculumError` for a state of another index or config unless `force`.
    public func restoreSampler(_ state: SamplerState, force: Bool) throws {
        try sampler.restore(state, force: force)
        (pending, consumedTokens) = ([], 0)
    }
}

extension CurriculumBatchStream: BatchSource {
    /// Micro-batch 0 of the next global batch (the trainer's geometry has one) with the sampler's
    /// step and difficulties.
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
    public func restoreState(_ data: Data) throws { try restoreState(data, indexVerified: false) }

    /// With `indexVerified` the sampler's index fingerprint (a hash of the whole manifest, build
    /// time and command line included, so a byte-identical rebuild differs) is not compared; the
    /// curriculum config fingerprint still is.
    /// - Throws: as `restoreState(_:)`.
    public func restoreState(_ data: Data, indexVerified: Bool) throws {
        guard let s = try? JSONDecoder().decode(State.self, from: data) else {
            throw TrainingError.invalidSourceState("not a curriculum-source state (was the run started without a curriculum?)")
        }
        guard s.heldOutFraction == heldOutFraction, s.pending.count < geometry.globalBatchSize else {
            throw TrainingError.invalidSourceState("the state was saved with another validation_fraction or batch size")
        }
        if indexVerified && s.sampler.configFingerprint != sampler.state().configFingerprint {
            throw TrainingError.invalidSourceState("the state was saved with another curriculum config, seed or global batch size")
        }
        do { try sampler.restore(s.sampler, force: indexVerified) } catch CurriculumError.fingerprintMismatch(let why) {
            throw TrainingError.invalidSourceState(why + "; resume on the index the run started with")  // `train` has no --force
        } catch {
            throw TrainingError.invalidSourceState("\(error)")
        }
        (pending, consumedTokens) = (s.pending, s.consumedTokens)
    }
}
