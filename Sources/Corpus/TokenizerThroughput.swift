// TokenizerThroughput.swift — measures a tokenizer's encoding speed on documents held in memory
// (issue 2 item 7, `gradus bench tokenize`). Reading and decompression are excluded, as in the
// reference measurement of the Python `tokenizers` library (tools/bench_hf_tokenizers.py).

import Support
#if canImport(Glibc)
import Glibc
#endif

/// Documents packed into one byte buffer: document i is `bytes[offsets[i]..<offsets[i+1]]`.
public struct PackedTexts: Sendable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var offsets: [Int] = [0]

    public init() {}

    public var count: Int { offsets.count - 1 }

    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        offsets.append(bytes.count)
    }

    /// Calls `body` with the UTF-8 bytes of document `i`.
    public func withDocument<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[offsets[i]..<offsets[i + 1]]))
        }
    }
}

/// One measurement: `threads` workers encoding every document once.
public struct ThroughputResult: Sendable {
    public var documents: Int
    public var bytes: Int
    public var tokens: Int
    public var seconds: Double
    public var threads: Int

    public var megabytesPerSecond: Double { Double(bytes) / seconds / 1e6 }
    public var tokensPerSecond: Double { Double(tokens) / seconds }
}

/// Monotonic clock in seconds.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

public enum TokenizerThroughput {
    /// Encodes every document of `texts` with `threads` workers (contiguous slices, one encoder
    /// and one reused output buffer each) and times the whole pass.
    public static func measure(_ tokenizer: any Tokenizer, texts: PackedTexts, threads: Int) throws -> ThroughputResult {
        let slices = splitRange(texts.count, parts: threads)
        var tokenCounts = [Int](repeating: 0, count: threads)
        var failures = [(any Error)?](repeating: nil, count: threads)
        let start = monotonicSeconds()
        tokenCounts.withUnsafeMutableBufferPointer { counts in
            failures.withUnsafeMutableBufferPointer { errors in
                let counts = UncheckedSendable(counts), errors = UncheckedSendable(errors)
                parallelFor(threads) { w in
                    let encoder = tokenizer.makeEncoder()
                    var output: [TokenID] = []
                    output.reserveCapacity(1 << 16)
                    var total = 0
                    do {
                        for i in slices[w] {
                            output.removeAll(keepingCapacity: true)
                            try texts.withDocument(i) { try encoder.encode($0, into: &output) }
                            total += output.count
                        }
                    } catch {
                        errors.value[w] = error
                    }
                    counts.value[w] = total
                }
            }
        }
        let seconds = monotonicSeconds() - start
        if let error = failures.compactMap({ $0 }).first { throw error }
        return ThroughputResult(documents: texts.count, bytes: texts.bytes.count,
                                tokens: tokenCounts.reduce(0, +), seconds: seconds, threads: threads)
    }
}
