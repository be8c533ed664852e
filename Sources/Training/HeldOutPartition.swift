// HeldOutPartition.swift — the held-out split stratified by sample group (issue 17 item 2). With
// groups (`SampleGroups`, one per record field), every stratum — the samples sharing one value of
// every field — holds out round(fraction × n) of its n samples, at least one when n ≥ 2 (and the
// fraction is above 0): those with the lowest per-id hash rank (`HeldOutSplit.rank`), so the split
// stays deterministic and independent of order. Evaluation reads the held-out ids interleaved
// across strata in proportion to their sizes, so the first rows it evaluates (`eval_batches` × B
// of them) cover every group. Without groups the split is `HeldOutSplit.split` exactly.

import CorpusIndex

/// Which sample ids are held out for evaluation, and the order evaluation reads them in.
public struct HeldOutPartition: Sendable {
    /// The training ids, ascending.
    public let training: [Int]
    /// The held-out ids in evaluation order: ascending without groups, interleaved across strata
    /// in proportion to their held-out counts with groups.
    public let heldOut: [Int]
    /// The fraction asked for.
    public let fraction: Double
    /// The split seed (`validation_split_seed`; 0: the original split).
    public let seed: UInt64
    /// Per sample id, whether it is held out; nil without groups (the hash decides alone).
    private let membership: [Bool]?

    /// Whether sample `id` is held out (never served for training).
    public func contains(_ id: Int) -> Bool {
        guard let membership else { return HeldOutSplit.isHeldOut(id: id, fraction: fraction, seed: seed) }
        return id >= 0 && id < membership.count && membership[id]
    }

    /// The split of ids 0..<`count`: `HeldOutSplit.split` without groups, else stratified by the
    /// combination of every field's group; `seed` chooses the split (`HeldOutSplit.rank`).
    /// - Throws: `TrainingError.invalidConfig` when a field's groups do not cover exactly `count`
    ///   samples (groups of another index).
    public init(count: Int, fraction: Double, groups: [SampleGroups], seed: UInt64 = 0) throws {
        (self.fraction, self.seed) = (fraction, seed)
        guard !groups.isEmpty else {
            let plain = HeldOutSplit.split(count: count, fraction: fraction, seed: seed)
            (training, heldOut, membership) = (plain.training, plain.heldOut, nil)
            return
        }
        let wrong = groups.filter { $0.sampleGroup.count != count }.map {
            "the sample groups of field \"\($0.field)\" cover \($0.sampleGroup.count) samples but the index holds \(count); "
                + "rebuild the index (gradus index --group-field \($0.field))"
        }
        if !wrong.isEmpty { throw TrainingError.invalidConfig(wrong) }
        // A stratum's code: its groups as digits of a mixed radix, the first field most significant,
        // so ascending codes are the strata in lexicographic order of their groups.
        var radix = 1
        for field in groups {
            let (product, overflow) = radix.multipliedReportingOverflow(by: max(1, field.names.count))
            if overflow {
                throw TrainingError.invalidConfig(["the group fields \(groups.map(\.field).joined(separator: ", ")) have too many "
                    + "combinations of groups to stratify by; index with fewer --group-field fields"])
            }
            radix = product
        }
        var strata: [Int: [Int]] = [:]
        for id in 0..<count {
            strata[groups.reduce(0) { $0 * max(1, $1.names.count) + Int($1.sampleGroup[id]) }, default: []].append(id)
        }
        var held = [Bool](repeating: false, count: count)
        var slots: [(key: Double, stratum: Int, id: Int)] = []
        for (s, code) in strata.keys.sorted().enumerated() {
            let ids = strata[code]!
            let chosen = ids.map { (rank: HeldOutSplit.rank(id: $0, seed: seed), id: $0) }.sorted { ($0.rank, $0.id) < ($1.rank, $1.id) }
                .prefix(Self.heldOutCount(of: ids.count, fraction: fraction)).map(\.id).sorted()
            for (j, id) in chosen.enumerated() {
                held[id] = true
                slots.append(((Double(j) + 0.5) / Double(chosen.count), s, id))
            }
        }
        slots.sort { ($0.key, $0.stratum) < ($1.key, $1.stratum) }
        heldOut = slots.map(\.id)
        training = (0..<count).filter { !held[$0] }
        membership = held
    }

    /// Samples a stratum of `n` holds out: round(fraction × n) (halves away from zero), raised to
    /// 1 when n ≥ 2 and the fraction is above 0.
    public static func heldOutCount(of n: Int, fraction: Double) -> Int {
        let k = min(n, Int((fraction * Double(n)).rounded()))
        return k == 0 && n >= 2 && fraction > 0 ? 1 : k
    }
}
