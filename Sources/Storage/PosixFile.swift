// PosixFile.swift — the POSIX file calls of the project in one place (issue 12): sequential and
// positioned reads and writes, fsync, truncate, `flock` and read-only memory maps, each failure a
// `FileError` naming the file. CorpusIndex (index lock, sort scratch file, the indexed dataset's maps) and Training go
// through these instead of calling the C library themselves. Formats and lock semantics are the
// callers'; this file only does the calls.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor, closed by `close()` or when the object goes away. As a `ByteSource`
/// it reads sequentially (`read(2)`, so `-` for standard input works too); the positioned calls
/// leave the sequential offset alone.
package final class PosixFile: ByteSource {
    /// How to open a file.
    package enum Mode {
        /// Read only; the file must exist and not be a directory. `-` is standard input.
        case read
        /// Read and write, created if missing, contents kept.
        case update
        /// Read and write, created if missing, truncated to empty.
        case replace
        /// Read and write, contents kept, never through a symbolic link: created with
        /// `O_CREAT|O_EXCL|O_NOFOLLOW`, or an existing regular file opened with `O_NOFOLLOW` (lock
        /// and state files, which a planted symlink must not redirect).
        case updateNoFollow
        /// Read and write, a new file only (`O_CREAT|O_EXCL|O_NOFOLLOW`): fails if anything,
        /// a symbolic link included, already has the name (temporary files).
        case createNew
    }

    /// The file, for messages.
    package let path: String
    private var fd: Int32
    private let owned: Bool

    /// Opens `path`; new files get `permissions` (less the umask).
    /// - Throws: `FileError.cannotOpen` with the system's reason, or "is a directory".
    package init(path: String, mode: Mode, permissions: mode_t = 0o644) throws {
        self.path = path
        if path == "-" && mode == .read {
            fd = 0; owned = false
            return
        }
        let flags: Int32 = switch mode {
        case .read: O_RDONLY
        case .update: O_RDWR | O_CREAT
        case .replace: O_RDWR | O_CREAT | O_TRUNC
        case .updateNoFollow, .createNew: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW
        }
        fd = open(path, flags | O_CLOEXEC, permissions)
        if fd < 0 && errno == EEXIST && mode == .updateNoFollow {
            fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        }
        owned = true
        guard fd >= 0 else {
            let reason = errno == ELOOP && mode == .updateNoFollow ? "is a symbolic link (refused: it could redirect the write; remove it)" : errnoMessage()
            throw FileError.cannotOpen(path: path, reason: reason)
        }
        var st = stat()
        if mode == .read, fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw FileError.cannotOpen(path: path, reason: "is a directory")
        }
        if mode == .updateNoFollow, fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != S_IFREG {
            throw FileError.cannotOpen(path: path, reason: "is not a regular file (remove it)")
        }
    }

    /// Standard input, output or error (descriptor 0, 1 or 2, named `-`), never closed here.
    package init(standardStream descriptor: Int32) { (path, fd, owned) = ("-", descriptor, false) }

    deinit { if owned && fd >= 0 { Glibc.close(fd) } }

    /// Size in bytes, if the file is a regular file (`fstat`).
    package var size: Int? {
        var st = stat()
        return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : nil
    }

    /// Size and modification time (`fstat`), if the file is a regular file.
    package var status: (size: Int, seconds: Int, nanoseconds: Int)? {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
    }

    /// Fills up to `buffer.count` bytes from the sequential offset; returns how many, 0 at the end.
    /// - Throws: `FileError.readFailed`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw FileError.readFailed(path: path, reason: errnoMessage()) }
        }
    }

    /// Everything from the sequential offset to the end.
    /// - Throws: `FileError.readFailed`.
    package func readAll() throws -> [UInt8] {
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 1 << 20)
        while case let n = try chunk.withUnsafeMutableBytes({ try read(into: $0) }), n > 0 { bytes += chunk[0..<n] }
        return bytes
    }

    /// Reads into `buffer` from byte `offset` until it is full or the file ends; returns the
    /// number of bytes read.
    /// - Throws: `FileError.readFailed`.
    package func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw FileError.readFailed(path: path, reason: errnoMessage()) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Writes all of `bytes` at the sequential offset, or at byte `offset` when given.
    /// - Throws: `FileError.writeFailed`.
    package func write(at offset: Int? = nil, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let start = bytes.baseAddress! + done, count = bytes.count - done
            let n = if let offset { pwrite(fd, start, count, off_t(offset + done)) } else { Glibc.write(fd, start, count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileError.writeFailed(path: path, reason: errnoMessage()) }
            done += n
        }
    }

    /// Sets the file's size to `size` bytes.
    /// - Throws: `FileError.failed` (operation "truncate").
    package func truncate(to size: Int) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw failure("truncate") }
    }

    /// Flushes the file's data and metadata to the device (`fsync`).
    /// - Throws: `FileError.failed` (operation "fsync").
    package func sync() throws {
        guard fsync(fd) == 0 else { throw failure("fsync") }
    }

    /// Takes an exclusive `flock` without waiting; false when another open file holds it.
    package func tryLockExclusive() -> Bool { flock(fd, LOCK_EX | LOCK_NB) == 0 }

    /// Releases this file's `flock`.
    package func unlock() { _ = flock(fd, LOCK_UN) }

    /// Maps the first `size` bytes read-only and private (nil or `MAP_FAILED` on failure).
    fileprivate func map(_ size: Int) -> UnsafeMutableRawPointer? { mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0) }

    /// Closes the file now, reporting what `close(2)` reports (a delayed write error on some file
    /// systems); later calls do nothing.
    /// - Throws: `FileError.writeFailed`.
    package func close() throws {
        guard owned && fd >= 0 else { return }
        let rc = Glibc.close(fd)
        fd = -1
        if rc != 0 { throw FileError.writeFailed(path: path, reason: errnoMessage()) }
    }

    /// Removes the name `path` (an open file lives on until its last descriptor closes); a
    /// missing file is not an error.
    package static func remove(_ path: String) { _ = unlink(path) }

    /// `mkdir -p path` (mode 0755).
    /// - Throws: `FileError.failed` (operation "mkdir") naming the component that failed.
    package static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw FileError.failed(path: current, operation: "mkdir", reason: errnoMessage())
            }
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw FileError.failed(path: path, operation: "mkdir", reason: "exists and is not a directory")
        }
    }

    private func failure(_ operation: String) -> FileError {
        .failed(path: path, operation: operation, reason: errnoMessage())
    }
}

