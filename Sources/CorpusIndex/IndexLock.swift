// IndexLock.swift — one writer per index directory: an exclusive `flock` on `DIR/gradus.lock`,
// which also records the holder's pid so the refusal can name it (issue 3 item 6).

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on an index directory, released by `deinit` (or when the process dies).
public final class IndexLock {
    /// The lock file's name inside the index directory.
    public static let fileName = "gradus.lock"
    private let fd: Int32

    /// Creates `directory` (and missing parents) if needed and takes the lock without waiting.
    /// - Throws: `IndexError.locked` naming the holder's pid when another process has it,
    ///   `.notWritable` when the directory or the lock file cannot be created.
    public init(directory: String) throws {
        do {
            try makeDirectories(directory)
        } catch let IndexedDatasetError.io(_, _, reason) {
            throw IndexError.notWritable(path: directory, reason: reason)
        }
        let path = directory + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw IndexError.notWritable(path: directory, reason: String(cString: strerror(errno)))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.readPID(fd)
            close(fd)
            throw IndexError.locked(path: directory, pid: holder)
        }
        _ = ftruncate(fd, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.fd = fd
    }

    deinit {
        _ = flock(fd, LOCK_UN)
        close(fd)
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        return Int32(String(text.prefix { $0.isNumber }))
    }
}
