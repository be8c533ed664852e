// SyntheticCorpus.swift — the generated corpus of `gradus bench index` (issue 3 item 10):
// documents of uniform length in [minLength, maxLength] with Zipf(1)-distributed token ids over
// a vocabulary, from a fixed seed, written as a Megatron uint16/uint32 .bin/.idx document dataset
// (spec §3.1) streaming, so generating 2 000 000 documents needs no memory per document.

import Foundation

public enum SyntheticCorpus {
    /// Writes `prefix.bin` and `prefix.idx`; returns the number of tokens.
    public static func writeMegatron(prefix: String, documents: Int, vocabularySize: Int = 50_000,
                                     lengths: ClosedRange<Int> = 16...2048, seed: UInt64 = 1234) throws -> Int {
        let wide = vocabularySize > 65_536
        let cdf = zipfCDF(vocabularySize)
        var rng = SplitMix64(seed: seed)
        guard FileManager.default.createFile(atPath: prefix + ".bin", contents: nil),
              let bin = FileHandle(forWritingAtPath: prefix + ".bin") else {
            throw IndexError.notWritable(path: prefix + ".bin", reason: "cannot create the file")
        }
        var sizes = [Int32](), buffer = [UInt8]()
        sizes.reserveCapacity(documents)
        var total = 0
        for _ in 0..<documents {
            let n = lengths.lowerBound + Int(rng.next() % UInt64(lengths.count))
            for _ in 0..<n {
                let u = Double(rng.next() >> 11) / Double(1 << 53)
                let t = UInt32(lowerBound(cdf, u))
                if wide { appendLE(t, &buffer) } else { appendLE(UInt16(t), &buffer) }
            }
            sizes.append(Int32(n))
            total += n
            if buffer.count >= 1 << 22 { try bin.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
        }
        try bin.write(contentsOf: buffer)
        try bin.close()
        try writeIndex(prefix + ".idx", sizes: sizes, itemSize: wide ? 4 : 2, dtypeCode: wide ? 7 : 6)
        return total
    }

    /// The `.idx` of a dataset with one document per item (spec §3.1 layout).
    static func writeIndex(_ path: String, sizes: [Int32], itemSize: Int, dtypeCode: UInt8) throws {
        var idx: [UInt8] = [0x4D, 0x4D, 0x49, 0x44, 0x49, 0x44, 0x58, 0x00, 0x00]
        appendLE(UInt64(1), &idx)
        idx.append(dtypeCode)
        appendLE(UInt64(sizes.count), &idx)
        appendLE(UInt64(sizes.count + 1), &idx)
        for s in sizes { appendLE(s, &idx) }
        var pointer: Int64 = 0
        for s in sizes { appendLE(pointer, &idx); pointer += Int64(s) * Int64(itemSize) }
        for d in 0...sizes.count { appendLE(Int64(d), &idx) }
        guard FileManager.default.createFile(atPath: path, contents: Data(idx)) else {
            throw IndexError.notWritable(path: path, reason: "cannot create the file")
        }
    }

    private static func zipfCDF(_ n: Int) -> [Double] {
        var cdf = [Double](repeating: 0, count: n)
        var sum = 0.0
        for k in 0..<n { sum += 1.0 / Double(k + 1); cdf[k] = sum }
        return cdf.map { $0 / sum }
    }

    private static func lowerBound(_ cdf: [Double], _ u: Double) -> Int {
        var lo = 0, hi = cdf.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
        return lo
    }
}

/// SplitMix64: a small, fast, seedable generator (fixed sequence for a seed).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
