// ModelConfig.swift — the sizes of the BLOOM-style decoder (DESIGN.md §5, issue 5): a typed
// `Codable` struct with snake_case JSON keys (`CodingKeys`, `CaseIterable` so that the config
// reader rejects any other key with its path), and one `validate()` that reports every problem at
// once (STYLE.md §8).

/// Sizes and numerical constants of the model. JSON example:
///
///     {"layers": 6, "d_model": 256, "heads": 8, "context": 256, "vocab": 8192}
///
/// `mlp_ratio` (default 4), `layer_norm_epsilon` (1e-5) and `init_std` (0.02) are optional.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Number of transformer blocks (L).
    public var layers: Int
    /// Residual width (C).
    public var dModel: Int
    /// Attention heads (NH); head size is dModel / heads.
    public var heads: Int
    /// Longest sequence the model is built for (T_max); ALiBi lets shorter ones run unchanged.
    public var context: Int
    /// Vocabulary size (V).
    public var vocab: Int
    /// MLP hidden width as a multiple of dModel (BLOOM: 4).
    public var mlpRatio: Int
    /// LayerNorm ε (BLOOM: 1e-5).
    public var layerNormEpsilon: Double
    /// Standard deviation of the normal initialisation of weight matrices (BLOOM: 0.02).
    public var initStd: Double

    /// Creates a config; call `validate()` before building a model from it.
    public init(layers: Int, dModel: Int, heads: Int, context: Int, vocab: Int,
                mlpRatio: Int = 4, layerNormEpsilon: Double = 1e-5, initStd: Double = 0.02) {
        self.layers = layers
        self.dModel = dModel
        self.heads = heads
        self.context = context
        self.vocab = vocab
        self.mlpRatio = mlpRatio
        self.layerNormEpsilon = layerNormEpsilon
        self.initStd = initStd
    }

    /// MLP hidden width (4C by default).
    public var hiddenSize: Int { dModel * mlpRatio }

    /// Every inconsistency in the config and every size above its limit (`limitProblems`), as
    /// sentences naming the field; empty when valid.
    public func problems() -> [String] {
        consistencyProblems() + limitProblems().map { ($0.key.isEmpty ? "" : "\($0.key): ") + $0.message }
    }

    /// Every inconsistency in the config (sizes below 1, heads not dividing d_model, …), as
    /// sentences naming the field; empty when consistent. Limits are `limitProblems()`.
    public func consistencyProblems() -> [String] {
        var out: [String] = []
        if layers < 1 { out.append("layers must be >= 1 (got \(layers))") }
        if dModel < 1 { out.append("d_model must be >= 1 (got \(dModel))") }
        if heads < 1 { out.append("heads must be >= 1 (got \(heads))") }
        if heads >= 1, dModel >= 1, dModel % heads != 0 {
            out.append("d_model (\(dModel)) must be divisible by heads (\(heads))")
        }
        if context < 1 { out.append("context must be >= 1 (got \(context))") }
        if vocab < 1 { out.append("vocab must be >= 1 (got \(vocab))") }
        if vocab > Int(Int32.max) { out.append("vocab must fit in Int32 (got \(vocab))") }
        if mlpRatio < 1 { out.append("mlp_ratio must be >= 1 (got \(mlpRatio))") }
        if !(layerNormEpsilon > 0) { out.append("layer_norm_epsilon must be > 0 (got \(layerNormEpsilon))") }
        if !(initStd > 0) { out.append("init_std must be > 0 (got \(initStd))") }
        return out
    }

    /// Throws `ModelError.invalidConfig` listing every problem, or returns normally.
    public func validate() throws {
        let found = problems()
        if !found.isEmpty { throw ModelError.invalidConfig(found) }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case layers, dModel = "d_model", heads, context, vocab, mlpRatio = "mlp_ratio"
        case layerNormEpsilon = "layer_norm_epsilon", initStd = "init_std"
    }

    /// Decodes: `layers` … `vocab` required, the rest take the defaults of `init` (config files
    /// are read through a strict decoder that also reports unknown keys with their path).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelConfig(layers: 0, dModel: 0, heads: 0, context: 0, vocab: 0)
        self.init(
            layers: try c.decode(Int.self, forKey: .layers),
            dModel: try c.decode(Int.self, forKey: .dModel),
            heads: try c.decode(Int.self, forKey: .heads),
            context: try c.decode(Int.self, forKey: .context),
            vocab: try c.decode(Int.self, forKey: .vocab),
            mlpRatio: try c.decodeIfPresent(Int.self, forKey: .mlpRatio) ?? d.mlpRatio,
            layerNormEpsilon: try c.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? d.layerNormEpsilon,
            initStd: try c.decodeIfPresent(Double.self, forKey: .initStd) ?? d.initStd)
    }
}

/// Errors of the `Model` module.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// The config is inconsistent; every problem found is listed.
    case invalidConfig([String])
    /// A batch does not fit the model (shape, token range, capacity).
    case invalidBatch(String)

    public var description: String {
        switch self {
        case .invalidConfig(let p):
            return "invalid model config: " + p.joined(separator: "; ")
        case .invalidBatch(let why):
            return "invalid batch: \(why)"
        }
    }
}
