// ModelConfig+Limits.swift — upper bounds on the model's sizes (issue 14 item 15), checked before
// anything is allocated: each size alone (so no product of them can overflow an Int), and the
// parameter count whose fp32 parameters, gradients and two AdamW moments would take more than
// 2^40 bytes. Documented in docs/training.md.

extension ModelConfig {
    /// The largest `layers`: 2^12 transformer blocks (the deepest published models have ~10^2).
    public static let maxLayers = 1 << 12
    /// The largest `d_model`: 2^16 (the widest published models use ~2^14).
    public static let maxDModel = 1 << 16
    /// The largest `context`: 2^20 tokens.
    public static let maxContext = 1 << 20
    /// The largest `vocab`: 2^24 tokens (tokenizers in use have 2^15–2^18).
    public static let maxVocab = 1 << 24
    /// The largest `mlp_ratio`: 64.
    public static let maxMLPRatio = 64
    /// The largest parameter count: 2^36, whose parameters, gradients and AdamW moments (four fp32
    /// copies, 16 bytes a parameter) take 2^40 bytes (1 TiB).
    public static let maxParameters = 1 << 36

    /// The number of parameters of the config, computed in Double so that no size can overflow:
    /// wte V·C, the embedding and final LayerNorms 4C, and per block 4C² + 2HC + 9C + H (qkv 3C² + 3C,
    /// projection C² + C, MLP 2HC + H + C, two LayerNorms 4C), H = mlp_ratio · C.
    public var parameterCountEstimate: Double {
        let (l, c, v) = (Double(layers), Double(dModel), Double(vocab))
        let h = Double(mlpRatio) * c
        return v * c + 4 * c + l * (4 * c * c + 2 * h * c + 9 * c + h)
    }

    /// Sizes above their limits, as (key, `value exceeds the limit N (why)`), the key empty for the
    /// parameter count (a product of several keys); empty when within.
    public func limitProblems() -> [(key: String, message: String)] {
        var out: [(key: String, message: String)] = []
        for (key, value, limit, why) in [("layers", layers, Self.maxLayers, "2^12 transformer blocks"),
                                         ("d_model", dModel, Self.maxDModel, "2^16 channels"),
                                         ("context", context, Self.maxContext, "2^20 tokens"),
                                         ("vocab", vocab, Self.maxVocab, "2^24 tokens"),
                                         ("mlp_ratio", mlpRatio, Self.maxMLPRatio, "an MLP 64 times d_model")] where value > limit {
            out.append((key, "\(value) exceeds the limit \(limit) (\(why))"))
        }
        let p = parameterCountEstimate
        if out.isEmpty, p > Double(Self.maxParameters) {
            out.append(("", "the model has \(Int(p)) parameters (layers \(layers), d_model \(dModel), vocab \(vocab), "
                + "mlp_ratio \(mlpRatio)), which exceeds the limit \(Self.maxParameters) (2^36 parameters: with gradients and "
                + "AdamW moments 2^40 bytes)"))
        }
        return out
    }

    /// The largest activation arena: 2^37 elements, whose fp32 activations and gradients take
    /// 2^40 bytes (1 TiB).
    public static let maxActivations = 1 << 37

    /// Elements of the activation arena for `batch` rows of `length` tokens (ActivationLayout),
    /// in Double: N(2C + 2) before the blocks, N(8C + 2H + 4) per block, and N(C + 5 + V) after
    /// them, N = B·T. (Attention's per-thread scratch, T·(2·64 + 2·HS) elements a thread, is
    /// outside the arena.)
    public func activationCountEstimate(batch: Int, length: Int) -> Double {
        let (b, t, c, v, l) = (Double(batch), Double(length), Double(dModel), Double(vocab), Double(layers))
        let n = b * t, h = Double(mlpRatio) * c
        return n * (2 * c + 2) + l * n * (8 * c + 2 * h + 4) + n * (c + 5 + v)
    }

    /// The activation limit for `batch` rows of `length` tokens as a message, nil when within.
    public func activationLimitProblem(batch: Int, length: Int) -> String? {
        let a = activationCountEstimate(batch: batch, length: length)
        guard a > Double(Self.maxActivations) else { return nil }
        return "\(batch) rows × \(length) tokens need \(a < 9e18 ? String(Int(a)) : String(a)) activations, which exceeds the limit "
            + "\(Self.maxActivations) (2^37 fp32 activations and gradients: 2^40 bytes); use fewer rows or shorter sequences"
    }
}
