// FixedBatchSource.swift — a training source that cycles through fixed batches (overfitting
// checks in the optimizer tests).

import Foundation
import Model
@testable import Training

/// Cycles through a fixed list of batches (overfitting checks, small held-out sets).
final class FixedBatchSource: BatchSource {
    let batches: [TokenBatch]
    private var position = 0

    /// - Precondition: `batches` is not empty.
    init(_ batches: [TokenBatch]) {
        precondition(!batches.isEmpty, "a fixed source needs at least one batch")
        self.batches = batches
    }

    func nextBatch() throws -> (batch: TokenBatch, info: BatchInfo?) {
        defer { position = (position + 1) % batches.count }
        return (batches[position], nil)
    }

    func saveState() throws -> Data { try sortedKeysEncoder().encode(position) }

    func restoreState(_ state: Data) throws {
        guard let p = try? JSONDecoder().decode(Int.self, from: state), p >= 0, p < batches.count else {
            throw TrainingError.invalidSourceState("fixed source: position blob is not valid for \(batches.count) batches")
        }
        position = p
    }
}