/// A whole regular file mapped read-only. Empty files have an empty `bytes` and no mapping.
///
/// Unsafe code is confined here: the object owns its one mapping (unmapped in `deinit`) and hands
/// out its bytes only for its own lifetime.
package final class MappedFile {
    /// The mapped file, for messages.
    package let path: String
    /// Valid while this object lives; callers must not let it escape their closures.
    package let bytes: UnsafeRawBufferPointer
    /// Bytes [0, released) were last given back by `releasePages(below:)`.
    private var released = 0

    /// Maps `path`.
    /// - Throws: `FileError.cannotOpen` (also for a directory or another file that is not a
    ///   regular file) or `.failed` (operation "mmap").
    package init(path: String) throws {
        self.path = path
        let file = try PosixFile(path: path, mode: .read)
        guard let size = file.size else { throw FileError.cannotOpen(path: path, reason: "not a regular file") }
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = file.map(size)
        guard let address, address != MAP_FAILED else {
            throw FileError.failed(path: path, operation: "mmap", reason: errnoMessage())
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Drops the mapped pages wholly below byte `offset` from this process's resident set
    /// (`MADV_DONTNEED`; they stay in the page cache and fault back in if read again). Lets a
    /// sequential reader of a file larger than memory keep its RSS flat.
    package func releasePages(below offset: Int) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let end = min(offset, bytes.count) / page * page
        guard end > released else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base) + released, end - released, MADV_DONTNEED)
        released = end
    }

    /// Drops every mapped page of the file from the resident set (see `releasePages(below:)`).
    package func releaseAllPages() {
        guard let base = bytes.baseAddress else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED)
    }

    /// The little-endian integer at byte `offset` (no alignment needed).
    /// - Precondition: `offset + size ≤ bytes.count` (callers check against the file size first).
    /// Inlinable so that other modules may specialize it. (Perf still showed CorpusIndex calling it
    /// unspecialized, looking up type metadata on every call; its dataset reader therefore reads
    /// through a module-local load, `MappedFile.int(_:at:)`.)
    @inlinable @inline(__always)
    package func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
