// SamplerState.swift — the curriculum sampler's checkpoint (spec §6.7, fixed): O(clusters) values,
// exactly the state the sampler uses (its own generator, not numpy's global one — DeepSpeed
// #8405), independent of the world size, with fingerprints of the index and the config so that a
// resume against different data or settings is refused.

import Foundation
import Support

/// Where one cluster's current pass stands.
public struct ClusterCursor: Codable, Sendable, Equatable {
    /// The next domain position of the pass.
    public var position: Int
    /// The pass number (0 for the first); the pass's permutation key derives from it.
    public var pass: UInt64
    public init(position: Int = 0, pass: UInt64 = 0) { self.position = position; self.pass = pass }
}

/// A resumable sampler state. Encode it with `JSONEncoder`; it starts with `format` and `version`.
public struct SamplerState: Codable, Sendable, Equatable {
    public static let formatName = "gradus-sampler-state"
    public static let currentVersion = 1

    public var format = SamplerState.formatName
    public var version = SamplerState.currentVersion
    /// `DifficultyIndex.fingerprint`, hexadecimal.
    public var indexFingerprint: String
    /// A hash of everything in the config that shapes the stream, hexadecimal.
    public var configFingerprint: String
    public var globalBatchSize: Int
    /// Global batches drawn so far (DeepSpeed's `curriculum_step`).
    public var step: Int
    /// step × global batch size (no off-by-one lag, unlike DeepSpeed's `consumed_samples`).
    public var consumedSamples: Int
    /// The generator of cluster choices and batch shuffles.
    package var rng: SplitMix64
    /// Each metric's current difficulty (nil before the first batch), config order.
    public var currentDifficulties: [Double?]
    /// Each scheduler's `current_difficulty` (kept so that a freeze at max survives a resume).
    public var schedulerDifficulties: [Double]
    public var clusters: [ClusterSpec]
    public var cursors: [ClusterCursor]

    /// Reads a state written by `encoded()`, checking format and version.
    public static func decode(_ data: Data) throws -> SamplerState {
        let state: SamplerState
        do { state = try JSONDecoder().decode(SamplerState.self, from: data) } catch {
            throw CurriculumError.invalidState("not a sampler state file (\(error))")
        }
        guard state.format == formatName else { throw CurriculumError.invalidState("format is \(state.format)") }
        guard state.version == currentVersion else {
            throw CurriculumError.invalidState("version \(state.version) is not supported (expected \(currentVersion))")
        }
        return state
    }

    /// JSON with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }
}

extension SamplerState {
    /// The largest `consumedSamples` a state may hold: 2^52 samples, so that the count (and the
    /// step, the pacing functions' argument) stays exact as a Double and further batches cannot
    /// overflow it.
    public static let maxConsumedSamples = 1 << 52

