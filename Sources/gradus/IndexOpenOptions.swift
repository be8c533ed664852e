// IndexOpenOptions.swift — `--no-lock` of every command that reads an index (info, dump, export,
// batches, train, schedule --index, experiment); docs/reliability.md "Read-only serving".

import ArgumentParser
import CorpusIndex

/// `@OptionGroup var indexOpen: IndexOpenOptions` in a reading command adds `--no-lock`; the
/// command passes `indexOpen.options` to every index it opens.
struct IndexOpenOptions: ParsableArguments {
    @Flag(name: .customLong("no-lock"), help: ArgumentHelp(
        "Open the index read-only without LMDB's lock file (no lock.mdb is created or touched), e.g. in a read-only directory or a shared copy.",
        discussion: "You promise that no process writes the index meanwhile; nothing checks it."))
    var noLock = false

    /// The value the readers take (with the fault tests' filesystem override, `TestHooks`).
    var options: IndexReadOptions { IndexReadOptions(noLock: noLock, fakeFilesystem: TestHooks.current.fakeNetworkFilesystem) }
}
