// GradusProcess.swift — the one launcher of the built `gradus` binary (next to the test bundle) for
// the CLI, reliability and fault tests: synchronously, or started and collected later so several
// processes overlap; with standard input, extra environment and a working directory.

import Foundation
import XCTest

/// One finished `gradus` process.
package struct GradusRun: Sendable {
    /// The exit status, or the signal number when `signaled`.
    package var status: Int32
    /// True when the process died from a signal.
    package var signaled: Bool
    /// Everything written to standard output.
    package var stdout: String
    /// Everything written to standard error.
    package var stderr: String
    /// True when the process was killed by SIGKILL.
    package var killedBySIGKILL: Bool { signaled && status == SIGKILL }
}

/// A started `gradus` process whose output is collected by `wait()`.
package final class GradusProcess: @unchecked Sendable {
    /// The running process.
    package let process = Process()
    private let outPipe = Pipe(), errPipe = Pipe()
    private let group = DispatchGroup()
    private var out = Data(), err = Data()

    /// Starts `gradus arguments` with `stdin` as its standard input (none when nil), the test's
    /// environment plus `env` (backtraces off), in `cwd` (the test's directory when nil), its
    /// standard output collected, or written to the file `stdoutPath` (e.g. /dev/full).
    /// - Throws: when the binary cannot be started.
    package init(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:], cwd: String? = nil,
                 stdoutPath: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("gradus")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment
            .merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }.merging(env) { $1 }
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let inPipe = stdin.map { _ in Pipe() }
        process.standardInput = inPipe ?? FileHandle.nullDevice
        if let stdoutPath {
            guard let file = FileHandle(forWritingAtPath: stdoutPath) else { throw CocoaError(.fileWriteUnknown) }
            process.standardOutput = file
            try outPipe.fileHandleForWriting.close()
        } else {
            process.standardOutput = outPipe
        }
        process.standardError = errPipe
        try process.run()
        // Drain both pipes concurrently so that large outputs cannot block the child.
        DispatchQueue.global().async(group: group) { self.out = self.outPipe.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { self.err = self.errPipe.fileHandleForReading.readDataToEndOfFile() }
        if let inPipe, let stdin {
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try inPipe.fileHandleForWriting.close()
        }
    }

    /// The child's process id.
    package var pid: Int32 { process.processIdentifier }

    /// Waits for the process to end and returns its status and output.
    package func wait() -> GradusRun {
        process.waitUntilExit()
        group.wait()
        return GradusRun(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                         stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// Runs `gradus` to completion (see `GradusProcess.init` for the parameters).
package func runGradus(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:],
                       cwd: String? = nil, stdoutPath: String? = nil) throws -> GradusRun {
    try GradusProcess(arguments, stdin: stdin, env: env, cwd: cwd, stdoutPath: stdoutPath).wait()
}

/// The repository root (for the shipped corpora, tokenizer and configs).
package let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Indexes the shipped UDHR sample with the `bytes` tokenizer (vocabulary 258, that of
/// configs/tiny.json) into `path`, samples packed to 64 tokens; fails the calling test when
/// `gradus index` does.
package func indexUDHRPacked(at path: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let r = try runGradus(["index", repositoryRoot + "/corpora/udhr.sample.jsonl.zst", "--tokenizer", "bytes",
                           "--pack", "64", "--out", path])
    XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
}
