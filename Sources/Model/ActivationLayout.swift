// ActivationLayout.swift — offsets of every cached activation in the activation arena for a given
// (B, T) (STYLE.md §10.3.4, llm.c `fill_in_activation_sizes`). The arena is allocated once for
// (B_max, T_max); each step recomputes the layout for its own (B, T) ≤ the maxima, so a sequence-
// length curriculum changes T without reallocating. The gradient arena uses the same layout.
// Legend: B batch, T length, C channels, H = 4C MLP width, V vocabulary, L blocks.

/// Pointers to one block's activations (or their gradients), all for the layout's (B, T).
struct BlockActivations<F: ModelScalar> {
    /// ln1, attY, res2, ln2, res3: (B·T, C); qkv: (B·T, 3C); fc, gelu: (B·T, H);
    /// ln1Mean, ln1Rstd, ln2Mean, ln2Rstd: (B·T). The branches' projections have no slot of their
    /// own: they accumulate onto res2 and res3. After forward, `fc` holds GELU's derivative. In the
    /// gradient arena `fc` is not used: GELU's backward writes its result over `gelu`'s gradient.
    /// Attention keeps no (T, T) probabilities: backward recomputes them (Attention.swift).
    let ln1, ln1Mean, ln1Rstd, qkv, attY, res2: UnsafeMutablePointer<F>
    let ln2, ln2Mean, ln2Rstd, fc, gelu, res3: UnsafeMutablePointer<F>
}

/// Pointers to the activations outside the blocks.
struct OuterActivations<F: ModelScalar> {
    /// encoded, embLn, lnf: (B·T, C); logits: (B·T, V); the rest (B·T). `rowMax` and `rowScale`
    /// hold each row's largest logit and the softmax's 1/Σ (CrossEntropy.swift).
    let encoded, embLnMean, embLnRstd, embLn, lnf, lnfMean, lnfRstd, logits, rowMax, rowScale, losses: UnsafeMutablePointer<F>
}

/// Sizes and offsets of the activation arena for one (B, T).
struct ActivationLayout: Equatable {
    let B: Int, T: Int, C: Int, H: Int, V: Int, L: Int

    init(config: ModelConfig, batch B: Int, length T: Int) {
        (self.B, self.T, self.C, self.H) = (B, T, config.dModel, config.hiddenSize)
        (self.V, self.L) = (config.vocab, config.layers)
    }

    private var N: Int { B * T }
    /// Elements of one block's activations.
    var perBlock: Int { Self.blockCount(B: B, T: T, C: C, H: H) }
    /// Elements before the first block.
    private var head: Int { N * (2 * C + 2) }
    /// Elements of the arena.
    var count: Int { head + L * perBlock + N * (C + 2 + V + 3) }

    /// Block `l`'s activations inside `base`.
    func block<F: ModelScalar>(_ l: Int, in base: UnsafeMutablePointer<F>) -> BlockActivations<F> {
        Self.carveBlock(at: base + head + l * perBlock, B: B, T: T, C: C, H: H)
    }

    /// Elements one block's activations take at (B, T).
    static func blockCount(B: Int, T: Int, C: Int, H: Int) -> Int {
        B * T * (8 * C + 2 * H + 4)
    }

    /// One block's activations for (B, T) laid out from `base` (`blockCount` elements). Used for
    /// the blocks of the dense arena, and usable for a block run on gathered (B, r) rows
    /// (random-LTD, issue 6) in space reserved for (B, T ≥ r).
    static func carveBlock<F: ModelScalar>(
        at base: UnsafeMutablePointer<F>, B: Int, T: Int, C: Int, H: Int
    ) -> BlockActivations<F> {
        var p = base
        func take(_ n: Int) -> UnsafeMutablePointer<F> { defer { p += n }; return p }
        let N = B * T, NC = N * C, NH4 = N * H
        let ln1 = take(NC), ln1Mean = take(N), ln1Rstd = take(N), qkv = take(3 * NC), attY = take(NC)
        let res2 = take(NC), ln2 = take(NC)
        let ln2Mean = take(N), ln2Rstd = take(N), fc = take(NH4), gelu = take(NH4)
        let res3 = take(NC)
        return BlockActivations(
            ln1: ln1, ln1Mean: ln1Mean, ln1Rstd: ln1Rstd, qkv: qkv, attY: attY,
            res2: res2, ln2: ln2, ln2Mean: ln2Mean, ln2Rstd: ln2Rstd, fc: fc, gelu: gelu, res3: res3)
    }

    /// The activations outside the blocks inside `base`.
    func outer<F: ModelScalar>(in base: UnsafeMutablePointer<F>) -> OuterActivations<F> {
        var p = base
        func take(_ n: Int) -> UnsafeMutablePointer<F> { defer { p += n }; return p }
        let N = self.N
        let encoded = take(N * C), embLnMean = take(N), embLnRstd = take(N), embLn = take(N * C)
        p = base + head + L * perBlock
        let lnf = take(N * C), lnfMean = take(N), lnfRstd = take(N)
        let logits = take(N * V), rowMax = take(N), rowScale = take(N), losses = take(N)
        return OuterActivations(
            encoded: encoded, embLnMean: embLnMean, embLnRstd: embLnRstd, embLn: embLn,
            lnf: lnf, lnfMean: lnfMean, lnfRstd: lnfRstd, logits: logits, rowMax: rowMax, rowScale: rowScale, losses: losses)
    }
}
