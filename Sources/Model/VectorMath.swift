// VectorMath.swift — the Float kernels behind the model's element-wise passes (issue 19): eˣ sixteen
// lanes at a time, and the row operations built on it (max, exp-and-sum, scale) that softmax over
// the vocabulary, attention's softmax and GELU's tanh run on. Element-wise work runs in sixteen
// lanes (one AVX-512 register, two AVX2 ones); each sum adds in a fixed lane order that does not
// depend on the register width, so AVX-512 and AVX2 builds give the same bits. Scalar glibc `expf`
// per element was the largest cost outside sgemm (docs/training.md "Where a step's time goes").
// Layers call these for Float only (`F.self == Float.self`); Double keeps the scalar reference
// code, so the finite-difference checks still run the plain formulas.
// eˣ follows Cephes `expf` (Moshier): x = n·ln 2 + r with |r| ≤ ½ln 2, n by the round-to-nearest
// "magic number" trick, eʳ by its degree-7 polynomial, 2ⁿ built in the exponent bits.

/// Eight Float lanes, the width the sums accumulate in.
typealias Float8 = SIMD8<Float>

/// Sixteen Float lanes, the width the element-wise kernels work in: one register on an AVX-512 build
/// (Package.swift's `targetCPU`), two on an AVX2 one. Concrete types only: Swift's generic `SIMD`
/// operators run lane by lane, ten times slower than these.
typealias Float16x = SIMD16<Float>

/// Vectorised eˣ and the row kernels built on it.
enum VectorMath {
    /// eˣ per lane, within 2 ulp of the correctly rounded value on [−87.33, 88.37]; 0 below
    /// (where eˣ < 2⁻¹²⁶ is subnormal), +∞ above (where eˣ > 2.5·10³⁸, near Float's largest
    /// value 3.4·10³⁸), NaN for NaN. The model only takes eˣ of x ≤ 0 (softmax) or for tanh,
    /// which is ±1 in Float long before either end.
    @inline(__always)
    static func exp(_ x: Float16x) -> Float16x {
        let lo: Float = -87.33654, hi: Float = 88.37
        var xc = x  // clamped by masks: `clamped(lowerBound:upperBound:)` compiles to calls
        xc.replace(with: lo, where: x .< lo)
        xc.replace(with: hi, where: x .> hi)
        // t = x·log₂e + 1.5·2²³ rounds x·log₂e to the nearest integer n in t's low mantissa bits.
        let magic: Float = 12_582_912
        let t = xc * 1.442_695_04 + magic
        let n = t - magic
        let r = xc - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Float16x(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        // 2ⁿ: the low bits of t hold 0x4B400000 + n; shifted by 23 only n survives, + the bias 127.
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self) &<< 23 &+ (127 << 23)
        var y = p * unsafeBitCast(bits, to: Float16x.self)
        y.replace(with: 0, where: x .< lo)
        y.replace(with: .infinity, where: x .> hi)
        y.replace(with: x, where: x .!= x)
        return y
    }

    /// tanh(x) = 1 − 2/(e²ˣ + 1) per lane (as `Float.hyperbolicTangent`, with the vector eˣ).
    @inline(__always)
    static func tanh(_ x: Float16x) -> Float16x {
        let e: Float16x = exp(x + x) + 1
        return 1 - 2 / e
    }

