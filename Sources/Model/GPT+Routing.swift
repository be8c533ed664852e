// GPT+Routing.swift — a block run under random-LTD (spec §9.3–9.5, DESIGN.md §5): gather the
// plan's kept rows of the block's (B, T, C) input with their original positions → the ordinary
// block code at length r → scatter the (B, r, C) result over a copy of the input. Attention then
// sees the kept tokens in their (sorted, hence causal) order with ALiBi distances from their
// original positions, which DeepSpeed's sliced r×r mask cannot express for position-dependent
// biases. Dropped tokens pass through unchanged. The scattered (B, T, C) output lands where a
// dense block's output would (`block(l).res3` of the dense layout), so the layers around it do not
// know whether it dropped. The gathered rows and the r-length block live in `RoutingArena`.
// Legend: B batch, T length, r kept per row, C channels, l dropping layers.

/// Scratch space for the dropping layers of one step: per dropping layer, [gathered input (B·r·C)
/// | block activations at (B, r)] in `acts`, the same layout for their gradients in `dActs`, and
/// (B·r) gathered positions. Grown (never shrunk) when a larger (l, B, r) arrives; contents live
/// for one forward/backward pair only.
final class RoutingArena<F: ModelScalar> {
    private(set) var acts: UnsafeMutableBufferPointer<F>
    private(set) var dActs: UnsafeMutableBufferPointer<F>
    private(set) var positions: UnsafeMutableBufferPointer<Int32>

    init() {
        (acts, dActs, positions) = (.allocate(capacity: 0), .allocate(capacity: 0), .allocate(capacity: 0))
    }

    deinit { acts.deallocate(); dActs.deallocate(); positions.deallocate() }

    /// Makes room for `slots` dropping layers of `perSlot` elements and `positionCount` positions.
    func reserve(slots: Int, perSlot: Int, positionCount: Int) {
        let n = slots * perSlot
        if acts.count < n {
            acts.deallocate(); dActs.deallocate()
            (acts, dActs) = (.allocate(capacity: n), .allocate(capacity: n))
            acts.initialize(repeating: 0); dActs.initialize(repeating: 0)
        }
        if positions.count < positionCount {
            positions.deallocate()
            positions = .allocate(capacity: positionCount)
            positions.initialize(repeating: 0)
        }
    }
}

extension GPTModel {
    /// Elements one dropping layer takes in the routing arena at (B, r).
    func routingSlotCount(B: Int, r: Int) -> Int {
        B * r * config.dModel
            + ActivationLayout.blockCount(B: B, T: r, C: config.dModel, H: config.hiddenSize)
    }

    /// The gathered input (B, r, C) and the r-length block of dropping-layer `slot`, in `base`.
    func routedBlock(_ slot: Int, in base: UnsafeMutablePointer<F>, B: Int, r: Int)
        -> (input: UnsafeMutablePointer<F>, block: BlockActivations<F>) {
        let start = base + slot * routingSlotCount(B: B, r: r)
        let block = ActivationLayout.carveBlock(at: start + B * r * config.dModel, B: B, T: r,
                                                C: config.dModel, H: config.hiddenSize)
        return (start, block)
    }

    /// Layer `l` under the plan's `slot`: gather → block at length r → scatter into `output`.
    /// - Parameters:
    ///   - output: (B, T, C) written: the layer's output (input with kept rows replaced).
    ///   - input: (B, T, C) the residual stream entering the layer; positions: (B, T).
    func routedForward(_ l: Int, slot: Int, plan: RandomLTDPlan, output: UnsafeMutablePointer<F>,
                       input: UnsafePointer<F>, positions: UnsafePointer<Int32>) {
        let B = plan.batchSize, T = plan.length, r = plan.reserved, C = config.dModel
        let (gathered, y) = routedBlock(slot, in: routing.acts.baseAddress!, B: B, r: r)
        let gatheredPositions = routing.positions.baseAddress! + slot * B * r
        plan.kept(slot: slot).withUnsafeBufferPointer { kept in
            TokenGather.forward(out: gathered, outPositions: gatheredPositions, inp: input, positions: positions,
                                kept: kept.baseAddress!, B: B, T: T, r: r, C: C)
            blockForward(l, y, input: gathered, positions: gatheredPositions, B: B, T: r)
            TokenScatter.forward(out: output, inp: input, part: y.res3, kept: kept.baseAddress!, B: B, T: T, r: r, C: C)
        }
    }

    /// Backward of `routedForward`, in reverse: scatter (dropped rows of `dOutput` straight into
    /// `dInput`), the block at length r, gather (kept rows' gradient into `dInput`). Accumulates
    /// into `gradients`; writes every row of `dInput` once.
    /// - Parameters: dOutput: (B, T, C) the gradient of the layer's output; dInput: (B, T, C) the
    ///   gradient of its input (the block's own input is the gathered copy kept from forward).
    func routedBackward(_ l: Int, slot: Int, plan: RandomLTDPlan, dOutput: UnsafePointer<F>,
                        dInput: UnsafeMutablePointer<F>) {
        let B = plan.batchSize, T = plan.length, r = plan.reserved, C = config.dModel
        let (gathered, y) = routedBlock(slot, in: routing.acts.baseAddress!, B: B, r: r)
        let (dGathered, dy) = routedBlock(slot, in: routing.dActs.baseAddress!, B: B, r: r)
        plan.kept(slot: slot).withUnsafeBufferPointer { kept in
            TokenScatter.backward(dInp: dInput, dPart: dy.res3, dOut: dOutput, kept: kept.baseAddress!,
                                  B: B, T: T, r: r, C: C)
            blockBackward(l, y, dy, input: gathered, dInput: dGathered,
                          positions: routing.positions.baseAddress! + slot * B * r, B: B, T: r)
            TokenGather.backward(dInp: dInput, dOut: dGathered, kept: kept.baseAddress!, B: B, T: T, r: r, C: C)
        }
    }
}
