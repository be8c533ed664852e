// GELU.swift — the tanh approximation of GELU used by BLOOM (`bloom_gelu_forward`; Hendrycks &
// Gimpel 2016, arXiv 1606.08415): y = ½x(1 + tanh(√(2/π)(x + 0.044715x³))). llm.c `gelu_*`.
// Float runs sixteen lanes at a time with VectorMath's tanh (issue 19); Double the scalar loop. Forward
// also writes gelu′, so backward is one multiply per element and never recomputes the tanh.
// Legend: count = N · 4C elements.

/// Element-wise tanh-GELU.
enum GELU {
    /// √(2/π).
    static let scale = 0.7978845608028654

    /// Writes out = gelu(inp) and derivative = gelu′(inp), the only thing `backward` needs: the
    /// tanh is computed once, here, instead of again in backward (issue 19).
    /// gelu′(x) = ½(1 + th) + ½x(1 − th²)·k(1 + 3·0.044715x²), th = tanh(k(x + 0.044715x³)).
    /// - Parameters:
    ///   - out: (count) written.
    ///   - derivative: (count) written; may be `inp` itself (each element is read before it is
    ///     overwritten), which is how the model keeps it in the fc output's place.
    ///   - inp: (count).
    static func forward<F: ModelScalar>(
        out: UnsafeMutablePointer<F>, derivative: UnsafeMutablePointer<F>, inp: UnsafePointer<F>, count: Int,
        threads: Int
    ) {
        let k = F(scale), c: F = 0.044715
        if F.self == Float.self {
            let o = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self)
            let g = UnsafeMutableRawPointer(derivative).assumingMemoryBound(to: Float.self)
            let x = UnsafeRawPointer(inp).assumingMemoryBound(to: Float.self)
            parallelRows(count, costPerRow: 25, threads: threads) { range in
                // The loop written out, not a closure passed to a helper: called through a
                // closure, the kernel ran as a call per sixteen values, its vectors in memory.
                var i = range.lowerBound
                while i + 16 <= range.upperBound {
                    let (y, d) = valueAndDerivative(VectorMath.load16(x + i))
                    VectorMath.store16(y, o + i)
                    VectorMath.store16(d, g + i)
                    i += 16
                }
                let n = range.upperBound - i
                if n > 0 {
                    let (y, d) = valueAndDerivative(VectorMath.loadPartial16(x + i, count: n))
                    VectorMath.storePartial16(y, o + i, count: n)
                    VectorMath.storePartial16(d, g + i, count: n)
                }
            }
            return
        }
        parallelRows(count, costPerRow: 25, threads: threads) { range in
            for i in range {
                let x = inp[i]
                let th = F.hyperbolicTangent(k * (x + c * x * x * x))
                out[i] = x / 2 * (1 + th)
                derivative[i] = (1 + th) / 2 + x / 2 * (1 - th * th) * k * (1 + 3 * c * x * x)
            }
        }
    }

    /// Writes dInp = dOut · gelu′, with gelu′ as `forward` wrote it.
    /// - Parameters: dInp: (count) written (may be `dOut`); dOut, derivative: (count).
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, derivative: UnsafePointer<F>, count: Int, threads: Int
    ) {
        parallelRows(count, costPerRow: 2, threads: threads) { range in
            for i in range { dInp[i] = dOut[i] * derivative[i] }
        }
    }

    /// (gelu(x), gelu′(x)) per lane from one vector tanh, the formulas of the Double path.
    @inline(__always)
    static func valueAndDerivative(_ x: Float16x) -> (Float16x, Float16x) {
        let k = Float(scale), c3: Float = 3 * 0.044715
        let th: Float16x = tanhArgument(x)
        let half: Float16x = x / 2
        let slope: Float16x = (1 - th * th) * k
        let inner: Float16x = 1 + c3 * (x * x)
        let left: Float16x = (1 + th) / 2
        return (half * (1 + th), left + half * slope * inner)
    }

    /// tanh(k(x + 0.044715x³)) per lane.
    @inline(__always)
    private static func tanhArgument(_ x: Float16x) -> Float16x {
        let k = Float(scale), c: Float = 0.044715
        let cube: Float16x = c * x * x * x
        return VectorMath.tanh(k * (x + cube))
    }
}
