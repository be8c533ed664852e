// TokenScatter.swift — random-LTD's scatter (spec §9.5): a block's (B, r, C) output written back
// at the kept rows of a copy of its (B, T, C) input, so dropped tokens pass through the layer
// unchanged. Backward splits the upstream gradient: dropped rows flow straight into the input's
// gradient (the identity path), kept rows go to the block's output gradient.
// Legend: B batch, T length, r kept per row, C channels.

/// Unpacks a block's output over its input.
enum TokenScatter {
    /// - Parameters:
    ///   - out: (B, T, C) written: inp, with out[b, kept[b, j]] = part[b, j].
    ///   - inp: (B, T, C) the layer's input; part: (B, r, C) the block's output on kept rows.
    ///   - kept: (B, r) sorted kept indices into 0..<T.
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, part: UnsafePointer<F>, kept: UnsafePointer<Int32>,
        B: Int, T: Int, r: Int, C: Int
    ) {
        out.update(from: inp, count: B * T * C)
        for b in 0..<B {
            for j in 0..<r {
                (out + (b * T + Int(kept[b * r + j])) * C).update(from: part + (b * r + j) * C, count: C)
            }
        }
    }

    /// Writes dInp[b, t] = dOut[b, t] for dropped t and dPart[b, j] = dOut[b, kept[b, j]]; kept
    /// rows of dInp are left for `TokenGather.backward` to write.
    /// - Parameters: dInp, dOut: (B, T, C); dPart: (B, r, C); kept: (B, r) sorted.
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, dPart: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>,
        kept: UnsafePointer<Int32>, B: Int, T: Int, r: Int, C: Int
    ) {
        for b in 0..<B {
            var j = 0  // next kept slot; kept is sorted, so one merge pass classifies every row
            for t in 0..<T {
                let src = dOut + (b * T + t) * C
                let isKept = j < r && Int(kept[b * r + j]) == t
                let dst = isKept ? dPart + (b * r + j) * C : dInp + (b * T + t) * C
                dst.update(from: src, count: C)
                if isKept { j += 1 }
            }
        }
    }
}
