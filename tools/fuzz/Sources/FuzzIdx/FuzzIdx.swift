// FuzzIdx.swift — libFuzzer target `idx`: an MMapIndexedDataset `.idx/.bin` pair opened with
// `IndexedDatasetReader` and, when it opens, read completely. Input layout: byte 0 picks the
// dtype code table (deepSpeed, deepSpeedLegacy, megatron), bytes 1–2 are the `.bin` length n
// (little-endian), the next n bytes the `.bin`, the rest the `.idx` (a short input gives a short
// `.bin`).
//
// Invariants beyond "no crash, no ASan report":
// - opening throws only `IndexedDatasetError`;
// - for an opened pair: Σ item sizes = elementCount, every item lies inside the `.bin`, pointers
//   are the prefix sums, doc_idx is non-decreasing within 0...count, and reading every item and
//   every document either succeeds or throws `IndexedDatasetError` (out-of-range values).

import CorpusIndex
import FuzzSupport

let prefix = scratchPath("dataset")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard input.count >= 3 else { return 0 }
    let tables: [DTypeCodeTable] = [.deepSpeed, .deepSpeedLegacy, .megatron]
    let table = tables[Int(input[0]) % tables.count]
    let binLength = min(Int(input[1]) | Int(input[2]) << 8, input.count - 3)
    writeScratch(prefix + ".bin", Array(input[3..<(3 + binLength)]))
    writeScratch(prefix + ".idx", Array(input[(3 + binLength)...]))

    let reader: IndexedDatasetReader
    do {
        reader = try IndexedDatasetReader(prefix: prefix, codeTable: table)
    } catch is IndexedDatasetError {
        return 0
    } catch {
        fuzzFailure("open threw \(type(of: error)): \(error)")
    }
    var elements = 0
    var expectedPointer = 0
    for i in 0..<reader.count {
        let itemSize = reader.size(ofItem: i)
        fuzzCheck(itemSize >= 0, "negative size of item \(i)")
        fuzzCheck(reader.pointer(ofItem: i) == expectedPointer, "pointer of item \(i)")
        expectedPointer += itemSize * reader.dtype.itemSize
        fuzzCheck(expectedPointer <= binLength, "item \(i) ends past the .bin")
        elements += itemSize
        reader.withItemBytes(i) { raw, _ in fuzzCheck(raw.count == itemSize * reader.dtype.itemSize, "item \(i) bytes") }
        do {
            let values = try reader.item(i)
            fuzzCheck(values.count == itemSize, "item \(i) has \(values.count) values, size \(itemSize)")
        } catch {
            fuzzCheck(error is IndexedDatasetError, "item(\(i)) threw \(error)")
        }
    }
    fuzzCheck(elements == reader.elementCount, "elementCount \(reader.elementCount), sizes sum to \(elements)")
    fuzzCheck(expectedPointer == binLength, ".bin is \(binLength) bytes, items cover \(expectedPointer)")
    var previous = 0
    for k in 0..<reader.documentIndexCount {
        let entry = reader.documentIndexEntry(k)
        fuzzCheck(entry >= previous && entry <= reader.count, "doc_idx[\(k)] = \(entry)")
        previous = entry
    }
    var tokens: [UInt32] = []
    for d in 0..<reader.documentCount {
        do {
            try reader.documentTokens(d, into: &tokens)
            let expected = reader.items(ofDocument: d).reduce(0) { $0 + reader.size(ofItem: $1) }
            fuzzCheck(tokens.count == expected, "document \(d) has \(tokens.count) tokens, items hold \(expected)")
        } catch {
            fuzzCheck(error is IndexedDatasetError, "documentTokens(\(d)) threw \(error)")
        }
    }
    do {
        try reader.forEachDocument { _, _ in }
    } catch {
        fuzzCheck(error is IndexedDatasetError, "forEachDocument threw \(error)")
    }
    return 0
}

@main
enum FuzzIdx {
    static func main() { runFuzzer(fuzzOne) }
}
