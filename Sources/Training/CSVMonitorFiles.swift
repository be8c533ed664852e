// CSVMonitorFiles.swift — DeepSpeed's csv_monitor files (deepspeed/monitor/csv_monitor.py; issue
// 17 item 3): one file per tag, named the tag with '/' and ' ' turned to '_' plus ".csv", whose
// first row is `step,<the tag's last '/' part>` and then one `step,value` row per logged point.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Appends `step,value` rows to one CSV file per tag in a directory.
final class CSVMonitorFiles {
    let directory: String
    private var handles: [String: FileHandle] = [:]

    /// Creates `directory` (and its parents).
    /// - Throws: `TrainingError.io` naming the directory when it cannot be created.
    init(directory: String) throws {
        self.directory = directory
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw TrainingError.io(path: directory, reason: "cannot create the csv_monitor directory: \(error.localizedDescription)")
        }
    }

    /// The file a tag's rows go to.
    static func fileName(tag: String) -> String {
        tag.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: " ", with: "_") + ".csv"
    }

    /// Appends `step,value`; the first row this writer writes to a tag's file is its header, as
    /// DeepSpeed's writer does (a resumed run's file thus holds a second header where it resumed).
    /// - Throws: `TrainingError.io` naming the file when it cannot be opened or written.
    func add(tag: String, value: Double, step: Int) throws {
        let path = directory + "/" + Self.fileName(tag: tag)
        var text = ""
        if handles[tag] == nil {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd < 0 { throw TrainingError.io(path: path, reason: String(cString: strerror(errno))) }
            handles[tag] = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            text = "step,\(tag.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(tag))\r\n"
        }
        text += "\(step),\(value)\r\n"
        do { try handles[tag]!.write(contentsOf: Data(text.utf8)) } catch { throw TrainingError.io(path: path, reason: "\(error)") }
    }
}
