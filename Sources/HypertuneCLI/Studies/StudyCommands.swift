import ArgumentParser
import Foundation
import Hypertune
import HypertuneCharts
import HypertuneExport

/// `hypertune studies`: the studies of a store, each with its trials by state, best value and
/// last activity.
struct Studies: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the studies of a store.")

    @OptionGroup var storage: StorageOption

    @Option(help: "table or json.")
    var format: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func run() async throws {
        let storage = try await self.storage.open()
        var summaries: [StudySummary] = []
        for record in try await storage.allStudies() {
            summaries.append(StudySummary(record: record, trials: try await storage.trials(studyID: record.id, states: nil)))
        }
        switch format {
        case .json:
            print(try StoredJSON.string(JSONValue.array(summaries.map(Self.json))))
        case .table:
            guard !summaries.isEmpty else {
                print("no studies in \(self.storage.url)")
                return
            }
            let rows = summaries.map { s -> [String] in
                let states: [TrialState] = [.complete, .pruned, .failed, .running, .waiting]
                let counts = states.compactMap { st in s.counts[st].map { "\($0) \(st.rawValue.lowercased())" } }.joined(separator: ", ")
                let best = s.best.map { "\(Format.value($0.value)) (#\($0.number))" } ?? s.paretoFrontSize.map { "\($0) on the front" } ?? "—"
                return [s.name, s.directions.map(\.rawValue).joined(separator: ","), s.sampler ?? "—", String(s.total), counts.isEmpty ? "—" : counts, best,
                        s.lastActivity.map(Self.relative) ?? "—"]
            }
            print(TrialTable(columns: ["study", "direction", "sampler", "trials", "states", "best", "last activity"], rows: rows).text)
        }
    }

    static func json(_ s: StudySummary) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(s.name), "directions": .array(s.directions.map { .string($0.rawValue) }), "trials": .number(Double(s.total)),
            "states": .object(Dictionary(uniqueKeysWithValues: s.counts.map { ($0.key.rawValue, .number(Double($0.value))) })),
            "created_at": .string(ISO8601DateFormatter().string(from: s.createdAt)),
        ]
        if let best = s.best { o["best"] = .object(["number": .number(Double(best.number)), "value": .number(best.value)]) }
        if let front = s.paretoFrontSize { o["pareto_front_size"] = .number(Double(front)) }
        if let sampler = s.sampler { o["sampler"] = .string(sampler) }
        if let pruner = s.pruner { o["pruner"] = .string(pruner) }
        if let last = s.lastActivity { o["last_activity"] = .string(ISO8601DateFormatter().string(from: last)) }
        return .object(o)
    }

    /// `12 s ago`, `5 min ago`, `3 h ago`, or the date.
    static func relative(_ date: Date) -> String {
        let s = Date().timeIntervalSince(date)
        if s < 60 { return "\(max(0, Int(s))) s ago" }
        if s < 3600 { return "\(Int(s / 60)) min ago" }
        if s < 86400 { return "\(Int(s / 3600)) h ago" }
        return ISO8601DateFormatter().string(from: date)
    }
}

/// `hypertune delete STUDY`: removes a study and its trials.
struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a study and all its trials.")

    @Argument(help: "The study.")
    var study: String

    @OptionGroup var storage: StorageOption

    @Flag(help: "Do not ask for confirmation.")
    var yes = false

    func run() async throws {
        let storage = try await self.storage.open()
        let record = try await storage.requireStudy(study, url: self.storage.url)
        let count = try await storage.trials(studyID: record.id, states: nil).count
        if !yes {
            guard isTerminal(STDIN_FILENO) else { throw CLIError("deleting '\(study)' (\(count) trials) needs --yes when not run from a terminal") }
            FileHandle.standardError.write(Data("delete study '\(study)' and its \(count) trials from \(self.storage.url)? [y/N] ".utf8))
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                print("not deleted")
                return
            }
        }
        try await storage.deleteStudy(id: record.id)
        print("deleted study '\(study)' (\(count) trials)")
    }
}

/// `hypertune trials STUDY`: a study's trials as an aligned table, CSV or JSON (the contract of
/// ARCHITECTURE.md: `number`, `state`, `params`, `value`/`values`, `intermediate`, `user_attrs`,
/// `fail_reason`, …).
struct Trials: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a study's trials as a table, CSV or JSON.")

    @Argument(help: "The study.")
    var study: String

    @OptionGroup var storage: StorageOption

    @Option(help: "table, csv or json.")
    var format: TrialFormat = .table

    @Option(help: ArgumentHelp("Only trials in these states, comma-separated (complete, pruned, failed, running, waiting).", valueName: "states"))
    var state: String?

    enum TrialFormat: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    func run() async throws {
        let storage = try await self.storage.open()
        let record = try await storage.requireStudy(study, url: self.storage.url)
        var states: Set<TrialState>?
        if let state {
            states = []
            for name in state.split(separator: ",") {
                guard let s = TrialState(rawValue: name.uppercased()) else { throw ValidationError("--state: unknown state '\(name)'") }
                states?.insert(s)
            }
        }
        let trials = try await storage.trials(studyID: record.id, states: states)
        switch format {
        case .json: print(TrialJSON.encode(trials, directions: record.directions, pretty: true), terminator: "")
        case .csv: print(StudyExport.csv(trials, directions: record.directions), terminator: "")
        case .table: print(TrialTable(trials: trials, objectives: record.directions.count).text)
        }
    }
}

