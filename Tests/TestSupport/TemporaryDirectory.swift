// TemporaryDirectory.swift — the one temporary-directory helper of the test targets: a fresh
// `mkdtemp` directory under the system temporary directory, removed when the object goes away or,
// given a test case, when that test ends.

import Foundation
import XCTest

/// A fresh, empty directory, removed with everything in it at `deinit`.
package final class TemporaryDirectory: @unchecked Sendable {
    /// The directory's absolute path.
    package let path: String

    /// Creates `<tmp>/gradus-<tag>-XXXXXX`. With `test`, the directory lives until that test's
    /// teardown (so a caller may keep only `path`).
    /// - Throws: `CocoaError` when the directory cannot be created.
    package init(_ tag: String = "test", removedAfter test: XCTestCase? = nil) throws {
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent("gradus-\(tag.filter { $0.isLetter || $0.isNumber || $0 == "-" })-XXXXXX")
        var template = Array(base.utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: base])
        }
        path = String(cString: made)
        test?.addTeardownBlock { self.remove() }
    }

    deinit { remove() }

    /// `path/name`.
    package func file(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to the file `name` in the directory; returns its path.
    @discardableResult
    package func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Removes the directory now (a later `deinit` does nothing more).
    package func remove() { try? FileManager.default.removeItem(atPath: path) }
}
