// GroupLossAccumulator.swift — per-group held-out loss (issue 17 item 2): the evaluated rows'
// loss sums and counted positions (`GPTModel.rowLosses`, from the evaluation's own forward pass),
// added up per group of each `SampleGroups` field by the rows' sample ids. A group's loss is
// Σ its rows' loss sums / Σ their positions, so the groups of one field, weighted by positions,
// give back the overall positions-weighted mean.

import CorpusIndex
import Model

/// Sums of evaluated rows' losses and positions, per field and group.
struct GroupLossAccumulator {
    private let groups: [SampleGroups]
    private var sums: [[Double]], weights: [[Double]]

    init(groups: [SampleGroups]) {
        self.groups = groups
        sums = groups.map { [Double](repeating: 0, count: $0.names.count) }
        weights = sums
    }

    /// Adds one batch's rows, row r being sample `ids[r]`.
    /// - Throws: `TrainingError.invalidConfig` when there are groups and the rows have no ids,
    ///   or an id outside the groups' samples.
    mutating func add(_ rows: [RowLoss], ids: [Int]?) throws {
        guard !groups.isEmpty else { return }
        guard let ids, ids.count == rows.count else {
            throw TrainingError.invalidConfig(["per-group evaluation needs the sample id of every held-out row, and the held-out source gives none"])
        }
        for (f, field) in groups.enumerated() {
            for (row, id) in zip(rows, ids) {
                guard id >= 0 && id < field.sampleGroup.count else {
                    throw TrainingError.invalidConfig(["held-out sample \(id) has no group of field \"\(field.field)\" "
                        + "(\(field.sampleGroup.count) samples); rebuild the index with its groups"])
                }
                let g = Int(field.sampleGroup[id])
                sums[f][g] += row.lossSum
                weights[f][g] += row.positions
            }
        }
    }

    /// Per field, per group with counted positions, its loss; nil without groups.
    var record: [String: [String: GroupLoss]]? {
        guard !groups.isEmpty else { return nil }
        var out: [String: [String: GroupLoss]] = [:]
        for (f, field) in groups.enumerated() {
            var perGroup: [String: GroupLoss] = [:]
            for (g, name) in field.names.enumerated() where weights[f][g] > 0 {
                perGroup[name] = GroupLoss(loss: sums[f][g] / weights[f][g], positions: Int(weights[f][g].rounded()))
            }
            out[field.field] = perGroup
        }
        return out
    }
}
