// StandardOutput.swift — buffered stdout for commands that print many lines, and the check that
// everything a command printed reached its destination: a failed write (a full disk, a closed
// pipe when SIGPIPE is ignored) is an error and a non-zero exit, never silently truncated output.

import Foundation
import Storage

final class StandardOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    /// Appends text; writes the buffer out when it is full.
    /// - Throws: `OutputError` when standard output cannot be written.
    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends raw bytes (binary output); writes the buffer out when it is full.
    /// - Throws: `OutputError` when standard output cannot be written.
    func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Writes the buffer out.
    /// - Throws: `OutputError` when standard output cannot be written.
    func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        do { try buffer.withUnsafeBytes { try PosixFile(standardStream: 1).write($0) } } catch {
            throw OutputError(reason: (error as? FileError)?.reason ?? "\(error)")
        }
    }

    /// Flushes what `print` buffered (C stdio) and checks that every earlier write succeeded.
    /// - Throws: `OutputError` when something did not reach standard output.
    static func finish() throws {
        // fflush(nil) flushes every stdio stream (`print` writes through stdout's); a write that
        // failed before stays unwritten in the buffer, so it fails again here.
        if fflush(nil) != 0 {
            throw OutputError(reason: String(cString: strerror(errno)))
        }
    }
}

/// Standard output could not be written: the command's output is incomplete.
struct OutputError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "cannot write to standard output (\(reason)); the output is incomplete" }
}
