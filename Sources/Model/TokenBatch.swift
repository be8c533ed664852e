// TokenBatch.swift — one training or evaluation batch as the model consumes it: input ids,
// next-token targets and a loss mask, each (B, T) row-major. Produced by the trainer's batch
// sources (curriculum sampler, synthetic bench data); the model knows nothing of where from.

/// A (B, T) batch of token ids with targets and a loss mask.
public struct TokenBatch: Equatable, Sendable {
    /// Rows (B).
    public let batchSize: Int
    /// Tokens per row (T).
    public let length: Int
    /// (B, T) input token ids.
    public let inputs: [Int32]
    /// (B, T) target ids (the next token); ignored where `lossMask` is 0 (may be e.g. −1 there).
    public let targets: [Int32]
    /// (B, T) 1 to count a position in the loss, 0 to ignore it (padding, document boundaries).
    public let lossMask: [Float]

    /// - Throws: `ModelError.invalidBatch` when a count is not B·T or a size is not positive.
    public init(batchSize: Int, length: Int, inputs: [Int32], targets: [Int32], lossMask: [Float]? = nil) throws {
        guard batchSize >= 1, length >= 1 else {
            throw ModelError.invalidBatch("batch size \(batchSize) and length \(length) must be >= 1")
        }
        let n = batchSize * length
        guard inputs.count == n, targets.count == n, (lossMask?.count ?? n) == n else {
            throw ModelError.invalidBatch("need \(n) inputs, targets and mask values for (B \(batchSize), T \(length)); "
                + "got \(inputs.count), \(targets.count), \(lossMask?.count ?? n)")
        }
        (self.batchSize, self.length, self.inputs, self.targets) = (batchSize, length, inputs, targets)
        self.lossMask = lossMask ?? [Float](repeating: 1, count: n)
    }

    /// Splits each row of `rows` (B rows of T + 1 tokens) into inputs row[0..<T] and targets
    /// row[1...T], counting every position.
    /// - Throws: `ModelError.invalidBatch` when rows are empty or of different lengths.
    public init(sequences rows: [[Int32]]) throws {
        guard let first = rows.first, first.count >= 2, rows.allSatisfy({ $0.count == first.count }) else {
            throw ModelError.invalidBatch("need at least one row, all of the same length >= 2")
        }
        let T = first.count - 1
        try self.init(batchSize: rows.count, length: T,
                      inputs: rows.flatMap { $0[0..<T] }, targets: rows.flatMap { $0[1...T] })
    }
}
