// Plot+Ticks.swift — an axis's ticks and their labels (issue 7 §2, issue 17 item 4). Ticks are the
// multiples of a "nice" step (1, 2 or 5 × 10^k) inside the axis range, about five of them; the labels
// of one axis share one format (plain, k/M/G-scaled, or scientific, chosen by the largest tick) and
// carry just enough decimals that each reads as its tick and no two read the same — before, the LR
// axis read "5e-04, 0.001, 0.002, 0.002".

import Foundation

extension Plot {
    /// About `count` round tick values inside `lo...hi`: the multiples of a step of 1, 2 or 5 × 10^k
    /// (the one nearest (hi − lo) / count by ratio), in increasing order, no two equal.
    /// A flat range (`lo == hi`) has the one tick `lo`; a reversed or non-finite one has none.
    /// - Complexity: O(count).
    public static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard lo.isFinite, hi.isFinite, hi >= lo else { return [] }
        guard hi > lo else { return [lo] }
        let n = Double(max(count, 1))
        let raw = hi / n - lo / n  // not (hi − lo) / n, which overflows for ranges near ±Double.greatestFiniteMagnitude
        guard raw.isNormal else { return [lo, hi] }
        var exponent = Int(floor(log10(raw)))
        // The nice step nearest raw by ratio, so the count stays near `count` (3–9 ticks for 5) rather
        // than dropping to 2 when raw is just above a nice value.
        func distance(_ m: Double) -> Double { abs(log(m * pow(10, Double(exponent)) / raw)) }
        var mantissa = [2.0, 5, 10].reduce(1.0) { distance($1) < distance($0) ? $1 : $0 }
        if mantissa == 10 { (mantissa, exponent) = (1, exponent + 1) }
        // i · mantissa · 10^exponent, correctly rounded where 10^|exponent| is exact (|exponent| ≤ 22):
        // 0.1 · 3 would be 0.30000000000000004, 3 / 10 is the double nearest 0.3.
        func value(_ i: Int) -> Double {
            let units = Double(i) * mantissa
            if exponent >= 0 { return units * pow(10, Double(exponent)) }
            if exponent >= -22 { return units / pow(10, Double(-exponent)) }
            return units * pow(10, Double(exponent))
        }
        let step = mantissa * pow(10, Double(exponent))
        guard let first = Int(exactly: (lo / step - 1e-9).rounded(.up)), let last = Int(exactly: (hi / step + 1e-9).rounded(.down)),
              first <= last, last - first <= 2 * count + 1 else { return [lo, hi] }
        var out: [Double] = []
        for i in first...last {
            let v = min(max(value(i), lo), hi)  // a tick within 1e-9 steps of an end is that end
            if v != out.last { out.append(v) }
        }
        return out
    }

    /// The labels of one axis's ticks (as `ticks` returns them: increasing), all in one format chosen
    /// by the largest magnitude: scientific below 0.001 or from 10^12, else scaled with a G (10^9), M
    /// (10^6) or k (10^3, from 10^4) suffix, else plain; zero reads "0". Every label has the fewest
    /// decimals (the same for the whole axis) with which each label reads as its tick to a millionth of
    /// the tick spacing and no two labels are equal.
    public static func tickLabels(_ ticks: [Double]) -> [String] {
        let top = ticks.map(abs).max() ?? 0
        let scale: Double?, suffix: String  // nil scale: scientific
        switch top {
        case 1e12..., ..<1e-3 where top > 0: (scale, suffix) = (nil, "")
        case 1e9...: (scale, suffix) = (1e9, "G")
        case 1e6...: (scale, suffix) = (1e6, "M")
        case 1e4...: (scale, suffix) = (1e3, "k")
        default: (scale, suffix) = (1, "")
        }
        let gap = zip(ticks, ticks.dropFirst()).map { abs($1 - $0) }.filter { $0 > 0 }.min() ?? top
        let tolerance = gap * 1e-6
        func label(_ v: Double, _ digits: Int) -> (text: String, reads: Double) {
            if v == 0 { return ("0", 0) }
            guard let scale else {
                let text = String(format: "%.\(digits)e", v)
                return (text, Double(text) ?? .nan)
            }
            let number = String(format: "%.\(digits)f", v / scale)
            return (number + suffix, (Double(number) ?? .nan) * scale)
        }
        for digits in 0...17 {
            let labels = ticks.map { label($0, digits) }
            let exact = zip(ticks, labels).allSatisfy { abs($0 - $1.reads) <= tolerance }
            if exact, Set(labels.map(\.text)).count == labels.count { return labels.map(\.text) }
        }
        return ticks.map { label($0, 17).text }
    }
}
