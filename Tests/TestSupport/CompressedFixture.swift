// CompressedFixture.swift — reads the zstd-compressed JSON-lines fixtures that the tools/gen_*.py
// scripts write with the Python reference libraries (tokenizers, DeepSpeed, ...), for every test
// target that checks against one.

import Foundation
import Storage

/// The lines of a zstd (or plain) JSONL fixture, each as `Data` for `JSONDecoder` (not
/// JSONSerialization, which drops a leading U+FEFF from strings on Linux).
package func fixtureLines(_ path: String) throws -> [Data] {
    let (source, _, _) = try openInput(path: path)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes.split(separator: UInt8(ascii: "\n")).map { Data($0) }
}
