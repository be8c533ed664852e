// PNGWriter.swift — a `Plot` rasterised to an RGB pixel buffer and written as PNG (issue 7 §2),
// so the report's images show everywhere without a library: lines (Bresenham, 2 px), bands
// (alpha-blended column spans), frame, ticks with a 3×5 digit font, legend swatches (the names
// are in the report and the SVG). Encoding: signature, IHDR, one IDAT holding a zlib stream
// (level 9, through Storage's zlib wrapper: ~20 KB instead of ~950 KB uncompressed), IEND; every
// chunk with its CRC-32 (ISO 3309, as PNG specifies; zlib's `crc32`, through Storage).

import Foundation
import Storage

/// An RGB image being drawn.
public struct PixelBuffer {
    public let width: Int, height: Int
    /// Row-major RGB bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int) {
        (self.width, self.height) = (width, height)
        pixels = Array(repeating: 255, count: width * height * 3)
    }

    /// Blends colour `c` into pixel (x, y) with opacity `alpha` (ignored outside the image).
    public mutating func blend(_ x: Int, _ y: Int, _ c: (r: UInt8, g: UInt8, b: UInt8), alpha: Double = 1) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        for (k, v) in [c.r, c.g, c.b].enumerated() {
            pixels[i + k] = UInt8((Double(pixels[i + k]) * (1 - alpha) + Double(v) * alpha).rounded())
        }
    }

    /// A line from (x0, y0) to (x1, y1), `thickness` pixels square pen (Bresenham).
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: (r: UInt8, g: UInt8, b: UInt8), thickness: Int = 1) {
        var (x, y) = (x0, y0)
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            for a in 0..<thickness { for b in 0..<thickness { blend(x + a, y + b, c) } }
            if x == x1 && y == y1 { return }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Text in the built-in 3×5 font (digits, . - + e k M G), `scale` pixels per dot.
    public mutating func text(_ s: String, x: Int, y: Int, scale: Int = 2, _ c: (r: UInt8, g: UInt8, b: UInt8) = (40, 40, 40)) {
        var cx = x
        for ch in s {
            if let rows = PixelBuffer.font[ch] {
                for (r, bits) in rows.enumerated() {
                    for col in 0..<3 where bits & (4 >> col) != 0 {
                        for a in 0..<scale { for b in 0..<scale { blend(cx + col * scale + a, y + r * scale + b, c) } }
                    }
                }
            }
            cx += 4 * scale
        }
    }

    /// Width in pixels of `s` in the built-in font.
    public static func textWidth(_ s: String, scale: Int = 2) -> Int { s.count * 4 * scale - scale }

    static let font: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7],
        "4": [5, 5, 7, 1, 1], "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1],
        "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7], ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0],
        "+": [0, 2, 7, 2, 0], "e": [0, 7, 7, 4, 7], "k": [4, 5, 6, 5, 5], "M": [5, 7, 7, 5, 5], "G": [7, 4, 5, 5, 7],
    ]
}

/// Renders plots to PNG bytes.
public enum PNGWriter {
    /// The PNG file of `plot`.
    public static func render(_ plot: Plot) throws -> Data {
        var image = PixelBuffer(width: Int(plot.width), height: Int(plot.height))
        for (i, series) in plot.series.enumerated() { drawBand(series, color: Plot.color(i), plot: plot, into: &image) }
        drawAxes(plot, into: &image)
        for (i, series) in plot.series.enumerated() {
            let points = zip(series.x, series.y).filter { $0.1.isFinite }.map { plot.map($0, $1) }
            for (a, b) in zip(points, points.dropFirst()) {
                image.line(Int(a.0), Int(a.1), Int(b.0), Int(b.1), Plot.color(i), thickness: 2)
            }
            let ly = Int(plot.margin.top) + 10 + i * 18, lx = Int(plot.width - plot.margin.right) + 12
            for dy in 0..<4 { image.line(lx, ly + dy, lx + 22, ly + dy, Plot.color(i)) }
        }
        return try encode(image)
    }

    private static func drawAxes(_ plot: Plot, into image: inout PixelBuffer) {
        let m = plot.margin, grey: (r: UInt8, g: UInt8, b: UInt8) = (68, 68, 68)
        let (l, r, t, b) = (Int(m.left), Int(plot.width - m.right), Int(m.top), Int(plot.height - m.bottom))
        image.line(l, t, r, t, grey); image.line(l, b, r, b, grey)
        image.line(l, t, l, b, grey); image.line(r, t, r, b, grey)
        let (x0, x1) = plot.xRange, (y0, y1) = plot.yRange
        for v in Plot.ticks(x0, x1) {
            let px = Int(plot.map(v, y0).0), label = Plot.label(v)
            image.line(px, b, px, b + 5, grey)
            image.text(label, x: px - PixelBuffer.textWidth(label) / 2, y: b + 9)
        }
        for v in Plot.ticks(y0, y1) {
            let py = Int(plot.map(x0, v).1), label = Plot.label(v)
            image.line(l - 5, py, l, py, grey)
            image.text(label, x: l - 8 - PixelBuffer.textWidth(label), y: py - 5)
        }
    }

    /// Fills each pixel column between the band's interpolated lower and upper edges.
    private static func drawBand(_ series: PlotSeries, color: (r: UInt8, g: UInt8, b: UInt8), plot: Plot, into image: inout PixelBuffer) {
        guard let band = series.band, series.x.count >= 2 else { return }
        let upper = zip(series.x, band.upper).map { plot.map($0, $1) }
        let lower = zip(series.x, band.lower).map { plot.map($0, $1) }
        for k in 1..<upper.count {
            let (xa, xb) = (Int(upper[k - 1].0), Int(upper[k].0))
            guard xb > xa else { continue }
            for x in xa..<xb {
                let f = Double(x - xa) / Double(xb - xa)
                let top = upper[k - 1].1 + f * (upper[k].1 - upper[k - 1].1)
                let bottom = lower[k - 1].1 + f * (lower[k].1 - lower[k - 1].1)
                for y in Int(top.rounded())...max(Int(top.rounded()), Int(bottom.rounded())) { image.blend(x, y, color, alpha: 0.18) }
            }
        }
    }

    /// PNG bytes of an RGB image (8-bit, colour type 2, no interlace, filter 0 on every row).
    /// - Throws: `ZlibError` if zlib cannot allocate its state.
    public static func encode(_ image: PixelBuffer) throws -> Data {
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.appendBigEndian(UInt32(image.width)); header.appendBigEndian(UInt32(image.height))
        header.append(contentsOf: [8, 2, 0, 0, 0])
        png.appendChunk("IHDR", header)
        var raw = [UInt8]()
        raw.reserveCapacity((image.width * 3 + 1) * image.height)
        for y in 0..<image.height {
            raw.append(0)
            raw.append(contentsOf: image.pixels[(y * image.width * 3)..<((y + 1) * image.width * 3)])
        }
        png.appendChunk("IDAT", Data(try Zlib.compress(raw)))
        png.appendChunk("IEND", Data())
        return png
    }
}

extension Data {
    mutating func appendBigEndian(_ v: UInt32) {
        append(contentsOf: [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
    }

    /// length · type · data · CRC-32(type · data).
    mutating func appendChunk(_ type: String, _ body: Data) {
        appendBigEndian(UInt32(body.count))
        let typed = Data(type.utf8) + body
        append(typed)
        appendBigEndian(Zlib.crc32([UInt8](typed)))
    }
}