    /// The largest of `x[0..<count]` (−greatestFiniteMagnitude when every value is smaller or
    /// NaN, as the scalar `>` scan it replaces).
    /// - Precondition: count ≥ 0.
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m8 = Float8(repeating: -.greatestFiniteMagnitude)
        var i = 0
        while i + 8 <= count {
            let v = load(x + i)
            m8.replace(with: v, where: v .> m8)
            i += 8
        }
        var m = m8[0]
        for k in 1..<8 where m8[k] > m { m = m8[k] }
        while i < count {
            if x[i] > m { m = x[i] }
            i += 1
        }
        return m
    }

    /// y[i] = e^(x[i] − shift) for i < count, returning Σ y (y may be x; nil stores nothing and
    /// only sums). The sum runs in sixteen lanes, y[i] into lane i mod 16, then the two halves
    /// are added and summed as `SIMD8.sum()` does. (Adding each sixteen's halves into eight lanes
    /// instead made the compiler split the whole eˣ into 256-bit halves on AVX-512.) A function
    /// of its own, called once a row: inlined into the layers' generic code, the compiler left eˣ
    /// as a call per sixteen values.
    @inline(never)
    static func expShiftedSum(_ y: UnsafeMutablePointer<Float>?, _ x: UnsafePointer<Float>, shift: Float, count: Int) -> Float {
        var s16 = Float16x(), i = 0
        while i + 16 <= count {
            let e = exp(load16(x + i) - shift)
            if let y { store16(e, y + i) }
            s16 += e
            i += 16
        }
        let n = count - i
        if n > 0 {
            var e = exp(loadPartial16(x + i, count: n) - shift)
            if let y { storePartial16(e, y + i, count: n) }
            // Lanes past the tail's end hold e^(0 − shift): masked out of the sum by lane number.
            let lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
            e.replace(with: 0, where: lane .>= Int32(n))
            s16 += e
        }
        return (s16.lowHalf + s16.highHalf).sum()
    }

    /// x[i] *= factor for i < count.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(load16(x + i) * factor, x + i)
            i += 16
        }
        while i < count {
            x[i] *= factor
            i += 1
        }
    }

    /// x[i] = 0 for i < count, sixteen at a time: attention clears short row tails (under 64
    /// values) a few hundred thousand times a step, where a call to memset each cost more.
    @inline(__always)
    static func zero(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(Float16x(), x + i)
            i += 16
        }
        if i < count { storePartial16(Float16x(), x + i, count: count - i) }
    }

    /// y[i] = p[i] · (y[i] − shift) for i < count (the softmax's backward for one row).
    @inline(__always)
    static func scaleShifted(_ y: UnsafeMutablePointer<Float>, by p: UnsafePointer<Float>, shift: Float, count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(load16(p + i) * (load16(y + i) - shift), y + i)
            i += 16
        }
        while i < count {
            y[i] = p[i] * (y[i] - shift)
            i += 1
        }
    }

    /// Σ x[i] for i < count, summed in eight lanes (the lane order is fixed, so the result does
    /// not depend on how rows are split over threads).
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var s8 = Float8(), i = 0
        while i + 8 <= count {
            s8 += load(x + i)
            i += 8
        }
        if i < count { s8 += loadPartial(x + i, count: count - i) }
        return s8.sum()
    }

    /// Σ x[i]·y[i] for i < count, summed in eight lanes.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var s8 = Float8(), i = 0
        while i + 8 <= count {
            s8 += load(x + i) * load(y + i)
            i += 8
        }
        if i < count { s8 += loadPartial(x + i, count: count - i) * loadPartial(y + i, count: count - i) }
        return s8.sum()
    }

    /// Σ (x[i] − shift)² for i < count, summed in eight lanes.
    @inline(__always)
    static func centeredSquares(_ x: UnsafePointer<Float>, shift: Float, count: Int) -> Float {
        var s8 = Float8(), i = 0
        while i + 8 <= count {
            let d = load(x + i) - shift
            s8 += d * d
            i += 8
        }
        var s = s8.sum()
        while i < count {
            let d = x[i] - shift
            s += d * d
            i += 1
        }
        return s
    }

    /// y[i] = b · (e^(x[i] − shift) · a) for i < count, rounded after each operation: `scaledTwice`
    /// of the values `expShiftedSum` stores, without storing them first (cross-entropy's backward
    /// recomputes its softmax from the logits). Its own function for the reason `expShiftedSum` is.
    @inline(never)
    static func expShiftedScaledTwice(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, shift: Float,
                                      by a: Float, then b: Float, count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(b * (exp(load16(x + i) - shift) * a), y + i)
            i += 16
        }
        let n = count - i
        if n > 0 { storePartial16(b * (exp(loadPartial16(x + i, count: n) - shift) * a), y + i, count: n) }
    }

    /// y[i] = b · (x[i] · a) for i < count, rounded after each product (y may be x).
    @inline(__always)
    static func scaledTwice(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, by a: Float, then b: Float,
                            count: Int) {
        var i = 0
        while i + 16 <= count {
            store16(b * (load16(x + i) * a), y + i)
            i += 16
        }
        while i < count {
            y[i] = b * (x[i] * a)
            i += 1
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Float8 {
        UnsafeRawPointer(p).loadUnaligned(as: Float8.self)
    }

    @inline(__always)
    static func store(_ v: Float8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float8.self)
    }

    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> Float16x {
        UnsafeRawPointer(p).loadUnaligned(as: Float16x.self)
    }

    @inline(__always)
    static func store16(_ v: Float16x, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float16x.self)
    }

    /// The first `count` (< 16) values, the other lanes 0: eight at once when there are as many.
    @inline(__always)
    static func loadPartial16(_ p: UnsafePointer<Float>, count: Int) -> Float16x {
        count >= 8 ? Float16x(lowHalf: load(p), highHalf: loadPartial(p + 8, count: count - 8))
            : Float16x(lowHalf: loadPartial(p, count: count), highHalf: Float8())
    }

    /// Stores the first `count` (< 16) lanes of `v` at p.
    @inline(__always)
    static func storePartial16(_ v: Float16x, _ p: UnsafeMutablePointer<Float>, count: Int) {
        var k = 0
        if count >= 8 {
            store(v.lowHalf, p)
            k = 8
        }
        while k < count {
            p[k] = v[k]
            k += 1
        }
    }

    /// The first `count` (< 8) values, the other lanes 0.
    @inline(__always)
    static func loadPartial(_ p: UnsafePointer<Float>, count: Int) -> Float8 {
        var v = Float8()
        for k in 0..<count { v[k] = p[k] }
        return v
    }
}
