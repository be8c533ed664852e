// TestHooks.swift — the hidden fault-test settings (docs/reliability.md, "Fault tests"), read from
// the environment once, here, and handed to the libraries as values; no library reads them.

import Foundation

/// This process's fault-test settings; all nil in normal use.
struct TestHooks {
    static let current = TestHooks(ProcessInfo.processInfo.environment)
    /// `GRADUS_TEST_ABORT_AFTER_BATCHES`, `GRADUS_TEST_BATCH_RECORDS` (index) and
    /// `GRADUS_TEST_ABORT_IN_CHECKPOINT_AT_STEP` (train).
    let abortAfterBatches: Int?, batchRecords: Int?, abortInCheckpointAtStep: Int?
    /// `GRADUS_TEST_ABORT_AT_PHASE` (index, merge) and `GRADUS_FAKE_NETWORK_FS`.
    let abortAtPhase: String?, fakeNetworkFilesystem: String?
    /// `GRADUS_TEST_TRUNCATE_INPUT_AFTER_BATCHES` (index): the first input is cut to half its
    /// size once that many batches are committed (an input changing under the indexer).
    let truncateInputAfterBatches: Int?

    init(_ env: [String: String]) {
        let number = { (name: String) in env["GRADUS_TEST_" + name].flatMap { Int($0) } }
        (abortAfterBatches, batchRecords) = (number("ABORT_AFTER_BATCHES"), number("BATCH_RECORDS"))
        abortInCheckpointAtStep = number("ABORT_IN_CHECKPOINT_AT_STEP")
        (abortAtPhase, fakeNetworkFilesystem) = (env["GRADUS_TEST_ABORT_AT_PHASE"], env["GRADUS_FAKE_NETWORK_FS"])
        truncateInputAfterBatches = number("TRUNCATE_INPUT_AFTER_BATCHES")
    }

    /// Cuts `path` to half its size when `batches` equals `truncateInputAfterBatches`.
    func truncateInputIfCommitted(_ batches: Int, path: String) {
        guard batches == truncateInputAfterBatches else { return }
        var st = stat()
        if stat(path, &st) == 0 { _ = truncate(path, st.st_size / 2) }
    }

    /// Dies like `kill -9` when `phase` is `abortAtPhase`.
    func abortIfPhase(_ phase: String) { if phase == abortAtPhase { raise(SIGKILL) } }
    /// Dies like `kill -9` once `batches` reach `abortAfterBatches`.
    func abortIfCommitted(_ batches: Int) { if let k = abortAfterBatches, batches >= k { raise(SIGKILL) } }
}
