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

    /// Splits `tokens`, rows of `width` tokens row-major with −1 after a row's last real token,
    /// into inputs row[0..<T] (padding read as token 0) and targets row[1...T], T = width − 1;
    /// a position counts in the loss where its input and target are real tokens.
    /// - Throws: `ModelError.invalidBatch` for no rows, rows of fewer than two tokens, or a token
    ///   count that is not a multiple of `width`.
    public init(rows tokens: [Int32], width: Int) throws {
        let T = width - 1, rows = T >= 1 ? tokens.count / width : 0
        guard rows > 0, tokens.count == rows * width else {
            throw ModelError.invalidBatch("need one or more rows of width \(width) >= 2; got \(tokens.count) tokens")
        }
        var inputs = [Int32](repeating: 0, count: rows * T), targets = inputs
        var mask = [Float](repeating: 0, count: rows * T)
        for r in 0..<rows {
            for t in 0..<T {
                let (a, b) = (tokens[r * width + t], tokens[r * width + t + 1])
                (inputs[r * T + t], targets[r * T + t], mask[r * T + t]) = (max(0, a), b, a >= 0 && b >= 0 ? 1 : 0)
            }
        }
        try self.init(batchSize: rows, length: T, inputs: inputs, targets: targets, lossMask: mask)
    }
}
