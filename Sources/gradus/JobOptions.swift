// JobOptions.swift — `--jobs` and `--threads` of the commands that train many runs
// (`gradus experiment`, `gradus tune`): how many runs train at once and the threads they share.

import ArgumentParser
import Support

/// How many runs train at the same time and how many threads they share in total.
struct JobOptions: ParsableArguments {
    @Option(help: "Runs trained at the same time (threads are divided between them).")
    var jobs = 1

    @Option(help: "Threads in total for BLAS and the model's loops (default: all cores).")
    var threads: Int?

    /// The total thread count: `--threads`, else every core.
    var totalThreads: Int { threads ?? availableCores }

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be >= 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
    }
}
