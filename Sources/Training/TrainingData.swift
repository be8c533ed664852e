// TrainingData.swift — the batch sources of one run on a complete index (issue 5 §4): the
// held-out split by sample-id hash (`HeldOutSplit`; stratified by sample group when the index has
// groups, `HeldOutPartition`), evaluated at the full sequence length in the split's order;
// training batches from the curriculum sampler when the config enables curriculum metrics
// (`CurriculumBatchStream`, the held-out ids skipped), otherwise uniform shuffling of the
// training ids (`IndexBatchSource`). Refuses, with every reason at once, an index the config
// cannot train on.

import CorpusIndex
import Curriculum
import Foundation

/// The training and held-out sources of a run.
public struct TrainingData {
    /// The opened index.
    public let reader: IndexReader
    /// Training batches (curriculum or uniform).
    public let training: any BatchSource
    /// Held-out batches at full length, or nil when the split is empty.
    public let heldOut: (any BatchSource)?
    /// Samples in the training split and in the held-out split.
    public let trainingCount: Int, heldOutCount: Int
    /// The index's sample groups the split is stratified by and evaluation reports loss per
    /// (empty: none); pass them to `Trainer` as its `groups`.
    public let groups: [SampleGroups]
    /// Whether training batches come from the curriculum sampler.
    public let usesCurriculum: Bool
    /// The curriculum index (nil without a curriculum), for `poolWarning`.
    private let curriculumIndex: LMDBDifficultyIndex?
    private let config: RunConfig

    /// Opens the index at `path` (as `options` says) and builds both sources.
    /// - Parameter groups: the sample groups, one per field; nil (the default) reads the index's
    ///   own (`IndexReader.sampleGroups()`, none for an index built without `--group-field`).
    ///   With any, the held-out split is stratified by them (`HeldOutPartition`).
    /// - Throws: `IndexError` for a missing or incomplete index, `TrainingError.invalidConfig`
    ///   listing every way config and index disagree (groups that do not cover the index's
    ///   samples included), `CurriculumError` when the curriculum's metrics are not in the index.
    public init(index path: String, config: RunConfig, options: IndexReadOptions = IndexReadOptions(),
                groups: [SampleGroups]? = nil) throws {
        usesCurriculum = !config.curriculumMetrics.isEmpty
        let curriculumIndex = usesCurriculum ? try LMDBDifficultyIndex(path: path, options: options) : nil
        let reader = try curriculumIndex?.reader ?? IndexReader(path: path, options: options)
        let problems = Self.problems(config, reader)
        if !problems.isEmpty { throw TrainingError.invalidConfig(problems) }
        (self.reader, self.curriculumIndex, self.config) = (reader, curriculumIndex, config)
        let (B, T, V) = (config.train.batchSize, config.sequenceLength, config.model.vocab)
        let groups = try groups ?? reader.sampleGroups()
        let split = try HeldOutPartition(count: reader.sampleCount, fraction: config.train.validationFraction, groups: groups,
                                         seed: config.train.validationSplitSeed)
        let (trainingIDs, heldOutIDs) = (split.training, split.heldOut)
        (trainingCount, heldOutCount, self.groups) = (trainingIDs.count, heldOutIDs.count, groups)
        if let curriculumIndex {
            training = try CurriculumBatchStream(index: curriculumIndex, run: config, groups: groups, partition: split)
        } else {
            training = try IndexBatchSource(reader: reader, ids: trainingIDs, batchSize: B, length: T, vocab: V,
                                            seed: config.train.seed, shuffle: true)
        }
        heldOut = heldOutIDs.isEmpty ? nil : try IndexBatchSource(
            reader: reader, ids: heldOutIDs, batchSize: B, length: T, vocab: V, seed: 0, shuffle: false)
    }

    /// The optimiser steps after which the curriculum data ends (`data_sampling.num_epochs`, as
    /// DeepSpeed's sampler: `CurriculumBatchStream.epochLimitMicroBatches`, one B-sample micro-batch
    /// a step), or nil without a curriculum (DeepSpeed's plain loader has no such limit).
    public var epochLimitSteps: Int? { (training as? CurriculumBatchStream)?.epochLimitMicroBatches }

    /// The warning `gradus schedule --index` gives when the curriculum's admitted pool is smaller
    /// than the global batch at some of the first `steps` curriculum steps (a shard, or a low
    /// minimum difficulty), or nil (also without a curriculum). Pacing by tokens assumes full
    /// B × T batches.
    /// - Throws: `CurriculumError` or `IndexError` from reading the index.
    public func poolWarning(steps: Int) throws -> String? {
        guard let curriculumIndex else { return nil }
        var preview = try PoolPreview(index: curriculumIndex, metrics: config.curriculumMetrics,
                                      globalBatchSize: config.train.batchSize,
                                      tokensPerStep: Double(config.train.batchSize * config.sequenceLength))
        return try preview.starvationWarning(through: steps)
    }

    /// Every reason `config` cannot train on the index of `reader`.
    public static func problems(_ config: RunConfig, _ reader: IndexReader) -> [String] {
        let m = reader.manifest
        let T = config.sequenceLength
        var out: [String] = []
        if m.tokenizer.vocabularySize > config.model.vocab {
            out.append("the index's vocabulary (\(m.tokenizer.vocabularySize), \(m.tokenizer.name)) exceeds the model's vocab (\(config.model.vocab))")
        }
        if let pack = m.pack, pack < T {
            out.append("sequence length \(T) exceeds the index's packed samples (\(pack + 1) tokens give \(pack) positions); "
                + "lower seq_length/context or re-index with --pack \(T)")
        }
        if reader.sampleCount == 0 { out.append("the index holds no samples") }
        let missing = config.curriculumMetrics.filter { $0.clusteringType == .scheduleBased && MetricAliases.position(of: $0.name, in: reader.metricNames) == nil }
        for metric in missing {
            out.append("curriculum metric \(metric.name) is not in the index (it has: \(reader.metricNames.joined(separator: ", ")))")
        }
        return out
    }
}
