// ImageChecks.swift — an independent, minimal PNG reader for the tests (signature, chunk CRCs,
// IHDR, stored-block inflate, Adler-32, filter bytes) and an SVG well-formedness check via
// XMLParser. Throws on anything a valid file would not contain.

import Foundation
import Storage
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
    // zlib itself (the reference implementation) inflates and checks the Adler-32.
    let raw = try Zlib.decompress(chunks.filter { $0.0 == "IDAT" }.flatMap(\.1), size: (3 * w + 1) * h)
    for y in 0..<h where raw[y * (3 * w + 1)] != 0 { throw ImageCheckError(description: "row \(y) filter byte") }
    return DecodedPNG(width: w, height: h, raw: raw)
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
