// CrossEntropy.swift — softmax + next-token cross-entropy with a loss mask (llm.c
// `crossentropy_forward` / `crossentropy_softmax_backward`). The batch loss is the masked mean
// Σₙ maskₙ·lossₙ / Σₙ maskₙ, so padding and document boundaries (mask 0) contribute nothing.
// Float rows run the vector kernels of VectorMath.swift (issue 19); Double the scalar loops.
// Forward keeps only each row's max and 1/Σ; backward recomputes e^(logit − max) from the logits
// as it writes the gradient, w·(e·(1/Σ)): no (N, V) softmax is stored (issue 19: writing it cost
// a pass through memory over N·V values, 64 MB at the small-text step, and as much again in the
// activations). The same eˣ of the same inputs and the same products in the same order as when
// forward stored e, so the bits are the same.
// Legend: N rows (B·T), V vocabulary.

/// Softmax over the vocabulary and the negative log-likelihood of each target.
enum CrossEntropy {
    /// - Parameters:
    ///   - losses: (N) written: −log softmax(logits)[target] (0 where mask is 0).
    ///   - rowMax: (N) written: each row's largest logit.
    ///   - rowScale: (N) written: 1 / Σ e^(logit − rowMax) of each row, so
    ///     softmax = e^(logits − rowMax) · rowScale.
    ///   - logits: (N, V).
    ///   - targets: (N) ids in 0..<V wherever mask ≠ 0 (checked at the model's API entry).
    ///   - mask: (N) weights, 1 to count a position and 0 to ignore it.
    /// - Returns: the masked mean loss (0 when the mask is all zero).
    static func forward<F: ModelScalar>(
        losses: UnsafeMutablePointer<F>, rowMax: UnsafeMutablePointer<F>, rowScale: UnsafeMutablePointer<F>,
        logits: UnsafePointer<F>, targets: UnsafePointer<Int32>, mask: UnsafePointer<F>, N: Int, V: Int, threads: Int
    ) -> F {
        parallelRows(N, costPerRow: 20 * V, threads: threads) { rows in
            for n in rows {
                let x = logits + n * V
                if F.self == Float.self {
                    let xf = UnsafeRawPointer(x).assumingMemoryBound(to: Float.self)
                    let maxValue = VectorMath.max(xf, count: V)
                    let sum = VectorMath.expShiftedSum(nil, xf, shift: maxValue, count: V)
                    rowMax[n] = F(maxValue)
                    rowScale[n] = F(1 / sum)
                    losses[n] = mask[n] == 0 ? 0 : F(Float.logarithm(sum) + maxValue) - x[Int(targets[n])]
                    continue
                }
                var maxValue = -F.greatestFiniteMagnitude
                for v in 0..<V where x[v] > maxValue { maxValue = x[v] }
                var sum: F = 0
                for v in 0..<V { sum += F.exponential(x[v] - maxValue) }
                rowMax[n] = maxValue
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
    /// softmax = e^(logits − rowMax) · rowScale.
    /// - Parameters:
    ///   - dLogits: (N, V) written.
    ///   - logits: (N, V); rowMax, rowScale: (N) from forward; targets, mask: (N).
    ///   - dLoss: gradient of the objective with respect to the mean loss (1 for plain training).
    static func backward<F: ModelScalar>(
        dLogits: UnsafeMutablePointer<F>, logits: UnsafePointer<F>, rowMax: UnsafePointer<F>, rowScale: UnsafePointer<F>,
        targets: UnsafePointer<Int32>, mask: UnsafePointer<F>, dLoss: F, N: Int, V: Int, threads: Int
    ) {
        var weight: F = 0
        for n in 0..<N { weight += mask[n] }
        parallelRows(N, costPerRow: 20 * V, threads: threads) { rows in
            for n in rows {
                let d = dLogits + n * V
                if weight == 0 || mask[n] == 0 {
                    d.update(repeating: 0, count: V)
                    continue
                }
                let w = dLoss * mask[n] / weight, x = logits + n * V, scale = rowScale[n], shift = rowMax[n]
                if F.self == Float.self {
                    VectorMath.expShiftedScaledTwice(UnsafeMutableRawPointer(d).assumingMemoryBound(to: Float.self),
                                                     UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                                                     shift: Float(shift), by: Float(scale), then: Float(w), count: V)
                } else {
                    for v in 0..<V { d[v] = w * (F.exponential(x[v] - shift) * scale) }
                }
                d[Int(targets[n])] -= w
            }
        }
    }
}
