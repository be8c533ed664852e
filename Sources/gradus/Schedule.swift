// Schedule.swift — `gradus schedule CONFIG --steps N`: preview every pacing function of a
// DeepSpeed/Gradus config per step before committing compute (issue 4 item 5, spec §2, §9.1).

import ArgumentParser
import Curriculum
import Foundation

struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview each curriculum metric's difficulty and the random-LTD reserved length per step.",
        discussion: """
        Step s counts global batches as DeepSpeed's sampler does (1 for the first batch); each
        difficulty is exactly DeepSpeed 0.19.8's get_difficulty(s). random_ltd is the reserved
        length while training on batch s (engine.global_steps = s - 1).

        Examples:
          gradus schedule configs/gpt-cl-ltd.json --steps 2000 --every 100
          gradus schedule configs/gpt-cl-ltd.json --steps 10 --json
        """
    )

    @Argument(help: "DeepSpeed/Gradus JSON config.")
    var config: String

    @Option(help: "Last step to print (steps 0...N).")
    var steps: Int

    @Option(help: "Print every K-th step (the last step is always printed).")
    var every = 1

    @Option(help: "Tokens per global batch, for curricula paced by tokens (gradus.curriculum.step_unit).")
    var tokensPerStep: Double?

    @Flag(help: "JSON lines: {\"step\": s, \"difficulty\": {...}, \"random_ltd\": r}.")
    var json = false

    func validate() throws {
        if steps < 0 { throw ValidationError("--steps must be ≥ 0") }
        if every < 1 { throw ValidationError("--every must be ≥ 1") }
    }

    func run() throws {
        let text = try String(contentsOfFile: config, encoding: .utf8)
        let parsed = try GradusConfig.parse(text)
        let preview = try SchedulePreview(config: parsed, tokensPerStep: tokensPerStep)
        let out = StandardOutput()
        let first = preview.row(step: 0)
        if !json {
            out.write((["step"] + first.difficulties.map(\.name) + (first.reservedLength == nil ? [] : ["random_ltd"]))
                .joined(separator: "\t") + "\n")
        }
        for s in stride(from: 0, through: steps, by: every).map({ $0 }) + (steps % every == 0 ? [] : [steps]) {
            let row = preview.row(step: s)
            out.write((json ? jsonLine(row) : textLine(row)) + "\n")
        }
        out.flush()
    }

    private func jsonLine(_ row: PreviewRow) -> String {
        var line = JSONLine()
        line.add("step", row.step)
        line.addRaw("difficulty", "{" + row.difficulties.map { "\(quote($0.name)):\($0.text)" }.joined(separator: ",") + "}")
        if let r = row.reservedLength { line.add("random_ltd", r) }
        return line.text
    }

    private func textLine(_ row: PreviewRow) -> String {
        ([String(row.step)] + row.difficulties.map(\.text) + (row.reservedLength.map { [String($0)] } ?? []))
            .joined(separator: "\t")
    }
}
