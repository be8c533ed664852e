// PNGWriter.swift — a `Plot` as PNG (issue 7 §2, issue 17 item 4): the plot's own SVG (`SVGWriter`)
// drawn by librsvg (`SVGRasterizer`), so the PNG carries the same title, axis labels, ticks and
// legend names as the SVG. Encoding: signature, IHDR (8-bit RGB), one IDAT holding a zlib stream
// (level 9, through Storage's zlib wrapper: ~20 KB instead of ~950 KB uncompressed), IEND; every
// chunk with its CRC-32 (ISO 3309, as PNG specifies; zlib's `crc32`, through Storage).

import Foundation
import Storage

/// An RGB image: what `SVGRasterizer` draws and `PNGWriter.encode` writes.
public struct PixelBuffer {
    public let width: Int, height: Int
    /// Row-major RGB bytes, white where nothing was drawn.
    public var pixels: [UInt8]

    /// A white `width`×`height` image.
    public init(width: Int, height: Int) {
        (self.width, self.height) = (width, height)
        pixels = Array(repeating: 255, count: width * height * 3)
    }
}

/// Renders plots to PNG bytes.
public enum PNGWriter {
    /// The PNG file of `plot`: its SVG drawn at `plot.width`×`plot.height` pixels.
    /// - Parameter path: the file the PNG is for; errors name it.
    /// - Throws: `ExperimentError.plot` when librsvg or cairo cannot draw it, `ZlibError` if zlib
    ///   cannot allocate its state.
    public static func render(_ plot: Plot, path: String) throws -> Data {
        guard let width = Int(exactly: plot.width.rounded()), let height = Int(exactly: plot.height.rounded()) else {
            throw ExperimentError.plot(path: path, reason: "canvas \(plot.width)×\(plot.height) is not a pixel size")
        }
        let svg = Data(SVGWriter.render(plot).utf8)
        return try encode(SVGRasterizer.rasterize(svg, width: width, height: height, path: path))
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
