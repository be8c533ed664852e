// SyntheticCorpus.swift — the generated corpus of `gradus bench index` (issue 3 item 10):
// documents of uniform length in [minLength, maxLength] with Zipf(1)-distributed token ids over
// a vocabulary, from a fixed seed, written through `MegatronTokenDatasetWriter` as a Megatron
// document dataset (uint16 below 65 500 ids, else int32; spec §3.1), streaming, so generating
// 2 000 000 documents needs no memory per document beyond the 12-byte index entry.

import Curriculum
import Support

public enum SyntheticCorpus {
    /// Writes `prefix.bin` and `prefix.idx`; returns the number of tokens.
    /// - Throws: `IndexedDatasetError` if the files cannot be written.
    public static func writeMegatron(prefix: String, documents: Int, vocabularySize: Int = 50_000,
                                     lengths: ClosedRange<Int> = 16...2048, seed: UInt64 = 1234) throws -> Int {
        let cdf = zipfCDF(vocabularySize)
        var rng = SplitMix64(seed: seed)
        let writer = try MegatronTokenDatasetWriter(prefix: prefix, vocabularySize: vocabularySize)
        var tokens = [UInt32]()
        var total = 0
        for _ in 0..<documents {
            let n = lengths.lowerBound + Int(rng.next() % UInt64(lengths.count))
            tokens.removeAll(keepingCapacity: true)
            for _ in 0..<n {
                let u = Double(rng.next() >> 11) / Double(1 << 53)
                tokens.append(UInt32(lowerBound(cdf, u)))
            }
            try writer.addDocument(tokens)
            total += n
        }
        try writer.finalize()
        return total
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
