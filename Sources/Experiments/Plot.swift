// Plot.swift — the figure model shared by the SVG and PNG writers (issue 7 §2): series of
// (x, y) lines with an optional band (the seed spread), axis ranges with "nice" ticks, and the
// mapping from data to a W×H canvas. Kept deliberately small: what the report's plots need.

import Foundation

/// One line (and optional band) of a plot.
public struct PlotSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Lower and upper edges of a band at the same x (nil: no band).
    public var band: (lower: [Double], upper: [Double])?

    public init(name: String, x: [Double], y: [Double], band: (lower: [Double], upper: [Double])? = nil) {
        (self.name, self.x, self.y, self.band) = (name, x, y, band)
    }
}

/// A line plot: title, axis labels, series; laid out on a fixed canvas.
public struct Plot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries]
    public let width = 720.0, height = 440.0
    /// Margins: left, right, top, bottom (room for tick labels and the legend).
    public let margin = (left: 72.0, right: 170.0, top: 36.0, bottom: 52.0)

    public init(title: String, xLabel: String, yLabel: String, series: [PlotSeries]) {
        (self.title, self.xLabel, self.yLabel, self.series) = (title, xLabel, yLabel, series)
    }

    /// The colour of series `i` (a colour-blind-safe palette, cycled).
    public static func color(_ i: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let palette: [(UInt8, UInt8, UInt8)] = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167),
                                                (230, 159, 0), (86, 180, 233), (0, 0, 0)]
        let c = palette[i % palette.count]
        return (c.0, c.1, c.2)
    }

    /// Data range of an axis over every finite value of lines and bands, padded when flat.
    func range(_ pick: (PlotSeries) -> [Double]) -> (Double, Double) {
        let values = series.flatMap(pick).filter(\.isFinite)
        guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
        if hi - lo < 1e-12 { return (lo - max(abs(lo) * 0.05, 0.5), hi + max(abs(hi) * 0.05, 0.5)) }
        return (lo, hi)
    }

    var xRange: (Double, Double) { range { $0.x } }
    var yRange: (Double, Double) { range { $0.y + ($0.band?.lower ?? []) + ($0.band?.upper ?? []) } }

    /// Canvas coordinates of data point (x, y); y grows downwards.
    func map(_ x: Double, _ y: Double) -> (Double, Double) {
        let (x0, x1) = xRange, (y0, y1) = yRange
        let px = margin.left + (x - x0) / (x1 - x0) * (width - margin.left - margin.right)
        let py = height - margin.bottom - (y - y0) / (y1 - y0) * (height - margin.top - margin.bottom)
        return (px, py)
    }

    /// About five round tick values covering `lo...hi` (steps of 1, 2 or 5 × 10^k).
    public static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var out: [Double] = []
        var v = ceil(lo / step) * step
        // At most count · 2 + 2 ticks: near 2^53 a step below half an ulp would not advance v.
        while v <= hi + step * 1e-9, out.count <= 2 * count + 1 {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            let next = v + step
            if next <= v { break }
            v = next
        }
        return out
    }

    /// A tick label: compact, with k/M/G suffixes for large numbers.
    public static func label(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return formatNumber(v / 1e9, digits: 2) + "G" }
        if a >= 1e6 { return formatNumber(v / 1e6, digits: 2) + "M" }
        if a >= 1e4 { return formatNumber(v / 1e3, digits: 1) + "k" }
        if a > 0 && a < 1e-3 { return String(format: "%.0e", v) }
        return formatNumber(v, digits: 3)
    }
}
