// CurriculumConfig+Parsing.swift — reads a DeepSpeed/Gradus JSON config into `GradusConfig`
// (spec §1.1–1.3): same keys, same defaults and same required-when rules as DeepSpeed, but strict —
// unknown keys are errors naming their key path, types are checked, and every problem in the file
// is reported at once (`ConfigError.issues`). DeepSpeed top-level keys outside Gradus's scope
// (fp16, optimizer, zero_optimization, …), `"auto"` batch sizes and the loader keys of
// `data_sampling` are handled in CurriculumConfig+DeepSpeed.swift.
// Keys of the `gradus` block owned by other modules (the trainer's `model` / `train`) are read by
// a `GradusBlockExtension` inside the same pass. Each key is named once, here; each default once,
// as the property's initial value in CurriculumConfig.swift, which a missing key keeps.

import Support

extension GradusConfig {
    /// Parses and validates JSON text; throws `JSONSyntaxError` or a `ConfigError` listing every
    /// problem. `gradus.model` / `gradus.train` are accepted unread (see `TrainerBlocksSkipped`).
    public static func parse(_ text: String) throws -> GradusConfig {
        var skipped = TrainerBlocksSkipped()
        return try parse(text, extension: &skipped)
    }

    /// Parses and validates the whole file, letting `ext` read its keys of the `gradus` block in
    /// the same pass; throws `JSONSyntaxError` or one `ConfigError` listing every problem of the
    /// file, the extension's included.
    package static func parse(_ text: String, extension ext: inout some GradusBlockExtension) throws -> GradusConfig {
        try parse(try JSONValue.parse(text), extension: &ext)
    }

    /// Validates an already-parsed file (e.g. an experiment's merged run config) as `parse(_:extension:)`.
    /// - Throws: one `ConfigError` listing every problem of the file, the extension's included.
    package static func parse(_ json: JSONValue, extension ext: inout some GradusBlockExtension) throws -> GradusConfig {
        let log = IssueLog()
        var config = GradusConfig()
        var top = ObjectReader(json, path: "", log: log)
        config.trainBatchSize = config.readBatchKey("train_batch_size", &top)
        config.trainMicroBatchSizePerGPU = config.readBatchKey("train_micro_batch_size_per_gpu", &top)
        config.gradientAccumulationSteps = config.readBatchKey("gradient_accumulation_steps", &top)
        var ignoredInside: [String] = []
        config.dataEfficiency = parseDataEfficiency(top.object("data_efficiency"), ignored: &ignoredInside)
        let legacy = top.object("curriculum_learning")
        if legacy.isPresent { config.legacyCurriculum = parseLegacy(legacy) }
        config.gradus = parseGradus(top.object("gradus"), extension: &ext)
        for i in config.dataEfficiency.dataSampling.curriculumLearning.metrics.indices {
            config.dataEfficiency.dataSampling.curriculumLearning.metrics[i].pacing.stepUnit = config.gradus.stepUnit
        }
        config.resolveAutoBatchKeys(trainBatchSize: ext.autoBatchSize, log: log)
        let monitors = MonitorsConfig.read(&top, log: log)
        if !monitors.isEmpty { config.monitors = monitors }
        let written = [monitors.tensorboard.map { _ in "tensorboard" }, monitors.csvMonitor.map { _ in "csv_monitor" }].compactMap { $0 }
        config.ignoredDeepSpeedKeys = top.keys.filter { ignoredTopLevelKeys.contains($0) && !written.contains($0) && !monitors.unwritten.contains($0) }
            + ignoredInside
        rejectUnknownTopLevelKeys(&top, read: batchKeys + ["data_efficiency", "curriculum_learning", "gradus"])
        config.collectProblems(into: log)
        config.collectLimitProblems(into: log)
        ext.crossCheck(config, log: log)
        if !log.issues.isEmpty { throw ConfigError(issues: log.issues) }
        return config
    }

    func collectProblems(into log: IssueLog) {
        for (key, v) in [("train_batch_size", trainBatchSize), ("train_micro_batch_size_per_gpu", trainMicroBatchSizePerGPU),
                         ("gradient_accumulation_steps", gradientAccumulationSteps)] {
            if let v, v <= 0 { log.add(key, "must be > 0") }
        }
        let cl = dataEfficiency.dataSampling.curriculumLearning
        let base = "data_efficiency.data_sampling.curriculum_learning"
        if cl.enabled, cl.metrics.isEmpty { log.add("\(base).curriculum_metrics", "at least one metric is required") }
        if dataEfficiency.dataSampling.numEpochs <= 0 { log.add("data_efficiency.data_sampling.num_epochs", "must be > 0") }
        if dataEfficiency.seed < 0 { log.add("data_efficiency.seed", "must be ≥ 0") }
        for m in cl.metrics {
            for p in m.pacing.validationProblems() { log.add("\(base).curriculum_metrics.\(m.name)", p) }
            m.collectRangeProblems(path: "\(base).curriculum_metrics.\(m.name)", into: log)
        }
        let ltd = dataEfficiency.dataRouting.randomLTD
        if ltd.enabled, ltd.randomLTDLayerNum > ltd.totalLayerNum || ltd.randomLTDLayerIDs.count != ltd.randomLTDLayerNum {
            log.add("data_efficiency.data_routing.random_ltd.random_ltd_layer_num",
                    "must equal the number of random_ltd_layer_id entries and be ≤ total_layer_num")
        }
    }

