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

    /// Writes dInp = dOut · gelu′, with gelu′ as `forward` wrote it, over (rows, columns) values;
    /// with `dBias`, also adds each column's sum of dInp into it (dBias[c] += dInp[n, c] for n in
    /// order, as `Linear.backward` would): the fc layer's bias gradient in the same pass instead
    /// of a second read of its (N, 4C) output gradient (issue 19).
    /// - Parameters: dInp: written (may be `dOut`); dOut, derivative: (rows, columns);
    ///   dBias: (columns) or nil.
    static func backward<F: ModelScalar>(
        dInp: UnsafeMutablePointer<F>, dOut: UnsafePointer<F>, derivative: UnsafePointer<F>,
        rows: Int, columns: Int, dBias: UnsafeMutablePointer<F>? = nil, threads: Int
    ) {
        guard let dBias else {
            parallelRows(rows * columns, costPerRow: 2, threads: threads) { range in
                for i in range { dInp[i] = dOut[i] * derivative[i] }
            }
            return
        }
        // Split by columns: each column's sum runs over the rows in order, whatever the threads.
        parallelRows(columns, costPerRow: 3 * rows, threads: threads, chunksPerThread: 1) { range in
            if F.self == Float.self {
                let y = UnsafeMutableRawPointer(dInp).assumingMemoryBound(to: Float.self)
                let g = UnsafeRawPointer(dOut).assumingMemoryBound(to: Float.self)
                let d = UnsafeRawPointer(derivative).assumingMemoryBound(to: Float.self)
                let s = UnsafeMutableRawPointer(dBias).assumingMemoryBound(to: Float.self)
                for n in 0..<rows {
                    let row = n * columns
                    var c = range.lowerBound
                    while c + 16 <= range.upperBound {
                        let v = VectorMath.load16(g + row + c) * VectorMath.load16(d + row + c)
                        VectorMath.store16(v, y + row + c)
                        VectorMath.store16(VectorMath.load16(s + c) + v, s + c)
                        c += 16
                    }
                    while c < range.upperBound {
                        y[row + c] = g[row + c] * d[row + c]
                        s[c] += y[row + c]
                        c += 1
                    }
                }
                return
            }
            for n in 0..<rows {
                for c in range {
                    dInp[n * columns + c] = dOut[n * columns + c] * derivative[n * columns + c]
                    dBias[c] += dInp[n * columns + c]
                }
            }
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
