// SVGWriter.swift — a `Plot` as SVG text (issue 7 §2): frame, ticks and tick labels, axis
// labels, title, bands as translucent polygons, lines as polylines, and a legend with the series'
// names. Hand-written so the report needs no plotting dependency; the output is well-formed XML,
// and the PNG is this same document rendered by librsvg (issue 17 item 4).

import Foundation

/// Renders plots to SVG.
public enum SVGWriter {
    /// The SVG document of `plot`.
    public static func render(_ plot: Plot) -> String {
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(plot.width))\" height=\"\(f(plot.height))\" "
        s += "viewBox=\"0 0 \(f(plot.width)) \(f(plot.height))\" font-family=\"\(fontFamily)\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += axes(plot)
        for (i, series) in plot.series.enumerated() { s += draw(series, color: Plot.color(i), plot: plot) }
        s += legend(plot)
        return s + "</svg>\n"
    }

    /// The fonts the text asks for, in order: DejaVu Sans (Debian's fonts-dejavu-core, what the PNG is
    /// drawn with), then common sans-serif faces a browser viewing the SVG elsewhere may have.
    static let fontFamily = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif"

    private static func axes(_ plot: Plot) -> String {
        let m = plot.margin, w = plot.width, h = plot.height
        let (x0, x1) = plot.xRange, (y0, y1) = plot.yRange
        var s = "<rect x=\"\(m.left)\" y=\"\(m.top)\" width=\"\(w - m.left - m.right)\" height=\"\(h - m.top - m.bottom)\" fill=\"none\" stroke=\"#444\"/>\n"
        let xTicks = Plot.ticks(x0, x1), yTicks = Plot.ticks(y0, y1)
        for (t, label) in zip(xTicks, Plot.tickLabels(xTicks)) {
            let (px, _) = plot.map(t, y0)
            s += "<line x1=\"\(f(px))\" y1=\"\(f(h - m.bottom))\" x2=\"\(f(px))\" y2=\"\(f(h - m.bottom + 5))\" stroke=\"#444\"/>"
            s += "<text x=\"\(f(px))\" y=\"\(f(h - m.bottom + 17))\" text-anchor=\"middle\">\(escape(label))</text>\n"
        }
        for (t, label) in zip(yTicks, Plot.tickLabels(yTicks)) {
            let (_, py) = plot.map(x0, t)
            s += "<line x1=\"\(f(m.left - 5))\" y1=\"\(f(py))\" x2=\"\(f(m.left))\" y2=\"\(f(py))\" stroke=\"#444\"/>"
            s += "<line x1=\"\(f(m.left))\" y1=\"\(f(py))\" x2=\"\(f(w - m.right))\" y2=\"\(f(py))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(m.left - 8))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(escape(label))</text>\n"
        }
        let xLabel = fitted(plot.xLabel, fontSize: 11, into: w - m.left - m.right)
        let yLabel = fitted(plot.yLabel, fontSize: 11, into: h - m.top - m.bottom)
        let title = fitted(plot.title, fontSize: 14, into: w - m.left - 8)
        s += "<text x=\"\(f((m.left + w - m.right) / 2))\" y=\"\(f(h - 12))\" font-size=\"\(f(xLabel.size))\" text-anchor=\"middle\">\(escape(xLabel.text))</text>\n"
        s += "<text transform=\"translate(16 \(f((m.top + h - m.bottom) / 2))) rotate(-90)\" font-size=\"\(f(yLabel.size))\" text-anchor=\"middle\">\(escape(yLabel.text))</text>\n"
        s += "<text x=\"\(f(m.left))\" y=\"22\" font-size=\"\(f(title.size))\">\(escape(title.text))</text>\n"
        return s
    }

    /// `text` and a font size (at most `fontSize`, at least 8) with which it fits `width` pixels by
    /// `Plot.textWidth`'s estimate; what does not fit even at 8 px is cut and ends in "…".
    static func fitted(_ text: String, fontSize: Double, into width: Double) -> (text: String, size: Double) {
        let natural = Plot.textWidth(text, fontSize: fontSize)
        if natural <= width { return (text, fontSize) }
        let size = max(8, fontSize * width / natural)
        let fits = max(1, Int(width / Plot.textWidth("x", fontSize: size)))
        return (text.count <= fits ? text : String(text.prefix(fits - 1)) + "…", size)
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
        if series.line { s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(rgb)\" stroke-width=\"2\"/>\n" }
        if series.markers {
            for (x, y) in zip(series.x, series.y) where y.isFinite && x.isFinite {
                let (px, py) = plot.map(x, y)
                s += "<circle cx=\"\(f(px))\" cy=\"\(f(py))\" r=\"4\" fill=\"\(rgb)\"/>\n"
            }
        }
        return s
    }

    private static func legend(_ plot: Plot) -> String {
        var s = ""
        let x = plot.width - plot.margin.right + 12
        for (i, series) in plot.series.enumerated() {
            let y = plot.margin.top + 10 + Double(i) * 18
            let c = Plot.color(i)
            if series.line {
                s += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 22))\" y2=\"\(f(y))\" stroke=\"rgb(\(c.r),\(c.g),\(c.b))\" stroke-width=\"3\"/>"
            } else {  // a dots-only series: a dot as its swatch
                s += "<circle cx=\"\(f(x + 11))\" cy=\"\(f(y))\" r=\"4\" fill=\"rgb(\(c.r),\(c.g),\(c.b))\"/>"
            }
            s += "<text x=\"\(f(x + 28))\" y=\"\(f(y + 4))\">\(escape(Plot.legendName(series.name)))</text>\n"
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
