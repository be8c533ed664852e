// ModelScalar.swift — the scalar types the model's kernels are written over (STYLE.md §2, §10.3.7):
// `Float` in production (matmuls through OpenBLAS sgemm) and `Double` for finite-difference
// gradient checks (matmuls through plain loops). Every layer is generic over `ModelScalar`, so the
// Double check exercises exactly the code that trains.

import Foundation
import Linalg

/// A floating-point type the model can run in: the transcendental functions the layers need and a
/// row-major matrix product with the contract of `BLAS.sgemm`.
public protocol ModelScalar: BinaryFloatingPoint, Sendable {
    /// eˣ.
    static func exponential(_ x: Self) -> Self
    /// Natural logarithm.
    static func logarithm(_ x: Self) -> Self
    /// Square root.
    static func squareRoot(_ x: Self) -> Self
    /// Hyperbolic tangent.
    static func hyperbolicTangent(_ x: Self) -> Self
    /// C = alpha · op(A) · op(B) + beta · C, row-major, as `BLAS.sgemm` (beta 0 ignores C).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: ModelScalar {
    @inline(__always) public static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) public static func squareRoot(_ x: Float) -> Float { x.squareRoot() }
    /// tanh(x) = 1 − 2/(e²ˣ + 1): one `expf` instead of glibc's much slower `tanhf` (GELU calls
    /// it for every hidden activation, forward and backward). Absolute error ≈ 1e-7; saturates
    /// correctly (e²ˣ = ∞ gives 1, e²ˣ = 0 gives −1).
    @inline(__always) public static func hyperbolicTangent(_ x: Float) -> Float {
        1 - 2 / (Foundation.exp(2 * x) + 1)
    }

    /// Forwards to OpenBLAS.
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                   a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

extension Double: ModelScalar {
    @inline(__always) public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func squareRoot(_ x: Double) -> Double { x.squareRoot() }
    @inline(__always) public static func hyperbolicTangent(_ x: Double) -> Double { Foundation.tanh(x) }

    /// Plain triple loop (the reference path; only used by checks on tiny shapes).
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let aip = transA ? a[p * lda + i] : a[i * lda + p]
                    let bpj = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += aip * bpj
                }
                c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }
}
