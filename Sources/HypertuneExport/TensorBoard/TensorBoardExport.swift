import Foundation
import Hypertune

/// A study as TensorBoard event files: its Scalars tab plots the objective by trial number and
/// each trial's intermediate values by step, and its HParams tab lists the trials with their
/// parameters, metrics and status.
///
/// ## Layout
/// ```
/// DIR/events.out.tfevents.<unix seconds>.<host>             the run "."
///     _hparams_/experiment    the HParams experiment: every parameter with its type and domain,
///                             every metric (below)
///     value, best_value       each complete trial's objective value, and the best so far, at
///                             step = trial number (value_0, best_value_0, … for several)
/// DIR/trial-0003/events.out.tfevents.<unix seconds>.<host>  one run = one HParams session per trial
///     _hparams_/session_start_info   the trial's parameters, group name, start time
///     value                   its objective value at step = trial number (complete trials)
///     intermediate_value      its intermediate values, at their steps
///     user_attrs/<key>        each numeric user attribute at step = trial number (keys of
///                             nested objects joined by "/": user_attrs/lambda/lr)
///     _hparams_/session_end_info     its status and end time
/// ```
/// Trial directories are `trial-` and the number, zero-padded to at least 4 digits so that they
/// sort. The metrics of the experiment are the objective tags, `intermediate_value` and the
/// user attribute tags, each in the session's own run; TensorBoard shows a session's last value.
///
/// ## Choices
/// - Status: COMPLETE is `STATUS_SUCCESS`, FAILED `STATUS_FAILURE`, RUNNING `STATUS_RUNNING`
///   (end time 0). TensorBoard has no status for a trial stopped early on purpose; a PRUNED trial
///   is `STATUS_UNKNOWN` with its end time, so that each of the four states is its own status in
///   the HParams filter and pruned trials are neither counted as successes nor as crashes.
///   WAITING trials have not started and are left out.
/// - Hyperparameter types: a float or int parameter is FLOAT64 with the interval of its
///   distributions; a categorical of booleans is BOOL, of numbers FLOAT64, of strings STRING,
///   each with its choices as the discrete domain (numeric choices past 32 distinct values, such
///   as a recorded `hyper_iteration`, as an interval instead); a categorical mixing kinds is
///   STRING, its values written as text. The description holds the distribution as the search
///   space format writes it.
/// - Scalars are `simple_value` (32-bit floats, as every TensorBoard scalar); JSON and CSV
///   exports keep full precision. Per-step times are not recorded, so every event of a trial
///   carries its end time (its start for the session start).
public enum TensorBoardExport {
    /// The version in the first record of every event file.
    public static let fileVersion = "brain.Event:2"

    /// Writes the event files of a study into `directory` (created if needed) and returns them,
    /// the root run's first.
    ///
    /// - Parameters:
    ///   - replacing: remove the event files of an earlier export first (those in `directory`
    ///     and in its `trial-*` directories; nothing else is touched). Without it, an earlier
    ///     export there is an error, since TensorBoard would show both.
    ///   - now: the time of the export: file names, the file-version events, and the
    ///     experiment's creation time when no trial has a start time (else the earliest start).
    ///   - hostname: for the file names (default: this machine's, from `gethostname`).
    /// - Throws: ``ExportError`` naming the path that could not be created or written.
    /// - Complexity: O(*n* log *n*) for *n* trials, plus their values.
    @discardableResult
    public static func write(studyName: String, directions: [StudyDirection], trials: [FrozenTrial], to directory: URL,
                             replacing: Bool = false, now: Date = Date(),
                             hostname: String? = nil) throws(ExportError) -> [URL] {
        try ExportFiles.makeDirectory(directory)
        try clearEarlierExport(in: directory, replacing: replacing)
        let host = hostname ?? ExportFiles.hostname()
        let stamp = "\(Int(now.timeIntervalSince1970)).\(ExportFiles.safeName(host.isEmpty ? "localhost" : host))"
        var written: [URL] = []
        for run in runs(studyName: studyName, directions: directions, trials: trials, now: now) {
            let runDirectory = run.name.isEmpty ? directory : directory.appendingPathComponent(run.name, isDirectory: true)
            try ExportFiles.makeDirectory(runDirectory)
            var file = runDirectory.appendingPathComponent("events.out.tfevents.\(stamp)")
            var suffix = 1
            while FileManager.default.fileExists(atPath: file.path) {
                file = runDirectory.appendingPathComponent("events.out.tfevents.\(stamp).\(suffix)")
                suffix += 1
            }
            var bytes: [UInt8] = []
            for event in run.events { TFRecord.append(event.serialized, to: &bytes) }
            try ExportFiles.write(bytes, to: file)
            written.append(file)
        }
        return written
    }

