// DirectoryLock.swift — one writer per directory (issue 3 item 6, issue 14 items 11–12): an
// exclusive `flock` on `DIR/gradus.lock`, which also records the holder's pid so a refusal can
// name it. Index directories (`CorpusIndex.IndexLock`), `gradus train --out` and `gradus
// experiment --out` take it. The lock file is opened without following symbolic links
// (`PosixFile.Mode.updateNoFollow`), so a planted `gradus.lock -> victim` is refused and the victim
// is never written.

#if canImport(Glibc)
import Glibc
#endif

/// Why a directory could not be locked.
public enum DirectoryLockError: Error, Equatable, CustomStringConvertible {
    /// Another process holds the lock; its pid when the lock file names one.
    case locked(path: String, pid: Int32?)
    /// The directory or its lock file cannot be created or opened (a symlink, a permission).
    case unusable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .locked(path, pid):
            return "\(path) is in use by another gradus process\(pid.map { " (pid \($0))" } ?? ""); wait for it, stop it, or choose another directory"
        case let .unusable(path, reason):
            return "cannot lock \(path): \(reason)"
        }
    }
}

/// An exclusive lock on a directory, released by `deinit` (or when the process dies).
public final class DirectoryLock {
    /// The lock file's name inside the directory.
    public static let fileName = "gradus.lock"
    private let file: PosixFile

    /// Creates `directory` (and missing parents) if needed and takes the lock without waiting.
    /// - Throws: `DirectoryLockError.locked` naming the holder's pid when another process has it,
    ///   `.unusable` when the directory or the lock file cannot be created, or the lock file is a
    ///   symbolic link or not a regular file (the reason says which).
    public init(directory: String) throws {
        let file: PosixFile
        do {
            try PosixFile.makeDirectories(directory)
            file = try PosixFile(path: directory + "/" + Self.fileName, mode: .updateNoFollow)
        } catch let error as FileError {
            throw DirectoryLockError.unusable(path: directory, reason: "\(error)")
        }
        guard file.tryLockExclusive() else { throw DirectoryLockError.locked(path: directory, pid: Self.readPID(file)) }
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
