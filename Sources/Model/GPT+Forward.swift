// GPT+Forward.swift — the forward pass as a short list of layer calls (STYLE.md §10.3.5):
// embedding → embedding LayerNorm → L pre-LN blocks → final LayerNorm → tied output projection →
// masked cross-entropy. Every intermediate is written to the activation arena for backward.
// Legend: B batch, T length, N = B·T, C channels, H = 4C, V vocabulary, NH heads.

extension GPTModel {
    /// Runs the model on `batch` and returns the masked mean next-token loss. Logits stay readable
    /// through `logits` and the caches feed `backward()`.
    /// - Parameter plan: random-LTD kept tokens for this batch (its layers run gather → block →
    ///   scatter, GPT+Routing.swift); nil runs every layer dense (evaluation always does).
    /// - Throws: `ModelError.invalidBatch` if the batch exceeds the capacity or holds ids outside
    ///   the vocabulary, or the plan does not fit the batch and model.
    /// - Complexity: about 2·N·(12·L·C² + V·C) + 4·L·B·T²·C flops dense; a dropping layer costs
    ///   r/T of a dense one in its matmuls and (r/T)² in attention.
    @_specialize(where F == Float)
    public func forward(_ batch: TokenBatch, plan: RandomLTDPlan? = nil) throws -> F {
        try load(batch)
        if let plan { try prepare(plan, for: batch) }
        let a = ActivationLayout(config: config, batch: batch.batchSize, length: batch.length)
        (current, currentPlan) = (a, plan)
        let p = parameters.baseAddress!, o = a.outer(in: acts.baseAddress!)
        let N = a.B * a.T, C = a.C
        let eps = F(config.layerNormEpsilon)
        Embedding.forward(out: o.encoded, tokens: tokens.baseAddress!, wte: p + wte, N: N, C: C, threads: threads.count)
        LayerNorm.forward(out: o.embLn, mean: o.embLnMean, rstd: o.embLnRstd, inp: o.encoded,
                          weight: p + embLnW, bias: p + embLnB, N: N, C: C, epsilon: eps, threads: threads.count)
        var residual = o.embLn
        for l in 0..<config.layers {
            let x = a.block(l, in: acts.baseAddress!)
            if let plan, let slot = plan.slot(of: l) {
                routedForward(l, slot: slot, plan: plan, output: x.res3, input: residual, positions: positions.baseAddress!)
            } else {
                blockForward(l, x, input: residual, positions: positions.baseAddress!, B: a.B, T: a.T)
            }
            residual = x.res3
        }
        LayerNorm.forward(out: o.lnf, mean: o.lnfMean, rstd: o.lnfRstd, inp: residual,
                          weight: p + lnfW, bias: p + lnfB, N: N, C: C, epsilon: eps, threads: threads.count)
        Linear.forward(out: o.logits, inp: o.lnf, weight: p + wte, bias: nil, N: N, IC: C, OC: a.V, threads: threads.count)
        return CrossEntropy.forward(losses: o.losses, rowMax: o.rowMax, rowScale: o.rowScale, logits: o.logits,
                                    targets: targets.baseAddress!, mask: mask.baseAddress!, N: N, V: a.V, threads: threads.count)
    }

    /// One pre-LN block on a (B, T, C) residual stream: x + attn(ln1(x)), then + mlp(ln2(·)). Each
    /// branch's last product accumulates onto the stream (`Linear.forward`'s `residual`), and
    /// GELU leaves its derivative where the fc output was (`x.fc`), all backward reads of it.
    /// Rows may be a gathered subset of a longer sequence (random-LTD): `positions` (B, T) holds
    /// each row's original position, which is all attention needs to stay exact.
    /// - Parameters:
    ///   - x: the block's activations for this (B, T), written; `x.res3` is the block's output.
    ///   - input: (B, T, C) the residual stream entering the block.
    func blockForward(
        _ l: Int, _ x: BlockActivations<F>, input: UnsafePointer<F>, positions: UnsafePointer<Int32>, B: Int, T: Int
    ) {
        let p = parameters.baseAddress!, w = blocks[l]
        let N = B * T, C = config.dModel, H = config.hiddenSize, NH = config.heads
        let eps = F(config.layerNormEpsilon)
        LayerNorm.forward(out: x.ln1, mean: x.ln1Mean, rstd: x.ln1Rstd, inp: input,
                          weight: p + w.ln1W, bias: p + w.ln1B, N: N, C: C, epsilon: eps, threads: threads.count)
        Linear.forward(out: x.qkv, inp: x.ln1, weight: p + w.qkvW, bias: p + w.qkvB, N: N, IC: C, OC: 3 * C, threads: threads.count)
        Attention.forward(out: x.attY, qkv: x.qkv, positions: positions, slopes: slopes.baseAddress!,
                          scratch: attentionScratch.baseAddress!, B: B, T: T, C: C, NH: NH, threads: threads.count)
        Linear.forward(out: x.res2, inp: x.attY, weight: p + w.projW, bias: p + w.projB, residual: input,
                       N: N, IC: C, OC: C, threads: threads.count)
        LayerNorm.forward(out: x.ln2, mean: x.ln2Mean, rstd: x.ln2Rstd, inp: x.res2,
                          weight: p + w.ln2W, bias: p + w.ln2B, N: N, C: C, epsilon: eps, threads: threads.count)
        Linear.forward(out: x.fc, inp: x.ln2, weight: p + w.fcW, bias: p + w.fcB, N: N, IC: C, OC: H, threads: threads.count)
        GELU.forward(out: x.gelu, derivative: x.fc, inp: x.fc, count: N * H, threads: threads.count)
        Linear.forward(out: x.res3, inp: x.gelu, weight: p + w.fcProjW, bias: p + w.fcProjB, residual: x.res2,
                       N: N, IC: H, OC: C, threads: threads.count)
    }
}

/// One row's share of the masked loss of a forward pass (per-group evaluation, issue 17 item 2).
public struct RowLoss: Equatable, Sendable {
    /// Σ over the row's positions of mask · loss (nats), in Double.
    public var lossSum: Double
    /// Σ over the row's positions of the mask: the positions the loss counts.
    public var positions: Double

    public init(lossSum: Double, positions: Double) { (self.lossSum, self.positions) = (lossSum, positions) }
}

extension GPTModel {
    /// Per batch row of the last forward pass, its masked loss sum and counted positions, read off
    /// the per-position losses that pass wrote (no extra pass). The forward's mean loss is
    /// Σ lossSum / Σ positions over the rows (up to the Float rounding of its own sum).
    /// - Precondition: `forward` has run.
    public func rowLosses() -> [RowLoss] {
        guard let a = current else { preconditionFailure("row losses read before any forward pass") }
        let losses = a.outer(in: acts.baseAddress!).losses
        return (0..<a.B).map { b in
            var sum = 0.0, weight = 0.0
            for n in b * a.T..<(b + 1) * a.T {
                sum += Double(mask[n]) * Double(losses[n])
                weight += Double(mask[n])
            }
            return RowLoss(lossSum: sum, positions: weight)
        }
    }
}
