// BatchSource.swift — where the trainer's batches come from, as a protocol so the loop does not
// depend on the index or the curriculum (issue 5; CurriculumBatchStream.swift serves the sampler's). A source
// owns its position and randomness and round-trips them through an opaque state blob that the
// checkpoint stores, so a resumed run sees exactly the batches the uninterrupted one would.
// The synthetic source (random tokens, for benchmarks and tests) lives here.

import Foundation
import Model
import Support

/// A stream of training or evaluation batches with a savable position.
public protocol BatchSource: AnyObject {
    /// The next batch and what it was drawn under (curriculum step, difficulties) for the run log;
    /// `info` is nil for sources without a curriculum.
    /// - Throws: when the underlying data cannot be read.
    func nextBatch() throws -> (batch: TokenBatch, info: BatchInfo?)
    /// Everything needed to continue the stream exactly (position, RNG state), opaque to the trainer.
    func saveState() throws -> Data
    /// Continues from a blob `saveState()` produced.
    /// - Throws: `TrainingError.invalidSourceState` when the blob is not this source's.
    func restoreState(_ state: Data) throws
    /// Continues from a blob `saveState()` produced; with `indexVerified` the caller has already
    /// matched the index's content fingerprint with the one the blob was saved on, so a source
    /// skips its own, coarser index check (the curriculum sampler's hash of the whole manifest,
    /// build time included) and checks the rest.
    /// - Throws: `TrainingError.invalidSourceState` when the blob is not this source's.
    func restoreState(_ state: Data, indexVerified: Bool) throws
    /// The sample id of each row of the batch `nextBatch()` served last, or nil when the source
    /// does not serve index samples one per row (per-group evaluation maps rows to groups by it).
    var lastSampleIDs: [Int]? { get }
}

extension BatchSource {
    /// Sources whose own index check is content-based already ignore `indexVerified`.
    public func restoreState(_ state: Data, indexVerified: Bool) throws { try restoreState(state) }
    /// Sources without index samples have no row ids.
    public var lastSampleIDs: [Int]? { nil }
}

/// The curriculum context of one served batch.
public struct BatchInfo: Codable, Equatable, Sendable {
    /// The sampler's step (global batches drawn, 1 for the first; spec §2.4).
    public var curriculumStep: Int
    /// Each curriculum metric's difficulty by name.
    public var difficulties: [String: Double]

    public init(curriculumStep: Int, difficulties: [String: Double]) {
        (self.curriculumStep, self.difficulties) = (curriculumStep, difficulties)
    }
}

/// Uniformly random token rows from a seeded generator: inputs row[0..<T], targets row[1...T].
public final class SyntheticBatchSource: BatchSource {
    public let batchSize: Int, length: Int, vocab: Int
    private var rng: SplitMix64

    /// - Precondition: all sizes ≥ 1.
    public init(batchSize: Int, length: Int, vocab: Int, seed: UInt64) {
        precondition(batchSize >= 1 && length >= 1 && vocab >= 1, "synthetic batches need positive sizes")
        (self.batchSize, self.length, self.vocab) = (batchSize, length, vocab)
        rng = SplitMix64(seed: seed)
    }

    public func nextBatch() throws -> (batch: TokenBatch, info: BatchInfo?) {
        let tokens = (0..<batchSize * (length + 1)).map { _ in Int32(rng.next() % UInt64(vocab)) }
        return (try TokenBatch(rows: tokens, width: length + 1), nil)
    }

    public func saveState() throws -> Data { try sortedKeysEncoder().encode(rng) }

    public func restoreState(_ state: Data) throws {
        do { rng = try JSONDecoder().decode(SplitMix64.self, from: state) } catch {
            throw TrainingError.invalidSourceState("synthetic source: \(error)")
        }
    }
}
