// CrossEntropy.swift — softmax + next-token cross-entropy with a loss mask (llm.c
// `crossentropy_forward` / `crossentropy_softmax_backward`). The batch loss is the masked mean
// Σₙ maskₙ·lossₙ / Σₙ maskₙ, so padding and document boundaries (mask 0) contribute nothing.
// Float rows run the vector kernels of VectorMath.swift (issue 19); Double the scalar loops.
// Forward keeps each row's e^(x − max) and 1/Σ apart, and backward multiplies them as it writes
// the gradient: the (N, V) rows are not normalised in a pass of their own (issue 19: it read and
// wrote 64 MB at the small-text step). The products are the same, in the same order, as
// normalising first, so the bits are too.
// Legend: N rows (B·T), V vocabulary.

/// Softmax over the vocabulary and the negative log-likelihood of each target.
enum CrossEntropy {
    /// - Parameters:
    ///   - losses: (N) written: −log softmax(logits)[target] (0 where mask is 0).
    ///   - probs: (N, V) written: e^(logit − row max), the softmax before its normalisation.
    ///   - rowScale: (N) written: 1 / Σ of each row of `probs`, so softmax = probs · rowScale.
    ///   - logits: (N, V).
    ///   - targets: (N) ids in 0..<V wherever mask ≠ 0 (checked at the model's API entry).
    ///   - mask: (N) weights, 1 to count a position and 0 to ignore it.
    /// - Returns: the masked mean loss (0 when the mask is all zero).
    static func forward<F: ModelScalar>(
        losses: UnsafeMutablePointer<F>, probs: UnsafeMutablePointer<F>, rowScale: UnsafeMutablePointer<F>,
        logits: UnsafePointer<F>, targets: UnsafePointer<Int32>, mask: UnsafePointer<F>, N: Int, V: Int, threads: Int
    ) -> F {
        parallelRows(N, costPerRow: 20 * V, threads: threads) { rows in
            for n in rows {
                let x = logits + n * V, p = probs + n * V
                if F.self == Float.self {
                    let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
                    let pf = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
                    let maxValue = VectorMath.max(xf, count: V)
                    let sum = VectorMath.expShiftedSum(pf, xf, shift: maxValue, count: V)
                    rowScale[n] = F(1 / sum)
                    losses[n] = mask[n] == 0 ? 0 : F(Float.logarithm(sum) + maxValue) - x[Int(targets[n])]
                    continue
                }
                var maxValue = -F.greatestFiniteMagnitude
                for v in 0..<V where x[v] > maxValue { maxValue = x[v] }
                var sum: F = 0
                for v in 0..<V {
                    let e = F.exponential(x[v] - maxValue)
                    p[v] = e
                    sum += e
                }
                rowScale[n] = 1 / sum
                losses[n] = mask[n] == 0 ? 0 : F.logarithm(sum) + maxValue - x[Int(targets[n])]
            }
        }
        var total: F = 0, weight: F = 0
        for n in 0..<N {
            total += mask[n] * losses[n]
            weight += mask[n]
        }
        return weight == 0 ? 0 : total / weight
    }

    /// Writes dLogits = dLoss · maskₙ/Σmask · (softmax − onehot(target)) (0 on rows with mask 0),
    /// softmax = probs · rowScale.
    /// - Parameters:
    ///   - dLogits: (N, V) written.
    ///   - probs, rowScale: (N, V) and (N) from forward; targets, mask: (N).
    ///   - dLoss: gradient of the objective with respect to the mean loss (1 for plain training).
    static func backward<F: ModelScalar>(
        dLogits: UnsafeMutablePointer<F>, probs: UnsafePointer<F>, rowScale: UnsafePointer<F>, targets: UnsafePointer<Int32>,
        mask: UnsafePointer<F>, dLoss: F, N: Int, V: Int, threads: Int
    ) {
        var weight: F = 0
        for n in 0..<N { weight += mask[n] }
        parallelRows(N, costPerRow: 2 * V, threads: threads) { rows in
            for n in rows {
                let d = dLogits + n * V
                if weight == 0 || mask[n] == 0 {
                    d.update(repeating: 0, count: V)
                    continue
                }
                let w = dLoss * mask[n] / weight, p = probs + n * V, scale = rowScale[n]
                if F.self == Float.self {
                    VectorMath.scaledTwice(UnsafeMutableRawPointer(d).assumingMemoryBound(to: Float.self),
                                           UnsafeRawPointer(p).assumingMemoryBound(to: Float.self),
                                           by: Float(scale), then: Float(w), count: V)
                } else {
                    for v in 0..<V { d[v] = w * (p[v] * scale) }
                }
                d[Int(targets[n])] -= w
            }
        }
    }
}
