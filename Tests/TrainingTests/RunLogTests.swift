// RunLogTests.swift — the run log never keeps a torn line (issue 14 item 17): an append that the
// file system cuts short (here RLIMIT_FSIZE, as a full disk would) is cut back to the previous
// end, and `truncate(afterStep:)` drops a partial last line left by a crash.

import Foundation
import TestSupport
import Training
import XCTest

final class RunLogTests: XCTestCase {
    private let record = try! JSONDecoder().decode(EvalRecord.self, from: Data(
        #"{"step": 1, "tokens": 256, "val_loss": 5.5, "elapsed": 0.25, "train_s": 0.125}"#.utf8))

    func testAnAppendCutShortLeavesNoTornLine() throws {
        let dir = try TemporaryDirectory("runlog", removedAfter: self)
        let path = dir.file("log.jsonl")
        let log = try RunLog(path: path)
        try log.append(record)
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(first.last, 0x0A)
        // Room for 10 more bytes: the next line's write stops part-way with EFBIG (SIGXFSZ ignored).
        var saved = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        var limited = saved
        limited.rlim_cur = rlim_t(first.count + 10)
        let handler = signal(SIGXFSZ, SIG_IGN)
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limited), 0)
        XCTAssertThrowsError(try log.append(record)) { error in
            guard case .io(let failed, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(failed, path)
        }
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, handler)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), first, "the log keeps a torn line")
        try log.append(record)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), first + first, "later lines start on a line of their own")
    }

    func testTruncateDropsATornLastLine() throws {
        let dir = try TemporaryDirectory("runlog", removedAfter: self)
        let path = dir.file("log.jsonl")
        let log = try RunLog(path: path)
        try log.append(record)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try log.append(record)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: whole.prefix(12))  // a crash mid-line: no newline
        try handle.close()
        let kept = try log.truncate(afterStep: 1)
        XCTAssertEqual(kept.evaluations, [record, record])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), whole + whole)
    }
}