    /// The tag of objective `index` of `count`: `value`, or `value_0`, `value_1`, … (the column
    /// names of ``TrialTable``).
    public static func objectiveTag(_ index: Int, of count: Int) -> String {
        count == 1 ? "value" : "value_\(index)"
    }

    /// The run (directory) of a trial.
    public static func runName(_ number: Int) -> String {
        let digits = String(number)
        return "trial-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static let intermediateTag = "intermediate_value"
    static let userAttributePrefix = "user_attrs/"

    // MARK: Plan

    /// One run: a directory (empty for the root) and its events, the file version first.
    struct Run: Equatable {
        var name: String
        var events: [TensorBoardProto.Event]
    }

    /// The runs of a study, root first then trials by number: everything ``write`` puts in files.
    static func runs(studyName: String, directions: [StudyDirection], trials: [FrozenTrial], now: Date) -> [Run] {
        let trials = trials.filter { $0.state != .waiting }.sorted { $0.number < $1.number }
        let objectives = max(1, directions.count)
        let hparams = HParamSpec.specs(trials)
        let userTags = Set(trials.flatMap { numericAttributes($0.userAttributes).keys }).sorted()
        let hasIntermediate = trials.contains { !$0.intermediateValues.isEmpty }
        let nowSecs = now.timeIntervalSince1970
        let header = TensorBoardProto.Event(wallTime: nowSecs, step: 0, what: .fileVersion(fileVersion))
        func summary(_ wallTime: Double, _ step: Int, _ values: [TensorBoardProto.Summary.Value]) -> TensorBoardProto.Event {
            TensorBoardProto.Event(wallTime: wallTime, step: Int64(step), what: .summary(TensorBoardProto.Summary(values: values)))
        }
        func scalar(_ tag: String, _ x: Double) -> TensorBoardProto.Summary.Value {
            TensorBoardProto.Summary.Value(tag: tag, metadata: nil, content: .simpleValue(Float(x)))
        }

        // The experiment.
        var metrics: [TensorBoardProto.MetricInfo] = (0..<objectives).map { i in
            let direction = i < directions.count ? directions[i].rawValue : "minimize"
            return TensorBoardProto.MetricInfo(tag: objectiveTag(i, of: objectives), displayName: "\(objectiveTag(i, of: objectives)) (\(direction))",
                                               description: objectives == 1 ? "The objective value (\(direction))." : "Objective \(i) (\(direction)).")
        }
        if hasIntermediate {
            metrics.append(TensorBoardProto.MetricInfo(tag: intermediateTag, description: "The last intermediate value the trial reported."))
        }
        metrics += userTags.map { TensorBoardProto.MetricInfo(tag: userAttributePrefix + $0, description: "The user attribute \($0).") }
        let created = trials.compactMap { $0.startedAt?.timeIntervalSince1970 }.min() ?? nowSecs
        let states = Dictionary(grouping: trials, by: \.state).sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.value.count) \($0.key.rawValue)" }.joined(separator: ", ")
        let experiment = TensorBoardProto.Experiment(
            description: "Hypertune study \(studyName) (\(directions.map(\.rawValue).joined(separator: ", "))): \(trials.isEmpty ? "no trials" : states).",
            timeCreatedSecs: created,
            hparamInfos: hparams.keys.sorted().map { hparams[$0]!.info(name: $0) },
            metricInfos: metrics,
            name: studyName)

        // The root run: the experiment, the history and the best so far.
        var root = [header, summary(nowSecs, 0, [TensorBoardProto.HParamsPluginData.experiment(experiment).summaryValue])]
        var best: [Double?] = Array(repeating: nil, count: objectives)
        for trial in trials where trial.state == .complete {
            guard let values = trial.values, values.count == objectives else { continue }
            var scalars: [TensorBoardProto.Summary.Value] = []
            for (i, x) in values.enumerated() {
                let maximize = i < directions.count && directions[i] == .maximize
                if x.isFinite, best[i].map({ maximize ? x > $0 : x < $0 }) ?? true { best[i] = x }
                scalars.append(scalar(objectiveTag(i, of: objectives), x))
                if let b = best[i] { scalars.append(scalar("best_" + objectiveTag(i, of: objectives), b)) }
            }
            root.append(summary(endTime(trial, now), trial.number, scalars))
        }
        var runs = [Run(name: "", events: root)]

        // One session per trial.
        for trial in trials {
            let end = endTime(trial, now)
            let start = trial.startedAt?.timeIntervalSince1970 ?? end
            let startInfo = TensorBoardProto.SessionStartInfo(
                hparams: Dictionary(uniqueKeysWithValues: trial.parameters.compactMap { name, value in
                    hparams[name].map { (name, $0.protoValue(value)) }
                }),
                groupName: runName(trial.number), startTimeSecs: start)
            var events = [header, summary(start, 0, [TensorBoardProto.HParamsPluginData.sessionStartInfo(startInfo).summaryValue])]
            for (step, x) in trial.intermediateValues.sorted(by: { $0.key < $1.key }) {
                events.append(summary(end, step, [scalar(intermediateTag, x)]))
            }
            var last: [TensorBoardProto.Summary.Value] = []
            if trial.state == .complete, let values = trial.values, values.count == objectives {
                last += values.enumerated().map { scalar(objectiveTag($0.offset, of: objectives), $0.element) }
            }
            last += numericAttributes(trial.userAttributes).sorted { $0.key < $1.key }.map { scalar(userAttributePrefix + $0.key, $0.value) }
            if !last.isEmpty { events.append(summary(end, trial.number, last)) }
            let status: TensorBoardProto.Status = switch trial.state {
            case .complete: .success
            case .failed: .failure
            case .running: .running
            case .pruned, .waiting: .unknown
            }
            let endInfo = TensorBoardProto.SessionEndInfo(status: status, endTimeSecs: trial.state == .running ? 0 : end)
            events.append(summary(end, 0, [TensorBoardProto.HParamsPluginData.sessionEndInfo(endInfo).summaryValue]))
            runs.append(Run(name: runName(trial.number), events: events))
        }
        return runs
    }

