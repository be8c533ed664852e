// UnigramReference.swift — the held-out loss of the best model that ignores context (issue 17
// item 6): every counted target position of the evaluation batches scored with the index's token
// frequencies. A trained model must get clearly below it before its curve says anything about
// context; the report prints it next to the variants' losses. The frequencies are the whole
// index's (the held-out samples' own tokens included, a few per cent of the counts), so every
// target has a probability > 0; the reference is therefore slightly optimistic, never unfair to
// the model.

import CorpusIndex
import Foundation

/// The unigram model's loss on the held-out batches a trainer evaluates.
public enum UnigramReference {
    /// Mean −ln p(target) over the counted positions (loss mask 1) of `batches` batches drawn from
    /// `heldOut` from its current state, which is restored afterwards (so an evaluation that
    /// follows sees the same batches); p = the token's count / all tokens in `counts`.
    /// - Returns: the mean in nats, or nil when no position is counted.
    /// - Throws: the source's errors; `TrainingError.invalidConfig` for a target id outside `counts`.
    public static func loss(heldOut: any BatchSource, batches: Int, counts: [UInt64]) throws -> Double? {
        let start = try heldOut.saveState()
        defer { try? heldOut.restoreState(start) }
        let total = Double(counts.reduce(0, +))
        var sum = 0.0, positions = 0
        for _ in 0..<batches {
            let batch = try heldOut.nextBatch().batch
            for (i, m) in batch.lossMask.enumerated() where m != 0 {
                let t = Int(batch.targets[i])
                guard t >= 0, t < counts.count, counts[t] > 0 else {
                    throw TrainingError.invalidConfig(["held-out target token \(t) has no count in the index (vocabulary \(counts.count))"])
                }
                sum -= Foundation.log(Double(counts[t]) / total)
                positions += 1
            }
        }
        return positions > 0 ? sum / Double(positions) : nil
    }
}
