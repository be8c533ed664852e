// OutputWatch.swift — noticing that the index being built was deleted or replaced under the
// builder (issue 14 item 10). LMDB goes on writing into an unlinked `data.mdb` without an error,
// so without this check `gradus index` reported success with nothing on disk.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity (device and inode) of `directory/data.mdb` when the build opened it, checked
/// again after every committed batch and before the build reports success.
struct OutputWatch {
    let directory: String
    private let device: UInt64
    private let inode: UInt64

    /// Records the identity of `directory/data.mdb`.
    /// - Throws: `IndexError.notWritable` when it cannot be examined.
    init(directory: String) throws {
        self.directory = directory
        guard let id = Self.identity(directory + "/data.mdb") else {
            throw IndexError.notWritable(path: directory, reason: "data.mdb cannot be examined: \(String(cString: strerror(errno)))")
        }
        (device, inode) = id
    }

    /// Throws when `data.mdb` is gone (its directory deleted, or the file itself) or is another
    /// file than the one being written.
    /// - Throws: `IndexError.notWritable` naming the directory and saying the index was not completed.
    func check() throws {
        guard let id = Self.identity(directory + "/data.mdb"), id == (device, inode) else {
            throw IndexError.notWritable(path: directory, reason: "the index directory (or its data.mdb) was deleted or replaced "
                + "while the index was being built; the index was not completed — build it again")
        }
    }

    private static func identity(_ path: String) -> (UInt64, UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }
}
