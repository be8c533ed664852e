// AtomicFile.swift — the one write-then-rename of the project: checkpoints, the indexed dataset's
// `.bin`/`.idx`, the experiment's config, results, progress, report and plots. Bytes go to a
// sibling temporary file, are flushed to disk (fsync), the file is renamed over the target, and
// the directory is flushed so the rename itself survives a power loss. A crash at any point leaves
// either the old file or the new one, never a mixture.

#if canImport(Glibc)
import Glibc
#endif

/// Atomic replacement of whole files.
package enum AtomicFile {
    /// The temporary sibling this process writes before renaming over `path`:
    /// `path.tmp-<pid>`, so an abandoned one names the writer that left it.
    package static func temporaryPath(for path: String) -> String { path + ".tmp-\(getpid())" }

    /// Replaces `path` with `bytes`: writes `temporaryPath(for: path)`, then `commit`s it. The
    /// temporary file is removed on failure. Whatever has the temporary name beforehand (an
    /// abandoned file, a planted symbolic link) is unlinked and the file created new with
    /// `O_EXCL|O_NOFOLLOW`, so the write never goes through a link.
    /// - Throws: `FileError` naming the file and the failing call.
    package static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let temporary = temporaryPath(for: path)
        do {
            PosixFile.remove(temporary)
            let file = try PosixFile(path: temporary, mode: .createNew)
            try file.write(bytes)
            try file.close()
            try commit(temporary, to: path)
        } catch {
            PosixFile.remove(temporary)
            throw error
        }
    }

    /// Makes `temporary` (fully written and closed by its writer) durable with fsync, renames it
    /// over `path`, then fsyncs the directory (best effort: the old file stays valid until the
    /// rename is durable).
    /// - Throws: `FileError`; `temporary` is left in place for the caller to remove.
    package static func commit(_ temporary: String, to path: String) throws {
        let file = try PosixFile(path: temporary, mode: .read)
        try file.sync()
        try file.close()
        guard rename(temporary, path) == 0 else {
            throw FileError.failed(path: temporary, operation: "rename to \(path)", reason: errnoMessage())
        }
        let slash = path.lastIndex(of: "/")
        let directory = open(slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? ".", O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }
}
