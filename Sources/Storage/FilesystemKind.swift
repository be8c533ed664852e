// FilesystemKind.swift — is a path on a network or FUSE filesystem? (issue 8 item 3)
//
// LMDB's locking (a shared-memory lock file plus fcntl locks) and `flock` are unreliable on
// network filesystems, and mmap coherence between hosts is not guaranteed there, so Gradus warns
// when an index is opened on one. Detection is by `statfs(2)`'s `f_type` magic (Linux only; on
// other systems nothing is detected). See docs/reliability.md, "Network filesystems".

#if canImport(Glibc)
import Glibc
#endif

/// `f_type` magics (linux/magic.h and filesystem sources) of filesystems shared between hosts or
/// served by a user-space daemon, with a human-readable name.
public let networkFilesystemMagics: [Int64: String] = [
    0x6969: "NFS",
    0xFF53_4D42: "CIFS",
    0xFE53_4D42: "SMB2",
    0x517B: "SMB",
    0x0102_1997: "9p (v9fs)",
    0x6573_5546: "FUSE",
    0x0BD0_0BD0: "Lustre",
    0x4750_4653: "GPFS",       // IBM Spectrum Scale
    0x5346_414F: "AFS",
    0x6B41_4653: "kAFS",
    0x00C3_6400: "CephFS",
    0x1983_0326: "BeeGFS",
]

#if os(Linux)
@_silgen_name("statfs")
private func linuxStatfs(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutableRawPointer) -> Int32
#endif

/// The name of the network (or FUSE) filesystem holding `path`, or nil when it is local, unknown
/// or `path` does not exist yet — in which case the nearest existing parent is examined.
public func networkFilesystemName(at path: String) -> String? {
    #if os(Linux)
    var candidate = path.isEmpty ? "." : path
    while true {
        // `struct statfs` (sys/vfs.h, not part of the Glibc module) starts with `f_type`, a
        // `__fsword_t` (a C long) on every 64-bit Linux ABI; 512 bytes cover the whole struct.
        var buffer = [Int](repeating: 0, count: 64)
        let rc = buffer.withUnsafeMutableBytes { linuxStatfs(candidate, $0.baseAddress!) }
        if rc == 0 { return networkFilesystemMagics[Int64(buffer[0])] }
        guard errno == ENOENT || errno == ENOTDIR else { return nil }
        // Walk up to the nearest existing parent.
        guard let slash = candidate.lastIndex(of: "/") else {
            if candidate == "." { return nil }
            candidate = "."
            continue
        }
        if slash == candidate.startIndex {
            if candidate == "/" { return nil }
            candidate = "/"
        } else {
            candidate = String(candidate[..<slash])
        }
    }
    #else
    return nil
    #endif
}

/// The warning Gradus prints when an LMDB environment is opened on a network filesystem, or nil
/// when `path` is not on one. `fakeFilesystem` (fault tests only) pretends it is on that one.
public func networkFilesystemWarning(at path: String, fakeFilesystem: String? = nil) -> String? {
    guard let name = fakeFilesystem ?? networkFilesystemName(at: path), !name.isEmpty else { return nil }
    return "warning: \(path) is on a network filesystem (\(name)); LMDB and flock locking are not "
        + "reliable there: do not write this index from more than one host or read it while it is "
        + "written (copy it to local disk for serving)\n"
}
