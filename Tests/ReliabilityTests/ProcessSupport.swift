// ProcessSupport.swift — running the built `gradus` binary from the fault and concurrency tests
// (issue 8 items 2–3): synchronously with extra environment, or started and collected later so
// several processes overlap.

import Foundation
import XCTest

/// One finished `gradus` process.
struct GradusRun {
    var status: Int32
    /// True when the process died from a signal (`status` is then the signal number).
    var signaled: Bool
    var stdout: String
    var stderr: String
    var killedBySIGKILL: Bool { signaled && status == SIGKILL }
}

/// A started `gradus` process whose output is collected by `wait()`.
final class GradusProcess: @unchecked Sendable {
    let process = Process()
    private let outPipe = Pipe(), errPipe = Pipe()
    private let group = DispatchGroup()
    private var out = Data(), err = Data()

    init(_ arguments: [String], env: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("gradus")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment
            .merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }.merging(env) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        // Drain both pipes concurrently so that large outputs cannot block the child.
        DispatchQueue.global().async(group: group) { self.out = self.outPipe.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { self.err = self.errPipe.fileHandleForReading.readDataToEndOfFile() }
    }

    var pid: Int32 { process.processIdentifier }

    func wait() -> GradusRun {
        process.waitUntilExit()
        group.wait()
        return GradusRun(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                         stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// Runs `gradus` to completion.
func runGradus(_ arguments: [String], env: [String: String] = [:]) throws -> GradusRun {
    try GradusProcess(arguments, env: env).wait()
}

/// The repository root (for the shipped corpora, tokenizer and configs).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// A fresh temporary directory, removed by the returned closure.
func makeScratchDirectory(_ tag: String) throws -> String {
    let dir = NSTemporaryDirectory() + "gradus-\(tag)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// `gradus dump --metrics --tokens` of an index: every sample's tokens, doc record and metric
/// values — equal outputs mean equal index contents.
func dumpAll(_ index: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let r = try runGradus(["dump", index, "--metrics", "--tokens"])
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    return r.stdout
}
