import Foundation
import Hypertune
@testable import HypertuneExport
import Testing

/// A fresh directory under the temporary directory, removed by the caller's `defer`.
func scratchDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-export-\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("Exports: CSV, file names, the façade and its errors")
struct StudyExportTests {
    @Test("CSV through TrialTable: parameter columns, times, RFC 4180 quoting")
    func csv() throws {
        var trials = Fixtures.mixedStudy()
        trials[3].failReason = "bad \"x\", try again"
        let lines = StudyExport.csv(trials, directions: [.minimize]).components(separatedBy: "\r\n")
        #expect(lines[0] == "number,state,value,layers,lr,optimizer,datetime_start,datetime_complete,duration_s,fail_reason")
        #expect(lines[1] == "0,COMPLETE,0.5,2,0.01,adam,2023-11-14T22:13:20.125Z,2023-11-14T22:13:24.125Z,4.000,")
        #expect(lines[4] == "3,FAILED,,8,0.09,sgd,2023-11-14T22:13:50.125Z,2023-11-14T22:13:54.125Z,4.000,\"bad \"\"x\"\", try again\"")
        #expect(lines[5].hasPrefix("4,RUNNING,,1,0.002,adam,2023-11-14T22:14:00.125Z,,,"))
        #expect(lines[6] == "5,WAITING,,5,0.001,adam,,,,")
        #expect(lines.count == trials.count + 2 && lines.last == "")
        let multi = StudyExport.csv([Fixtures.complete()], directions: [.minimize, .maximize]).components(separatedBy: "\r\n")
        #expect(multi[0].hasPrefix("number,state,value_0,value_1,"))
    }

    @Test("study names become safe file names")
    func safeNames() {
        let cases: [(String, String)] = [
            ("svm-digits", "svm-digits"),
            ("a/b", "a_b"),
            ("../../etc/passwd", "_.._.._etc_passwd"),
            ("..", "_.._"),
            (".", "_._"),
            (".hidden", "_.hidden"),
            ("", "_"),
            ("C:\\x*y?z\"<>|", "C__x_y_z____"),
            ("tab\there\nnewline\u{0}", "tab_here_newline_"),
            ("CON", "_CON"),
            ("nul.json", "_nul.json"),
            ("com1", "_com1"),
            ("console", "console"),
            ("trailing. ", "trailing. _"),
            ("lr=0.1 étude 研究", "lr=0.1 étude 研究"),
        ]
        for (name, expected) in cases {
            #expect(StudyExport.fileName(for: name) == expected, "\(name.debugDescription)")
        }
        let long = String(repeating: "é", count: 300)
        #expect(StudyExport.fileName(for: long).utf8.count <= 200)
        #expect(StudyExport.fileName(for: long).allSatisfy { $0 == "é" })
        for name in ["../x", "a/../../b", "/abs"] {
            let url = URL(fileURLWithPath: "/tmp/out").appendingPathComponent(StudyExport.fileName(for: name))
            #expect(url.deletingLastPathComponent().path == "/tmp/out", "\(name)")
        }
    }

    @Test("the façade writes DIR/<study>.csv, DIR/<study>.json and DIR/<study>/; refuses to overwrite unless replacing")
    func facade() throws {
        let dir = try scratchDirectory("facade")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("nested/out")
        let trials = Fixtures.mixedStudy()
        let name = "../study/1"
        let csv = try StudyExport.export(format: .csv, studyName: name, directions: [.minimize], trials: trials, to: out)
        #expect(csv == [out.appendingPathComponent("_.._study_1.csv")])
        #expect(try String(contentsOf: csv[0], encoding: .utf8) == StudyExport.csv(trials, directions: [.minimize]))
        let json = try StudyExport.export(format: .json, studyName: name, directions: [.minimize], trials: trials, to: out)
        #expect(json == [out.appendingPathComponent("_.._study_1.json")])
        let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: json[0])) as? [[String: Any]]
        #expect(parsed?.count == trials.count)
        let tb = try StudyExport.export(format: .tensorboard, studyName: name, directions: [.minimize], trials: trials, to: out)
        #expect(tb.count == 1 + 6)
        #expect(tb.allSatisfy { $0.path.hasPrefix(out.appendingPathComponent("_.._study_1").path + "/") })
        #expect(tb[0].deletingLastPathComponent().lastPathComponent == "_.._study_1")
        #expect(tb[1].deletingLastPathComponent().lastPathComponent == "trial-0000")
        // Nothing escaped DIR.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["nested"])

        for format in StudyExportFormat.allCases {
            #expect(throws: ExportError.self) {
                try StudyExport.export(format: format, studyName: name, directions: [.minimize], trials: trials, to: out)
            }
            do {
                try StudyExport.export(format: format, studyName: name, directions: [.minimize], trials: trials, to: out)
            } catch ExportError.Code.alreadyExists {
                // The kind a caller matches.
            } catch {
                Issue.record("\(format): \(error)")
            }
            let again = try StudyExport.export(format: format, studyName: name, directions: [.minimize], trials: trials, to: out, replacing: true)
            #expect(!again.isEmpty)
        }
        // Replacing left one event file per run, not two.
        let runs = out.appendingPathComponent("_.._study_1")
        for run in ["", "trial-0000", "trial-0006"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: runs.appendingPathComponent(run).path)
            #expect(files.filter { $0.hasPrefix("events.out.tfevents.") }.count == 1, "\(run)")
        }
    }

    @Test("errors name the path: a file where the directory should be, an unwritable directory")
    func errors() throws {
        let dir = try scratchDirectory("errors")
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.appendingPathComponent("locked").path)
            try? FileManager.default.removeItem(at: dir)
        }
        let file = dir.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: file)
        for format in StudyExportFormat.allCases {
            let error = #expect(throws: ExportError.self) {
                try StudyExport.export(format: format, studyName: "s", directions: [.minimize], trials: [], to: file)
            }
            #expect(error?.code == .unusableDirectory)
            #expect(error?.description.contains(file.path) == true, "\(error.map(String.init(describing:)) ?? "")")
        }
        let inside = file.appendingPathComponent("sub")
        let error = #expect(throws: ExportError.self) {
            try TensorBoardExport.write(studyName: "s", directions: [.minimize], trials: [], to: inside)
        }
        #expect(error?.description.contains(inside.path) == true)

        // A directory where the file should be: the write fails, naming the file.
        let blocked = dir.appendingPathComponent("blocked")
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("s.json/inner"), withIntermediateDirectories: true)
        let writeError = #expect(throws: ExportError.self) {
            try StudyExport.export(format: .json, studyName: "s", directions: [.minimize], trials: [], to: blocked, replacing: true)
        }
        #expect(writeError?.code == .cannotWrite)
        #expect(writeError?.description.hasPrefix("cannot write '\(blocked.appendingPathComponent("s.json").path)': ") == true,
                "\(writeError.map(String.init(describing:)) ?? "")")
        #expect(writeError?.description.hasSuffix("Is a directory") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: blocked.path) == ["s.json"], "no temporary file left behind")

        // A directory without write permission (root ignores permissions: then it writes).
        let locked = dir.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
        if access(locked.path, W_OK) != 0 {
            let error = #expect(throws: ExportError.self) {
                try StudyExport.export(format: .json, studyName: "s", directions: [.minimize], trials: [], to: locked)
            }
            #expect(error?.code == .cannotWrite)
            #expect(error?.description.contains(locked.appendingPathComponent("s.json").path) == true)
        }
    }
}

