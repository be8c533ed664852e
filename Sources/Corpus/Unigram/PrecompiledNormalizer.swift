// PrecompiledNormalizer.swift — the `Precompiled` normalizer of a tokenizer.json
// (`normalizers/precompiled.rs` with the `spm_precompiled` crate): SentencePiece's compiled rules
// (`PrecompiledCharsmap`) applied as the library applies them, which is not how SentencePiece does:
//
// for each extended grapheme cluster of the text: if it is shorter than 6 bytes and some prefix of
// it has a rule, the whole cluster becomes the replacement of the shortest such prefix; otherwise
// each character is replaced by its own rule, or kept. (Swift's `Character` is an extended
// grapheme cluster, as the library's `unicode-segmentation` `graphemes(true)`.)
//
// Speed: ASCII text is mostly clusters of one byte, whose replacement comes from a 128-entry table;
// only stretches around non-ASCII characters (and CR LF) are segmented as `Character`s. Between two
// ASCII bytes other than CR LF there is always a cluster boundary (GB3–GB5, GB9–GB9b need a
// non-ASCII character on one side), so cutting there segments as the whole text would.

import Support

/// `Precompiled`: SentencePiece normalization rules from the file's `precompiled_charsmap`.
struct PrecompiledNormalizer: NormalizerStep {
    let charsmap: PrecompiledCharsmap
    /// The replacement of each ASCII byte as a cluster of its own, or nil (no rule).
    private let asciiReplacement: [[UInt8]?]

    /// Reads `precompiled_charsmap` (base64).
    /// - Throws: `invalidDefinition` naming the key path when it is missing, not base64, or not a
    ///   usable charsmap.
    init(_ json: JSONValue, file: TokenizerFile, at keyPath: String) throws {
        guard let text = try file.string(json, "precompiled_charsmap", at: keyPath, default: nil) else {
            throw file.problem("`\(keyPath).precompiled_charsmap` is missing")
        }
        guard let blob = Base64.decode(text) else {
            throw file.problem("`\(keyPath).precompiled_charsmap` is not standard padded base64")
        }
        do {
            try self.init(charsmap: PrecompiledCharsmap(blob))
        } catch let problem as PrecompiledCharsmap.Problem {
            throw file.problem("`\(keyPath).precompiled_charsmap` \(problem); regenerate the file from its SentencePiece model")
        }
    }

    init(charsmap: PrecompiledCharsmap) {
        self.charsmap = charsmap
        asciiReplacement = (0..<128).map { byte in
            [UInt8(byte)].withUnsafeBufferPointer { charsmap.replacement($0).map(Array.init) }
        }
    }

    func normalize(_ text: inout [UInt8]) {
        var output: [UInt8] = []
        output.reserveCapacity(text.count + text.count / 8)
        text.withUnsafeBufferPointer { bytes in
            let n = bytes.count
            var i = 0
            while i < n {
                let byte = bytes[i]
                if byte < 0x80, i + 1 == n || (bytes[i + 1] < 0x80 && !(byte == 0x0D && bytes[i + 1] == 0x0A)) {
                    if let replacement = asciiReplacement[Int(byte)] { output += replacement } else { output.append(byte) }
                    i += 1
                    continue
                }
                // A stretch that starts at a cluster boundary and ends at the next boundary between
                // two ASCII bytes (other than CR LF), or at the end.
                var end = i + 1
                while end < n, !(bytes[end - 1] < 0x80 && bytes[end] < 0x80 && !(bytes[end - 1] == 0x0D && bytes[end] == 0x0A)) { end += 1 }
                normalizeClusters(UnsafeBufferPointer(rebasing: bytes[i..<end]), into: &output)
                i = end
            }
        }
        text = output
    }

    /// The library's per-cluster rule over `bytes` (valid UTF-8 starting at a cluster boundary).
    private func normalizeClusters(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        let string = String(decoding: bytes, as: UTF8.self)
        guard string.utf8.count == bytes.count else {
            // Not valid UTF-8 (no normalizer produces that): work on the repaired text instead.
            return Array(string.utf8).withUnsafeBufferPointer { normalizeClusters($0, into: &output) }
        }
        var offset = 0
        for cluster in string {
            let count = cluster.utf8.count
            let clusterBytes = UnsafeBufferPointer(rebasing: bytes[offset..<offset + count])
            offset += count
            if count < 6, let replacement = charsmap.replacement(clusterBytes) {
                output += replacement
                continue
            }
            var i = 0
            while i < count {
                let length = min(UnigramWorker.characterLength(clusterBytes[i]), count - i)
                let character = UnsafeBufferPointer(rebasing: clusterBytes[i..<i + length])
                if let replacement = charsmap.replacement(character) { output += replacement } else { output += character }
                i += length
            }
        }
    }
}
