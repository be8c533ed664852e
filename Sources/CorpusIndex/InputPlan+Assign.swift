// InputPlan+Assign.swift — which shard reads which pieces (issue 16 item 2): deterministic and
// balanced by on-disk size, with greedy longest-processing-time-first scheduling.

extension InputPlan {
    /// Assigns `pieces` to `shards` shards: pieces by size descending (ties by position) each go
    /// to the least-loaded shard (ties to the lowest shard). Returns, per shard, its pieces'
    /// positions in `pieces` in corpus order (ascending). The same pieces and shard count always
    /// give the same assignment, and the largest load exceeds the smallest by at most the largest
    /// piece (each piece goes to the least-loaded shard, so no gap ever grows past the piece added).
    /// - Precondition: `shards >= 1`.
    public static func assign(pieces: [InputPiece], shards: Int) -> [[Int]] {
        precondition(shards >= 1, "assign needs at least one shard")
        let order = pieces.indices.sorted { pieces[$0].size != pieces[$1].size ? pieces[$0].size > pieces[$1].size : $0 < $1 }
        var loads = [Int](repeating: 0, count: shards)
        var assigned = [[Int]](repeating: [], count: shards)
        for piece in order {
            var target = 0
            for shard in 1..<shards where loads[shard] < loads[target] { target = shard }
            loads[target] += pieces[piece].size
            assigned[target].append(piece)
        }
        return assigned.map { $0.sorted() }
    }
}
