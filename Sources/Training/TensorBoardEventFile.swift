// TensorBoardEventFile.swift — a TensorBoard event file (issue 17 item 3): TFRecord framing
// (u64 length, masked CRC-32C of the length, the record, masked CRC-32C of the record, all
// little-endian) of hand-encoded `Event` protobufs: first `file_version: "brain.Event:2"`, then one
// event per scalar (`wall_time`, `step`, `summary { value { tag, simple_value } }`).

import Foundation
import Support
#if canImport(Glibc)
import Glibc
#endif

/// Protobuf encodings of the `tensorflow.Event` messages Gradus writes (event.proto, summary.proto).
public enum TensorBoardEvent {
    /// `Event { wall_time: 1 (double), step: 2 (int64), file_version: 3 (string) }`.
    public static func fileVersion(wallTime: Double) -> [UInt8] {
        [0x09] + fixed64(wallTime.bitPattern) + [0x1A] + lengthDelimited(Array("brain.Event:2".utf8))
    }

    /// `Event { wall_time: 1, step: 2, summary: 5 { value: 1 { tag: 1, simple_value: 2 (float) } } }`.
    public static func scalar(tag: String, value: Float, step: Int64, wallTime: Double) -> [UInt8] {
        let summaryValue = [0x0A] + lengthDelimited(Array(tag.utf8)) + [0x15] + fixed32(value.bitPattern)
        let summary = [0x0A] + lengthDelimited(summaryValue)
        return [0x09] + fixed64(wallTime.bitPattern) + [0x10] + varint(UInt64(bitPattern: step)) + [0x2A] + lengthDelimited(summary)
    }

    /// One TFRecord: length, masked CRC-32C of the length's 8 bytes, `data`, masked CRC-32C of `data`.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        let length = fixed64(UInt64(data.count))
        return length + fixed32(CRC32C.masked(length)) + data + fixed32(CRC32C.masked(data))
    }

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }

    static func lengthDelimited(_ bytes: [UInt8]) -> [UInt8] { varint(UInt64(bytes.count)) + bytes }
    static func fixed64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    static func fixed32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
}

/// Appends scalar events to a new event file in a directory, named as TensorBoard's
/// `EventFileWriter` names it: `events.out.tfevents.<unix time, 10 digits>.<hostname>.<pid>.0`.
final class TensorBoardEventFile {
    let path: String
    private let handle: FileHandle

    /// Creates the directory (and its parents) and a new event file holding the `file_version` event.
    /// - Throws: `TrainingError.io` naming the directory or file when either cannot be created.
    init(directory: String) throws {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw TrainingError.io(path: directory, reason: "cannot create the TensorBoard directory: \(error.localizedDescription)")
        }
        var host = [CChar](repeating: 0, count: 256)
        let hostname = gethostname(&host, host.count - 1) == 0 ? String(cString: host) : "localhost"
        let now = Date().timeIntervalSince1970
        let seconds = String(Int(now)), padded = String(repeating: "0", count: max(0, 10 - seconds.count)) + seconds
        path = directory + "/events.out.tfevents.\(padded).\(hostname).\(getpid()).0"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw TrainingError.io(path: path, reason: String(cString: strerror(errno))) }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        try write(TensorBoardEvent.fileVersion(wallTime: now))
    }

    /// Appends one scalar event at `step` (DeepSpeed's steps are sample counts).
    /// - Throws: `TrainingError.io` on a write failure.
    func add(tag: String, value: Double, step: Int) throws {
        try write(TensorBoardEvent.scalar(tag: tag, value: Float(value), step: Int64(step), wallTime: Date().timeIntervalSince1970))
    }

    private func write(_ event: [UInt8]) throws {
        do { try handle.write(contentsOf: TensorBoardEvent.record(event)) } catch {
            throw TrainingError.io(path: path, reason: "\(error)")
        }
    }
}
