// ImageChecks.swift — an independent, minimal PNG reader for the tests (signature, chunk CRCs,
// IHDR, stored-block inflate, Adler-32, filter bytes) and an SVG well-formedness check via
// XMLParser. Throws on anything a valid file would not contain.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Experiments

struct DecodedPNG { let width: Int, height: Int, raw: [UInt8] }

struct ImageCheckError: Error, CustomStringConvertible { let description: String }

private func be32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
}

/// Decodes an 8-bit RGB PNG whose IDAT holds stored deflate blocks; returns the filtered rows.
func decodePNG(_ data: Data) throws -> DecodedPNG {
    let b = [UInt8](data)
    guard b.count > 8, Array(b[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
        throw ImageCheckError(description: "no PNG signature")
    }
    var i = 8, chunks: [(String, [UInt8])] = []
    while i + 12 <= b.count {
        let n = Int(be32(b, i))
        guard i + 12 + n <= b.count else { throw ImageCheckError(description: "truncated chunk") }
        let type = String(decoding: b[(i + 4)..<(i + 8)], as: UTF8.self)
        let body = Array(b[(i + 8)..<(i + 8 + n)])
        // Independent bitwise CRC-32 (no table), so a wrong table in the writer would be caught.
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in b[(i + 4)..<(i + 8 + n)] {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        guard crc ^ 0xFFFF_FFFF == be32(b, i + 8 + n) else { throw ImageCheckError(description: "bad CRC in \(type)") }
        chunks.append((type, body))
        i += 12 + n
    }
    guard i == b.count, chunks.first?.0 == "IHDR", chunks.last?.0 == "IEND", let ihdr = chunks.first?.1, ihdr.count == 13 else {
        throw ImageCheckError(description: "chunk layout is not IHDR … IEND")
    }
    let (w, h) = (Int(be32(ihdr, 0)), Int(be32(ihdr, 4)))
    guard Array(ihdr[8..<13]) == [8, 2, 0, 0, 0], w > 0, h > 0 else { throw ImageCheckError(description: "unexpected IHDR") }
    let raw = try inflateStored(Data(chunks.filter { $0.0 == "IDAT" }.flatMap(\.1)))
    guard raw.count == (3 * w + 1) * h else { throw ImageCheckError(description: "pixel data size \(raw.count)") }
    for y in 0..<h where raw[y * (3 * w + 1)] != 0 { throw ImageCheckError(description: "row \(y) filter byte") }
    return DecodedPNG(width: w, height: h, raw: raw)
}

/// Inflates a zlib stream made only of stored blocks, checking header, LEN/NLEN and Adler-32.
func inflateStored(_ data: Data) throws -> [UInt8] {
    let b = [UInt8](data)
    guard b.count >= 6, (UInt16(b[0]) << 8 | UInt16(b[1])) % 31 == 0, b[0] & 0x0F == 8 else {
        throw ImageCheckError(description: "bad zlib header")
    }
    var i = 2, out: [UInt8] = [], final = false
    while !final {
        guard i + 5 <= b.count, b[i] & 0x06 == 0 else { throw ImageCheckError(description: "not a stored block") }
        final = b[i] & 1 == 1
        let len = Int(b[i + 1]) | Int(b[i + 2]) << 8, nlen = Int(b[i + 3]) | Int(b[i + 4]) << 8
        guard len == ~nlen & 0xFFFF, i + 5 + len <= b.count else { throw ImageCheckError(description: "bad LEN/NLEN") }
        out += b[(i + 5)..<(i + 5 + len)]
        i += 5 + len
    }
    var a: UInt32 = 1, s: UInt32 = 0
    for byte in out { a = (a + UInt32(byte)) % 65_521; s = (s + a) % 65_521 }
    guard i + 4 == b.count, be32(b, i) == s << 16 | a else { throw ImageCheckError(description: "bad Adler-32") }
    return out
}

/// Fails unless `data` is well-formed XML whose root element is <svg>.
func assertValidSVG(_ data: Data, file: StaticString = #filePath, line: UInt = #line) throws {
    final class Root: NSObject, XMLParserDelegate {
        var root: String?
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if root == nil { root = name }
        }
    }
    let parser = XMLParser(data: data)
    let delegate = Root()
    parser.delegate = delegate
    XCTAssertTrue(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
    XCTAssertEqual(delegate.root, "svg", file: file, line: line)
}
