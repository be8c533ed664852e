// XXH3.swift — xxHash's XXH3 (64-bit) through Debian's libxxhash-dev: the content checksum of
// index chunks and the content fingerprint of inputs. Fast (several GB/s on one core), so it can
// be computed on every byte read. On x86-64 the hashing goes through libxxhash's `_dispatch`
// entry points, which run its AVX2 code where the CPU has it (the plain entry points are its SSE2
// build; issue 16 item 5: half the time on bytes in cache, measured on one core, while bytes
// read from memory for the first time cost the same ~0.04 s per 412 MB either way); the digests
// are the same.

import CXXHash

/// Streaming XXH3-64 over byte buffers; `digest` may be taken at any point and updating may go on.
public final class XXH3Hasher {
    private let state: OpaquePointer

    /// A hasher with seed 0 (XXH3_64bits's default), so digests equal `XXH3.hash64` of the bytes.
    public init() {
        guard let s = XXH3_createState() else { fatalError("XXH3_createState: out of memory") }
        state = s
        XXH3_64bits_reset(state)
    }

    deinit { XXH3_freeState(state) }

    /// Adds `bytes` to the hashed stream.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        #if arch(x86_64)
        XXH3_64bits_update_dispatch(state, base, bytes.count)
        #else
        XXH3_64bits_update(state, base, bytes.count)
        #endif
    }

    /// Adds `bytes` to the hashed stream.
    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Starts a new stream (as a fresh hasher would).
    public func reset() { XXH3_64bits_reset(state) }

    /// XXH3-64 of everything added so far.
    public var digest: UInt64 { XXH3_64bits_digest(state) }
}

public enum XXH3 {
    /// XXH3-64 (seed 0) of `bytes`.
    public static func hash64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        #if arch(x86_64)
        XXH3_64bits_dispatch(bytes.baseAddress, bytes.count)
        #else
        XXH3_64bits(bytes.baseAddress, bytes.count)
        #endif
    }

    /// XXH3-64 (seed 0) of `bytes`.
    public static func hash64(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { hash64($0) } }
}
