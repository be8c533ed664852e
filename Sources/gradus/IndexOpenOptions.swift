// IndexOpenOptions.swift — `--no-lock`, shared by every command that reads an index (info, dump,
// export, batches, train, schedule --index, experiment): open the index without creating or
// touching LMDB's `lock.mdb`, for serving a read-only or shared copy (issue 8 item 3,
// docs/reliability.md "Read-only serving").

import ArgumentParser
import CorpusIndex

/// `@OptionGroup var indexOpen: IndexOpenOptions` in a reading command adds `--no-lock`.
struct IndexOpenOptions: ParsableArguments {
    @Flag(name: .customLong("no-lock"), help: ArgumentHelp(
        "Open the index read-only without LMDB's lock file (no lock.mdb is created or touched), e.g. in a read-only directory or a shared copy.",
        discussion: "You promise that no process writes the index meanwhile; nothing checks it."))
    var noLock = false

    /// Sets the process-wide reader default, so every index the command opens (however deep in
    /// the library) honours the flag. ArgumentParser validates option groups while parsing,
    /// i.e. before `run()`.
    func validate() throws {
        IndexStore.readsWithoutLock = noLock
    }
}
