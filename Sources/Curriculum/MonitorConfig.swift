// MonitorConfig.swift — DeepSpeed's monitor blocks (`tensorboard`, `csv_monitor`, `wandb`,
// `comet`; deepspeed/monitor/config.py) as Gradus reads them (issue 17 item 3): TensorBoard and
// csv_monitor are written by the trainer; any other enabled monitor is named in one warning.

import Support

/// One file-writing monitor block: DeepSpeed's `TensorBoardConfig` / `CSVConfig`.
public struct FileMonitorConfig: Codable, Sendable, Equatable {
    /// The directory the job's directory goes in; "" (DeepSpeed's default) means the run directory.
    public var outputPath: String
    /// The job's directory inside `outputPath`; DeepSpeed's default is "DeepSpeedJobName".
    public var jobName: String

    /// A block from its parts.
    public init(outputPath: String = "", jobName: String = "DeepSpeedJobName") {
        (self.outputPath, self.jobName) = (outputPath, jobName)
    }
}

/// The monitor blocks of a config file.
public struct MonitorsConfig: Codable, Sendable, Equatable {
    /// `tensorboard` when enabled, else nil.
    public var tensorboard: FileMonitorConfig?
    /// `csv_monitor` when enabled, else nil.
    public var csvMonitor: FileMonitorConfig?
    /// Enabled monitor blocks Gradus does not write (`wandb`, `comet`), in file order.
    public var unwritten: [String] = []

    /// No monitor enabled.
    public init() {}

    /// Whether any monitor block is enabled.
    public var isEmpty: Bool { tensorboard == nil && csvMonitor == nil && unwritten.isEmpty }

    /// The monitor block keys DeepSpeed 0.19 reads (`get_monitor_config`).
    static let keys = ["tensorboard", "csv_monitor", "wandb", "comet"]

    /// Reads the monitor blocks of `top` (each also stays in `GradusConfig.ignoredTopLevelKeys`
    /// when not enabled); a wrong type is an issue naming its key path.
    static func read(_ top: inout ObjectReader, log: IssueLog) -> MonitorsConfig {
        var result = MonitorsConfig()
        for key in keys where top.has(key) {
            guard case .object(let members)? = top.raw(key) else {
                log.add(key, "must be an object like {\"enabled\": true}")
                continue
            }
            func value(_ name: String) -> JSONValue? { members.first { $0.key == name }?.value }
            var enabled = false
            switch value("enabled") {
            case .bool(let b)?: enabled = b
            case nil: break
            default: log.add("\(key).enabled", "must be true or false")
            }
            guard enabled else { continue }
            guard key == "tensorboard" || key == "csv_monitor" else { result.unwritten.append(key); continue }
            var block = FileMonitorConfig()
            for (name, path) in [("output_path", \FileMonitorConfig.outputPath), ("job_name", \FileMonitorConfig.jobName)] {
                switch value(name) {
                case .string(let s)?: block[keyPath: path] = s
                case nil: break
                default: log.add("\(key).\(name)", "must be a string")
                }
            }
            if block.jobName.isEmpty || block.jobName.contains("/") || block.jobName == "." || block.jobName == ".." {
                log.add("\(key).job_name", "must be a directory name (not empty, no '/'), got \"\(block.jobName)\"")
            }
            if key == "tensorboard" { result.tensorboard = block } else { result.csvMonitor = block }
        }
        return result
    }
}
