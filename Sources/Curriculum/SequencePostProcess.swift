// SequencePostProcess.swift — the sequence-length curricula that act on served batches (spec §8):
// GPT `seqlen_truncate` and `seqlen_reshape` (§8.1, Megatron-DeepSpeed `pretrain_gpt.py`), and
// BERT's effective length (§8.2). Pure functions over token rows; a GPT row holds S + 1 tokens
// (inputs plus the shifted label).

/// Which post-processing was applied to a batch.
public enum SequenceCurriculumKind: String, Sendable, Codable {
    case truncate = "seqlen_truncate"
    case reshape = "seqlen_reshape"
}

public enum SequencePostProcess {
    /// `seqlen_truncate` with difficulty c: keep `row[0...c]` when c < S, else unchanged.
    /// - Throws: when a row is not S + 1 tokens long.
    public static func truncate<T>(_ rows: [[T]], difficulty c: Int, sequenceLength s: Int) throws -> [[T]] {
        try checkShape(rows, s)
        guard c < s else { return rows }
        return rows.map { Array($0[0...max(0, c)]) }
    }

    /// `seqlen_reshape` with difficulty c (spec §8.1): with R = c + 1, each row's first
    /// ⌊(S+1)/R⌋·R tokens cut into R-long rows (sample-major), then each sample's tail
    /// `row[S+1−R ..< S+1]`; keep the first min(⌈B(S+1)/R⌉, B·k + B) rows, minus one if that is odd
    /// and > 1. Unchanged when c ≥ S.
    public static func reshape<T>(_ rows: [[T]], difficulty c: Int, sequenceLength s: Int) throws -> [[T]] {
        try checkShape(rows, s)
        guard c < s, c >= 0 else { return rows }
        let r = c + 1, b = rows.count
        let k = (s + 1) / r
        var out: [[T]] = []
        out.reserveCapacity(b * k + b)
        for row in rows {
            for j in 0..<k { out.append(Array(row[(j * r)..<((j + 1) * r)])) }
        }
        for row in rows { out.append(Array(row[(s + 1 - r)..<(s + 1)])) }
        let n0 = b * (s + 1)
        var keep = min((n0 + r - 1) / r, b * k + b)
        if keep > 1, keep % 2 == 1 { keep -= 1 }
        return Array(out.prefix(keep))
    }

    /// GPT `data_post_process`: `seqlen_truncate` wins over `seqlen_reshape` when both are present;
    /// neither leaves the batch unchanged (kind nil).
    public static func apply<T>(_ rows: [[T]], difficulties: [String: Double], sequenceLength s: Int) throws
        -> (rows: [[T]], kind: SequenceCurriculumKind?) {
        if let c = difficulties[SequenceCurriculumKind.truncate.rawValue] {
            return (try truncate(rows, difficulty: Int(c), sequenceLength: s), .truncate)
        }
        if let c = difficulties[SequenceCurriculumKind.reshape.rawValue] {
            return (try reshape(rows, difficulty: Int(c), sequenceLength: s), .reshape)
        }
        return (rows, nil)
    }

    /// BERT's effective length (spec §8.2): the `seqlen_truncate` difficulty if present, else the
    /// largest real-token count of the micro-batch (all-reduced MAX over ranks by the caller),
    /// rounded up to a multiple of 8, capped at S (no truncation when ≥ S).
    public static func bertEffectiveLength(truncateDifficulty: Int?, realTokenCounts: [Int], sequenceLength s: Int) -> Int {
        let e = truncateDifficulty ?? (realTokenCounts.max() ?? s)
        let rounded = (e + 7) / 8 * 8
        return min(rounded, s)
    }

    private static func checkShape<T>(_ rows: [[T]], _ s: Int) throws {
        guard s > 0 else { throw CurriculumError.invalidArgument("sequence length must be > 0") }
        if let bad = rows.firstIndex(where: { $0.count != s + 1 }) {
            throw CurriculumError.invalidArgument("row \(bad) has \(rows[bad].count) tokens, expected S + 1 = \(s + 1)")
        }
    }
}
