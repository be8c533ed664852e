// SupportTests.swift — the shared utilities against independent references: SplitMix64 against
// the published reference sequence (Vigna's splitmix64.c, as rand_xoshiro's test vectors quote it)
// and its `{"state": N}` Codable shape that checkpoints store; FNV-1a 64 against the FNV test
// vectors; parallel-for coverage; resizeForOverwrite.

import Foundation
import Support
import TestSupport
import XCTest

final class SupportTests: XCTestCase {
    func testSplitMix64MatchesTheReferenceSequence() {
        var rng = SplitMix64(seed: 1_234_567)
        XCTAssertEqual((0..<5).map { _ in rng.next() },
                       [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
                        4_593_380_528_125_082_431, 16_408_922_859_458_223_821])
        var zero = SplitMix64(seed: 0)
        XCTAssertEqual(zero.next(), 0xe220_a839_7b1d_cdaf)
        XCTAssertEqual(mix64(0), 0)  // the finaliser fixes zero (every step is xor-shift or multiply)
    }

    func testSplitMix64CodableShapeIsTheStateAlone() throws {
        var rng = SplitMix64(seed: 41)
        _ = rng.next()
        let text = String(decoding: try JSONEncoder().encode(rng), as: UTF8.self)
        XCTAssertEqual(text, #"{"state":11400714819323198526}"#)  // 41 + 0x9e3779b97f4a7c15, one step
        XCTAssertEqual(try JSONDecoder().decode(SplitMix64.self, from: Data(text.utf8)), rng)
    }

    func testSplitMix64DerivedDrawsStayInRange() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<1_000 {
            let u = rng.nextDouble()
            XCTAssertTrue(u >= 0 && u < 1, "\(u)")
            XCTAssertLessThan(rng.nextInt(below: 3), 3)
        }
        var a = Array(0..<50)
        rng.shuffle(&a)
        XCTAssertEqual(a.sorted(), Array(0..<50))
        XCTAssertNotEqual(a, Array(0..<50))
    }

    func testFNV1a64MatchesTheFNVTestVectors() {
        var empty = FNV1a64()
        empty.add([UInt8]())
        XCTAssertEqual(empty.hex, "cbf29ce484222325")
        var a = FNV1a64()
        a.add("a".utf8)
        XCTAssertEqual(a.value, 0xaf63_dc4c_8601_ec8c)
        var foobar = FNV1a64()
        foobar.add("foobar".utf8)
        XCTAssertEqual(foobar.value, 0x8594_4171_f739_67e8)
        XCTAssertEqual(FNV1a64.hex(0xab), "00000000000000ab")
    }

    func testParallelForRunsEveryIterationExactlyOnce() {
        for n in [0, 1, 2, 17] {
            var hits = [Int](repeating: 0, count: n)
            hits.withUnsafeMutableBufferPointer { buffer in
                let shared = UncheckedSendable(buffer)
                parallelFor(n) { i in shared.value[i] += 1 }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: n), "\(n) iterations")
        }
        XCTAssertEqual(splitRange(10, parts: 3), [0..<3, 3..<6, 6..<10])
    }

    /// `parallelFor(_:threads:_:)` runs every index once on at most `threads` threads; with one,
    /// in order on the calling thread (plain `parallelFor` would use every core).
    func testBoundedParallelForUsesAtMostItsThreads() {
        let caller = pthread_self()
        var order: [Int] = []
        var sameThread = true
        parallelFor(64, threads: 1) { i in
            if pthread_equal(pthread_self(), caller) == 0 { sameThread = false; return }
            order.append(i)
            usleep(200)  // long enough for a second worker to join if one were allowed
        }
        XCTAssertEqual(order, Array(0..<64))
        XCTAssertTrue(sameThread, "one thread must be the calling thread")

        for (n, threads) in [(100, 2), (3, 2), (5, 8), (0, 2), (1, 2)] {
            var hits = [Int](repeating: 0, count: n)
            var runners = [pthread_t?](repeating: nil, count: n)
            hits.withUnsafeMutableBufferPointer { buffer in
                runners.withUnsafeMutableBufferPointer { who in
                    let shared = UncheckedSendable((buffer, who))
                    parallelFor(n, threads: threads) { i in
                        shared.value.0[i] += 1
                        shared.value.1[i] = pthread_self()
                        usleep(200)  // long enough for a third worker to join if one were allowed
                    }
                }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: n), "\(n) iterations on \(threads) threads")
            let distinct = Set(runners.compactMap { $0 })
            XCTAssertLessThanOrEqual(distinct.count, min(threads, max(n, 1)), "\(n) iterations on \(threads) threads")
        }
    }

    func testResizeForOverwriteGrowsWithFillAndShrinks() {
        var a = [1, 2, 3]
        resizeForOverwrite(&a, 5, 0)
        XCTAssertEqual(a, [1, 2, 3, 0, 0])
        resizeForOverwrite(&a, 2, 9)
        XCTAssertEqual(a, [1, 2])
    }
}

final class CPUFeaturesTests: XCTestCase {
    /// Flags lines in the form Linux writes them (an AMD EPYC of this machine kind, trimmed; an
    /// Ivy Bridge Xeon, which has AVX but neither AVX2 nor FMA).
    func testMissingFeaturesAreReadFromTheFlagsLine() {
        let epyc = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse sse2 ssse3 fma sse4_1 avx f16c avx2 bmi2\nbogomips\t: 4890.80\n"
        let ivyBridge = "processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c\n"
        XCTAssertEqual(missingCPUFeatures(cpuinfo: epyc, required: haswellFeatures), [])
        XCTAssertEqual(missingCPUFeatures(cpuinfo: ivyBridge, required: haswellFeatures), ["avx2", "fma"])
        // "avx" must not satisfy "avx2", nor a model name that mentions it.
        XCTAssertEqual(missingCPUFeatures(cpuinfo: "model name\t: fma avx2 box\nflags\t\t: avx\n", required: haswellFeatures), ["avx2", "fma"])
        XCTAssertEqual(missingCPUFeatures(cpuinfo: "", required: haswellFeatures), ["avx2", "fma"])
        // An AVX-512 build also needs the five subsets: an AVX2-only EPYC lacks them all, a Zen 4 or
        // Zen 5 line (trimmed) has them, and one missing subset is named alone.
        XCTAssertEqual(missingCPUFeatures(cpuinfo: epyc, required: avx512BuildFeatures),
                       ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
        let zen5 = "flags\t\t: fpu sse2 fma avx f16c avx2 bmi2 avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16\n"
        XCTAssertEqual(missingCPUFeatures(cpuinfo: zen5, required: avx512BuildFeatures), [])
        XCTAssertEqual(missingCPUFeatures(cpuinfo: zen5.replacingOccurrences(of: " avx512bw", with: ""), required: avx512BuildFeatures),
                       ["avx512bw"])
    }
}
