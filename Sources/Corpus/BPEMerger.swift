// BPEMerger.swift — BPE merging of one pre-token, with the result Hugging Face tokenizers' `Word::
// merge_all` gives (issue 2, item 4; `models/bpe/word.rs`): repeatedly merge the adjacent pair of
// lowest merge rank, the leftmost one on ties, until no adjacent pair has a merge.
//
// Two implementations of that rule: a quadratic scan over an array of pair ranks for short words
// (almost all words; no heap, tiny constant), and HF's own priority-queue algorithm over a linked
// list of symbols for long ones (a CJK sentence without spaces is one pre-token of thousands of
// bytes). They agree whenever no two merges produce the same token — always true for a trained
// file; `MergeTable.hasAmbiguousResults` detects the exception, and then only the HF algorithm
// (which checks a queue entry's validity by its result id, as HF does) is used.

/// Open-addressing hash table from an id pair to (rank, merged id). Immutable after `init`.
final class MergeTable: @unchecked Sendable {
    private static let emptyKey = UInt64.max
    private let keys: UnsafeMutablePointer<UInt64>
    /// `rank << 32 | mergedID`.
    private let values: UnsafeMutablePointer<UInt64>
    private let mask: Int
    /// Some merged id is the result of two different pairs.
    let hasAmbiguousResults: Bool

    /// `merges[r]` = (left, right, merged) has rank `r`; a later duplicate pair overrides an
    /// earlier one (as HF's hash-map construction does).
    init(merges: [(TokenID, TokenID, TokenID)]) {
        var slotCount = 16
        while slotCount < merges.count * 2 { slotCount <<= 1 }
        mask = slotCount - 1
        keys = .allocate(capacity: slotCount)
        keys.initialize(repeating: MergeTable.emptyKey, count: slotCount)
        values = .allocate(capacity: slotCount)
        values.initialize(repeating: 0, count: slotCount)
        for (rank, merge) in merges.enumerated() {
            let key = UInt64(merge.0) << 32 | UInt64(merge.1)
            var index = MergeTable.slot(key, mask)
            while keys[index] != MergeTable.emptyKey && keys[index] != key { index = (index + 1) & mask }
            keys[index] = key
            values[index] = UInt64(rank) << 32 | UInt64(merge.2)
        }
        var resultPair: [TokenID: UInt64] = [:]
        var ambiguous = false
        for i in 0...mask where keys[i] != MergeTable.emptyKey {
            let result = TokenID(truncatingIfNeeded: values[i])
            if let other = resultPair[result], other != keys[i] { ambiguous = true }
            resultPair[result] = keys[i]
        }
        hasAmbiguousResults = ambiguous
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// `rank << 32 | mergedID` for the pair, or `UInt64.max` when the pair has no merge.
    @inline(__always)
    func lookup(_ left: TokenID, _ right: TokenID) -> UInt64 {
        let key = UInt64(left) << 32 | UInt64(right)
        var index = MergeTable.slot(key, mask)
        while true {
            let k = keys[index]
            if k == key { return values[index] }
            if k == MergeTable.emptyKey { return UInt64.max }
            index = (index + 1) & mask
        }
    }
}

/// Scratch space and the two merge algorithms; one per encoder.
struct BPEMerger {
    /// Words of at most this many symbols use the array scan.
    static let scanLimit = 48

    private var ranks: [UInt64] = []
    // Linked-list symbols for the queue algorithm (HF's `Symbol`): id, prev, next, alive.
    private var symbolPrev: [Int32] = []
    private var symbolNext: [Int32] = []
    private var symbolAlive: [Bool] = []
    private var heap: [(key: UInt64, result: TokenID)] = []

    init() {}

    /// Merges `symbols` in place (it shrinks to the final ids).
    mutating func merge(_ symbols: inout [TokenID], table: MergeTable) {
        if symbols.count < 2 { return }
        if symbols.count <= BPEMerger.scanLimit && !table.hasAmbiguousResults {
            mergeByScan(&symbols, table: table)
        } else {
            mergeByQueue(&symbols, table: table)
        }
    }

