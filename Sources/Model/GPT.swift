// GPT.swift — the BLOOM-style decoder's storage and life cycle (DESIGN.md §5, issue 5): one
// contiguous parameter buffer and one gradient buffer described by `ParameterLayout`, activation
// and activation-gradient arenas sized once for (B_max, T_max), initialisation, and batch checks.
// The passes are in GPT+Forward.swift and GPT+Backward.swift. Generic over the scalar so the
// finite-difference check runs the very same code in Double; production uses `GPT` (Float).

import Linalg
import Support

/// The production model: Float parameters, sgemm matmuls.
public typealias GPT = GPTModel<Float>

/// A BLOOM-style decoder-only transformer with hand-written forward and backward passes.
///
/// Memory: parameters, gradients (P each), two arenas of `ActivationLayout(B_max, T_max).count`
/// elements (activations, and their gradients), and attention's scratch, T_max·(128 + 2·HS)
/// elements per thread. Not thread-safe: one model, one caller.
public final class GPTModel<F: ModelScalar> {
    /// The sizes this model was built from.
    public let config: ModelConfig
    /// Where each tensor lives in `parameters` and `gradients`.
    public let layout: ParameterLayout
    /// Largest batch and sequence length the arenas hold.
    public let maxBatch: Int, maxLength: Int
    /// Threads of the model's loops and matrix products (OpenBLAS itself runs on one, set at init).
    public let threads: ComputeThreads
    /// All parameters, laid out by `layout`. Valid for the model's lifetime.
    public let parameters: UnsafeMutableBufferPointer<F>
    /// All parameter gradients, laid out by `layout`; backward accumulates into them.
    public let gradients: UnsafeMutableBufferPointer<F>

    let acts: UnsafeMutableBufferPointer<F>
    let dActs: UnsafeMutableBufferPointer<F>
    /// (B_max·T_max) inputs, targets, positions of the current batch; mask as F.
    let tokens: UnsafeMutableBufferPointer<Int32>
    let targets: UnsafeMutableBufferPointer<Int32>
    let positions: UnsafeMutableBufferPointer<Int32>
    let mask: UnsafeMutableBufferPointer<F>
    /// (NH) ALiBi slopes.
    let slopes: UnsafeMutableBufferPointer<F>
    /// Attention's scratch: `threads.count × Attention.scratchCount(T: maxLength, headSize:)`.
    let attentionScratch: UnsafeMutableBufferPointer<F>
    /// Layout of the last forward pass, needed by backward; nil before the first forward.
    var current: ActivationLayout?
    /// The random-LTD plan the last forward pass ran (nil: dense), needed by backward. A record
    /// of that pass like `current`, not an input: every forward sets it from its argument.
    var currentPlan: RandomLTDPlan?
    /// Scratch space of the dropping layers (random-LTD); empty until a plan drops tokens.
    let routing = RoutingArena<F>()
    /// Parameter offsets of each block, computed once from `layout`.
    let blocks: [BlockParameters]
    /// Offsets of the tensors outside the blocks.
    let wte: Int, embLnW: Int, embLnB: Int, lnfW: Int, lnfB: Int

    /// Builds a model with zeroed parameters (call `initializeParameters(seed:)` or load them).
    /// - Parameters:
    ///   - maxBatch: largest B any call will use.
    ///   - maxLength: largest T (default: `config.context`).
    ///   - threads: for the model's loops and products; sets OpenBLAS's (process-wide) thread count
    ///     to 1 now, since the model splits its products over `threads` itself (`parallelGEMM`).
    /// - Throws: `ModelError.invalidConfig` listing every problem of the config or the sizes.
    @_specialize(where F == Float)
    public init(config: ModelConfig, maxBatch: Int, maxLength: Int? = nil, threads: ComputeThreads = .allCores) throws {
        var problems = config.problems()
        let T = maxLength ?? config.context
        if maxBatch < 1 { problems.append("batch size must be >= 1 (got \(maxBatch))") }
        if T < 1 || T > config.context {
            problems.append("sequence length must be in 1...context (\(config.context)); got \(T)")
        }
        if problems.isEmpty, let a = config.activationLimitProblem(batch: maxBatch, length: T) { problems.append(a) }
        if !problems.isEmpty { throw ModelError.invalidConfig(problems) }
        (self.config, self.threads) = (config, threads)
        BLAS.setThreads(1)
        let layout = ParameterLayout(config: config)
        self.layout = layout
        blocks = (0..<config.layers).map { layout.block($0) }
        wte = layout.tensor("wte").offset
        (embLnW, embLnB) = (layout.tensor("embLnW").offset, layout.tensor("embLnB").offset)
        (lnfW, lnfB) = (layout.tensor("lnfW").offset, layout.tensor("lnfB").offset)
        (self.maxBatch, self.maxLength) = (maxBatch, T)
        func zeros<E: Numeric>(_ n: Int, _: E.Type) -> UnsafeMutableBufferPointer<E> {
            let p = UnsafeMutableBufferPointer<E>.allocate(capacity: n)
            adviseHugePages(UnsafeMutableRawBufferPointer(p))
            p.initialize(repeating: 0)
            return p
        }
        let arena = ActivationLayout(config: config, batch: maxBatch, length: T).count
        parameters = zeros(layout.count, F.self)
        gradients = zeros(layout.count, F.self)
        acts = zeros(arena, F.self)
        dActs = zeros(arena, F.self)
        tokens = zeros(maxBatch * T, Int32.self)
        targets = zeros(maxBatch * T, Int32.self)
        positions = zeros(maxBatch * T, Int32.self)
        mask = zeros(maxBatch * T, F.self)
        slopes = zeros(config.heads, F.self)
        attentionScratch = zeros(threads.count * Attention.scratchCount(T: T, headSize: config.dModel / config.heads), F.self)
        for (h, s) in ALiBi.slopes(heads: config.heads).enumerated() { slopes[h] = F(s) }
    }

