// NumpyVector.swift — a 1-D numpy `.npy` array (format versions 1–3, little-endian float32,
// float64, int32 or int64) read as Float64 values: the binary input of `gradus metric add`
// (issue 15 item 4). The header is numpy's Python dict literal, e.g.
// `{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }`.

import Foundation

/// Reading `.npy` files of one dimension.
enum NumpyVector {
    /// The first six bytes of every `.npy` file.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Whether `data` starts with the `.npy` magic.
    static func isNumpy(_ data: Data) -> Bool { data.count >= magic.count && data.prefix(magic.count).elementsEqual(magic) }

    /// The element types read, by numpy `descr`, with their sizes in bytes.
    private static let types: [String: Int] = ["<f4": 4, "<f8": 8, "<i4": 4, "<i8": 8]

    /// The array in `data` (the contents of `path`) as Float64 values.
    /// - Throws: `IndexError.badInput` naming `path` for a truncated or malformed header, an
    ///   element type other than little-endian float32/float64/int32/int64, a shape that is not
    ///   1-D, a data size that does not match the shape, or an int64 element that Float64 cannot
    ///   hold exactly (|v| > 2^53 and not representable).
    static func read(_ data: Data, path: String) throws -> [Double] {
        try data.withUnsafeBytes { try read(bytes: $0, path: path) }
    }

    /// `read` over the file's bytes in place (no copy of the data).
    private static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> [Double] {
        func bad(_ problem: String) -> IndexError { .badInput(path: path, problem: problem) }
        guard bytes.count >= 10, bytes.prefix(magic.count).elementsEqual(magic) else {
            throw bad("not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerStart: Int, headerLength: Int
        switch major {
        case 1: (headerStart, headerLength) = (10, Int(bytes[8]) | Int(bytes[9]) << 8)
        case 2, 3:
            guard bytes.count >= 12 else { throw bad(".npy header is truncated") }
            headerStart = 12
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default: throw bad(".npy format version \(major) is not supported (versions 1–3 are)")
        }
        guard headerStart + headerLength <= bytes.count else { throw bad(".npy header is truncated") }
        let header = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)]), as: UTF8.self)
        guard let descr = quotedValue(of: "descr", in: header) else { throw bad(".npy header has no 'descr' (element type)") }
        guard let size = types[descr] else {
            throw bad(".npy element type \(descr) is not supported: use little-endian float32, float64, int32 or int64 "
                + "(e.g. numpy's `array.astype('<f8')`)")
        }
        guard let shape = shape(in: header) else { throw bad(".npy header has no readable 'shape'") }
        guard shape.count == 1 else {
            throw bad(".npy array has shape (\(shape.map(String.init).joined(separator: ", "))); a 1-D array is needed")
        }
        let count = shape[0]
        let dataStart = headerStart + headerLength
        guard count <= (bytes.count - dataStart) / size, bytes.count - dataStart == count * size else {
            throw bad(".npy data holds \(bytes.count - dataStart) bytes, but shape (\(count),) of \(descr) needs \(count.multipliedReportingOverflow(by: size).overflow ? "more" : String(count * size))")
        }
        let body = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
        switch descr {
        case "<f4": return (0..<count).map { Double(Float(bitPattern: UInt32(littleEndian: body.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))) }
        case "<f8": return (0..<count).map { Double(bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        case "<i4": return (0..<count).map { Double(Int32(littleEndian: body.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        default:
            return try (0..<count).map { i in
                let v = Int64(littleEndian: body.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                guard let d = Double(exactly: v) else { throw bad("element \(i) (\(v)) cannot be held exactly as a Float64 value") }
                return d
            }
        }
    }

    /// The quoted string after `'key':` in a numpy header.
    private static func quotedValue(of key: String, in header: String) -> String? {
        guard let k = header.range(of: "'\(key)'") else { return nil }
        let rest = header[k.upperBound...].drop { $0 == " " || $0 == ":" }
        guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    /// The integers of the tuple after `'shape':`; nil when it is not a tuple of integers.
    private static func shape(in header: String) -> [Int]? {
        guard let k = header.range(of: "'shape'") else { return nil }
        let rest = header[k.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "(", let end = rest.firstIndex(of: ")") else { return nil }
        let items = rest[rest.index(after: rest.startIndex)..<end].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let numbers = items.compactMap { Int($0) }
        return numbers.count == items.count && numbers.allSatisfy({ $0 >= 0 }) ? numbers : nil
    }
}
