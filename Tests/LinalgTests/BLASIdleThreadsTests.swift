// BLASIdleThreadsTests.swift — `BLAS.stopIdleThreads` ends OpenBLAS's workers (issue 16 item 5:
// every `gradus` command stops them at start), and BLAS still multiplies correctly afterwards (the pool starts again).

import Foundation
import Linalg
import XCTest

final class BLASIdleThreadsTests: XCTestCase {
    /// Threads of this process.
    private func threadCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
    }

    /// A 128×128×128 product (large enough for OpenBLAS to use its threads) of small integers, so
    /// every sum is exact in Float: BLAS must equal the naive triple loop bit for bit.
    private func checkThreadedProduct() {
        let n = 128
        let a = (0..<(n * n)).map { Float(($0 * 7) % 4) }, b = (0..<(n * n)).map { Float(($0 * 5) % 3) }
        var fast = [Float](repeating: 0, count: n * n), slow = fast
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
            fast.withUnsafeMutableBufferPointer { c in
                BLAS.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
            }
            slow.withUnsafeMutableBufferPointer { c in
                NaiveLinalg.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
            }
        } }
        XCTAssertEqual(fast, slow)
    }

    func testStopEndsTheOpenBLASWorkersAndBLASStillWorks() throws {
        let saved = BLAS.threads
        defer { BLAS.setThreads(saved) }
        BLAS.setThreads(2)
        checkThreadedProduct()  // the pool is running (started again if an earlier test stopped it)
        let before = try threadCount()
        XCTAssertTrue(BLAS.stopIdleThreads(), "OpenBLAS is linked into this test process; blas_thread_shutdown_ must be found")
        let after = try threadCount()
        let env = ProcessInfo.processInfo.environment
        if ProcessInfo.processInfo.activeProcessorCount > 1 && env["OPENBLAS_NUM_THREADS"] == nil && env["OMP_NUM_THREADS"] == nil {
            XCTAssertLessThan(after, before, "OpenBLAS's workers must have ended")
        }
        XCTAssertTrue(BLAS.stopIdleThreads(), "stopping twice is harmless")
        checkThreadedProduct()
    }
}
