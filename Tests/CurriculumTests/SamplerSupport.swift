// SamplerSupport.swift — test helpers: metric configs and an independent, deliberately naive
// re-statement of DeepSpeed's cluster creation (spec §6.3) over explicit id sets, used as the
// reference for the admitted set at every step.

import Curriculum

func metric(_ name: String, _ type: DifficultyType = .value, _ clustering: ClusteringType = .scheduleBased,
            pacing: PacingFunction) -> CurriculumMetricConfig {
    CurriculumMetricConfig(name: name, difficultyType: type, clusteringType: clustering, pacing: pacing)
}

/// Spec §6.3 with sets: returns the clusters (in creation order) after each of `steps` steps.
struct NaiveClusters {
    let values: [String: [Double]]
    let metrics: [CurriculumMetricConfig]
    let n: Int

    /// Ids in row order: ascending value, ascending id inside a value.
    func rowOrder(_ name: String) -> [Int] {
        let v = values[name]!
        return (0..<n).sorted { (v[$0], $0) < (v[$1], $1) }
    }

    func byValue(_ name: String, _ a: Double, _ b: Double) -> [Int] {
        let v = values[name]!
        return rowOrder(name).filter { a < v[$0] && v[$0] <= b }
    }

    func byPercentile(_ m: CurriculumMetricConfig, _ a: Double, _ b: Double) -> [Int] {
        let p = m.pacing.maxDifficulty
        let per = Int((Double(n) / p).rounded(.down))
        let start = per * Int(a)
        let end = b == p ? n : per * Int(b)
        let order = rowOrder(m.name)
        guard end > start else { return [] }
        return Array(order[min(start, n)..<min(end, n)])
    }

    func run(steps: Int) -> [[Set<Int>]] {
        var schedulers = metrics.map { CurriculumScheduler(pacing: $0.pacing) }
        var current: [Double?] = Array(repeating: nil, count: metrics.count)
        var clusters: [Set<Int>] = []
        var history: [[Set<Int>]] = []
        let clustering = metrics.indices.filter { metrics[$0].clusteringType == .scheduleBased }
        for s in 1...max(1, steps) {
            let previous = current
            var changed = false
            for i in metrics.indices {
                let d = schedulers[i].update(step: Double(s))
                if current[i] != d { changed = true }
                current[i] = d
            }
            if changed {
                var new: Set<Int>
                if clustering.count >= 2 {
                    new = Set(0..<n)
                    for i in clustering {
                        let m = metrics[i]
                        new.formIntersection(m.difficultyType == .value
                            ? byValue(m.name, -.infinity, current[i]!) : byPercentile(m, 0, current[i]!))
                    }
                    for c in clusters { new.subtract(c) }
                } else if let i = clustering.first {
                    let m = metrics[i]
                    let a = previous[i] ?? (m.difficultyType == .value ? -.infinity : 0)
                    new = Set(m.difficultyType == .value ? byValue(m.name, a, current[i]!) : byPercentile(m, a, current[i]!))
                } else {
                    new = clusters.isEmpty ? Set(0..<n) : []
                }
                if !new.isEmpty { clusters.append(new) }
            }
            history.append(clusters)
        }
        return history
    }
}
