// IndexLock.swift — one writer per index directory (issue 3 item 6): `Storage.DirectoryLock` on
// `DIR/gradus.lock` (pid recorded, symbolic links refused), its failures as `IndexError`s.

import Storage

/// An exclusive lock on an index directory, released by `deinit` (or when the process dies).
public final class IndexLock {
    /// The lock file's name inside the index directory.
    public static let fileName = DirectoryLock.fileName
    private let lock: DirectoryLock

    /// Creates `directory` (and missing parents) if needed and takes the lock without waiting.
    /// - Throws: `IndexError.locked` naming the holder's pid when another process has it,
    ///   `.notWritable` when the directory or the lock file cannot be created, or the lock file
    ///   is a symbolic link.
    public init(directory: String) throws {
        do { lock = try DirectoryLock(directory: directory) } catch let error as DirectoryLockError {
            switch error {
            case let .locked(_, pid): throw IndexError.locked(path: directory, pid: pid)
            case let .unusable(_, reason): throw IndexError.notWritable(path: directory, reason: reason)
            }
        }
    }
}