    static func parseDataEfficiency(_ r: ObjectReader, ignored: inout [String]) -> DataEfficiencyConfig {
        var r = r
        var de = DataEfficiencyConfig()
        de.enabled = r.bool("enabled", default: de.enabled)
        de.seed = r.int("seed") ?? de.seed
        var sampling = r.object("data_sampling")
        de.dataSampling.enabled = sampling.bool("enabled", default: de.dataSampling.enabled)
        de.dataSampling.numEpochs = sampling.int("num_epochs") ?? de.dataSampling.numEpochs
        de.dataSampling.numWorkers = sampling.int("num_workers") ?? de.dataSampling.numWorkers
        de.dataSampling.curriculumLearning = parseCurriculumLearning(sampling.object("curriculum_learning"))
        readLoaderKeys(&sampling, ignored: &ignored)
        sampling.finish()
        var routing = r.object("data_routing")
        de.dataRouting.enabled = routing.bool("enabled", default: de.dataRouting.enabled)
        de.dataRouting.randomLTD = parseRandomLTD(routing.object("random_ltd"))
        routing.finish()
        r.finish()
        return de
    }

    static func parseCurriculumLearning(_ r: ObjectReader) -> CurriculumLearningConfig {
        var r = r
        var cl = CurriculumLearningConfig()
        cl.enabled = r.bool("enabled", default: cl.enabled)
        cl.dataClusterPath = r.string("data_cluster_path")
        var metrics = r.object("curriculum_metrics", required: cl.enabled)
        for name in metrics.keys {
            if let m = parseMetric(name: name, metrics.object(name)) { cl.metrics.append(m) }
        }
        metrics.finish()
        r.finish()
        return cl
    }

    static func parseMetric(name: String, _ r: ObjectReader) -> CurriculumMetricConfig? {
        var r = r
        let difficulty = r.choice("difficulty_type", ["value", "percentile"], required: true)
        let clustering = r.choice("clustering_type", ["schedule_based", "single_cluster"], required: true)
        let samplePath = r.string("index_to_sample_path")
        let metricPath = r.string("index_to_metric_path")
        let pacing = parsePacing(&r)
        r.finish()
        guard let difficulty, let clustering, let pacing,
              let d = DifficultyType(rawValue: difficulty), let c = ClusteringType(rawValue: clustering) else { return nil }
        return CurriculumMetricConfig(name: name, difficultyType: d, clusteringType: c, pacing: pacing,
                                      indexToSamplePath: samplePath, indexToMetricPath: metricPath)
    }

    /// min/max_difficulty, schedule_type and schedule_config of a metric or the legacy block.
    static func parsePacing(_ r: inout ObjectReader) -> PacingFunction? {
        let lo = r.number("min_difficulty", required: true)
        let hi = r.number("max_difficulty", required: true)
        let typeName = r.choice("schedule_type", PacingFunction.Kind.allCases.map(\.rawValue), required: true)
        let kind = typeName.flatMap(PacingFunction.Kind.init(rawValue:))
        var sc = r.object("schedule_config", required: kind != nil)
        defer { sc.finish() }
        guard let kind else { sc.accept(sc.keys); return nil }
        let pacing = parseScheduleConfig(&sc, kind: kind, min: lo?.value ?? 0, max: hi?.value ?? 0,
                                         integral: (lo?.integral ?? true) && (hi?.integral ?? true))
        return lo != nil && hi != nil ? pacing : nil
    }

    /// The `schedule_config` keys of `kind` (spec §2.1; `points` for Gradus's `custom`).
    static func parseScheduleConfig(_ sc: inout ObjectReader, kind: PacingFunction.Kind, min lo: Double,
                                    max hi: Double, integral: Bool) -> PacingFunction? {
        switch kind {
        case .fixedLinear, .fixedRoot:
            let total = sc.number("total_curriculum_step", required: true)
            let step = sc.number("difficulty_step", required: true)
            let degree = sc.number("root_degree", required: kind == .fixedRoot)
            guard let total, let step else { return nil }
            if kind == .fixedRoot, degree == nil { return nil }
            return .root(kind: kind, min: lo, max: hi, totalSteps: total.value, difficultyStep: step.value,
                         rootDegree: kind == .fixedLinear ? 1 : degree!.value, isIntegral: integral && step.integral)
        case .fixedDiscrete:
            let ds = sc.numbers("difficulty", required: true)
            let steps = sc.numbers("max_step", required: true)
            guard let ds, let steps else { return nil }
            return .discrete(min: lo, max: hi, difficulties: ds, maxSteps: steps)
        case .custom:
            return parseCustomPoints(&sc, min: lo, max: hi)
        }
    }

