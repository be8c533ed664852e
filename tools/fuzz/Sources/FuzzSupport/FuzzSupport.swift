// FuzzSupport.swift — what every Gradus fuzz target shares: starting libFuzzer from SwiftPM's
// renamed entry point, an in-memory `ByteSource` with input-chosen read sizes, scratch files on
// tmpfs, and a failure helper that aborts (so libFuzzer saves the input) with a message.

import CFuzzer
#if canImport(Glibc)
import Glibc
#endif
import Storage

/// The signature libFuzzer calls for each input.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer with the process arguments and exits with its status.
public func runFuzzer(_ callback: FuzzCallback) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// The input as an array (empty for a nil pointer).
public func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Aborts with `message` on stderr: libFuzzer reports the crash and saves the input.
public func fuzzFailure(_ message: String, file: StaticString = #file, line: UInt = #line) -> Never {
    let text = "FUZZ INVARIANT VIOLATED (\(file):\(line)): \(message)\n"
    _ = text.withCString { write(2, $0, strlen($0)) }
    abort()
}

/// Checks an invariant of the code under test.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #file, line: UInt = #line) {
    if !condition() { fuzzFailure(message(), file: file, line: line) }
}

/// Bytes in memory, handed out in reads whose sizes cycle through `chunks` (each at least 1),
/// so that buffer-boundary handling in the readers above is exercised.
public final class MemorySource: ByteSource {
    public let path: String
    private let data: [UInt8]
    private var position = 0
    private let chunks: [Int]
    private var next = 0

    public init(_ data: [UInt8], chunks: [Int] = [Int.max], path: String = "<memory>") {
        self.data = data; self.path = path
        self.chunks = chunks.isEmpty ? [Int.max] : chunks.map { max(1, $0) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, data.count - position, chunks[next % chunks.count])
        next += 1
        guard n > 0 else { return 0 }
        data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }
}

/// Read sizes derived from a seed byte: 0 gives one read of everything, others small primes.
public func chunkPattern(_ seed: UInt8) -> [Int] {
    switch seed % 4 {
    case 0: return [Int.max]
    case 1: return [1]
    case 2: return [1, 7, 3, 64, 2]
    default: return [Int(seed) + 1, 5]
    }
}

/// A per-process scratch path on tmpfs (`/dev/shm` when present, else `/tmp`).
public func scratchPath(_ name: String) -> String {
    let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(dir)/gradus-fuzz-\(getpid())-\(name)"
}

/// Writes `bytes` to `path`, replacing it; aborts on failure (the fuzz run cannot go on).
public func writeScratch(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0, bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count, close(fd) == 0 else {
        fuzzFailure("cannot write scratch file \(path): \(String(cString: strerror(errno)))")
    }
}

/// Lines of `data` as `LineReader` documents them: split at "\n", one trailing "\r" removed, a
/// final unterminated line kept, a UTF-8 byte order mark at the start dropped.
public func naiveLines(_ data: [UInt8]) -> [(bytes: [UInt8], offset: Int)] {
    var lines: [(bytes: [UInt8], offset: Int)] = []
    var start = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var k = start
    while k < data.count {
        if data[k] == 0x0A {
            var line = Array(data[start..<k])
            if line.last == 0x0D { line.removeLast() }
            lines.append((line, start))
            start = k + 1
        }
        k += 1
    }
    if start < data.count {
        var line = Array(data[start...])
        if line.last == 0x0D { line.removeLast() }
        lines.append((line, start))
    }
    return lines
}
