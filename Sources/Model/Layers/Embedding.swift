// Embedding.swift — token embedding lookup (BLOOM `word_embeddings`; no position embedding, as
// ALiBi carries position in attention). llm.c `encoder_forward/backward` without wpe.
// Legend: B batch, T sequence length, C channels, V vocabulary.

/// out[b,t,:] = wte[tokens[b,t], :].
enum Embedding {
    /// - Parameters:
    ///   - out: (B·T, C) written.
    ///   - tokens: (B·T) ids, each in 0..<V (checked at the model's API entry).
    ///   - wte: (V, C).
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, tokens: UnsafePointer<Int32>, wte: UnsafePointer<F>, N: Int, C: Int, threads: Int
    ) {
        parallelRows(N, costPerRow: C, threads: threads) { rows in
            for n in rows {
                (out + n * C).update(from: wte + Int(tokens[n]) * C, count: C)
            }
        }
    }

    /// dWte[tokens[n], :] += dOut[n, :]. Accumulates (`+=`); only `zeroGradients()` clears.
    /// Sequential: two rows may share a token, so parallel writes would race.
    /// - Parameters:
    ///   - dWte: (V, C) accumulated.
    ///   - dOut: (B·T, C).
    ///   - tokens: (B·T).
    static func backward<F: ModelScalar>(
        dWte: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, tokens: UnsafePointer<Int32>, N: Int, C: Int
    ) {
        for n in 0..<N {
            let row = dWte + Int(tokens[n]) * C, d = dOut + n * C
            for i in 0..<C { row[i] += d[i] }
        }
    }
}