    /// When a trial's events happened: its end, else its last heartbeat, its start, or now.
    static func endTime(_ trial: FrozenTrial, _ now: Date) -> Double {
        (trial.finishedAt ?? trial.heartbeatAt ?? trial.startedAt ?? now).timeIntervalSince1970
    }

    /// The numbers among `attributes`, nested objects flattened with "/" (arrays, strings and
    /// booleans left out).
    static func numericAttributes(_ attributes: [String: JSONValue]) -> [String: Double] {
        var result: [String: Double] = [:]
        func visit(_ prefix: String, _ value: JSONValue) {
            switch value {
            case let .number(x): result[prefix] = x
            case let .object(members): for (k, v) in members { visit(prefix + "/" + k, v) }
            default: break
            }
        }
        for (key, value) in attributes { visit(key, value) }
        return result
    }

    // MARK: Replacing

    /// Whether `name` is an event file TensorBoard reads.
    static func isEventFile(_ name: String) -> Bool { name.hasPrefix("events.out.tfevents.") }

    static func isTrialRun(_ name: String) -> Bool {
        name.hasPrefix("trial-") && name.dropFirst(6).allSatisfy(\.isNumber) && name.count > 6
    }

    /// Removes (with `replacing`) or refuses an earlier export's event files in `directory`.
    static func clearEarlierExport(in directory: URL, replacing: Bool) throws(ExportError) {
        let fm = FileManager.default
        var found: [URL] = []
        let entries = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        for entry in entries {
            let url = directory.appendingPathComponent(entry)
            if isEventFile(entry) {
                found.append(url)
            } else if isTrialRun(entry) {
                for inner in (try? fm.contentsOfDirectory(atPath: url.path)) ?? [] where isEventFile(inner) {
                    found.append(url.appendingPathComponent(inner))
                }
            }
        }
        guard !found.isEmpty else { return }
        guard replacing else { throw .alreadyExists(directory, "TensorBoard event files (\(found[0].lastPathComponent), …)") }
        for url in found { try ExportFiles.remove(url) }
    }
}

