// Checkpoint.swift — the training state on disk (issue 5 §5, STYLE.md §10): everything a resumed
// run needs to continue bit-identically.
//
// Layout (little-endian):
//   "GRADUSCK" (8 bytes) · version UInt32 = 2 · header length UInt64 · header JSON
//   · parameters P×Float32 · AdamW m P×Float32 · AdamW v P×Float32 · FNV-1a 64 of all prior bytes
// The header holds the resolved config, the counters, the AdamW step, the trainer's RNG state,
// the batch source's opaque state blob, (optional, issue 6) the random-LTD settings and
// (optional, issue 14) the index's content fingerprint. Writes go
// to a temporary file in the same directory, are flushed to disk, then renamed over the target, so
// a crash mid-write leaves the previous good checkpoint intact. Loading checks magic, version,
// sizes and checksum before anything is used.

import Foundation
import Model
import Storage
import Support

/// The JSON header of a checkpoint.
public struct CheckpointHeader: Codable, Equatable, Sendable {
    /// The resolved config of the run.
    public var config: RunConfig
    /// Counters at the end of the last completed step.
    public var progress: TrainingProgress
    /// AdamW's bias-correction step.
    public var adamStep: Int
    /// The trainer's own generator (random-LTD plans draw from it).
    package var trainerRNG: SplitMix64
    /// The training batch source's state blob.
    public var sourceState: Data
    /// Number of parameters (P), a cross-check of the config.
    public var parameterCount: Int
    /// The run's random-LTD settings (issue 6); absent for a dense run and in older checkpoints.
    /// Plans are drawn from `trainerRNG`, so these two are all a resume needs to redraw them.
    public var randomLTD: RandomLTDRouting? = nil
    /// The training index's `IndexManifest.contentFingerprint` (issue 14 item 8); resuming on an
    /// index with another one is refused. Absent in checkpoints of runs without an index and in
    /// older checkpoints (their resume falls back to the batch source's own check).
    public var indexFingerprint: String? = nil
}

/// A checkpoint in memory: header plus the three Float buffers.
public struct Checkpoint: Sendable {
    public static let magic = Array("GRADUSCK".utf8)
    /// 2: the header's config is the whole run config (`RunConfig`, curriculum included).
    public static let version: UInt32 = 2

    public var header: CheckpointHeader
    public var parameters: [Float]
    public var m: [Float]
    public var v: [Float]

    public init(header: CheckpointHeader, parameters: [Float], m: [Float], v: [Float]) {
        (self.header, self.parameters, self.m, self.v) = (header, parameters, m, v)
    }

    /// Writes atomically (`AtomicFile`): a temporary sibling file, fsync, then rename over `path`.
    /// With `abortHalfway` (fault tests) the process dies like `kill -9` with half of the
    /// temporary file written, before the rename.
    /// - Throws: `TrainingError.io` naming the path.
    public func write(to path: String, abortHalfway: Bool = false) throws {
        var bytes = Data(Self.magic)
        append(&bytes, Self.version)
        let json: Data
        do { json = try sortedKeysEncoder().encode(header) } catch { throw TrainingError.io(path: path, reason: "\(error)") }
        append(&bytes, UInt64(json.count))
        bytes.append(json)
        for buffer in [parameters, m, v] {
            buffer.withUnsafeBytes { bytes.append(contentsOf: $0) }  // Float32 LE on every Swift Linux target
        }
        append(&bytes, bytes.withUnsafeBytes { FNV1a64($0).value })
        if abortHalfway {  // fault tests: die like `kill -9` with half the temporary file written
            _ = FileManager.default.createFile(atPath: AtomicFile.temporaryPath(for: path), contents: bytes.prefix(bytes.count / 2))
            raise(SIGKILL)
        }
        do { try bytes.withUnsafeBytes { try AtomicFile.write($0, to: path) } } catch {
            throw TrainingError.io(path: path, reason: "\(error)")
        }
        removeAbandonedTemporaries(of: path)
    }

    /// Removes `path.tmp-<pid>` files left by a writer that was killed mid-write (never loaded,
    /// but they would pile up over crashes), skipping those of a process that still runs.
    private func removeAbandonedTemporaries(of path: String) {
        let url = URL(fileURLWithPath: path)
        let prefix = url.lastPathComponent + ".tmp-"
        let directory = url.deletingLastPathComponent().path
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(),
                  kill(pid, 0) != 0 && errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// Reads and validates a checkpoint.
    /// - Throws: `TrainingError.noCheckpoint` naming the directory when nothing is at `path`,
    ///   `.corruptCheckpoint` for an unreadable, truncated, foreign or damaged file (each with the
    ///   reason).
    public static func read(from path: String) throws -> Checkpoint {
        func corrupt(_ why: String) -> TrainingError { .corruptCheckpoint(path: path, reason: why) }
        var st = stat()
        if lstat(path, &st) != 0 && errno == ENOENT {
            throw TrainingError.noCheckpoint(directory: path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ".")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw corrupt("cannot read the file") }
        let bytes = [UInt8](data)
        guard bytes.count >= 28, Array(bytes[0..<8]) == magic else { throw corrupt("not a Gradus checkpoint (bad magic)") }
        let version = UInt32(littleEndianBytes: bytes[8..<12])
        guard version == Self.version else { throw corrupt("format version \(version), this build reads \(Self.version)") }
        let headerLength = UInt64(littleEndianBytes: bytes[12..<20])
        guard headerLength <= UInt64(bytes.count - 28) else { throw corrupt("truncated header") }
        let headerEnd = 20 + Int(headerLength)
        let stored = UInt64(littleEndianBytes: bytes[(bytes.count - 8)...])
        guard bytes.withUnsafeBufferPointer({ FNV1a64($0.prefix(bytes.count - 8)).value }) == stored else { throw corrupt("checksum mismatch (damaged or truncated)") }
        let header: CheckpointHeader
        do { header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(bytes[20..<headerEnd])) } catch {
            throw corrupt("unreadable header: \(describe(error))")
        }
        let P = header.parameterCount
        guard P == ParameterLayout(config: header.config.model).count else {
            throw corrupt("parameter count \(P) does not match its own model config")
        }
        guard bytes.count == headerEnd + 3 * 4 * P + 8 else { throw corrupt("file size does not match \(P) parameters") }
        func floats(_ k: Int) -> [Float] {
            bytes.withUnsafeBytes { raw in
                let start = raw.baseAddress! + headerEnd + k * 4 * P
                return Array(UnsafeBufferPointer(start: UnsafeRawPointer(start).bindMemory(to: Float.self, capacity: P), count: P))
            }
        }
        return Checkpoint(header: header, parameters: floats(0), m: floats(1), v: floats(2))
    }
}

private func append<I: FixedWidthInteger>(_ data: inout Data, _ value: I) {
    withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
}

extension FixedWidthInteger {
    /// Decodes a little-endian integer from exactly `MemoryLayout<Self>.size` bytes.
    init<C: Collection>(littleEndianBytes bytes: C) where C.Element == UInt8 {
        var value: Self = 0
        for (i, b) in bytes.enumerated() { value |= Self(b) << (8 * i) }
        self = value
    }
}

/// A JSON encoder with sorted keys, so that the same state always gives the same bytes (a
/// checkpoint of a resumed run equals the uninterrupted run's, byte for byte).
package func sortedKeysEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return encoder
}
