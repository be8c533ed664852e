// IndexedDatasetIO.swift — the file plumbing under the MMapIndexedDataset builder and reader
// (spec §3.1): a buffered little-endian sink for sequential writes, a read-only memory map, and
// rename/unlink with errors naming the file.
//
// Unsafe code is confined to this file: `MappedFile` owns one mapping (unmapped in `deinit`) and
// hands out its bytes only for the lifetime of its owner; `BufferedSink` owns one heap buffer.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Storage

private func errnoText() -> String { String(cString: strerror(errno)) }

/// Sequential writer with a fixed-size buffer; integers are stored little-endian.
final class BufferedSink {
    let path: String
    private let sink: FileSink
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0

    init(path: String, capacity: Int) throws {
        precondition(capacity >= 16, "buffer too small")
        self.path = path
        do { sink = try FileSink(path: path) } catch let error as FileError {
            throw IndexedDatasetError.wrapping(error)
        }
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Appends one integer in little-endian byte order.
    @inline(__always)
    func write<T: FixedWidthInteger>(_ value: T) throws {
        if used + MemoryLayout<T>.size > buffer.count { try flush() }
        buffer.storeBytes(of: value.littleEndian, toByteOffset: used, as: T.self)
        used += MemoryLayout<T>.size
    }

    /// Appends every element of `source` converted to `D` with `truncatingIfNeeded` (callers
    /// range-check first), little-endian, converting straight into the buffer chunk by chunk.
    func write<S: FixedWidthInteger, D: FixedWidthInteger>(converting source: UnsafeBufferPointer<S>,
                                                           to _: D.Type) throws {
        let width = MemoryLayout<D>.size
        var index = 0
        while index < source.count {
            if buffer.count - used < width { try flush() }
            let n = min((buffer.count - used) / width, source.count - index)
            let out = buffer.baseAddress! + used
            for j in 0..<n {
                out.storeBytes(of: D(truncatingIfNeeded: source[index + j]).littleEndian,
                               toByteOffset: j * width, as: D.self)
            }
            used += n * width
            index += n
        }
    }

    /// Appends raw bytes (copied through the buffer when small, written directly when large).
    func write(bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        if bytes.count >= buffer.count {
            try flush()
            try rawWrite(bytes)
        } else {
            if used + bytes.count > buffer.count { try flush() }
            (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            used += bytes.count
        }
    }

    /// Writes out the buffered bytes.
    func flush() throws {
        guard used > 0 else { return }
        try rawWrite(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
        used = 0
    }

    /// Flushes and closes the file.
    func close() throws {
        try flush()
        do { try sink.close() } catch let error as FileError { throw IndexedDatasetError.wrapping(error) }
    }

    private func rawWrite(_ bytes: UnsafeRawBufferPointer) throws {
        do { try sink.write(bytes) } catch let error as FileError { throw IndexedDatasetError.wrapping(error) }
    }
}

/// A whole file mapped read-only. Empty files have an empty `bytes` and no mapping.
final class MappedFile {
    let path: String
    /// Valid while this object lives; callers must not let it escape their closures.
    let bytes: UnsafeRawBufferPointer
    /// Bytes [0, released) were last given back by `releasePages(below:)`.
    private var released = 0

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IndexedDatasetError.io(path: path, operation: "open", reason: errnoText()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw IndexedDatasetError.io(path: path, operation: "stat", reason: errnoText())
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw IndexedDatasetError.io(path: path, operation: "open", reason: "not a regular file")
        }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw IndexedDatasetError.io(path: path, operation: "mmap", reason: errnoText())
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Drops the mapped pages wholly below byte `offset` from this process's resident set
    /// (`MADV_DONTNEED`; they stay in the page cache and fault back in if read again). Lets a
    /// sequential reader of a file larger than memory keep its RSS flat.
    func releasePages(below offset: Int) {
        guard let base = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let end = min(offset, bytes.count) / page * page
        guard end > released else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base) + released, end - released, MADV_DONTNEED)
        released = end
    }

    /// Drops every mapped page of the file from the resident set (see `releasePages(below:)`).
    func releaseAllPages() {
        guard let base = bytes.baseAddress else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED)
    }

    /// The little-endian integer at byte `offset` (no alignment needed).
    /// - Precondition: `offset + size ≤ bytes.count` (callers check against the file size first).
    @inline(__always)
    func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// Moves `from` to `to`, replacing `to` atomically on the same file system.
func renameFile(_ from: String, _ to: String) throws {
    guard rename(from, to) == 0 else {
        throw IndexedDatasetError.io(path: to, operation: "rename from \(from)", reason: errnoText())
    }
}

/// Removes `path` if it exists; used only to clean up abandoned temporary files.
func removeFileIfPresent(_ path: String) {
    _ = unlink(path)
}

/// `mkdir -p path` (mode 0755).
func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
        current += "/" + component
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw IndexedDatasetError.io(path: current, operation: "mkdir", reason: errnoText())
        }
    }
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
        throw IndexedDatasetError.io(path: path, operation: "mkdir", reason: "exists and is not a directory")
    }
}