/// `hypertune best STUDY`: the best trial, or the Pareto front of a study of several objectives.
struct Best: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a study's best trial (the Pareto front for several objectives).")

    @Argument(help: "The study.")
    var study: String

    @OptionGroup var storage: StorageOption

    @Option(help: "table or json.")
    var format: Studies.OutputFormat = .table

    func run() async throws {
        let storage = try await self.storage.open()
        let record = try await storage.requireStudy(study, url: self.storage.url)
        let complete = try await storage.trials(studyID: record.id, states: [.complete]).filter { $0.values?.count == record.directions.count }
        let best = ParetoFront.indices(of: complete.map(\.values!), directions: record.directions).map { complete[$0] }
        // One objective: the first of equally good trials.
        let shown = record.directions.count == 1 ? Array(best.prefix(1)) : best
        guard !shown.isEmpty else { throw CLIError("study '\(study)' has no complete trial yet") }
        switch format {
        case .json:
            let value = record.directions.count == 1 ? TrialJSON.object(shown[0], directions: record.directions) : TrialJSON.array(shown, directions: record.directions)
            print(JSONText.string(value, pretty: true))
        case .table:
            print(TrialTable(trials: shown, objectives: record.directions.count).text)
        }
    }
}

/// `hypertune export STUDY`: the study as CSV, JSON or TensorBoard event files.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a study as CSV, JSON or TensorBoard event files.",
        discussion: "Writes DIR/<study>.csv, DIR/<study>.json, or TensorBoard runs under DIR/<study>/ (view with `tensorboard --logdir DIR/<study>`).")

    @Argument(help: "The study.")
    var study: String

    @OptionGroup var storage: StorageOption

    @Option(help: "csv, json or tensorboard.")
    var format: StudyExportFormat

    @Option(help: ArgumentHelp("The folder to write into.", valueName: "dir"))
    var out: String

    @Flag(help: "Replace an earlier export of the study there.")
    var replace = false

    func run() async throws {
        let storage = try await self.storage.open()
        let record = try await storage.requireStudy(study, url: self.storage.url)
        let trials = try await storage.trials(studyID: record.id, states: nil)
        do {
            let files = try StudyExport.export(format: format, studyName: record.name, directions: record.directions, trials: trials,
                                               to: URL(fileURLWithPath: out), replacing: replace)
            let shown = format == .tensorboard ? files.first.map { [$0.deletingLastPathComponent().path + "/ (\(files.count) event files)"] } ?? [] : files.map(\.path)
            print("exported study '\(study)' (\(trials.count) trials): \(shown.joined(separator: ", "))")
        } catch where error.code == .alreadyExists {
            throw CLIError("\(error.description) (pass --replace to overwrite it)")
        } catch {
            throw CLIError(String(describing: error))
        }
    }
}

extension StudyExportFormat: ExpressibleByArgument {}

/// `hypertune plot STUDY --kind KIND --out FILE.svg`: a chart of a study, as SVG.
struct Plot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a chart of a study as SVG.",
        discussion: "Kinds:\n" + StudyChart.allCases.map { "  \($0.rawValue): \($0.summary)" }.joined(separator: "\n"))

    @Argument(help: "The study.")
    var study: String

    @OptionGroup var storage: StorageOption

    @Option(help: "The chart: \(StudyChart.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: StudyChart = .history

    @Option(help: ArgumentHelp("Where to write the SVG.", valueName: "file.svg"))
    var out: String

    @Option(help: ArgumentHelp("Parameters to show, comma-separated (for contour: the two axes, x first).", valueName: "names"))
    var params: String?

    @Option(help: "Which objective to draw, for studies of several (0, 1, …).")
    var objective: Int = 0

    @Flag(inversion: .prefixedNo, help: "A logarithmic objective axis (default: when positive values span more than two decades).")
    var logY: Bool?

    @Option(help: "The most trials to draw; beyond, a subsample that keeps the best.")
    var maxPoints: Int = 5000

    @Option(help: "Width and height in pixels, WxH.")
    var size: String = "860x500"

    func run() async throws {
        let storage = try await self.storage.open()
        let record = try await storage.requireStudy(study, url: self.storage.url)
        let history = StudyHistory(directions: record.directions, trials: try await storage.trials(studyID: record.id, states: nil))
        var options = StudyChartOptions()
        options.objectiveIndex = objective
        options.logY = logY
        options.maxPoints = maxPoints
        let dimensions = size.split(separator: "x").compactMap { Double($0) }
        guard dimensions.count == 2, dimensions.allSatisfy({ $0 >= 200 && $0 <= 10000 }) else { throw ValidationError("--size: expected WxH in pixels (200…10000), got '\(size)'") }
        options.width = dimensions[0]
        options.height = dimensions[1]
        if let params {
            let names = params.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if kind == .contour {
                guard names.count == 2 else { throw ValidationError("--params: a contour needs two parameters, x,y") }
                options.contourParameters = (names[0], names[1])
            } else {
                options.parameters = names
            }
        }
        let svg: String
        do {
            svg = try StudyCharts.render(kind, history: history, studyName: record.name, options: options)
        } catch {
            throw CLIError("cannot draw the \(kind.rawValue) chart of '\(study)': \(error.description)")
        }
        let url = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try svg.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError("cannot write \(out): \(error.localizedDescription)")
        }
        print("wrote \(out) (\(kind.rawValue) of '\(study)')")
    }
}

extension StudyChart: ExpressibleByArgument {}
