// TokenGather.swift — random-LTD's gather (spec §9.5): the kept rows of a (B, T, C) stream, and
// their original positions, packed into (B, r, C) and (B, r) so a block runs on r tokens per row.
// Backward adds the packed gradient back onto the kept rows; dropped rows get nothing from here
// (their gradient arrives through `TokenScatter.backward`'s pass-through). Together the two give
// DeepSpeed's overwrite semantics: ∂L/∂x is the upstream gradient at dropped rows and only the
// gradient through the layer at kept rows.
// Legend: B batch, T length, r kept per row, C channels.

/// Packs the kept rows of each sequence.
enum TokenGather {
    /// - Parameters:
    ///   - out: (B, r, C) written: out[b, j] = inp[b, kept[b, j]].
    ///   - outPositions: (B, r) written: the original positions of the kept rows.
    ///   - inp: (B, T, C); positions: (B, T).
    ///   - kept: (B, r) sorted kept indices into 0..<T.
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, outPositions: UnsafeMutablePointer<Int32>,
        inp: UnsafePointer<F>, positions: UnsafePointer<Int32>, kept: UnsafePointer<Int32>,
        B: Int, T: Int, r: Int, C: Int
    ) {
        for b in 0..<B {
            for j in 0..<r {
                let t = Int(kept[b * r + j])
                (out + (b * r + j) * C).update(from: inp + (b * T + t) * C, count: C)
                outPositions[b * r + j] = positions[b * T + t]
            }
        }
    }

    /// Writes dInp[b, kept[b, j]] = dOut[b, j]; dropped rows untouched (`TokenScatter.backward`
    /// writes them).
    /// - Parameters: dInp: (B, T, C); dOut: (B, r, C); kept: (B, r).
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, kept: UnsafePointer<Int32>,
        B: Int, T: Int, r: Int, C: Int
    ) {
        for b in 0..<B {
            for j in 0..<r {
                let dst = dInp + (b * T + Int(kept[b * r + j])) * C, src = dOut + (b * r + j) * C
                dst.update(from: src, count: C)
            }
        }
    }
}
