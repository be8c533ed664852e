// Plot.swift — the figure model the SVG writer draws and the PNG is rendered from (issue 7 §2,
// issue 17 item 4): series of (x, y) lines with an optional band (the seed spread), axis ranges, and
// the mapping from data to a W×H canvas; ticks and their labels are in Plot+Ticks.swift. Kept
// deliberately small: what the report's plots need.

import Foundation

/// One line (and optional band) of a plot.
public struct PlotSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Lower and upper edges of a band at the same x (nil: no band).
    public var band: (lower: [Double], upper: [Double])?
    /// Draw a dot at every point (a parameter-vs-saving scatter of `gradus tune`), and no line
    /// when `line` is false.
    public var markers = false, line = true

    public init(name: String, x: [Double], y: [Double], band: (lower: [Double], upper: [Double])? = nil) {
        (self.name, self.x, self.y, self.band) = (name, x, y, band)
    }
}

/// A line plot: title, axis labels, series; laid out on a canvas of `width`×`height` pixels.
public struct Plot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries] { didSet { margin = Plot.margins(series) } }
    /// Canvas size in pixels (SVG user units); the PNG has exactly this size.
    public var width: Double, height: Double
    /// Margins: left, right, top, bottom (room for tick labels and the legend): at least 72, 170, 36
    /// and 52, wider where the y tick labels or the legend names need it.
    public private(set) var margin: (left: Double, right: Double, top: Double, bottom: Double)

    /// A plot on a `width`×`height` canvas (720×440 unless given).
    public init(title: String, xLabel: String, yLabel: String, series: [PlotSeries], width: Double = 720, height: Double = 440) {
        (self.title, self.xLabel, self.yLabel, self.series) = (title, xLabel, yLabel, series)
        (self.width, self.height) = (width, height)
        margin = Plot.margins(series)
    }

    /// The longest legend name drawn whole; longer ones end in "…" (`legendName`).
    static let legendNameLimit = 32

    /// Estimated width in pixels of `text` in DejaVu Sans at `fontSize` (0.62 em a character, about
    /// its mean advance), so text is laid out without a font library.
    static func textWidth(_ text: String, fontSize: Double) -> Double { Double(text.count) * fontSize * 0.62 }

    /// Series `i`'s name as the legend shows it: at most `legendNameLimit` characters.
    static func legendName(_ name: String) -> String {
        name.count <= legendNameLimit ? name : String(name.prefix(legendNameLimit - 1)) + "…"
    }

    /// Margins wide enough for the y tick labels (right of the rotated y label, 26 px) and the legend
    /// (swatch and gap 40 px, then the name), at 11 px text.
    private static func margins(_ series: [PlotSeries]) -> (left: Double, right: Double, top: Double, bottom: Double) {
        let (lo, hi) = yRange(series)
        let widestTick = tickLabels(ticks(lo, hi)).map { textWidth($0, fontSize: 11) }.max() ?? 0
        let widestName = series.map { textWidth(legendName($0.name), fontSize: 11) }.max() ?? 0
        return (left: max(72, 34 + widestTick), right: max(170, 48 + widestName), top: 36, bottom: 52)
    }

    /// The colour of series `i` (a colour-blind-safe palette, cycled).
    public static func color(_ i: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let palette: [(UInt8, UInt8, UInt8)] = [(0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167),
                                                (230, 159, 0), (86, 180, 233), (0, 0, 0)]
        let c = palette[i % palette.count]
        return (c.0, c.1, c.2)
    }

    /// Data range of an axis over every finite value of lines and bands, padded when flat.
    static func range(_ series: [PlotSeries], _ pick: (PlotSeries) -> [Double]) -> (Double, Double) {
        let values = series.flatMap(pick).filter(\.isFinite)
        guard let lo = values.min(), let hi = values.max() else { return (0, 1) }
        if hi - lo < 1e-12 { return (lo - max(abs(lo) * 0.05, 0.5), hi + max(abs(hi) * 0.05, 0.5)) }
        return (lo, hi)
    }

    /// The y data range widened by 5 % of its span each way (matplotlib's default margin), so a line at
    /// its extreme — a schedule at its maximum — is drawn inside the frame, not on it.
    static func yRange(_ series: [PlotSeries]) -> (Double, Double) {
        let (lo, hi) = range(series) { $0.y + ($0.band?.lower ?? []) + ($0.band?.upper ?? []) }
        let pad = hi / 20 - lo / 20  // not (hi − lo) / 20, which overflows near ±Double.greatestFiniteMagnitude
        return (lo - pad, hi + pad)
    }

    /// The x data range; widened by 5 % of its span each way when a series draws dots, so a dot at
    /// an end of the range is drawn inside the frame, not on it (lines start and end at the frame).
    var xRange: (Double, Double) {
        let (lo, hi) = Plot.range(series) { $0.x }
        guard series.contains(where: \.markers) else { return (lo, hi) }
        let pad = hi / 20 - lo / 20
        return (lo - pad, hi + pad)
    }
    var yRange: (Double, Double) { Plot.yRange(series) }

    /// Canvas coordinates of data point (x, y); y grows downwards.
    func map(_ x: Double, _ y: Double) -> (Double, Double) {
        let (x0, x1) = xRange, (y0, y1) = yRange
        let px = margin.left + (x - x0) / (x1 - x0) * (width - margin.left - margin.right)
        let py = height - margin.bottom - (y - y0) / (y1 - y0) * (height - margin.top - margin.bottom)
        return (px, py)
    }
}
