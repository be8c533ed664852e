// MonitorGroupTagTests.swift — the TensorBoard / csv_monitor tag of a group's held-out loss
// (Train/Samples/val_loss/FIELD/GROUP): names from the corpus become safe file-name parts.

import XCTest
@testable import Training

/// The per-group monitor tag keeps corpus names inside the csv_monitor directory.
final class MonitorGroupTagTests: XCTestCase {
    /// Kept: ASCII letters, digits, `.`, `-`, `_`; `/`, spaces, brackets and non-ASCII become `_`;
    /// a name of dots only gets a leading `_`; at most 64 characters of the name are used.
    func testGroupTagsAreSafeFileNameParts() {
        XCTAssertEqual(MetricMonitors.groupTag(field: "lang", group: "zh-CN"), "Train/Samples/val_loss/lang/zh-CN")
        XCTAssertEqual(MetricMonitors.groupTag(field: "lang", group: "../../etc"), "Train/Samples/val_loss/lang/.._.._etc")
        XCTAssertEqual(MetricMonitors.groupTag(field: "lang", group: ".."), "Train/Samples/val_loss/lang/_..")
        XCTAssertEqual(MetricMonitors.groupTag(field: "lang", group: "(none)"), "Train/Samples/val_loss/lang/_none_")
        XCTAssertEqual(MetricMonitors.groupTag(field: "src", group: "日本"), "Train/Samples/val_loss/src/__")
        XCTAssertEqual(MetricMonitors.groupTag(field: "f", group: String(repeating: "a", count: 100)),
                       "Train/Samples/val_loss/f/" + String(repeating: "a", count: 64))
        XCTAssertEqual(MetricMonitors.groupTag(field: "", group: "x"), "Train/Samples/val_loss/_/x")
    }
}
