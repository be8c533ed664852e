// SequencePostProcess.swift — the sequence-length curricula that act on served batches (spec §8):
// GPT `seqlen_truncate` and `seqlen_reshape` (§8.1, Megatron-DeepSpeed `pretrain_gpt.py`), and
// BERT's effective length (§8.2). Pure arithmetic: a GPT batch is B rows of S + 1 tokens (inputs
// plus the shifted label), and the post-processed batch is described as slices of it
// (`SequenceLayout`), so a caller copies tokens once, from wherever they are, into its own buffer.

/// Which post-processing was applied to a batch.
public enum SequenceCurriculumKind: String, Sendable, Codable {
    case truncate = "seqlen_truncate"
    case reshape = "seqlen_reshape"
}

/// The rows of a post-processed batch: row i is `source[starts[i] ..< starts[i] + width]` of the
/// row-major B × (S + 1) source batch.
public struct SequenceLayout: Equatable, Sendable {
    /// Tokens per row (T + 1).
    public var width: Int
    /// Where each row starts in the source batch.
    public var starts: [Int]
    /// Rows of the post-processed batch.
    public var rows: Int { starts.count }
    /// Tokens served: rows × T.
    public var servedTokens: Int { rows * (width - 1) }
}

public enum SequencePostProcess {
    /// GPT `data_post_process`'s choice among metric names: `seqlen_truncate` wins over
    /// `seqlen_reshape` (the `if`/`elif` order); nil for neither.
    public static func kind(of metricNames: some Sequence<String>) -> SequenceCurriculumKind? {
        let names = Set(metricNames)
        if names.contains(SequenceCurriculumKind.truncate.rawValue) { return .truncate }
        return names.contains(SequenceCurriculumKind.reshape.rawValue) ? .reshape : nil
    }

    /// The layout of B rows of S + 1 tokens after `kind` at difficulty c (spec §8.1); unchanged
    /// for no kind or c ≥ S. `seqlen_truncate`: each row's first c + 1 tokens. `seqlen_reshape`:
    /// with R = c + 1 and k = ⌊(S+1)/R⌋, each row's first k·R tokens cut into R-long rows
    /// (sample-major), then each sample's tail `row[S+1−R ..< S+1]`; the first
    /// min(⌈B(S+1)/R⌉, B·k + B) rows are kept, minus one if that is odd and > 1.
    /// - Precondition: b ≥ 0, s ≥ 1.
    public static func layout(batch b: Int, sequenceLength s: Int, kind: SequenceCurriculumKind?,
                              difficulty c: Int) -> SequenceLayout {
        precondition(b >= 0 && s >= 1, "a batch needs a sequence length of at least 1")
        let w = s + 1
        let whole = (0..<b).map { $0 * w }
        guard let kind, c < s else { return SequenceLayout(width: w, starts: whole) }
        let r = max(0, c) + 1
        if kind == .truncate { return SequenceLayout(width: r, starts: whole) }
        let k = w / r
        var starts = whole.flatMap { row in (0..<k).map { row + $0 * r } } + whole.map { $0 + w - r }
        var keep = min((b * w + r - 1) / r, b * k + b)
        if keep > 1, keep % 2 == 1 { keep -= 1 }
        starts.removeLast(starts.count - keep)
        return SequenceLayout(width: r, starts: starts)
    }

    /// BERT's effective length (spec §8.2): the `seqlen_truncate` difficulty if present, else the
    /// largest real-token count of the micro-batch (all-reduced MAX over ranks by the caller),
    /// rounded up to a multiple of 8, capped at S (no truncation when ≥ S).
    public static func bertEffectiveLength(truncateDifficulty: Int?, realTokenCounts: [Int], sequenceLength s: Int) -> Int {
        let e = truncateDifficulty ?? (realTokenCounts.max() ?? s)
        let rounded = (e + 7) / 8 * 8
        return min(rounded, s)
    }
}
