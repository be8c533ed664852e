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
}