    /// `schedule_config.points`: [[step, difficulty], …] (Gradus's table form of `custom`).
    static func parseCustomPoints(_ sc: inout ObjectReader, min: Double, max: Double) -> PacingFunction? {
        guard case .array(let items)? = sc.raw("points") else {
            sc.log.add(sc.keyPath("points"), "custom schedules need points: [[step, difficulty], ...]")
            return nil
        }
        var points: [PacingFunction.Point] = []
        for (i, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2, let s = pair[0].number, let d = pair[1].number else {
                sc.log.add("\(sc.keyPath("points"))[\(i)]", "expected [step, difficulty]")
                return nil
            }
            points.append(.init(step: s, difficulty: d))
        }
        return .custom(min: min, max: max, points: points)
    }

    static func parseLegacy(_ r: ObjectReader) -> LegacyCurriculumConfig {
        var r = r
        let enabled = r.bool("enabled", default: false)
        let type = r.string("curriculum_type", required: enabled)
        var pacing: PacingFunction?
        if enabled { pacing = parsePacing(&r) } else { r.accept(r.keys) }
        r.finish()
        return LegacyCurriculumConfig(enabled: enabled, curriculumType: type, pacing: pacing)
    }

    static func parseGradus(_ r: ObjectReader, extension ext: inout some GradusBlockExtension) -> GradusBlock {
        var r = r
        var g = GradusBlock()
        g.index = r.string("index")
        var cur = r.object("curriculum")
        if let unit = cur.choice("step_unit", ["steps", "tokens"]) { g.stepUnit = PacingFunction.StepUnit(rawValue: unit)! }
        cur.finish()
        ext.read(gradus: &r)
        r.finish()
        return g
    }

    static func parseRandomLTD(_ r: ObjectReader) -> RandomLTDConfig {
        var r = r
        var c = RandomLTDConfig()
        c.enabled = r.bool("enabled", default: c.enabled)
        let req = c.enabled
        c.totalLayerNum = r.int("total_layer_num", required: req) ?? c.totalLayerNum
        c.randomLTDLayerNum = r.int("random_ltd_layer_num", required: req) ?? c.randomLTDLayerNum
        if let ids = r.numbers("random_ltd_layer_id", required: req) {
            // Checked before the conversion: Int(1e300) or Int(0.5) would trap or truncate.
            for (i, id) in ids.enumerated() where !(id >= 0 && id < Double(maxLayers) && id == id.rounded()) {
                r.log.add("\(r.keyPath("random_ltd_layer_id"))[\(i)]", "\(id) is not a layer id: an integer in 0..<\(maxLayers)")
            }
            c.randomLTDLayerIDs = ids.allSatisfy { $0 >= 0 && $0 < Double(maxLayers) && $0 == $0.rounded() } ? ids.map { Int($0) } : []
        }
        switch r.raw("model_mask_name") {
        case .string(let s)?: c.modelMaskName = s
        case .null?: c.modelMaskName = nil
        case nil: if req { r.log.add(r.keyPath("model_mask_name"), "required key is missing (use null for no mask)") }
        case let other?: r.log.add(r.keyPath("model_mask_name"), "expected a string or null, found \(other.typeName)")
        }
        c.modelType = r.choice("model_type", ["decoder", "encoder"], required: req) ?? c.modelType
        c.hiddenStateOrder = r.choice("hidden_state_order", ["batch_seq_dim", "seq_batch_dim"], required: req) ?? c.hiddenStateOrder
        c.schedule = parseLTDSchedule(r.object("random_ltd_schedule", required: req), required: req)
        var lr = r.object("layer_token_lr_schedule")
        c.layerTokenLRSchedule.enabled = lr.bool("enabled", default: c.layerTokenLRSchedule.enabled)
        c.layerTokenLRSchedule.totalLayerTokens = lr.int("total_layer_tokens")
        c.layerTokenLRSchedule.warmupType = lr.string("warmup_type")
        c.layerTokenLRSchedule.warmupLayerTokens = lr.int("warmup_layer_tokens")
        lr.finish()
        // Injected by DeepSpeed's engine from the batch keys; accepted and overwritten there too.
        r.accept(["global_batch_size", "micro_batch_size"])
        r.finish()
        return c
    }

    static func parseLTDSchedule(_ r: ObjectReader, required req: Bool) -> RandomLTDScheduleConfig? {
        var r = r
        let lo = r.int("min_value", required: req)
        let hi = r.int("max_value", required: req)
        let type = r.choice("schedule_type", ["fixed_linear"], required: req)
        var sc = r.object("schedule_config", required: req)
        let steps = sc.int("require_steps", required: req)
        let per = sc.int("seq_per_step", required: req)
        sc.finish()
        r.finish()
        guard let lo, let hi, let type, let steps, let per else { return nil }
        if steps <= 0 { r.log.add(sc.keyPath("require_steps"), "must be > 0") }
        if per <= 0 { r.log.add(sc.keyPath("seq_per_step"), "must be > 0") }
        if hi < lo { r.log.add(r.keyPath("max_value"), "must be ≥ min_value") }
        return RandomLTDScheduleConfig(minValue: lo, maxValue: hi, scheduleType: type, requireSteps: steps, seqPerStep: per)
    }
}
