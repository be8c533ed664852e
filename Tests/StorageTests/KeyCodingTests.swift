// KeyCodingTests.swift — order-preserving key coding (issue 2): encoded byte order (memcmp, as
// LMDB compares) must equal numeric order, and decoding must invert encoding exactly. Property
// tests use a seeded SplitMix64 so failures reproduce.

import XCTest
import Storage
import Support

/// memcmp order of two byte strings (LMDB's default key order).
func bytesPrecede(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }

final class KeyCodingTests: XCTestCase {
    /// Property loops would report thousands of failures; the first one is enough.
    override func setUp() { continueAfterFailure = false }

    /// A random UInt64 of random magnitude (so small and large values both occur).
    private func randomUInt64(_ rng: inout SplitMix64) -> UInt64 { rng.next() >> (rng.next() % 64) }

    func testKnownEncodingsWorkedByHand() throws {
        XCTAssertEqual(KeyCoding.encode(UInt64(0x0102_0304_0506_0708)), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(KeyCoding.encode(UInt32(0x0A0B_0C0D)), [0x0A, 0x0B, 0x0C, 0x0D])
        XCTAssertEqual(KeyCoding.encode(Int64(-1)), [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(KeyCoding.encode(Int64(0)), [0x80, 0, 0, 0, 0, 0, 0, 0])
        // 1.0 = 0x3FF0_0000_0000_0000; positive: set the sign bit -> 0xBFF0...
        XCTAssertEqual(KeyCoding.encode(1.0), [0xBF, 0xF0, 0, 0, 0, 0, 0, 0])
        // -1.0 = 0xBFF0_0000_0000_0000; negative: flip all bits -> 0x400F_FFFF_FFFF_FFFF.
        XCTAssertEqual(KeyCoding.encode(-1.0), [0x40, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        // +0.0 -> 0x8000...; -0.0 = 0x8000... flipped -> 0x7FFF...
        XCTAssertEqual(KeyCoding.encode(0.0), [0x80, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(KeyCoding.encode(-0.0), [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    func testUInt64OrderAndRoundTrip() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<20_000 {
            let a = randomUInt64(&rng), b = randomUInt64(&rng)
            let ea = KeyCoding.encode(a), eb = KeyCoding.encode(b)
            XCTAssertEqual(bytesPrecede(ea, eb), a < b, "\(a) vs \(b)")
            XCTAssertEqual(try KeyCoding.decodeUInt64(ea), a)
        }
        for v: UInt64 in [0, 255, 256, 65_535, 65_536, UInt64.max] {
            XCTAssertEqual(try KeyCoding.decodeUInt64(KeyCoding.encode(v)), v)
        }
    }

    func testUInt32OrderAndRoundTrip() throws {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<10_000 {
            let a = UInt32(truncatingIfNeeded: randomUInt64(&rng)), b = UInt32(truncatingIfNeeded: randomUInt64(&rng))
            XCTAssertEqual(bytesPrecede(KeyCoding.encode(a), KeyCoding.encode(b)), a < b, "\(a) vs \(b)")
            XCTAssertEqual(try KeyCoding.decodeUInt32(KeyCoding.encode(a)), a)
        }
    }

    func testInt64OrderAndRoundTrip() throws {
        var rng = SplitMix64(seed: 3)
        let specials: [Int64] = [.min, .min + 1, -65_536, -256, -1, 0, 1, 255, 65_536, .max - 1, .max]
        var values = specials
        for _ in 0..<20_000 { values.append(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64)) }
        for i in values.indices {
            let a = values[i], b = values[(i * 7 + 3) % values.count]
            XCTAssertEqual(bytesPrecede(KeyCoding.encode(a), KeyCoding.encode(b)), a < b, "\(a) vs \(b)")
            XCTAssertEqual(try KeyCoding.decodeInt64(KeyCoding.encode(a)), a)
        }
        let encoded = specials.map { KeyCoding.encode($0) }
        XCTAssertEqual(encoded, encoded.sorted(by: bytesPrecede), "specials must encode in ascending order")
    }

    /// The non-NaN specials in IEEE totalOrder: infinities, extremes, subnormals and signed zeros.
    private let doubleSpecials: [Double] = [
        -.infinity, -.greatestFiniteMagnitude, -1e300, -1, -.leastNormalMagnitude,
        -.leastNormalMagnitude / 2, -.leastNonzeroMagnitude, -0.0, 0.0, .leastNonzeroMagnitude,
        .leastNormalMagnitude / 2, .leastNormalMagnitude, 1, 1e300, .greatestFiniteMagnitude, .infinity,
    ]

    func testDoubleSpecialsEncodeInTotalOrder() throws {
        let encoded = doubleSpecials.map { KeyCoding.encode($0) }
        for i in 1..<encoded.count {
            XCTAssertTrue(bytesPrecede(encoded[i - 1], encoded[i]), "\(doubleSpecials[i - 1]) !< \(doubleSpecials[i])")
        }
        for v in doubleSpecials {
            XCTAssertEqual(try KeyCoding.decodeDouble(KeyCoding.encode(v)).bitPattern, v.bitPattern, "\(v)")
        }
    }

    func testDoubleRandomOrderAndExactRoundTrip() throws {
        var rng = SplitMix64(seed: 4)
        var values = doubleSpecials
        // Random bit patterns cover every exponent, both signs and subnormals; random small
        // integers give many exact ties.
        for i in 0..<20_000 {
            values.append(i % 2 == 0 ? Double(bitPattern: rng.next()) : Double(Int64(rng.next() % 21) - 10))
        }
        values.removeAll { $0.isNaN }
        var subnormals = 0
        for i in values.indices {
            let a = values[i], b = values[(i * 13 + 5) % values.count]
            if a.isSubnormal { subnormals += 1 }
            let ea = KeyCoding.encode(a), eb = KeyCoding.encode(b)
            if a < b { XCTAssertTrue(bytesPrecede(ea, eb), "\(a) < \(b)") }
            XCTAssertEqual(bytesPrecede(ea, eb), a.isTotallyOrdered(belowOrEqualTo: b) && ea != eb, "\(a) vs \(b)")
            XCTAssertEqual(try KeyCoding.decodeDouble(ea).bitPattern, a.bitPattern)
        }
        XCTAssertGreaterThan(subnormals, 0, "the generator must exercise subnormals")
    }

    func testNaNSortsLastAndDecodesAsNaN() throws {
        let nans = [Double.nan, -Double.nan, Double(bitPattern: 0x7FF0_0000_0000_0001), Double(bitPattern: 0xFFFF_FFFF_FFFF_FFFF)]
        for nan in nans {
            XCTAssertTrue(nan.isNaN)
            let e = KeyCoding.encode(nan)
            XCTAssertTrue(bytesPrecede(KeyCoding.encode(Double.infinity), e))
            XCTAssertTrue(try KeyCoding.decodeDouble(e).isNaN)
        }
    }

    func testCompositeKeyOrdersByFieldsAndDecodes() throws {
        var rng = SplitMix64(seed: 5)
        var keys: [(value: Double, id: UInt64, bytes: [UInt8])] = []
        for _ in 0..<2_000 {
            let value = Double(Int64(rng.next() % 11) - 5) / 4  // many ties, exercising the id field
            let id = rng.next() % 100_000
            let key = KeyBuilder().appending(value).appending(id)
            XCTAssertEqual(key.count, 16)
            XCTAssertEqual(try KeyCoding.decodeDouble(key, at: 0), value)
            XCTAssertEqual(try KeyCoding.decodeUInt64(key, at: 8), id)
            keys.append((value, id, key.bytes))
        }
        let byBytes = keys.sorted { bytesPrecede($0.bytes, $1.bytes) }.map { [$0.value, Double($0.id)] }
        let byTuple = keys.sorted { ($0.value, $0.id) < ($1.value, $1.id) }.map { [$0.value, Double($0.id)] }
        XCTAssertEqual(byBytes, byTuple)
    }

    func testKeyBuilderMixedFieldsAndShortKeyError() throws {
        var key = KeyBuilder()
        key.append(UInt32(7))
        key.append(Int64(-2))
        key.append(UInt64(9))
        XCTAssertEqual(key.count, 20)
        XCTAssertEqual(Array(key.bytes.prefix(4)), [0, 0, 0, 7])
        XCTAssertEqual(try KeyCoding.decodeUInt32(key), 7)
        XCTAssertEqual(try KeyCoding.decodeInt64(key, at: 4), -2)
        XCTAssertEqual(try KeyCoding.decodeUInt64(key, at: 12), 9)
        XCTAssertEqual(key, KeyBuilder().appending(UInt32(7)).appending(Int64(-2)).appending(UInt64(9)))
        XCTAssertThrowsError(try KeyCoding.decodeUInt64(key, at: 13)) { error in
            XCTAssertEqual(error as? KeyCodingError, .tooShort(offset: 13, needed: 8, available: 20))
        }
        XCTAssertThrowsError(try KeyCoding.decodeUInt64([UInt8](repeating: 0, count: 7)))
    }
}
