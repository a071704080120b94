import Foundation
@testable import Hypertune
import Testing

private struct Refused: Error, CustomStringConvertible {
    var description: String { #"bad "x", try again"# }
}

@Suite("Trials as a table")
struct TrialTableTests {
    @Test("one row per trial: values, every parameter (empty when inactive), the failure reason; CSV quotes what it must")
    func table() async throws {
        let study = try await Study.create(name: "table", direction: .minimize, sampler: RandomSampler(seed: 2))
        for i in 0..<3 {
            let trial = try await study.ask()
            let model = i == 1 ? "tree" : "linear"
            _ = try await trial.suggest("model", .categorical([.string(model)]))
            if model == "tree" { _ = try await trial.suggest("depth", .categorical([.int(4)])) }
            switch i {
            case 2: _ = try await study.tell(trial, state: .failed, reason: Refused().description)
            default: _ = try await study.tell(trial, Double(i) + 0.5)
            }
        }
        let table = try await study.table()
        #expect(table.columns == ["number", "state", "value", "depth", "model", "duration_s", "fail_reason"])
        #expect(table.rows.map { Array($0[0...4]) + [$0[6]] } == [
            ["0", "COMPLETE", "0.5", "", "linear", ""],
            ["1", "COMPLETE", "1.5", "4", "tree", ""],
            ["2", "FAILED", "", "", "linear", #"bad "x", try again"#],
        ])
        #expect(table.rows.allSatisfy { Double($0[5]).map { $0 >= 0 } ?? false })

        let csvLines = table.csv.components(separatedBy: "\r\n")
        #expect(csvLines.first == "number,state,value,depth,model,duration_s,fail_reason")
        #expect(csvLines[3].hasPrefix("2,FAILED,,,linear,") && csvLines[3].hasSuffix(#","bad ""x"", try again""#))
        #expect(csvLines.last == "")

        // Aligned text: every line's fields start at the header's column offsets.
        let lines = table.text.split(separator: "\n").map(String.init)
        let modelColumn = try #require(lines[0].range(of: "model")).lowerBound.utf16Offset(in: lines[0])
        for (line, model) in zip(lines.dropFirst(), ["linear", "tree", "linear"]) {
            #expect(line.range(of: model).map { $0.lowerBound.utf16Offset(in: line) } == modelColumn, "\(line)")
        }
    }

    @Test("several objectives get one value column each; user attributes one column each")
    func multiObjective() async throws {
        let study = try await Study.create(name: "mo", directions: [.minimize, .maximize], sampler: RandomSampler(seed: 1))
        let trial = try await study.ask()
        try await trial.setUserAttribute("note", .string("first"))
        try await trial.setUserAttribute("sizes", .array([.number(1), .number(2.5)]))
        _ = try await study.tell(trial, values: [1, 2])
        _ = try await study.tell(try await study.ask(), values: [3, 4])
        let table = try await study.table()
        #expect(table.columns == ["number", "state", "value_0", "value_1", "user.note", "user.sizes", "duration_s", "fail_reason"])
        #expect(table.rows.map { Array($0.prefix(6)) } == [["0", "COMPLETE", "1.0", "2.0", "first", "[1,2.5]"], ["1", "COMPLETE", "3.0", "4.0", "", ""]])
    }

    @Test("with times: ISO 8601 start and end columns in UTC with milliseconds, empty when unknown")
    func times() {
        let start = Date(timeIntervalSince1970: 1_700_000_000.125)
        let trials = [
            FrozenTrial(id: 0, studyID: 1, number: 0, state: .complete, values: [1], startedAt: start, finishedAt: start.addingTimeInterval(1.5)),
            FrozenTrial(id: 1, studyID: 1, number: 1, state: .running, startedAt: start),
            FrozenTrial(id: 2, studyID: 1, number: 2, state: .waiting),
        ]
        let table = TrialTable(trials: trials, times: true)
        #expect(table.columns == ["number", "state", "value", "datetime_start", "datetime_complete", "duration_s", "fail_reason"])
        #expect(table.rows == [
            ["0", "COMPLETE", "1.0", "2023-11-14T22:13:20.125Z", "2023-11-14T22:13:21.625Z", "1.500", ""],
            ["1", "RUNNING", "", "2023-11-14T22:13:20.125Z", "", "", ""],
            ["2", "WAITING", "", "", "", "", ""],
        ])
        // Without times, the columns are as before.
        #expect(TrialTable(trials: trials).columns == ["number", "state", "value", "duration_s", "fail_reason"])
        #expect(TrialTable.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }
}
