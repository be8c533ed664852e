// PlotMarkerTests.swift — the dots-only series of `gradus tune`'s parameter-vs-saving plots (issue
// 18 §4): one dot per finite point and a dot as the legend swatch, no line; an ordinary series
// keeps its line and no dots.

import Foundation
import XCTest
@testable import Experiments

final class PlotMarkerTests: XCTestCase {
    func testADotsOnlySeriesDrawsOneDotPerFinitePointAndNoLine() throws {
        var dots = PlotSeries(name: "candidates", x: [1, 2, 3, 4], y: [1.2, .nan, 0.9, 1.1])
        (dots.markers, dots.line) = (true, false)
        let svg = SVGWriter.render(Plot(title: "t", xLabel: "x", yLabel: "y", series: [dots]))
        // 3 finite points + the legend swatch.
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 4, svg)
        XCTAssertFalse(svg.contains("<polyline"), svg)
        try assertValidSVG(Data(svg.utf8))
        let line = SVGWriter.render(Plot(title: "t", xLabel: "x", yLabel: "y", series: [PlotSeries(name: "a", x: [1, 2], y: [1, 2])]))
        XCTAssertEqual(line.components(separatedBy: "<polyline").count - 1, 1)
        XCTAssertFalse(line.contains("<circle"))
    }

    /// Dots at the ends of the x range sit inside the frame: with dots at x = 1 … 4 the axis spans
    /// 1 − 0.15 … 4 + 0.15 (5 % of the span 3 each way); a plot of lines keeps its data range.
    func testDotsAtTheEndsOfTheRangeAreInsideTheFrame() {
        var dots = PlotSeries(name: "candidates", x: [1, 2, 4], y: [1, 2, 3])
        (dots.markers, dots.line) = (true, false)
        let plot = Plot(title: "t", xLabel: "x", yLabel: "y", series: [dots])
        XCTAssertEqual(plot.xRange.0, 0.85, accuracy: 1e-12)
        XCTAssertEqual(plot.xRange.1, 4.15, accuracy: 1e-12)
        let lines = Plot(title: "t", xLabel: "x", yLabel: "y", series: [PlotSeries(name: "a", x: [1, 4], y: [1, 2])])
        XCTAssertEqual(lines.xRange.0, 1)
        XCTAssertEqual(lines.xRange.1, 4)
    }
}
