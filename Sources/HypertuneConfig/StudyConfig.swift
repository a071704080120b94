import Foundation
import Hypertune
import HypertuneRunner

/// A study configuration: what `hypertune run CONFIG` reads (ARCHITECTURE.md, "Contracts").
///
/// ```yaml
/// study: svm-digits                  # created, or joined if it exists
/// storage: sqlite:///hypertune.db    # the default
/// direction: minimize                # or maximize; `directions: [minimize, maximize]` for several
/// sampler: tpe                       # or {name: tpe, seed: 7, startup_trials: 20}
/// pruner: median                     # optional; or {name: asha, reduction_factor: 3}
/// trials: 100                        # the study's total, across all workers
/// timeout: 2h                        # optional: stop starting trials after this long
/// parallelism: 2                     # trials at once in this process
/// trial_timeout: 10m                 # optional: a trial's program is stopped after this long
/// space: {…}                         # the search space (``SearchSpace``'s format)
/// command: [python3, train.py, "--lr={lr}"]
/// ```
///
/// Optional besides: `working_directory` (where the program runs; default the config file's
/// folder), `env` (variables for the program), `retries` (times a trial whose worker died is run
/// again), `heartbeat_interval` and `grace_period` (fault tolerance, see ``FaultTolerance``).
///
/// Every problem is a ``ConfigError`` naming the file, line and key; an unknown key is an error
/// with a suggestion.
public struct StudyConfig: Sendable {
    public var file: String
    public var study: String
    public var storage: String
    public var directions: [StudyDirection]
    public var sampler: SamplerSpec
    public var pruner: PrunerSpec
    public var trials: Int?
    public var timeout: Duration?
    public var parallelism: Int
    public var trialTimeout: Duration?
    public var space: SearchSpace
    public var command: CommandTemplate
    public var workingDirectory: String
    public var environment: [String: String]
    public var faultTolerance: FaultTolerance

    public static let defaultStorage = "sqlite:///hypertune.db"

    /// The keys a configuration may hold.
    public static let keys: Set<String> = [
        "study", "storage", "direction", "directions", "sampler", "pruner", "trials", "timeout", "parallelism", "trial_timeout",
        "space", "command", "working_directory", "env", "retries", "heartbeat_interval", "grace_period",
    ]