    /// Every field out of range for a sampler over `index` with `metrics` (config order), each as
    /// `field: value is outside lo...hi (why)`; empty when the state can be resumed. Checked
    /// before the sampler adopts anything, so no later arithmetic or allocation sees a hostile
    /// value: counts and steps are bounded, difficulties lie in what each schedule can produce,
    /// at most one cluster per step, cluster segments inside the index (each naming a metric unless
    /// it is the cluster's only one, and only one without a box), cluster sizes within their
    /// domains, cursors inside their domains and passes ≤ consumed samples.
    public func rangeProblems<Index: DifficultyIndex>(metrics: [CurriculumMetricConfig], index: Index) -> [String] {
        var out: [String] = []
        func check(_ field: String, _ v: Int, _ lo: Int, _ hi: Int, _ why: String) -> Bool {
            if v >= lo && v <= hi { return true }
            out.append("\(field): \(v) is outside the allowed range \(lo)...\(hi) (\(why))")
            return false
        }
        let n = index.sampleCount, metricCount = index.metricNames.count
        _ = check("globalBatchSize", globalBatchSize, 1, GradusConfig.maxBatchSize, "the global batch size limit")
        let consumedOK = check("consumedSamples", consumedSamples, 0, Self.maxConsumedSamples, "2^52 samples")
        if consumedOK { _ = check("step", step, 0, consumedSamples, "every step draws at least one sample, and consumedSamples is \(consumedSamples)") }
        for (field, values) in [("currentDifficulties", currentDifficulties.map { $0 }), ("schedulerDifficulties", schedulerDifficulties.map { Optional($0) })] {
            guard values.count == metrics.count else {
                out.append("\(field): \(values.count) values for \(metrics.count) configured metrics")
                continue
            }
            for (i, (v, m)) in zip(values, metrics).enumerated() {
                guard let v else { continue }
                let range = m.pacing.attainableDifficulties
                if !(v >= range.lower && v <= range.upper) {
                    out.append("\(field)[\(i)]: \(v) is outside the range \(range.lower)...\(range.upper) that the schedule of "
                        + "metric \"\(m.name)\" can produce")
                }
            }
        }
        guard clusters.count == cursors.count else {
            out.append("clusters: \(clusters.count) clusters but \(cursors.count) cursors")
            return out
        }
        if clusters.count > max(0, step) {
            out.append("clusters: \(clusters.count) clusters after \(step) steps (a step creates at most one cluster)")
            return out
        }
        for (c, (spec, cursor)) in zip(clusters, cursors).enumerated() {
            let at = "clusters[\(c)]"
            guard check("\(at).segments.count", spec.segments.count, 1, 255, "a cluster has one segment per clustering metric") else { continue }
            var domain = 0, segmentsOK = true
            if spec.box == nil, spec.segments.count != 1 {
                out.append("\(at).segments: \(spec.segments.count) segments in a cluster without a box (an unfiltered cluster has one)")
                segmentsOK = false
            }
            for (k, s) in spec.segments.enumerated() {
                if let m = s.metric, !check("\(at).segments[\(k)].metric", m, 0, metricCount - 1, "a metric of the index") { segmentsOK = false }
                if s.metric == nil, spec.segments.count > 1 {
                    out.append("\(at).segments[\(k)].metric: missing (only a single-segment cluster ranges over sample ids)")
                    segmentsOK = false
                }
                guard check("\(at).segments[\(k)].lower", s.lower, 0, n, "positions of an index of \(n) samples"),
                      check("\(at).segments[\(k)].upper", s.upper, s.lower, n, "from lower to the index's \(n) samples") else {
                    segmentsOK = false
                    continue
                }
                domain += s.count
            }
            for (k, m) in spec.filterMetrics.enumerated() where !check("\(at).filterMetrics[\(k)]", m, 0, metricCount - 1, "a metric of the index") {
                segmentsOK = false
            }
            guard segmentsOK, check("\(at).size", spec.size, 1, max(1, domain), "a cluster has members, at most its domain of \(domain) positions"),
                  check("cursors[\(c)].position", cursor.position, 0, domain, "a position in the cluster's domain of \(domain)") else { continue }
            if cursor.pass > UInt64(max(0, consumedSamples)) {
                out.append("cursors[\(c)].pass: \(cursor.pass) is outside the allowed range 0...\(consumedSamples) (every pass after "
                    + "the first serves at least one sample)")
            }
        }
        return out
    }
}

/// The config fingerprint: metrics (names, types, pacing), seed, epochs and global batch size.
func configFingerprint(metrics: [CurriculumMetricConfig], seed: UInt64, numEpochs: Int, globalBatchSize: Int) throws -> String {
    struct Shape: Encodable {
        var metrics: [CurriculumMetricConfig]
        var seed: UInt64
        var numEpochs: Int
        var globalBatchSize: Int
    }
    var stripped = metrics
    for i in stripped.indices { stripped[i].indexToSamplePath = nil; stripped[i].indexToMetricPath = nil }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(Shape(metrics: stripped, seed: seed, numEpochs: numEpochs,
                                        globalBatchSize: globalBatchSize))
    return FNV1a64(data).hex
}
