// FuzzBPE.swift — libFuzzer target `bpe`: the byte-level BPE tokenizer. The first byte picks the
// mode (seeds: tools/fuzz/seeds/bpe, written by tools/gen_bad_inputs.py):
// - even: the rest is a `tokenizer.json`, loaded with `BPETokenizer(contentsOf:)`;
// - odd: the rest is text, encoded with the shipped corpora/tokenizer.json.
//
// Invariants checked beyond "no crash, no ASan report":
// - loading throws only `TokenizerError.invalidDefinition` naming the file (or a `FileError`);
// - a tokenizer that loads encodes a fixed probe text and the fuzzed text's bytes into ids that
//   are all < vocabularySize, and `decode` accepts every id it produced;
// - with the shipped tokenizer, encoding any bytes never throws (byte-level BPE covers every
//   byte); for valid UTF-8 without special-token text decode(encode(x)) == x, and two encoders
//   (fresh and reused, so the word cache is exercised) give the same ids.

import Corpus
import FuzzSupport
import Storage

let definitionPath = scratchPath("tokenizer.json")
let shippedPath = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(5)
    .joined(separator: "/") + "/corpora/tokenizer.json"
nonisolated(unsafe) let shipped: BPETokenizer = {
    do { return try BPETokenizer(contentsOf: shippedPath) } catch { fuzzFailure("cannot load \(shippedPath): \(error)") }
}()
nonisolated(unsafe) let reusedEncoder = shipped.makeEncoder()
let probe = Array("Hello the world, then 12 ünïcode \u{4e16} <|endoftext|>\n".utf8)

func encode(_ encoder: any TokenEncoder, _ text: [UInt8]) throws -> [TokenID] {
    var ids: [TokenID] = []
    try text.withUnsafeBufferPointer { try encoder.encode($0, into: &ids) }
    return ids
}

func checkIDs(_ tokenizer: BPETokenizer, _ ids: [TokenID], _ what: String) {
    for id in ids { fuzzCheck(Int(id) < tokenizer.vocabularySize, "\(what): id \(id) >= vocabulary \(tokenizer.vocabularySize)") }
    do { _ = try tokenizer.decode(ids) } catch { fuzzFailure("\(what): decode of produced ids threw \(error)") }
}

func fuzzDefinition(_ input: [UInt8]) {
    writeScratch(definitionPath, input)
    let tokenizer: BPETokenizer
    do {
        tokenizer = try BPETokenizer(contentsOf: definitionPath)
    } catch let TokenizerError.invalidDefinition(path, _) {
        fuzzCheck(path == definitionPath, "invalidDefinition names \(path), not \(definitionPath)")
        return
    } catch is FileError {
        return
    } catch {
        fuzzFailure("loading threw \(type(of: error)): \(error)")
    }
    let encoder = tokenizer.makeEncoder()
    for text in [probe, input] {
        do {
            checkIDs(tokenizer, try encode(encoder, text), "loaded tokenizer")
        } catch is TokenizerError {
            // A tokenizer without some byte in its vocabulary cannot encode it: a clear error is fine.
        } catch {
            fuzzFailure("encode threw \(type(of: error)): \(error)")
        }
    }
}

func fuzzText(_ input: [UInt8]) {
    let ids: [TokenID]
    do { ids = try encode(shipped.makeEncoder(), input) } catch { fuzzFailure("shipped tokenizer: encode threw \(error)") }
    checkIDs(shipped, ids, "shipped tokenizer")
    do {
        let again = try encode(reusedEncoder, input)
        fuzzCheck(again == ids, "a reused encoder gives other ids than a fresh one")
    } catch { fuzzFailure("reused encoder threw \(error)") }
    guard let text = String(validating: input, as: UTF8.self) else { return }
    // Special-token text is encoded as the special token only when it is an added token; its
    // decode is its content, so the round trip still holds.
    do {
        let decoded = try shipped.decode(ids)
        fuzzCheck(decoded == text, "decode(encode(x)) != x for \(text.debugDescription): got \(decoded.debugDescription)")
        fuzzCheck(Array(decoded.utf8) == input, "decode(encode(x)) differs from x in bytes")
    } catch { fuzzFailure("decode threw \(error)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let mode = input.first else { return 0 }
    if mode & 1 == 0 { fuzzDefinition(Array(input.dropFirst())) } else { fuzzText(Array(input.dropFirst())) }
    return 0
}

@main
enum FuzzBPE {
    static func main() { runFuzzer(fuzzOne) }
}
