// ImageTests.swift — the image writers: CRC-32 against published values, a PNG decoded back
// (signature, IHDR, every chunk's CRC, the zlib stream inflated by zlib, the pixels), a plot's PNG
// far smaller than its raw pixels, SVG well-formedness, and round ticks. Text in the plots:
// PlotTextTests; ticks and labels in depth: PlotTicksTests.

import Foundation
import XCTest
@testable import Experiments
import Storage

final class ImageTests: XCTestCase {
    func testChecksumsMatchPublishedValues() {
        XCTAssertEqual(Zlib.crc32(Array("IEND".utf8)), 0xAE42_6082)              // every PNG's IEND CRC
        XCTAssertEqual(Zlib.crc32(Array("123456789".utf8)), 0xCBF4_3926)         // the CRC-32 check value
    }

    /// A 3×2 image with known pixels decodes back to exactly those pixels.
    func testPngDecodesBackToThePixels() throws {
        var image = PixelBuffer(width: 3, height: 2)
        image.pixels[3..<6] = [10, 20, 30]           // pixel (1, 0)
        image.pixels[15..<18] = [228, 128, 128]      // pixel (2, 1)
        let decoded = try decodePNG(PNGWriter.encode(image))
        XCTAssertEqual(decoded.width, 3)
        XCTAssertEqual(decoded.height, 2)
        XCTAssertEqual(decoded.raw, [0, 255, 255, 255, 10, 20, 30, 255, 255, 255,
                                     0, 255, 255, 255, 255, 255, 255, 228, 128, 128])
    }

    /// zlib round trip, and its errors for a corrupt or truncated stream.
    func testZlibRoundTripAndErrors() throws {
        let data = (0..<70_000).map { UInt8($0 % 251) }
        let stream = try Zlib.compress(data)
        XCTAssertLessThan(stream.count, data.count / 10)
        XCTAssertEqual(try Zlib.decompress(stream, size: data.count), data)
        XCTAssertThrowsError(try Zlib.decompress(Array(stream.prefix(stream.count / 2)), size: data.count))
        var corrupt = stream
        corrupt[corrupt.count - 1] ^= 0xFF  // the Adler-32
        XCTAssertThrowsError(try Zlib.decompress(corrupt, size: data.count)) { XCTAssertTrue("\($0)".contains("corrupt"), "\($0)") }
    }

    func testPlotRendersValidSVGAndPNG() throws {
        let plot = Plot(title: "a <b> & c", xLabel: "tokens", yLabel: "loss", series: [
            PlotSeries(name: "x", x: [0, 1e6, 2e6], y: [5, 4, 3.5], band: ([4.9, 3.9, 3.4], [5.1, 4.1, 3.6])),
            PlotSeries(name: "y", x: [0, 2e6], y: [5, 3]),
        ])
        try assertValidSVG(Data(SVGWriter.render(plot).utf8))
        let bytes = try PNGWriter.render(plot, path: "plot.png")
        XCTAssertLessThan(bytes.count, 100_000, "compressed, not the 950 KB of raw pixels")
        let png = try decodePNG(bytes)
        XCTAssertEqual(png.width, 720)
        XCTAssertEqual(png.height, 440)
    }

    func testTicksAreRoundAndCoverTheRange() {
        XCTAssertEqual(Plot.ticks(0, 10), [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(Plot.ticks(3.1, 4.9), [3.5, 4, 4.5])
        XCTAssertEqual(Plot.tickLabels([0, 2_500_000, 5_000_000]), ["0", "2.5M", "5.0M"])
        XCTAssertEqual(Plot.tickLabels([0, 10_000, 20_000]), ["0", "10k", "20k"])
    }
}
