// FuzzJSONL.swift — libFuzzer target `jsonl`: arbitrary bytes as a `.jsonl` corpus file (plain,
// or zstd when the bytes start with a zstd magic) read by `CorpusReader`, strictly and with
// `skipBad`, plus `LineReader` over an in-memory source with a 16-byte buffer and odd read sizes.
//
// Invariants checked beyond "no crash, no ASan report":
// - strict reading throws only `CorpusError` (or `ZstdError` for zstd input), never anything else;
// - `skipBad` reading never throws `CorpusError`; its documents start with the strict reader's
//   documents, and the strict reader's error is the first skipped example;
// - every non-blank line of a plain file is exactly one record: documents + skipped = records,
//   and record numbers are 0, 1, 2, ... in order;
// - `LineReader` splits exactly as a naive split does (bytes, line numbers, byte offsets),
//   whatever its buffer size and the source's read sizes.

import Corpus
import FuzzSupport
import Storage

let path = scratchPath("input.jsonl")

func readAll(_ options: ReaderOptions) -> (documents: [Document], error: Error?, reader: CorpusReader?) {
    var documents: [Document] = []
    do {
        let reader = try CorpusReader(path: path, options: options)
        do {
            while let document = try reader.next() { documents.append(document) }
        } catch {
            return (documents, error, reader)
        }
        return (documents, nil, reader)
    } catch {
        return (documents, error, nil)
    }
}

func isBlank(_ line: [UInt8]) -> Bool {
    line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    writeScratch(path, input)
    let zstd = isZstdFrameStart(Array(input.prefix(4)))

    let strict = readAll(ReaderOptions())
    let skipping = readAll(ReaderOptions(skipBad: true))
    switch strict.error {
    case nil, is CorpusError: break
    case is ZstdError: fuzzCheck(zstd, "ZstdError for plain input: \(strict.error!)")
    default: fuzzFailure("strict read threw \(type(of: strict.error!)): \(strict.error!)")
    }
    if let error = skipping.error {
        fuzzCheck(!(error is CorpusError), "skipBad read threw CorpusError \(error)")
        fuzzCheck(zstd && error is ZstdError, "skipBad read threw \(error)")
    }
    fuzzCheck(skipping.documents.starts(with: strict.documents),
              "strict documents are not a prefix of the skipBad documents")
    let skipped = skipping.reader?.skipped ?? SkipReport()
    if let error = strict.error as? CorpusError {
        fuzzCheck(skipped.examples.first == error.description,
                  "first skipped example \(skipped.examples.first ?? "none") is not the strict error \(error)")
    } else if strict.error == nil {
        fuzzCheck(skipped.total == 0 && skipping.documents == strict.documents, "skipBad changed a clean read")
    }
    for (k, document) in skipping.documents.enumerated() where k > 0 {
        fuzzCheck(document.record > skipping.documents[k - 1].record, "record numbers out of order")
    }

    if !zstd {
        let lines = naiveLines(input)
        let records = lines.filter { !isBlank($0.bytes) }.count
        if skipping.error == nil {
            fuzzCheck(skipping.documents.count + skipped.total == records,
                      "\(skipping.documents.count) documents + \(skipped.total) skipped != \(records) records")
            for document in skipping.documents {
                fuzzCheck(document.record < records, "record \(document.record) of \(records)")
                let line = lines[document.line - 1]
                fuzzCheck(line.offset == document.byteOffset, "document byte offset \(document.byteOffset), line at \(line.offset)")
            }
        }
        // LineReader against the naive split, with a tiny buffer and odd read sizes.
        let reader = LineReader(source: MemorySource(input, chunks: chunkPattern(input.first ?? 0)), bufferSize: 16)
        var k = 0
        var parser = JSONLineParser()
        do {
            while let line = try reader.next() {
                fuzzCheck(k < lines.count, "LineReader returned more lines than the naive split")
                fuzzCheck(Array(line.bytes) == lines[k].bytes && line.number == k + 1 && line.byteOffset == lines[k].offset,
                          "LineReader line \(k + 1) differs from the naive split")
                _ = try? parser.parse(line.bytes)
                k += 1
            }
        } catch {
            fuzzFailure("LineReader over memory threw \(error)")
        }
        fuzzCheck(k == lines.count, "LineReader returned \(k) lines, naive split \(lines.count)")
        fuzzCheck(reader.bytesRead == input.count, "LineReader read \(reader.bytesRead) of \(input.count) bytes")
    }
    return 0
}

@main
enum FuzzJSONL {
    static func main() { runFuzzer(fuzzOne) }
}
