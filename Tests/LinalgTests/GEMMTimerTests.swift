// GEMMTimerTests.swift — GEMMTimer counts the time inside sgemm calls made while it is on, and
// only those (issue 19: `gradus bench train`'s gemm_cpu_s).

import XCTest
import Linalg

final class GEMMTimerTests: XCTestCase {
    private func product(_ n: Int) {
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: pa, lda: n, b: pb, ldb: n,
                               beta: 0, c: pc, ldc: n)
                }
            }
        }
        XCTAssertEqual(c[0], Float(n) * 0.125)
    }

    func testCountsOnlyProductsWhileOn() {
        GEMMTimer.start()
        XCTAssertEqual(GEMMTimer.stop(), 0, "no product, no time")
        product(64)  // while off: not counted by the next start
        let clock = ContinuousClock(), begin = clock.now
        GEMMTimer.start()
        product(192)
        product(192)
        let counted = GEMMTimer.stop(), elapsed = (clock.now - begin) / .seconds(1)
        XCTAssertGreaterThan(counted, 0)
        XCTAssertLessThanOrEqual(counted, elapsed)
        product(64)
        GEMMTimer.start()
        XCTAssertEqual(GEMMTimer.stop(), 0, "start clears the previous total")
    }
}
