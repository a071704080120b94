import ArgumentParser
import Foundation
import Hypertune

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
                return [s.name, s.directions.map(\.rawValue).joined(separator: ","), String(s.total), counts.isEmpty ? "—" : counts, best,
                        s.lastActivity.map(Self.relative) ?? "—"]
            }
            print(TrialTable(columns: ["study", "direction", "trials", "states", "best", "last activity"], rows: rows).text)
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
