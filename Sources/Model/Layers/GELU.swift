// GELU.swift — the tanh approximation of GELU used by BLOOM (`bloom_gelu_forward`; Hendrycks &
// Gimpel 2016, arXiv 1606.08415): y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))). llm.c `gelu_*`.
// Float runs eight lanes at a time with VectorMath's tanh (issue 19); Double the scalar loop.
// Legend: count = N · 4C elements.

/// Element-wise tanh-GELU.
enum GELU {
    /// √(2/π).
    static let scale = 0.7978845608028654

    /// - Parameters:
    ///   - out: (count) written; inp: (count).
    static func forward<F: ModelScalar>(out: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, count: Int, threads: Int) {
        let k = F(scale), c: F = 0.044715
        if F.self == Float.self {
            let o = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self)
            let x = UnsafeRawPointer(inp).assumingMemoryBound(to: Float.self)
            parallelRows(count, costPerRow: 20, threads: threads) { range in
                VectorMath.map(o, x, range) { x, _ in Self.forward(x) }
            }
            return
        }
        parallelRows(count, costPerRow: 20, threads: threads) { range in
            for i in range {
                let x = inp[i]
                out[i] = x / 2 * (1 + F.hyperbolicTangent(k * (x + c * x * x * x)))
            }
        }
    }

    /// Writes dInp = dOut · gelu′(inp).
    /// gelu′(x) = ½(1 + th) + ½x(1 − th²)·k(1 + 3·0.044715x²), th = tanh(k(x + 0.044715x³)).
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, inp: UnsafePointer<F>, count: Int, threads: Int
    ) {
        let k = F(scale), c: F = 0.044715
        if F.self == Float.self {
            let dx = UnsafeMutableRawPointer(dInp).assumingMemoryBound(to: Float.self)
            let dy = UnsafeRawPointer(dOut).assumingMemoryBound(to: Float.self)
            let x = UnsafeRawPointer(inp).assumingMemoryBound(to: Float.self)
            parallelRows(count, costPerRow: 25, threads: threads) { range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    VectorMath.store(VectorMath.load(dy + i) * derivative(VectorMath.load(x + i)), dx + i)
                    i += 8
                }
                let n = range.upperBound - i
                if n > 0 {
                    let g = VectorMath.loadPartial(dy + i, count: n) * derivative(VectorMath.loadPartial(x + i, count: n))
                    for j in 0..<n { dx[i + j] = g[j] }
                }
            }
            return
        }
        parallelRows(count, costPerRow: 25, threads: threads) { range in
            for i in range {
                let x = inp[i]
                let th = F.hyperbolicTangent(k * (x + c * x * x * x))
                let grad = (1 + th) / 2 + x / 2 * (1 - th * th) * k * (1 + 3 * c * x * x)
                dInp[i] = dOut[i] * grad
            }
        }
    }

    /// gelu(x) per lane, the formula of `forward` with the vector tanh.
    @inline(__always)
    static func forward(_ x: Float8) -> Float8 {
        let half: Float8 = x / 2
        return half * (1 + tanhArgument(x))
    }

    /// gelu′(x) per lane, the formula of `backward` with the vector tanh.
    @inline(__always)
    static func derivative(_ x: Float8) -> Float8 {
        let k = Float(scale), c3: Float = 3 * 0.044715
        let th: Float8 = tanhArgument(x)
        let half: Float8 = x / 2
        let slope: Float8 = (1 - th * th) * k
        let inner: Float8 = 1 + c3 * (x * x)
        let left: Float8 = (1 + th) / 2
        return left + half * slope * inner
    }

    /// tanh(k(x + 0.044715x³)) per lane.
    @inline(__always)
    private static func tanhArgument(_ x: Float8) -> Float8 {
        let k = Float(scale), c: Float = 0.044715
        let cube: Float8 = c * x * x * x
        return VectorMath.tanh(k * (x + cube))
    }
}
