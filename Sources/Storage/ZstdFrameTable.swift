// ZstdFrameTable.swift — where the frames of a zstd file start and end, found without
// decompressing (issue 16 item 2: a multi-frame zstd file is cut into runs of whole frames).
// Walks the headers (RFC 8878 §3.1.1): a frame header, then 3-byte block headers each giving its
// block's compressed size, then the optional 4-byte checksum; a skippable frame gives its size in
// its header. One positioned read of at most 18 bytes per frame header and one of 3 bytes per
// block, so a 128 KiB block costs one small read whatever its content. `pzstd` writes before each
// frame a skippable frame holding that frame's compressed size: when the size lands on the next
// frame's magic (or the end of the file) it is taken, and the frame's blocks are not walked (cold
// block-header reads cost more than reading the file: each is in a different page).

/// One frame of a zstd file.
public struct ZstdFrame: Sendable, Equatable, Codable {
    /// The frame's first byte (its magic number) in the file.
    public let offset: Int
    /// Its compressed size in bytes, header and checksum included.
    public let size: Int
    /// A skippable frame (magic 0x184D2A50...0x184D2A5F), e.g. the ones `pzstd` writes before each
    /// frame; it holds no content.
    public let isSkippable: Bool

    /// The byte after the frame.
    public var end: Int { offset + size }
}

public enum ZstdFrameTable {
    /// The frames of the zstd file `path`, in order, covering it exactly.
    /// - Throws: `FileError` when it cannot be opened or read; `ZstdError.corrupt` when a header is
    ///   not a zstd frame or a block type is reserved; `ZstdError.truncated` when the file ends
    ///   inside a frame.
    public static func read(path: String) throws -> [ZstdFrame] {
        let file = try PosixFile(path: path, mode: .read)
        guard let size = file.size else { throw FileError.cannotOpen(path: path, reason: "not a regular file") }
        var bytesRead = 0
        return try read(file, size: size, bytesRead: &bytesRead)
    }

    /// `read(path:)` over an open file of `size` bytes, adding the bytes it reads to `bytesRead`;
    /// `usesSizeHints` false walks every frame's blocks even after a `pzstd` size frame.
    package static func read(_ file: PosixFile, size: Int, bytesRead: inout Int, usesSizeHints: Bool = true) throws -> [ZstdFrame] {
        var frames: [ZstdFrame] = []
        var offset = 0
        var header = [UInt8](repeating: 0, count: 18)
        var hint: Int?  // the size a `pzstd` skippable frame gives the frame after it
        while offset < size {
            let got = try header.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
            bytesRead += got
            guard got >= 8 || (got >= 6 && Array(header.prefix(4)) == zstdMagic) else {
                throw ZstdError.truncated(path: file.path, offset: offset)
            }
            let magic = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
            let frameEnd: Int
            if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                let length = Int(UInt32(header[4]) | UInt32(header[5]) << 8 | UInt32(header[6]) << 16 | UInt32(header[7]) << 24)
                frameEnd = offset + 8 + length
                guard frameEnd <= size else { throw ZstdError.truncated(path: file.path, offset: offset) }
                frames.append(ZstdFrame(offset: offset, size: frameEnd - offset, isSkippable: true))
                hint = nil
                if usesSizeHints && magic == 0x184D_2A50 && length == 4 {
                    hint = try header.withUnsafeMutableBytes { buffer in
                        let got = try file.read(at: offset + 8, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<4]))
                        bytesRead += got
                        return got == 4 ? Int(buffer.loadUnaligned(as: UInt32.self).littleEndian) : nil
                    }
                }
                offset = frameEnd
                continue
            }
            guard magic == 0xFD2F_B528 else {
                throw ZstdError.corrupt(path: file.path, offset: offset, message: "no zstd frame starts here (magic \(String(magic, radix: 16)))")
            }
            if let hint, try startsFrameOrEnds(file, at: offset + hint, size: size, bytesRead: &bytesRead) {
                frameEnd = offset + hint
            } else {
                frameEnd = try blocksEnd(file, size: size, frame: offset, header: header, bytesRead: &bytesRead)
            }
            hint = nil
            frames.append(ZstdFrame(offset: offset, size: frameEnd - offset, isSkippable: false))
            offset = frameEnd
        }
        return frames
    }

    /// Whether `offset` is the end of the file or the start of a frame (zstd or skippable magic).
    private static func startsFrameOrEnds(_ file: PosixFile, at offset: Int, size: Int, bytesRead: inout Int) throws -> Bool {
        guard offset > 0 && offset <= size else { return false }
        if offset == size { return true }
        var magic = [UInt8](repeating: 0, count: 4)
        let got = try magic.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
        bytesRead += got
        return got == 4 && isZstdFrameStart(magic)
    }

    /// The end of the frame at `frame` whose first bytes are `header`: past its header, its blocks
    /// and its checksum.
    private static func blocksEnd(_ file: PosixFile, size: Int, frame: Int, header: [UInt8], bytesRead: inout Int) throws -> Int {
        let descriptor = header[4]
        let singleSegment = descriptor & 0x20 != 0
        let hasChecksum = descriptor & 0x04 != 0
        guard descriptor & 0x08 == 0 else {
            throw ZstdError.corrupt(path: file.path, offset: frame, message: "reserved bit set in the frame header")
        }
        let contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
        var position = frame + 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)] + contentSizeBytes
        var block = [UInt8](repeating: 0, count: 3)
        while true {
            let got = try block.withUnsafeMutableBytes { try file.read(at: position, into: $0) }
            bytesRead += got
            guard got == 3 else { throw ZstdError.truncated(path: file.path, offset: frame) }
            let value = Int(block[0]) | Int(block[1]) << 8 | Int(block[2]) << 16
            let type = (value >> 1) & 3
            guard type != 3 else {
                throw ZstdError.corrupt(path: file.path, offset: position, message: "reserved block type")
            }
            position += 3 + (type == 1 ? 1 : value >> 3)  // an RLE block stores one byte
            guard position <= size else { throw ZstdError.truncated(path: file.path, offset: frame) }
            if value & 1 != 0 { break }
        }
        position += hasChecksum ? 4 : 0
        guard position <= size else { throw ZstdError.truncated(path: file.path, offset: frame) }
        return position
    }
}
