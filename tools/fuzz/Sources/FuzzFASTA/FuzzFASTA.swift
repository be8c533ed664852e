// FuzzFASTA.swift — libFuzzer target `fasta`: the FASTA and plain-text readers. The first input
// byte picks the format ('T' text per line, 'P' text per paragraph, anything else FASTA); the
// rest is the file, read by `CorpusReader` strictly and with `skipBad`.
//
// Invariants beyond "no crash, no ASan report":
// - strict reading throws only `CorpusError` (`ZstdError` for zstd input); `skipBad` reading
//   never throws `CorpusError`, and its documents start with the strict reader's documents;
// - the strict reader's error is the first skipped example;
// - FASTA documents are non-empty and contain only upper-case letters, '-' and '*'; text
//   documents are non-blank.

import Corpus
import FuzzSupport
import Storage

let path = scratchPath("input")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let all = bytes(data, size)
    guard let mode = all.first else { return 0 }
    let input = Array(all.dropFirst())
    writeScratch(path, input)
    let zstd = isZstdFrameStart(Array(input.prefix(4)))
    let format: CorpusFormat = mode == UInt8(ascii: "T") || mode == UInt8(ascii: "P") ? .text : .fasta
    let paragraphs = mode == UInt8(ascii: "P")

    func readAll(skipBad: Bool) -> (documents: [Document], error: Error?, skipped: SkipReport) {
        var documents: [Document] = []
        var reader: CorpusReader?
        do {
            reader = try CorpusReader(path: path, options: ReaderOptions(paragraphs: paragraphs, skipBad: skipBad, format: format))
            while let document = try reader!.next() { documents.append(document) }
            return (documents, nil, reader!.skipped)
        } catch {
            return (documents, error, reader?.skipped ?? SkipReport())
        }
    }

    let strict = readAll(skipBad: false)
    let skipping = readAll(skipBad: true)
    switch strict.error {
    case nil, is CorpusError: break
    case is ZstdError: fuzzCheck(zstd, "ZstdError for plain input")
    default: fuzzFailure("strict read threw \(type(of: strict.error!)): \(strict.error!)")
    }
    if let error = skipping.error {
        fuzzCheck(zstd && error is ZstdError, "skipBad read threw \(error)")
    }
    fuzzCheck(skipping.documents.starts(with: strict.documents), "strict documents are not a prefix of the skipBad documents")
    if let error = strict.error as? CorpusError {
        fuzzCheck(skipping.skipped.examples.first == error.description, "strict error is not the first skipped example")
    }
    for document in skipping.documents {
        if format == .fasta {
            // Only one terminal '*' is stripped, so "WY**" gives "WY*": a '*' at the end is allowed.
            fuzzCheck(!document.text.isEmpty, "FASTA document \(document.record) is empty")
            fuzzCheck(document.text.utf8.allSatisfy { (0x41...0x5A).contains($0) || $0 == 0x2D || $0 == 0x2A },
                      "FASTA document \(document.record) has a non-residue byte")
        } else {
            fuzzCheck(document.text.utf8.contains { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) },
                      "blank text document \(document.record)")
        }
    }
    return 0
}

@main
enum FuzzFASTA {
    static func main() { runFuzzer(fuzzOne) }
}
