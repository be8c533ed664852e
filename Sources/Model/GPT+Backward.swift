// GPT+Backward.swift — the backward pass: the forward list of layer calls in reverse order
// (STYLE.md §10.3.5); random-LTD layers run `routedBackward` (GPT+Routing.swift). Parameter
// gradients accumulate into `gradients` (call `zeroGradients()` between steps); activation
// gradients live in their own arena, which is never cleared: the first layer to reach each
// activation gradient writes it, and the residual stream's gradient stays in one buffer per block
// that each branch's LayerNorm adds to (issue 19: clearing the 470 MB arena and re-reading its
// zeros cost ~2 % of a step; copying the stream's gradient into each branch cost passes too).
// Legend: B batch, T length, N = B·T, C channels, H = 4C, V vocabulary, NH heads.

extension GPTModel {
    /// Backpropagates the loss of the last `forward` into `gradients` (accumulating, `+=`).
    /// - Parameter dLoss: scale of the objective (1 for the mean loss; 1/k to average k batches).
    /// - Precondition: `forward` has run since the model was built.
    @_specialize(where F == Float)
    public func backward(dLoss: F = 1) {
        guard let a = current else { preconditionFailure("backward called before forward") }
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        let base = acts.baseAddress!, dBase = dActs.baseAddress!
        let o = a.outer(in: base), d = a.outer(in: dBase)
        let N = a.B * a.T, C = a.C, L = config.layers
        CrossEntropy.backward(dLogits: d.logits, logits: o.logits, rowMax: o.rowMax, rowScale: o.rowScale,
                              targets: targets.baseAddress!, mask: mask.baseAddress!, dLoss: dLoss, N: N, V: a.V,
                              threads: threads.count)
        Linear.backward(dInp: d.lnf, dWeight: g + wte, dBias: nil, dOut: d.logits, inp: o.lnf,
                        weight: p + wte, N: N, IC: C, OC: a.V, threads: threads.count)
        let last = L > 0 ? a.block(L - 1, in: base).res3 : o.embLn
        let dLast = L > 0 ? a.block(L - 1, in: dBase).res3 : d.embLn
        LayerNorm.backward(dInp: dLast, residual: nil, dWeight: g + lnfW, dBias: g + lnfB, dOut: d.lnf, inp: last,
                           weight: p + lnfW, mean: o.lnfMean, rstd: o.lnfRstd, N: N, C: C, threads: threads.count)
        for l in (0..<L).reversed() {
            let input = l > 0 ? a.block(l - 1, in: base).res3 : o.embLn
            let dInput = l > 0 ? a.block(l - 1, in: dBase).res3 : d.embLn
            if let plan = currentPlan, let slot = plan.slot(of: l) {
                routedBackward(l, slot: slot, plan: plan, dOutput: a.block(l, in: dBase).res3, dInput: dInput)
            } else {
                blockBackward(l, a.block(l, in: base), a.block(l, in: dBase), input: input, dInput: dInput,
                              positions: positions.baseAddress!, B: a.B, T: a.T)
            }
        }
        LayerNorm.backward(dInp: d.encoded, residual: nil, dWeight: g + embLnW, dBias: g + embLnB, dOut: d.embLn,
                           inp: o.encoded, weight: p + embLnW, mean: o.embLnMean, rstd: o.embLnRstd, N: N, C: C, threads: threads.count)
        Embedding.backward(dWte: g + wte, dOut: d.encoded, tokens: tokens.baseAddress!, N: N, C: C)
    }

    /// Backward of `blockForward`, its calls in reverse order. Accumulates into `gradients`;
    /// writes `dInput` and the gradients in `dx` it needs (no part of `dx` needs clearing first).
    /// `dx.res3`, the gradient of the block's output, is read and then overwritten: it ends as the
    /// gradient of `x.res2`.
    /// - Parameters:
    ///   - x: the block's activations from forward; dx: their gradients (same layout).
    ///   - input, dInput: (B, T, C) the residual stream entering the block and its gradient.
    ///   - positions: (B, T) the rows' positions forward had (attention recomputes its softmax).
    func blockBackward(
        _ l: Int, _ x: BlockActivations<F>, _ dx: BlockActivations<F>,
        input: UnsafePointer<F>, dInput: UnsafeMutablePointer<F>, positions: UnsafePointer<Int32>, B: Int, T: Int
    ) {
        let p = parameters.baseAddress!, g = gradients.baseAddress!, w = blocks[l]
        let N = B * T, C = config.dModel, H = config.hiddenSize, NH = config.heads
        // dx.res3 is the gradient of the block's output; it becomes the gradient of res2 in place
        // (the skip connection passes it on, LayerNorm 2 adds its share), then dInput = it + LN 1's.
        Linear.backward(dInp: dx.gelu, dWeight: g + w.fcProjW, dBias: g + w.fcProjB, dOut: dx.res3,
                        inp: x.gelu, weight: p + w.fcProjW, N: N, IC: H, OC: C, threads: threads.count)
        // In place, with the fc bias's gradient summed in the same pass (none left for Linear).
        GELU.backward(dInp: dx.gelu, dOut: dx.gelu, derivative: x.fc, rows: N, columns: H, dBias: g + w.fcB,
                      threads: threads.count)
        Linear.backward(dInp: dx.ln2, dWeight: g + w.fcW, dBias: nil, dOut: dx.gelu,
                        inp: x.ln2, weight: p + w.fcW, N: N, IC: C, OC: H, threads: threads.count)
        LayerNorm.backward(dInp: dx.res3, residual: dx.res3, dWeight: g + w.ln2W, dBias: g + w.ln2B, dOut: dx.ln2,
                           inp: x.res2, weight: p + w.ln2W, mean: x.ln2Mean, rstd: x.ln2Rstd, N: N, C: C,
                           threads: threads.count)
        Linear.backward(dInp: dx.attY, dWeight: g + w.projW, dBias: g + w.projB, dOut: dx.res3,
                        inp: x.attY, weight: p + w.projW, N: N, IC: C, OC: C, threads: threads.count)
        Attention.backward(dQKV: dx.qkv, dOut: dx.attY, qkv: x.qkv, positions: positions,
                           slopes: slopes.baseAddress!, scratch: attentionScratch.baseAddress!,
                           B: B, T: T, C: C, NH: NH, threads: threads.count)
        Linear.backward(dInp: dx.ln1, dWeight: g + w.qkvW, dBias: g + w.qkvB, dOut: dx.qkv,
                        inp: x.ln1, weight: p + w.qkvW, N: N, IC: C, OC: 3 * C, threads: threads.count)
        LayerNorm.backward(dInp: dInput, residual: dx.res3, dWeight: g + w.ln1W, dBias: g + w.ln1B, dOut: dx.ln1,
                           inp: input, weight: p + w.ln1W, mean: x.ln1Mean, rstd: x.ln1Rstd, N: N, C: C,
                           threads: threads.count)
    }
}
