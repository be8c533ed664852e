// Zlib.swift — zlib streams (RFC 1950) through Debian's zlib1g-dev: what PNG's IDAT chunk holds
// (the report's plots, issue 7). One-shot compress/decompress of in-memory buffers.

import CZlib

/// A failure of zlib, with its return code.
public struct ZlibError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let code: Int32
    public var description: String {
        let reason: String
        switch code {
        case Z_MEM_ERROR: reason = "out of memory"
        case Z_BUF_ERROR: reason = "the output is larger than expected or the input is truncated"
        case Z_DATA_ERROR: reason = "corrupt or incomplete data"
        default: reason = "error \(code)"
        }
        return "zlib \(operation): \(reason)"
    }
}

public enum Zlib {
    /// zlib's CRC-32 of `bytes` (ISO 3309: reflected polynomial 0xEDB88320, initial and final XOR
    /// 0xFFFFFFFF), the checksum of every PNG chunk.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        let crc = bytes.withUnsafeBufferPointer { CZlib.crc32(0, $0.baseAddress, uInt($0.count)) }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// A zlib stream of `bytes` at `level` (0–9).
    public static func compress(_ bytes: [UInt8], level: Int32 = 9) throws -> [UInt8] {
        var size = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let rc = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &size, i.baseAddress, uLong(i.count), level) }
        }
        guard rc == Z_OK else { throw ZlibError(operation: "compress", code: rc) }
        out.removeSubrange(Int(size)...)
        return out
    }

    /// The bytes of the zlib stream `stream`, which must decompress to exactly `size` bytes.
    public static func decompress(_ stream: [UInt8], size: Int) throws -> [UInt8] {
        var length = uLongf(size)
        var out = [UInt8](repeating: 0, count: max(size, 1))
        let rc = out.withUnsafeMutableBufferPointer { o in
            stream.withUnsafeBufferPointer { i in uncompress(o.baseAddress, &length, i.baseAddress, uLong(i.count)) }
        }
        guard rc == Z_OK else { throw ZlibError(operation: "decompress", code: rc) }
        guard Int(length) == size else { throw ZlibError(operation: "decompress", code: Z_BUF_ERROR) }
        return Array(out.prefix(size))
    }
}
