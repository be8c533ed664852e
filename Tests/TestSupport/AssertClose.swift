// AssertClose.swift — the one tolerance assertion of the test targets: combined absolute and
// relative closeness over arrays, reporting how many values are out and the worst one.

import XCTest

/// Fails unless |x − ref| ≤ abs + rel·|ref| for every element (NaN is never close); reports the
/// count and the worst element.
package func assertClose<A: BinaryFloatingPoint, R: BinaryFloatingPoint>(
    _ x: [A], _ ref: [R], abs: Double, rel: Double, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard x.count == ref.count else {
        return XCTFail("\(what): \(x.count) values, reference has \(ref.count)", file: file, line: line)
    }
    var bad = 0, worst = -1, worstExcess = 0.0
    for i in 0..<x.count {
        let a = Double(x[i]), b = Double(ref[i])
        let excess = Swift.abs(a - b) - (abs + rel * Swift.abs(b))
        if !(excess <= 0) {
            bad += 1
            if worst < 0 || !(excess <= worstExcess) { worst = i; worstExcess = excess }
        }
    }
    if bad > 0 {
        XCTFail("\(what): \(bad)/\(x.count) values out of tolerance; worst [\(worst)] = \(x[worst]), "
                + "reference \(ref[worst])", file: file, line: line)
    }
}
