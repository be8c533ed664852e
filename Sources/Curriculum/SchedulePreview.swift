// SchedulePreview.swift — what `gradus schedule` prints (issue 4 item 5): for a curriculum step s
// (1 for the first global batch, spec §2.4) each metric's `get_difficulty(s)`, the legacy block's
// difficulty, and the random-LTD reserved length used while training on that batch — r at
// DeepSpeed's `engine.global_steps` = s − 1 (spec §9.1; r(0) for s = 0).

/// One metric's difficulty at a step.
public struct PreviewValue: Sendable, Equatable {
    public var name: String
    public var value: Double
    /// Whether to print it as an integer (spec §2.2 property 5).
    public var integral: Bool
    public var text: String { formatDifficulty(value, integral: integral) }
}

/// One line of the preview.
public struct PreviewRow: Sendable, Equatable {
    public var step: Int
    /// Curriculum metrics in config order, then `legacy:<curriculum_type>` if enabled.
    public var difficulties: [PreviewValue]
    /// random-LTD reserved length, when random-LTD is enabled.
    public var reservedLength: Int?
}

/// Computes preview rows from a config; no index needed.
public struct SchedulePreview: Sendable {
    public let metrics: [CurriculumMetricConfig]
    public let legacy: LegacyCurriculumConfig?
    public let randomLTD: RandomLTDScheduler?
    /// Tokens per global batch, for metrics paced by tokens (`gradus.curriculum.step_unit`).
    public let tokensPerStep: Double?

    /// - Throws: `CurriculumError.invalidArgument` when a metric is paced by tokens and
    ///   `tokensPerStep` is missing.
    public init(config: GradusConfig, tokensPerStep: Double?) throws {
        metrics = config.curriculumMetrics
        legacy = config.legacyCurriculum?.enabled == true ? config.legacyCurriculum : nil
        let gbs = config.trainBatchSize ?? (config.trainMicroBatchSizePerGPU ?? 1) * (config.gradientAccumulationSteps ?? 1)
        randomLTD = config.dataEfficiency.dataRouting.randomLTD.scheduler(globalBatchSize: gbs)
        self.tokensPerStep = tokensPerStep
        if tokensPerStep == nil, metrics.contains(where: { $0.pacing.stepUnit == .tokens }) {
            throw CurriculumError.invalidArgument("the curriculum is paced by tokens (gradus.curriculum.step_unit); give --tokens-per-step")
        }
    }

    /// The row for curriculum step `s` (DeepSpeed's `get_difficulty(s)`; no freeze).
    public func row(step s: Int) -> PreviewRow {
        var values: [PreviewValue] = metrics.map { m in
            let argument = m.pacing.stepUnit == .tokens ? Double(max(0, s - 1)) * (tokensPerStep ?? 0) : Double(s)
            return PreviewValue(name: m.name, value: m.pacing.value(at: argument), integral: m.pacing.isIntegral)
        }
        if let legacy, let p = legacy.pacing {
            values.append(PreviewValue(name: "legacy:\(legacy.curriculumType ?? "seqlen")", value: p.value(at: Double(s)),
                                       integral: p.isIntegral))
        }
        return PreviewRow(step: s, difficulties: values, reservedLength: randomLTD?.value(at: max(0, s - 1)))
    }
}
