// IndexBuildStopped.swift — a build that failed after committing batches (issue 14 item 19): the
// index stays `building` and resumable, and the error says so and how to go on.

/// A `gradus index` run failed after batches were committed (or while resuming): `cause` is
/// what went wrong; the index in `path` keeps what was committed, marked `building`.
public struct IndexBuildStopped: Error, CustomStringConvertible {
    /// The index directory, left `building`.
    public let path: String
    /// The error that stopped the build.
    public let cause: Error

    public init(path: String, cause: Error) { self.path = path; self.cause = cause }

    public var description: String {
        "\(cause)\n\(path) keeps what was committed before this error, marked building: once the cause is fixed, "
            + "rerun the same command with --resume to continue from there, or with --force to start over"
    }
}
