// IndexBatchSource.swift — batches from a complete difficulty index (issue 5 §4) with uniform
// shuffling, for runs without a curriculum; the curriculum sampler will be a second
// `BatchSource` over the same split. The held-out split is chosen by a hash of the sample id, so
// it is deterministic, independent of order and shard layout, and never served for training.
// A row is one sample: inputs tokens[0..<T], targets tokens[1...T]; a shorter sample (document
// mode) is padded with loss mask 0, a longer one truncated.

import CorpusIndex
import Foundation
import Model
import Support

/// The deterministic train / held-out split of an index's sample ids.
public enum HeldOutSplit {
    /// True when sample `id` belongs to the held-out set: a SplitMix64 hash of the id (and the
    /// split seed), scaled to [0, 1), is below `fraction`.
    public static func isHeldOut(id: Int, fraction: Double, seed: UInt64 = 0) -> Bool { rank(id: id, seed: seed) < fraction }

    /// The per-id hash rank in [0, 1): a SplitMix64 hash of the id, scaled. The plain split holds
    /// out ranks below the fraction; the stratified one (`HeldOutPartition`) the lowest ranks of
    /// each stratum. `seed` 0 is the original split; another seed (`validation_split_seed`) first
    /// mixes the seed into the id's hash, giving an independent rank per id.
    public static func rank(id: Int, seed: UInt64 = 0) -> Double {
        var key = UInt64(truncatingIfNeeded: id)
        if seed != 0 {
            var seedMixer = SplitMix64(seed: seed)
            key ^= seedMixer.next()
        }
        var mixer = SplitMix64(seed: key ^ 0x4845_4C44_4F55_5421)
        return Double(mixer.next() >> 11) * 0x1.0p-53
    }

    /// Ids 0..<count split into (training, held-out), each ascending.
    public static func split(count: Int, fraction: Double, seed: UInt64 = 0) -> (training: [Int], heldOut: [Int]) {
        var training: [Int] = [], heldOut: [Int] = []
        for id in 0..<count {
            if isHeldOut(id: id, fraction: fraction, seed: seed) { heldOut.append(id) } else { training.append(id) }
        }
        return (training, heldOut)
    }
}

/// Rows from an index, in a fresh seeded permutation of `ids` every epoch (or in order).
public final class IndexBatchSource: BatchSource {
    private struct State: Codable, Equatable {
        var index: String
        var epoch: Int
        var position: Int
    }

    private let rowReader: RowReader
    private let ids: [Int]
    private let batchSize: Int, length: Int
    private let seed: UInt64
    private let shuffle: Bool
    private let identity: String
    private var order: [Int]
    private var state: State
    /// The sample id of each row of the last batch served (nil before the first).
    public private(set) var lastSampleIDs: [Int]?

    /// - Parameters:
    ///   - ids: the sample ids this source serves (e.g. `HeldOutSplit.split(...).training`).
    ///   - vocab: the model's vocabulary; a token id at or above it is an error.
    ///   - shuffle: permute every epoch with a generator seeded by (seed, epoch); else serve in order.
    /// - Throws: `TrainingError.invalidConfig` for no ids, or samples too short for a target.
    public init(reader: IndexReader, ids: [Int], batchSize: Int, length: Int, vocab: Int, seed: UInt64,
                shuffle: Bool) throws {
        guard !ids.isEmpty else { throw TrainingError.invalidConfig(["the index split serves no samples"]) }
        guard batchSize >= 1, length >= 1 else { throw TrainingError.invalidConfig(["batch size and length must be >= 1"]) }
        (self.ids, self.batchSize, self.length) = (ids, batchSize, length)
        rowReader = RowReader(reader, vocab: vocab)
        (self.seed, self.shuffle) = (seed, shuffle)
        let m = reader.manifest
        var idHash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the served ids: another split is another stream
        for id in ids { idHash = (idHash ^ UInt64(truncatingIfNeeded: id)) &* 0x0000_0100_0000_01B3 }
        identity = "\(m.tokenizer.fingerprint)/\(m.counts.samples)/\(m.counts.tokens)/\(m.pack.map(String.init) ?? "doc")"
            + "/\(ids.count):\(String(idHash, radix: 16))"
        state = State(index: identity, epoch: 0, position: 0)
        order = []
        order = permutation(epoch: 0)
    }

    private func permutation(epoch: Int) -> [Int] {
        guard shuffle else { return ids }
        var rng = SplitMix64(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        var out = ids
        if out.count > 1 {
            for i in stride(from: out.count - 1, to: 0, by: -1) {
                out.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
        }
        return out
    }

    /// The next B rows; crosses epoch boundaries seamlessly.
    /// - Throws: `IndexError` from the store, `TrainingError.invalidConfig` for an out-of-vocabulary id.
    public func nextBatch() throws -> (batch: TokenBatch, info: BatchInfo?) {
        let batch = (0..<batchSize).map { _ -> UInt64 in
            if state.position == order.count {
                (state.epoch, state.position) = (state.epoch + 1, 0)
                order = permutation(epoch: state.epoch)
            }
            state.position += 1
            return UInt64(order[state.position - 1])
        }
        lastSampleIDs = batch.map { Int($0) }
        return (try rowReader.rows(batch[...], sequenceLength: length, kind: nil, difficulty: length).tokenBatch(), nil)
    }

    public func saveState() throws -> Data { try sortedKeysEncoder().encode(state) }

    /// - Throws: `TrainingError.invalidSourceState` for a blob of another index or out of range.
    public func restoreState(_ data: Data) throws {
        guard let s = try? JSONDecoder().decode(State.self, from: data) else {
            throw TrainingError.invalidSourceState("not an index-source state")
        }
        guard s.index == identity else {
            throw TrainingError.invalidSourceState("the checkpoint was made on another index (\(s.index), this one is \(identity))")
        }
        guard s.epoch >= 0, s.position >= 0, s.position <= ids.count else {
            throw TrainingError.invalidSourceState("position \(s.position) is outside the split of \(ids.count) samples")
        }
        state = s
        order = permutation(epoch: s.epoch)
    }
}

extension IndexReader {
    /// Unigram entropy (nats) of the index's token counts: the loss of the best model that
    /// ignores context, the bar a trained model's validation loss should beat.
    public func unigramEntropy() throws -> Double {
        let counts = try tokenCounts()
        let total = Double(counts.reduce(0, +))
        guard total > 0 else { return 0 }
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / total
            h -= p * Foundation.log(p)
        }
        return h
    }
}
