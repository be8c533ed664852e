// IndexLock.swift — one writer per index directory: an exclusive `flock` on `DIR/gradus.lock`,
// which also records the holder's pid so the refusal can name it (issue 3 item 6).

import Storage
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on an index directory, released by `deinit` (or when the process dies).
public final class IndexLock {
    /// The lock file's name inside the index directory.
    public static let fileName = "gradus.lock"
    private let file: PosixFile

    /// Creates `directory` (and missing parents) if needed and takes the lock without waiting.
    /// - Throws: `IndexError.locked` naming the holder's pid when another process has it,
    ///   `.notWritable` when the directory or the lock file cannot be created.
    public init(directory: String) throws {
        let file: PosixFile
        do {
            try PosixFile.makeDirectories(directory)
            file = try PosixFile(path: directory + "/" + Self.fileName, mode: .update)
        } catch let error as FileError {
            throw IndexError.notWritable(path: directory, reason: error.reason)
        }
        guard file.tryLockExclusive() else { throw IndexError.locked(path: directory, pid: Self.readPID(file)) }
        try? file.truncate(to: 0)
        try? Array("\(getpid())\n".utf8).withUnsafeBytes { try file.write(at: 0, $0) }
        self.file = file
    }

    deinit { file.unlock() }

    private static func readPID(_ file: PosixFile) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 31)
        guard let n = try? buffer.withUnsafeMutableBytes({ try file.read(at: 0, into: $0) }), n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        return Int32(String(text.prefix { $0.isNumber }))
    }
}
