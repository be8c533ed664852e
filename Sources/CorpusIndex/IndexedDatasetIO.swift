// IndexedDatasetIO.swift — the file plumbing under the MMapIndexedDataset builder and reader
// (spec §3.1): a buffered little-endian sink for sequential writes, the atomic commit of finished
// files, and Storage's file errors as `IndexedDatasetError` (the read-only map is Storage's
// `MappedFile`). `BufferedSink` owns one heap buffer.

import Storage

/// Sequential writer with a fixed-size buffer; integers are stored little-endian.
final class BufferedSink {
    let path: String
    private let sink: PosixFile
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0

    init(path: String, capacity: Int) throws {
        precondition(capacity >= 16, "buffer too small")
        self.path = path
        sink = try withIndexedDatasetErrors { try PosixFile(path: path, mode: .replace) }
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
        try withIndexedDatasetErrors { try sink.close() }
    }

    private func rawWrite(_ bytes: UnsafeRawBufferPointer) throws {
        try withIndexedDatasetErrors { try sink.write(bytes) }
    }
}

/// Runs `body`, turning a `Storage.FileError` into `IndexedDatasetError.io` so callers see one
/// error type.
func withIndexedDatasetErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as FileError { throw IndexedDatasetError.wrapping(error) }
}

/// `mkdir -p path` (mode 0755).
func makeDirectories(_ path: String) throws {
    try withIndexedDatasetErrors { try PosixFile.makeDirectories(path) }
}