@Suite("Exports of a real study")
struct StudyExportEndToEndTests {
    @Test("a study run through ask/tell exports as JSON, CSV and TensorBoard; a hypergradient run too")
    func studyExport() async throws {
        let study = try await Study.create(name: "e2e/study", direction: .minimize, sampler: RandomSampler(seed: 3))
        for i in 0..<4 {
            let trial = try await study.ask()
            let lr = try await trial.suggest("lr", Fixtures.lr)
            _ = try await trial.suggest("layers", Fixtures.layers)
            _ = try await trial.suggest("optimizer", Fixtures.optimizer)
            for step in 0..<3 { try await trial.report(lr.doubleValue! * Double(3 - step), step: step) }
            switch i {
            case 1: _ = try await study.tell(trial, state: .pruned)
            case 2: _ = try await study.tell(trial, state: .failed, reason: "boom")
            default: _ = try await study.tell(trial, Double(i) + 0.5)
            }
        }
        let dir = try scratchDirectory("e2e")
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = try await study.export(format: .json, to: dir)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json[0])) as? [[String: Any]])
        #expect(array.map { $0["state"] as? String } == ["COMPLETE", "PRUNED", "FAILED", "COMPLETE"])
        #expect(array.map { $0["value"] as? Double } == [0.5, nil, nil, 3.5])
        #expect(array.allSatisfy { ($0["intermediate"] as? [String: Double])?.keys.sorted() == ["0", "1", "2"] })
        #expect(array.allSatisfy { ($0["params"] as? [String: Any])?["layers"] is Int })
        #expect(array.allSatisfy { $0["datetime_start"] is String && $0["datetime_complete"] is String && $0["duration"] is Double })
        let csv = try await study.export(format: .csv, to: dir)
        #expect(csv[0].lastPathComponent == "e2e_study.csv")
        let tb = try await study.export(format: .tensorboard, to: dir)
        #expect(tb.count == 5)
        for file in tb {
            let records = try #require(TFRecord.records(Array(try Data(contentsOf: file))))
            // The file version first (wall time 09 <8 bytes>, then 1A 0D "brain.Event:2"), then
            // the HParams summary, then the scalars and the session end.
            #expect(records.first.map { Array($0.suffix(15)) } == [0x1A, 0x0D] + Array("brain.Event:2".utf8))
            #expect(records.count >= 3)
        }

        // A gradient-based run recorded as trials: its λ and hypergradient norm become scalars.
        let hg = try await Study.create(name: "hg", direction: .minimize)
        for k in 0..<3 {
            try await HypergradientRecording.record(iteration: k, outerLoss: 1 / Double(k + 1), hypergradientNorm: Double(k),
                                                    lambda: ["lr": .scalar(0.1 * Double(k + 1)), "w": .summary(mean: 0.5, min: 0, max: 1)], in: hg)
        }
        let runs = TensorBoardExport.runs(studyName: hg.name, directions: hg.directions, trials: try await hg.trials(), now: Date())
        let tags = Set(runs.dropFirst().flatMap { run in run.events.flatMap { event -> [String] in
            guard case let .summary(s) = event.what else { return [] }
            return s.values.map(\.tag)
        } })
        #expect(tags.isSuperset(of: ["value", "user_attrs/hypergradient_norm", "user_attrs/lambda/lr", "user_attrs/lambda/w/mean"]))
        let spec = HParamSpec.specs(try await hg.trials())
        #expect(spec["hyper_iteration"]?.kind == .number)
    }
}