    /// Reads the configuration file at `path`.
    public static func load(path: String) throws(ConfigError) -> StudyConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, column: nil, path: [],
                              message: FileManager.default.fileExists(atPath: path) ? "cannot read the file: \(error.localizedDescription)" : "no such file")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(text, file: path, directory: directory)
    }

    /// Reads a configuration from `text` (named `file` in messages); relative working directories
    /// resolve from `directory`.
    public static func parse(_ text: String, file: String, directory: String) throws(ConfigError) -> StudyConfig {
        let root = try ConfigNode.parse(text, file: file)
        let entries = try root.mapping()
        var values: [String: ConfigNode] = [:]
        for entry in entries {
            guard keys.contains(entry.key) else {
                let hint = ConfigError.suggestion(for: entry.key, among: keys).map { " (did you mean '\($0)'?)" } ?? ""
                throw entry.keyNode.error("unknown key\(hint); the keys are \(keys.sorted().joined(separator: ", "))")
            }
            values[entry.key] = entry.value
        }
        func required(_ key: String) throws(ConfigError) -> ConfigNode {
            guard let node = values[key] else { throw root.error("missing '\(key)'") }
            return node
        }

        let study = try required("study").string()
        guard !study.isEmpty else { throw try required("study").error("the study needs a name") }
        let storage = try values["storage"]?.string() ?? defaultStorage

        let directions: [StudyDirection]
        switch (values["direction"], values["directions"]) {
        case let (direction?, nil): directions = [try Self.direction(direction)]
        case let (nil, list?):
            guard case let .sequence(elements) = list.value, !elements.isEmpty else { throw list.error("expected a list of directions, such as [minimize, maximize]") }
            var parsed: [StudyDirection] = []
            for element in elements { parsed.append(try Self.direction(element)) }
            directions = parsed
        case (nil, nil): directions = [.minimize]
        case let (_, list?): throw list.error("give 'direction' or 'directions', not both")
        }

        let space = try required("space").decode(SearchSpace.self)
        let commandNode = try required("command")
        let command: CommandTemplate
        if case let .string(text) = commandNode.value {
            let words = text.split(separator: " ").map { "\"\($0)\"" }.joined(separator: ", ")
            throw commandNode.error("the command is a list of arguments, not a shell line (no shell runs it): write [\(words)]")
        }
        do {
            command = try CommandTemplate(try commandNode.strings())
            try command.validate(parameters: space.allParameterNames)
        } catch let error as CommandTemplateError {
            throw commandNode.error(error.description)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw commandNode.error("\(error)")
        }

        var workingDirectory = directory
        if let node = values["working_directory"] {
            let given = try node.string()
            workingDirectory = given.hasPrefix("/") ? given : URL(fileURLWithPath: directory).appendingPathComponent(given).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: workingDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw node.error("no such directory: \(workingDirectory)")
            }
        }
        var environment: [String: String] = [:]
        if let node = values["env"] {
            for entry in try node.mapping() { environment[entry.key] = try entry.value.string() }
        }

        let trials = try values["trials"]?.int(atLeast: 1)
        let parallelism = try values["parallelism"]?.int(atLeast: 1) ?? 1
        let heartbeat = try values["heartbeat_interval"]?.duration() ?? .seconds(10)
        let grace = try values["grace_period"]?.duration() ?? max(.seconds(60), heartbeat * 3)
        guard grace > heartbeat else { throw (values["grace_period"] ?? root).error("the grace period must be longer than the heartbeat interval") }
        let sampler = try values["sampler"].map { node throws(ConfigError) in try SamplerSpec.parse(node) } ?? SamplerSpec(name: .tpe)
        if directions.count > 1, !sampler.name.supportsSeveralObjectives {
            throw (values["sampler"] ?? root).error("a study with \(directions.count) objectives needs a sampler for several objectives (nsga2, random, sobol, grid), not \(sampler.name.rawValue)")
        }
        if sampler.name == .lhs, trials == nil { throw (values["sampler"] ?? root).error("the lhs sampler lays out 'trials' trials: give 'trials'") }
        // A grid the space cannot make (a continuous float without points) is found now.
        _ = try sampler.makeChecked(space: space, trials: trials, checkpointRoot: nil)
        let pruner = try values["pruner"].map { node throws(ConfigError) in try PrunerSpec.parse(node) } ?? PrunerSpec(name: .none)
        if directions.count > 1, pruner.name != .none {
            throw (values["pruner"] ?? root).error("pruning needs a single objective; this study has \(directions.count)")
        }
        return StudyConfig(
            file: file, study: study, storage: storage, directions: directions, sampler: sampler, pruner: pruner, trials: trials,
            timeout: try values["timeout"]?.duration(), parallelism: parallelism, trialTimeout: try values["trial_timeout"]?.duration(),
            space: space, command: command, workingDirectory: workingDirectory, environment: environment,
            faultTolerance: FaultTolerance(heartbeatInterval: heartbeat, gracePeriod: grace, maxRetries: try values["retries"]?.int(atLeast: 0) ?? 0))
    }

    static func direction(_ node: ConfigNode) throws(ConfigError) -> StudyDirection {
        let text = try node.string()
        guard let d = StudyDirection(rawValue: text) else {
            throw node.error("expected minimize or maximize, got '\(text)'")
        }
        return d
    }

    /// The objective program this configuration runs.
    public var program: ObjectiveProgram {
        ObjectiveProgram(command: command, workingDirectory: workingDirectory, environment: environment, timeout: trialTimeout)
    }
}

extension SearchSpace {
    /// Every parameter name of the space, those under any branch included.
    public var allParameterNames: Set<String> {
        var names = Set<String>()
        for (name, parameter) in parameters {
            names.insert(name)
            if case let .choice(branches) = parameter {
                for b in branches { names.formUnion(b.subspace.allParameterNames) }
            }
        }
        return names
    }
}
