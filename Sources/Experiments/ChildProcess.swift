// ChildProcess.swift — starts an external trainer (issue 17 item 1) with posix_spawnp: its
// standard output and error appended to one log file, standard input /dev/null, the given
// environment, SIGINT/SIGTERM at their default action (a shell's `&` may have ignored them), and
// in gradus's own process group, so a terminal's Ctrl-C or a kill of the group reaches it too.
// It starts through util-linux's `setpriv --pdeathsig TERM`, so the kernel sends it SIGTERM when
// gradus dies, even by SIGKILL, which gradus cannot forward (without setpriv it starts directly and
// outlives a SIGKILLed gradus).
// gradus opens its files close-on-exec (OUT's lock, logs; LMDB its own), so the trainer inherits
// none of them. `wait` polls it and forwards a stop signal gradus received, once.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A started child process.
struct ChildProcess {
    /// How the child ended.
    enum Exit: Equatable {
        case status(Int32)
        case signal(Int32)
    }

    let pid: pid_t

    /// `setpriv --pdeathsig TERM --`, when util-linux's setpriv is installed: it sets the child's
    /// parent-death signal, then executes the trainer in the same process (same pid).
    private static let deathSignal: [String] = {
        let candidates: [String] = ["/usr/bin/setpriv", "/bin/setpriv"]
        guard let setpriv = candidates.first(where: { access($0, X_OK) == 0 }) else { return [] }
        return [setpriv, "--pdeathsig", "TERM", "--"]
    }()

    /// Starts `argv` (the program looked up in PATH) with `environment`, output appended to `logPath`.
    /// The thread that calls this must outlive the child (`wait` on it): the parent-death signal
    /// follows the thread that started the child, as Linux defines it.
    /// - Throws: a message saying why it could not be started (log not writable, program not found).
    init(argv: [String], environment: [String: String], logPath: String) throws {
        if let code = Self.programProblem(argv[0], path: environment["PATH"]) { throw Self.cannotStart(argv[0], code) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw ChildProcessError("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        defer { close(logFD) }
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let cArguments = (Self.deathSignal + argv).map { strdup($0) } + [nil]
        let cEnvironment = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawnp(&pid, Self.deathSignal.first ?? argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard code == 0 else { throw Self.cannotStart(argv[0], code) }
        self.pid = pid
    }

    private static func cannotStart(_ program: String, _ code: Int32) -> ChildProcessError {
        ChildProcessError("cannot start \(program): \(String(cString: strerror(code)))"
            + (code == ENOENT ? " (not found in PATH; give its path in the matrix's trainer.command)" : ""))
    }

    /// Why `program` cannot be executed, as the errno `posix_spawnp` would give (ENOENT: no such
    /// file, EACCES: not an executable regular file), or nil when it can: a path as given, or a
    /// name looked up in `path`'s directories (PATH's default when nil).
    static func programProblem(_ program: String, path: String?) -> Int32? {
        func problem(_ file: String) -> Int32? {
            var info = stat()
            guard stat(file, &info) == 0 else { return ENOENT }
            return (info.st_mode & S_IFMT) == S_IFREG && access(file, X_OK) == 0 ? nil : EACCES
        }
        if program.contains("/") { return problem(program) }
        var found = ENOENT
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            switch problem((dir.isEmpty ? "." : String(dir)) + "/" + program) {
            case nil: return nil
            case EACCES?: found = EACCES
            default: break
            }
        }
        return found
    }

    /// Waits for the child to end, polling `stopSignal` every 50 ms and sending the child the
    /// signal it returns (once).
    /// - Returns: how it ended, and the signal forwarded (nil when none was).
    func wait(stopSignal: () -> Int32?) -> (exit: Exit, forwarded: Int32?) {
        var forwarded: Int32?
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (macros).
                let low = status & 0x7F
                return (low == 0 ? .status((status >> 8) & 0xFF) : .signal(low), forwarded)
            }
            if r < 0 && errno != EINTR { return (.status(-1), forwarded) }
            if forwarded == nil, let signal = stopSignal() {
                kill(pid, signal)
                forwarded = signal
            }
            usleep(50_000)
        }
    }
}

/// Why a child process could not be started.
struct ChildProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
