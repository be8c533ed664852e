// PlotTextTests.swift — the plots carry their text (issue 17 item 4, acceptance): the PNG, rendered
// from the SVG by librsvg at a requested size, has that size in its IHDR and ink in the title, axis
// label and legend areas — and none there when the same plot has empty strings, so the check can
// fail; long text is fitted inside the canvas; the SVG names the title, axis labels, legend entries and tick labels; a document librsvg
// rejects is an error naming the file.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Experiments

final class PlotTextTests: XCTestCase {
    private func plot(title: String, x: String, y: String, names: [String]) -> Plot {
        Plot(title: title, xLabel: x, yLabel: y, series: [
            PlotSeries(name: names[0], x: [0, 300_000, 614_400], y: [9.0, 7.2, 6.7], band: ([8.9, 7.1, 6.6], [9.1, 7.3, 6.8])),
            PlotSeries(name: names[1], x: [0, 614_400], y: [9.0, 6.9]),
        ], width: 640, height: 400)
    }

    /// Pixels that are not the white background inside columns `xs` and rows `ys` of a decoded PNG.
    private func ink(_ png: DecodedPNG, _ xs: Range<Int>, _ ys: Range<Int>) -> Int {
        var count = 0
        for y in ys {
            for x in xs {
                let i = y * (3 * png.width + 1) + 1 + 3 * x
                if png.raw[i] != 255 || png.raw[i + 1] != 255 || png.raw[i + 2] != 255 { count += 1 }
            }
        }
        return count
    }

    func testPNGHasTheRequestedSizeAndTextWhereTheSVGPutsIt() throws {
        let full = plot(title: "Validation loss vs tokens", x: "training tokens", y: "validation loss (nats/token)", names: ["baseline", "cl-seqlen"])
        let bare = plot(title: "", x: "", y: "", names: ["", ""])
        let text = try decodePNG(PNGWriter.render(full, path: "full.png"))
        let blank = try decodePNG(PNGWriter.render(bare, path: "bare.png"))
        XCTAssertEqual([text.width, text.height], [640, 400])
        XCTAssertEqual([blank.width, blank.height], [640, 400])
        // Areas from the layout (Plot.margin: left 72, right 170, top 36, bottom 52): the title's band
        // above the frame; the x label's band below the tick labels (baseline at height − 12); the
        // rotated y label's strip left of the tick labels (centred on x = 16); the legend names right of
        // their swatches (text from width − 170 + 40).
        let areas: [(String, Range<Int>, Range<Int>)] = [
            ("title", 0..<640, 0..<28),
            ("x-axis label", 72..<470, 374..<400),
            ("y-axis label", 0..<22, 36..<348),
            ("legend names", 509..<640, 36..<90),
        ]
        for (name, xs, ys) in areas {
            XCTAssertGreaterThan(ink(text, xs, ys), 20, "\(name): no text drawn")
            XCTAssertEqual(ink(blank, xs, ys), 0, "\(name): ink without text, so the area does not isolate the text")
        }
        // Tick labels left of the frame (y) and below it (x), in both.
        XCTAssertGreaterThan(ink(blank, 22..<64, 36..<348), 20, "y tick labels")
        XCTAssertGreaterThan(ink(blank, 72..<470, 352..<370), 20, "x tick labels")
    }

    /// A long title, long legend names and long y tick labels (a narrow range at 10^15: 21 characters
    /// each) are fitted into the canvas: no ink in its outermost columns.
    func testLongTextStaysInsideTheCanvas() throws {
        let long = Plot(title: "Schedule: difficulty of a_metric_with_a_rather_long_descriptive_name (prescribed by the config, per variant)",
                        xLabel: "training tokens", yLabel: "difficulty (metric value or percentile)", series: [
                            PlotSeries(name: "cl-seqlen-vocab-ltd-warmup-ablation-with-long-name", x: [0, 1000], y: [1e15, 1e15 + 10]),
                            PlotSeries(name: "baseline", x: [0, 1000], y: [1e15 + 2, 1e15 + 4]),
                        ])
        let png = try decodePNG(PNGWriter.render(long, path: "long.png"))
        XCTAssertEqual(ink(png, 0..<2, 0..<440), 0, "text runs off the left edge")
        XCTAssertEqual(ink(png, 718..<720, 0..<440), 0, "text runs off the right edge")
        XCTAssertGreaterThan(ink(png, 0..<720, 0..<28), 20, "the title is drawn")
    }

    func testSVGNamesTitleAxesLegendAndTicks() throws {
        final class Texts: NSObject, XMLParserDelegate {
            var texts: [String] = [], current: String?
            var root: [String: String] = [:]
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "svg" { root = attributes }
                if name == "text" { current = "" }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { current? += string }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "text", let c = current { texts.append(c); current = nil }
            }
        }
        let p = plot(title: "LR & <schedule>", x: "training tokens", y: "learning rate", names: ["dense", "random-ltd"])
        let parser = XMLParser(data: Data(SVGWriter.render(p).utf8))
        let delegate = Texts()
        parser.delegate = delegate
        XCTAssertTrue(parser.parse())
        for expected in ["LR & <schedule>", "training tokens", "learning rate", "dense", "random-ltd"] {
            XCTAssertTrue(delegate.texts.contains(expected), "\(expected) missing from \(delegate.texts)")
        }
        // x: 0 … 614400, 614400 / 5 = 122880 → step 100000; y: the band's 6.6 … 9.1 widened by 5 % of
        // 2.5 each way, 6.475 … 9.225, 2.75 / 5 = 0.55 → step 0.5, 6.5 … 9.0.
        for tick in ["0", "100k", "300k", "600k", "6.5", "7.0", "7.5", "8.0", "8.5", "9.0"] {
            XCTAssertTrue(delegate.texts.contains(tick), "tick \(tick) missing from \(delegate.texts)")
        }
        XCTAssertEqual(delegate.root["width"].flatMap(Double.init), 640)
        XCTAssertTrue(delegate.root["font-family"]?.hasPrefix("'DejaVu Sans'") == true, "\(delegate.root)")
        XCTAssertTrue(delegate.root["font-family"]?.hasSuffix("sans-serif") == true, "\(delegate.root)")
    }

    func testUnreadableSVGIsAnErrorNamingTheFile() {
        XCTAssertThrowsError(try SVGRasterizer.rasterize(Data("<svg".utf8), width: 10, height: 10, path: "plots/x.png")) { error in
            guard case ExperimentError.plot(let path, let reason)? = error as? ExperimentError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "plots/x.png")
            XCTAssertTrue(reason.contains("librsvg"), reason)
            XCTAssertTrue("\(error)".contains("gradus report"), "\(error)")
        }
        var p = plot(title: "t", x: "x", y: "y", names: ["a", "b"])
        p.width = .nan
        XCTAssertThrowsError(try PNGWriter.render(p, path: "plots/nan.png")) { error in
            XCTAssertEqual((error as? ExperimentError).map { if case .plot(let path, _) = $0 { path } else { "" } }, "plots/nan.png")
        }
    }
}
