// AtomicFile.swift — the one write-then-rename of the project: checkpoints, the indexed dataset's
// `.bin`/`.idx`, the experiment's config, results, progress, report and plots. Bytes go to a
// sibling temporary file, are flushed to disk (fsync), the file is renamed over the target, and
// the directory is flushed so the rename itself survives a power loss. A crash at any point leaves
// either the old file or the new one, never a mixture.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed atomic write: the file, the call that failed and the system's reason.
package struct AtomicWriteError: Error, CustomStringConvertible, Equatable {
    /// The file the call was made on.
    package var path: String
    /// The failing call: "create", "write", "fsync", "close" or "rename to <target>".
    package var operation: String
    /// `strerror` of the failure.
    package var reason: String

    /// "`path`: `operation` failed: `reason`".
    package var description: String { "\(path): \(operation) failed: \(reason)" }
}

/// Atomic replacement of whole files.
package enum AtomicFile {
    /// The temporary sibling this process writes before renaming over `path`:
    /// `path.tmp-<pid>`, so an abandoned one names the writer that left it.
    package static func temporaryPath(for path: String) -> String { path + ".tmp-\(getpid())" }

    /// Replaces `path` with `bytes`: writes `temporaryPath(for: path)`, fsyncs it, renames it over
    /// `path` and fsyncs the directory. The temporary file is removed on failure.
    /// - Throws: `AtomicWriteError` naming the file and the failing call.
    package static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(temporary, "create") }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { try abandon(temporary, fd, failure(temporary, "write")) }
            done += n
        }
        guard fsync(fd) == 0 else { try abandon(temporary, fd, failure(temporary, "fsync")) }
        guard close(fd) == 0 else { try abandon(temporary, -1, failure(temporary, "close")) }
        try commit(temporary, to: path, synced: true)
    }

    /// Makes `temporary` (fully written and closed by its writer) durable and renames it over
    /// `path`, then fsyncs the directory. For files streamed through their own writer.
    /// - Throws: `AtomicWriteError`; `temporary` is left in place for the caller to remove.
    package static func commit(_ temporary: String, to path: String) throws {
        try commit(temporary, to: path, synced: false)
    }

    private static func commit(_ temporary: String, to path: String, synced: Bool) throws {
        if !synced {
            let fd = open(temporary, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw failure(temporary, "open") }
            let rc = fsync(fd)
            let error = failure(temporary, "fsync")
            close(fd)
            guard rc == 0 else { throw error }
        }
        guard rename(temporary, path) == 0 else {
            let error = failure(temporary, "rename to \(path)")
            if synced { unlink(temporary) }
            throw error
        }
        syncDirectory(of: path)
    }

    /// Flushes the directory entry of `path` (best effort: the data is already on disk, and the
    /// old file stays valid until the rename is durable).
    private static func syncDirectory(of path: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    private static func failure(_ path: String, _ operation: String) -> AtomicWriteError {
        AtomicWriteError(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }

    private static func abandon(_ temporary: String, _ fd: Int32, _ error: AtomicWriteError) throws -> Never {
        if fd >= 0 { close(fd) }
        unlink(temporary)
        throw error
    }
}
