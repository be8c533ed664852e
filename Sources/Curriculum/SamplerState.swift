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