    deinit {
        for p in [parameters, gradients, acts, dActs, mask, slopes, attentionScratch] { p.deallocate() }
        for p in [tokens, targets, positions] { p.deallocate() }
    }

    /// Number of parameters (P).
    public var parameterCount: Int { layout.count }

    /// BLOOM's initialisation from a seed: matrices (and the embedding) normal(0, init_std),
    /// biases 0, LayerNorm weights 1 and biases 0.
    @_specialize(where F == Float)
    public func initializeParameters(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for t in layout.tensors {
            let isNormWeight = t.name.hasPrefix("ln") || t.name.hasPrefix("embLn")
            for i in t.range {
                if t.isMatrix {
                    parameters[i] = F(rng.nextNormal() * config.initStd)
                } else {
                    parameters[i] = isNormWeight && t.name.hasSuffix("W") ? 1 : 0
                }
            }
        }
    }

    /// Sets every gradient to zero — the only place gradients are cleared (backward accumulates).
    @_specialize(where F == Float)
    public func zeroGradients() {
        gradients.update(repeating: 0)
    }

    /// Checks a random-LTD plan against the batch and the model, and makes room for it.
    /// - Throws: `ModelError.invalidBatch` when the plan is for another shape or names a layer
    ///   the model does not have.
    func prepare(_ plan: RandomLTDPlan, for batch: TokenBatch) throws {
        guard plan.batchSize == batch.batchSize, plan.length == batch.length else {
            throw ModelError.invalidBatch("random-LTD plan is for (B \(plan.batchSize), T \(plan.length)), "
                + "the batch is (B \(batch.batchSize), T \(batch.length))")
        }
        guard let last = plan.layers.last, last < config.layers else {
            throw ModelError.invalidBatch("random-LTD plan layers \(plan.layers) must be non-empty and < \(config.layers)")
        }
        routing.reserve(slots: plan.layers.count, perSlot: routingSlotCount(B: plan.batchSize, r: plan.reserved),
                        positionCount: plan.layers.count * plan.batchSize * plan.reserved)
    }

    /// Checks `batch` against the model and copies it into the input buffers.
    /// - Throws: `ModelError.invalidBatch` naming the first offending value.
    func load(_ batch: TokenBatch) throws {
        let B = batch.batchSize, T = batch.length
        guard B <= maxBatch, T <= maxLength else {
            throw ModelError.invalidBatch("(B \(B), T \(T)) exceeds the model's capacity (B \(maxBatch), T \(maxLength))")
        }
        let V = Int32(config.vocab)
        for n in 0..<(B * T) {
            let x = batch.inputs[n], y = batch.targets[n], m = batch.lossMask[n]
            guard x >= 0 && x < V else {
                throw ModelError.invalidBatch("input token \(x) at (\(n / T), \(n % T)) is outside 0..<\(V)")
            }
            guard m.isFinite && m >= 0 else {
                throw ModelError.invalidBatch("loss mask \(m) at (\(n / T), \(n % T)) must be finite and >= 0")
            }
            guard m == 0 || (y >= 0 && y < V) else {
                throw ModelError.invalidBatch("target \(y) at (\(n / T), \(n % T)) is outside 0..<\(V)")
            }
            tokens[n] = x
            targets[n] = m == 0 ? 0 : y
            mask[n] = F(m)
            positions[n] = Int32(n % T)
        }
    }

    /// Logits of the last forward pass: (B, T, V) row-major.
    /// - Precondition: `forward` has run.
    public var logits: UnsafeBufferPointer<F> {
        guard let a = current else { preconditionFailure("logits read before any forward pass") }
        let n = a.B * a.T * a.V
        return UnsafeBufferPointer(start: a.outer(in: acts.baseAddress!).logits, count: n)
    }
}
