// SVGWriter.swift — a `Plot` as SVG text (issue 7 §2): frame, ticks and tick labels, axis
// labels, title, bands as translucent polygons, lines as polylines, and a legend. Hand-written
// so the report needs no plotting dependency; the output is well-formed XML.

import Foundation

/// Renders plots to SVG.
public enum SVGWriter {
    /// The SVG document of `plot`.
    public static func render(_ plot: Plot) -> String {
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(plot.width))\" height=\"\(Int(plot.height))\" "
        s += "viewBox=\"0 0 \(Int(plot.width)) \(Int(plot.height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += axes(plot)
        for (i, series) in plot.series.enumerated() { s += draw(series, color: Plot.color(i), plot: plot) }
        s += legend(plot)
        return s + "</svg>\n"
    }

    private static func axes(_ plot: Plot) -> String {
        let m = plot.margin, w = plot.width, h = plot.height
        let (x0, x1) = plot.xRange, (y0, y1) = plot.yRange
        var s = "<rect x=\"\(m.left)\" y=\"\(m.top)\" width=\"\(w - m.left - m.right)\" height=\"\(h - m.top - m.bottom)\" fill=\"none\" stroke=\"#444\"/>\n"
        for t in Plot.ticks(x0, x1) {
            let (px, _) = plot.map(t, y0)
            s += "<line x1=\"\(f(px))\" y1=\"\(f(h - m.bottom))\" x2=\"\(f(px))\" y2=\"\(f(h - m.bottom + 5))\" stroke=\"#444\"/>"
            s += "<text x=\"\(f(px))\" y=\"\(f(h - m.bottom + 17))\" text-anchor=\"middle\">\(escape(Plot.label(t)))</text>\n"
        }
        for t in Plot.ticks(y0, y1) {
            let (_, py) = plot.map(x0, t)
            s += "<line x1=\"\(f(m.left - 5))\" y1=\"\(f(py))\" x2=\"\(f(m.left))\" y2=\"\(f(py))\" stroke=\"#444\"/>"
            s += "<line x1=\"\(f(m.left))\" y1=\"\(f(py))\" x2=\"\(f(w - m.right))\" y2=\"\(f(py))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(m.left - 8))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(escape(Plot.label(t)))</text>\n"
        }
        s += "<text x=\"\(f((m.left + w - m.right) / 2))\" y=\"\(f(h - 12))\" text-anchor=\"middle\">\(escape(plot.xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(f((m.top + h - m.bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(plot.yLabel))</text>\n"
        s += "<text x=\"\(f(m.left))\" y=\"22\" font-size=\"14\">\(escape(plot.title))</text>\n"
        return s
    }

    private static func draw(_ series: PlotSeries, color c: (r: UInt8, g: UInt8, b: UInt8), plot: Plot) -> String {
        let rgb = "rgb(\(c.r),\(c.g),\(c.b))"
        var s = ""
        if let band = series.band, !series.x.isEmpty {
            let upper = zip(series.x, band.upper).map { plot.map($0, $1) }
            let lower = zip(series.x, band.lower).map { plot.map($0, $1) }.reversed()
            let points = (upper + lower).map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
            s += "<polygon points=\"\(points)\" fill=\"\(rgb)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
        }
        let points = zip(series.x, series.y).filter { $0.1.isFinite }.map { plot.map($0, $1) }
            .map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(rgb)\" stroke-width=\"2\"/>\n"
        return s
    }

    private static func legend(_ plot: Plot) -> String {
        var s = ""
        let x = plot.width - plot.margin.right + 12
        for (i, series) in plot.series.enumerated() {
            let y = plot.margin.top + 10 + Double(i) * 18
            let c = Plot.color(i)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 22))\" y2=\"\(f(y))\" stroke=\"rgb(\(c.r),\(c.g),\(c.b))\" stroke-width=\"3\"/>"
            s += "<text x=\"\(f(x + 28))\" y=\"\(f(y + 4))\">\(escape(series.name))</text>\n"
        }
        return s
    }

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// XML text escaping.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