/// How one parameter appears in the HParams plugin: its type, domain and description, and how
/// a trial's value is written for that type.
struct HParamSpec: Equatable {
    enum Kind: Equatable { case number, string, bool, text }

    var kind: Kind
    var domain: TensorBoardProto.HParamInfo.Domain?
    var description: String

    /// Numeric choices past this many distinct values are shown as an interval.
    static let discreteLimit = 32

    func info(name: String) -> TensorBoardProto.HParamInfo {
        let type: TensorBoardProto.HParamType = switch kind {
        case .number: .float64
        case .bool: .bool
        case .string, .text: .string
        }
        return TensorBoardProto.HParamInfo(name: name, description: description, type: type, domain: domain)
    }

    func protoValue(_ value: ParameterValue) -> TensorBoardProto.ProtoValue {
        switch (kind, value) {
        case let (.number, v) where v.doubleValue != nil: .number(v.doubleValue!)
        case let (.bool, .bool(b)): .bool(b)
        case let (.string, .string(s)): .string(s)
        default: .string(value.description)
        }
    }

    /// The spec of every parameter of `trials`, from the distributions they were drawn from (and
    /// their values, for a parameter without one).
    static func specs(_ trials: [FrozenTrial]) -> [String: HParamSpec] {
        var distributions: [String: [Distribution]] = [:]
        var values: [String: [ParameterValue]] = [:]
        for trial in trials {
            for (name, value) in trial.parameters {
                values[name, default: []].append(value)
                if let d = trial.distributions[name], !(distributions[name]?.contains(d) ?? false) {
                    distributions[name, default: []].append(d)
                }
            }
        }
        var specs: [String: HParamSpec] = [:]
        for (name, vs) in values {
            specs[name] = spec(distributions[name] ?? [], values: vs)
        }
        return specs
    }

    static func spec(_ distributions: [Distribution], values: [ParameterValue]) -> HParamSpec {
        let description = distributions.map { JSONText.string(TrialJSON.json(of: $0)) }.joined(separator: " or ")
        var lows: [Double] = [], highs: [Double] = []
        var choices: [ParameterValue] = []
        for d in distributions {
            switch d {
            case let .float(low, high, _, _): lows.append(low); highs.append(high)
            case let .int(low, high, _, _): lows.append(Double(low)); highs.append(Double(high))
            case let .categorical(cs): for c in cs where !choices.contains(c) { choices.append(c) }
            }
        }
        if distributions.isEmpty {
            for v in values where !choices.contains(v) { choices.append(v) }
        }
        let numericChoices = choices.compactMap { c -> Double? in
            if case .bool = c { return nil }
            return c.doubleValue
        }
        if numericChoices.count == choices.count {
            if choices.isEmpty || (!lows.isEmpty) || Set(numericChoices).count > discreteLimit {
                let all = lows + highs + numericChoices
                return HParamSpec(kind: .number, domain: all.isEmpty ? nil : .interval(min: all.min()!, max: all.max()!), description: description)
            }
            return HParamSpec(kind: .number, domain: .discrete(choices.map { .number($0.doubleValue!) }), description: description)
        }
        if lows.isEmpty, choices.allSatisfy({ $0.boolValue != nil }) {
            return HParamSpec(kind: .bool, domain: .discrete(choices.map { .bool($0.boolValue!) }), description: description)
        }
        if lows.isEmpty, choices.allSatisfy({ $0.stringValue != nil }) {
            return HParamSpec(kind: .string, domain: .discrete(choices.map { .string($0.stringValue!) }), description: description)
        }
        // Mixed kinds: every value as its text; a numeric range has no discrete domain.
        return HParamSpec(kind: .text, domain: lows.isEmpty ? .discrete(choices.map { .string($0.description) }) : nil, description: description)
    }
}
