// ParameterLayout.swift — where every parameter tensor lives in the one contiguous parameter
// buffer (STYLE.md §10.3.4, llm.c `fill_in_parameter_sizes`). The same layout indexes the
// gradients and AdamW's m and v, and is the single source of truth for initialisation, the
// weight-decay group (2-D tensors only) and checkpoints.
//
// Order: wte (V,C), embLnW (C), embLnB (C); per block l: ln1W, ln1B (C), qkvW (3C,C), qkvB (3C),
// projW (C,C), projB (C), ln2W, ln2B (C), fcW (4C,C), fcB (4C), fcProjW (C,4C), fcProjB (C);
// then lnfW, lnfB (C). Weights are (out, in) as in llm.c, so y = x·Wᵀ + b.
// The qkv output is [Q | K | V], each C wide with heads contiguous (llm.c's order; HF BLOOM
// interleaves per head, so importing its weights would need a row permutation).

/// One named tensor of the layout.
public struct ParameterTensor: Equatable, Sendable {
    /// Name without the layer, e.g. "qkvW".
    public let name: String
    /// Block index, or nil for the embedding and final tensors.
    public let layer: Int?
    /// Row-major shape.
    public let shape: [Int]
    /// First element in the buffer.
    public let offset: Int
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Elements in the buffer.
    public var range: Range<Int> { offset..<(offset + count) }
    /// True for matrices: the tensors AdamW applies weight decay to.
    public var isMatrix: Bool { shape.count == 2 }
}

/// Offsets of one block's tensors.
public struct BlockParameters: Sendable {
    public let ln1W, ln1B, qkvW, qkvB, projW, projB, ln2W, ln2B, fcW, fcB, fcProjW, fcProjB: Int
}

/// The ordered list of parameter tensors for a config.
public struct ParameterLayout: Equatable, Sendable {
    /// Every tensor, in buffer order.
    public let tensors: [ParameterTensor]
    /// Total number of parameters.
    public let count: Int

    /// Builds the layout of `config` (which should be valid).
    public init(config: ModelConfig) {
        let C = config.dModel, V = config.vocab, H = config.hiddenSize
        var list: [ParameterTensor] = []
        var next = 0
        func add(_ name: String, _ layer: Int?, _ shape: [Int]) {
            let t = ParameterTensor(name: name, layer: layer, shape: shape, offset: next)
            list.append(t)
            next += t.count
        }
        add("wte", nil, [V, C]); add("embLnW", nil, [C]); add("embLnB", nil, [C])
        for l in 0..<config.layers {
            add("ln1W", l, [C]); add("ln1B", l, [C])
            add("qkvW", l, [3 * C, C]); add("qkvB", l, [3 * C])
            add("projW", l, [C, C]); add("projB", l, [C])
            add("ln2W", l, [C]); add("ln2B", l, [C])
            add("fcW", l, [H, C]); add("fcB", l, [H])
            add("fcProjW", l, [C, H]); add("fcProjB", l, [C])
        }
        add("lnfW", nil, [C]); add("lnfB", nil, [C])
        tensors = list
        count = next
    }

    /// The tensor called `name` (in block `layer`, or a global one when nil).
    /// - Precondition: the tensor exists.
    public func tensor(_ name: String, layer: Int? = nil) -> ParameterTensor {
        guard let t = tensors.first(where: { $0.name == name && $0.layer == layer }) else {
            preconditionFailure("no parameter tensor \(name) in layer \(String(describing: layer))")
        }
        return t
    }

    /// Offsets of block `layer`'s tensors.
    public func block(_ layer: Int) -> BlockParameters {
        func o(_ n: String) -> Int { tensor(n, layer: layer).offset }
        return BlockParameters(ln1W: o("ln1W"), ln1B: o("ln1B"), qkvW: o("qkvW"), qkvB: o("qkvB"),
                               projW: o("projW"), projB: o("projB"), ln2W: o("ln2W"), ln2B: o("ln2B"),
                               fcW: o("fcW"), fcB: o("fcB"), fcProjW: o("fcProjW"), fcProjB: o("fcProjB"))
    }

    /// Per element: 1 where weight decay applies (2-D tensors), 0 elsewhere — AdamW's mask.
    public func decayMask() -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: count)
        for t in tensors where t.isMatrix {
            for i in t.range { mask[i] = 1 }
        }
        return mask
    }
}
