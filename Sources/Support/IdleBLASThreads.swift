// IdleBLASThreads.swift — ends OpenBLAS's thread pool when `gradus` starts (issue 16 item 5).
// OpenBLAS starts its workers when the library is loaded, and each spins in `sched_yield` until
// its timeout (≈ 0.1 s of CPU a process, measured in `gradus index` and `gradus verify`), taking a
// core from the command on a busy machine; the model runs OpenBLAS on one thread, and a
// multithreaded BLAS call starts the pool again. Found with `dlsym`, so nothing links against it
// here.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker threads of the BLAS library the process has loaded.
public enum IdleBLASThreads {
    /// Ends OpenBLAS's worker threads (its `blas_thread_shutdown_`, the call its fork handler
    /// makes), joining them; the next BLAS call that wants threads starts the pool again.
    /// - Returns: false when the process has no OpenBLAS loaded (nothing to do).
    @discardableResult
    public static func stop() -> Bool {
        // dlsym(RTLD_DEFAULT, …): RTLD_DEFAULT is the null handle.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") else { return false }
        typealias Shutdown = @convention(c) () -> Int32
        _ = unsafeBitCast(symbol, to: Shutdown.self)()
        return true
    }
}