    /// Quadratic scan: `ranks[k]` is the merge of (symbols[k], symbols[k+1]); take the minimum
    /// (leftmost on ties: ranks are unique per pair and the comparison is strict), merge, update
    /// the two neighbouring ranks.
    /// - Complexity: O(n²) for n symbols, with a tiny constant (no hashing after the first pass).
    mutating func mergeByScan(_ symbols: inout [TokenID], table: MergeTable) {
        let n = symbols.count
        if ranks.count < n { ranks = [UInt64](repeating: 0, count: max(n, 64)) }
        let kept = symbols.withUnsafeMutableBufferPointer { s in
            ranks.withUnsafeMutableBufferPointer { r in
                BPEMerger.scanMerge(s.baseAddress!, r.baseAddress!, n, table)
            }
        }
        symbols.removeLast(n - kept)
    }

    /// `mergeByScan` on raw storage: `s` holds `n` symbols, `r` has room for `n` ranks. Returns
    /// the number of symbols left in `s`.
    private static func scanMerge(_ s: UnsafeMutablePointer<TokenID>, _ r: UnsafeMutablePointer<UInt64>,
                                  _ n: Int, _ table: MergeTable) -> Int {
        var m = n
        for k in 0..<(m - 1) { r[k] = table.lookup(s[k], s[k + 1]) }
        while m > 1 {
            var best = UInt64.max
            var bestIndex = -1
            for k in 0..<(m - 1) where r[k] < best {
                best = r[k]
                bestIndex = k
            }
            if bestIndex < 0 { break }
            s[bestIndex] = TokenID(truncatingIfNeeded: best)
            // Drop symbol bestIndex+1 and pair bestIndex (its old right pair is recomputed below).
            var k = bestIndex + 1
            while k < m - 1 { s[k] = s[k + 1]; r[k - 1] = r[k]; k += 1 }
            m -= 1
            if bestIndex > 0 { r[bestIndex - 1] = table.lookup(s[bestIndex - 1], s[bestIndex]) }
            if bestIndex < m - 1 { r[bestIndex] = table.lookup(s[bestIndex], s[bestIndex + 1]) }
        }
        return m
    }

    /// HF's algorithm: a min-queue of (rank, position, result); a popped entry is applied only if
    /// its left symbol is alive, has a right neighbour, and that pair still merges to `result`.
    /// - Complexity: O(n log n) for n symbols.
    mutating func mergeByQueue(_ symbols: inout [TokenID], table: MergeTable) {
        let n = symbols.count
        symbolPrev.removeAll(keepingCapacity: true)
        symbolNext.removeAll(keepingCapacity: true)
        symbolAlive.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for k in 0..<n {
            symbolPrev.append(Int32(k - 1))
            symbolNext.append(k + 1 < n ? Int32(k + 1) : -1)
            symbolAlive.append(true)
        }
        for k in 0..<(n - 1) { push(table.lookup(symbols[k], symbols[k + 1]), position: k) }
        while let top = popMin() {
            let pos = Int(top.key & 0xFFFF_FFFF)
            guard symbolAlive[pos], symbolNext[pos] >= 0 else { continue }
            let right = Int(symbolNext[pos])
            let current = table.lookup(symbols[pos], symbols[right])
            guard current != UInt64.max, TokenID(truncatingIfNeeded: current) == top.result else { continue }
            symbols[pos] = top.result
            symbolAlive[right] = false
            symbolNext[pos] = symbolNext[right]
            if symbolNext[right] >= 0 { symbolPrev[Int(symbolNext[right])] = Int32(pos) }
            if symbolPrev[pos] >= 0 {
                let prev = Int(symbolPrev[pos])
                push(table.lookup(symbols[prev], symbols[pos]), position: prev)
            }
            if symbolNext[pos] >= 0 { push(table.lookup(symbols[pos], symbols[Int(symbolNext[pos])]), position: pos) }
        }
        var write = 0
        for k in 0..<n where symbolAlive[k] {
            symbols[write] = symbols[k]
            write += 1
        }
        symbols.removeLast(n - write)
    }

    /// Pushes the merge `value` (from `MergeTable.lookup`) of the pair starting at `position`.
    private mutating func push(_ value: UInt64, position: Int) {
        guard value != UInt64.max else { return }
        let key = (value >> 32) << 32 | UInt64(position)
        heap.append((key, TokenID(truncatingIfNeeded: value)))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if heap[parent].key <= heap[child].key { break }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    /// Removes and returns the entry with the smallest (rank, position).
    private mutating func popMin() -> (key: UInt64, result: TokenID)? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            if left >= heap.count { break }
            var smallest = left
            if left + 1 < heap.count, heap[left + 1].key < heap[left].key { smallest = left + 1 }
            if heap[parent].key <= heap[smallest].key { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
