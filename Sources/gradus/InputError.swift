// InputError.swift — errors in what a command reads (stdin, files), as opposed to its arguments.

/// A failure in the input a command reads (not in its arguments): printed as `Error: message`
/// without the usage text that `ValidationError` adds.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
