import Foundation
import Hypertune
import HypertuneSQLite
import HypertuneTestSupport
import Testing

/// The built `hypertune` executable, run as a user runs it.
enum CLI {
    static var executable: URL { get throws { try BuiltExecutable.hypertune } }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["HYPERTUNE_STORAGE"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    static func finish(_ p: (Process, Pipe, Pipe)) -> Result {
        // Read both pipes while the process runs, so neither fills up and blocks it.
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data(), err = Data()
        group.enter()
        DispatchQueue.global().async { out = p.1.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { err = p.2.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.wait()
        p.0.waitUntilExit()
        return Result(status: p.0.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Result {
        finish(try start(arguments, in: directory, environment: environment))
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A scratch directory with a study configuration and objective programs.
struct Workspace {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
        return url
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    var storageURL: String { "sqlite:///" + path("studies.db") }

    /// The trials of a study in this workspace's store.
    func trials(_ study: String) async throws -> [FrozenTrial] {
        let storage = try SQLiteStorage(path: path("studies.db"))
        guard let record = try await storage.study(named: study) else { throw CLIFailure("no study \(study)") }
        return try await storage.trials(studyID: record.id, states: nil)
    }

    func run(_ arguments: [String]) throws -> CLI.Result { try CLI.run(arguments, in: directory) }
}

/// A POSIX shell + awk objective: value (x − 0.3)² (+0.1 when k is b), with five intermediate
/// values; it records each argv it gets, one line per argument, in `calls/<trial>`.
let shellObjective = """
    #!/bin/sh
    mkdir -p calls
    for a in "$@"; do printf '%s\\n' "$a"; done > "calls/$HYPERTUNE_TRIAL_NUMBER"
    x=""; k=""
    for a in "$@"; do
      case "$a" in --x=*) x="${a#--x=}";; --k=*) k="${a#--k=}";; esac
    done
    awk -v x="$x" -v k="$k" 'BEGIN {
      v = (x - 0.3) ^ 2 + (k == "b" ? 0.1 : 0)
      for (i = 1; i <= 5; i++) printf "{\\"step\\": %d, \\"value\\": %.9f}\\n", i, v + 1 / i
      printf "{\\"value\\": %.9f}\\n", v
    }'
    """

@Suite("hypertune run: end to end", .serialized)
struct RunTests {
    func config(_ storage: String, trials: Int, extra: String = "") -> String {
        """
        study: shell
        storage: \(storage)
        sampler: {name: tpe, seed: 3}
        trials: \(trials)
        parallelism: 2
        space:
          x: {type: float, low: 0, high: 1}
          k: {type: categorical, choices: [a, b, "$(touch pwned); echo 'x y'"]}
        command: [./objective.sh, "--x={x}", "--k={k}"]
        \(extra)
        """
    }

    @Test("a study of a shell program: every trial recorded with its intermediate values, the best printed, resumed to a larger total")
    func shellStudy() async throws {
        let w = try Workspace()
        try w.write("objective.sh", shellObjective, executable: true)
        try w.write("study.yaml", config(w.storageURL, trials: 12))
        var r = try w.run(["run", "study.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("study 'shell': 12 trials (12 complete)") && r.stdout.contains("best trial"), "\(r.stdout)")
        var trials = try await w.trials("shell")
        #expect(trials.count == 12 && trials.allSatisfy { $0.state == .complete && $0.intermediateValues.count == 5 })
        for t in trials {
            let x = try #require(t.parameters["x"]?.doubleValue), k = try #require(t.parameters["k"]?.stringValue)
            let expected = (x - 0.3) * (x - 0.3) + (k == "b" ? 0.1 : 0)
            #expect(abs(t.value! - expected) < 1e-6)
            // Every value reached the program as one argument, verbatim (no shell).
            let argv = try String(contentsOfFile: w.path("calls/\(t.number)"), encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(argv == ["--x=\(t.parameters["x"]!.description)", "--k=\(k)"])
        }
        #expect(!FileManager.default.fileExists(atPath: w.path("pwned")))
        let best = trials.filter { $0.state == .complete }.min { $0.value! < $1.value! }!
        #expect(r.stdout.contains("best trial \(best.number):"))

        // Run again: the study is complete. With a larger total, it continues where it stopped.
        r = try w.run(["run", "study.yaml"])
        #expect(r.status == 0 && r.stdout.contains("12 trials"))
        #expect(try await w.trials("shell").count == 12)
        r = try w.run(["run", "study.yaml", "--trials", "16"])
        #expect(r.status == 0, "\(r.stderr)")
        trials = try await w.trials("shell")
        #expect(trials.count == 16 && trials.map(\.number) == Array(0..<16))
        // Not a terminal: a plain line per finished trial.
        #expect(r.stderr.contains("trial 15 COMPLETE") && r.stderr.contains("16/16 trials"))
    }

    @Test("several run processes with one configuration share the study and stop at its total together")
    func sharedRuns() async throws {
        let w = try Workspace()
        try w.write("objective.sh", shellObjective, executable: true)
        try w.write("study.yaml", config(w.storageURL, trials: 30))
        let processes = try (0..<3).map { _ in try CLI.start(["run", "study.yaml"], in: w.directory) }
        for p in processes {
            let r = CLI.finish(p)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let trials = try await w.trials("shell")
        #expect(trials.count == 30 && Set(trials.map(\.number)) == Set(0..<30) && trials.allSatisfy { $0.state == .complete })
    }

    @Test("several run processes share a study on PostgreSQL too", .enabled(if: ProcessInfo.processInfo.environment["HYPERTUNE_TEST_POSTGRES_URL"] != nil))
    func sharedRunsPostgres() throws {
        let url = try #require(ProcessInfo.processInfo.environment["HYPERTUNE_TEST_POSTGRES_URL"])
        let w = try Workspace()
        try w.write("objective.sh", shellObjective, executable: true)
        let study = "cli-\(UUID().uuidString.prefix(8))"
        try w.write("study.yaml", config(url, trials: 20).replacingOccurrences(of: "study: shell", with: "study: \(study)"))
        let processes = try (0..<3).map { _ in try CLI.start(["run", "study.yaml"], in: w.directory) }
        for p in processes {
            let r = CLI.finish(p)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let r = try w.run(["trials", study, "--storage", url, "--format", "json"])
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(array.count == 20 && Set(array.compactMap { $0["number"] as? Int }) == Set(0..<20))
        #expect(array.allSatisfy { $0["state"] as? String == "COMPLETE" })
    }

    @Test("the quickstart: a Python program trained epoch by epoch, pruned by the median rule, in the shipped example")
    func quickstart() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = root.appendingPathComponent("Examples/quickstart/study.yaml").path
        let w = try Workspace()
        let r = try w.run(["run", config, "--storage", w.storageURL, "--trials", "10", "--study", "quick"])
        #expect(r.status == 0, "\(r.stderr)")
        let trials = try await w.trials("quick")
        #expect(trials.count == 10 && trials.allSatisfy { $0.state == .complete || $0.state == .pruned })
        for t in trials where t.state == .complete {
            #expect(t.intermediateValues.count == 20 && t.value == t.intermediateValues[20])
            // The momentum flag exists only in its branch.
            #expect((t.parameters["optimizer"] == "momentum") == (t.parameters["momentum"] != nil))
        }
        #expect(r.stdout.contains("best trial"))
    }

    @Test("pruning: programs the median rule stops are terminated and recorded PRUNED, with the steps they reported")
    func pruning() async throws {
        let w = try Workspace()
        // Reports its x at every step; a pruned program never writes its 'done' file.
        try w.write("steps.sh", """
            #!/bin/sh
            x="${1#--x=}"
            i=1
            while [ $i -le 20 ]; do echo "{\\"step\\": $i, \\"value\\": $x}"; i=$((i+1)); sleep 0.02; done
            touch "done-$HYPERTUNE_TRIAL_NUMBER"
            echo "$x"
            """, executable: true)
        try w.write("study.yaml", """
            study: pruned
            storage: \(w.storageURL)
            sampler: {name: random, seed: 1}
            pruner: {name: median, startup_trials: 3, warmup_steps: 2}
            trials: 16
            space: {x: {type: float, low: 0, high: 1}}
            command: [./steps.sh, "--x={x}"]
            """)
        let r = try w.run(["run", "study.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        let trials = try await w.trials("pruned")
        let pruned = trials.filter { $0.state == .pruned }
        #expect(trials.count == 16 && !pruned.isEmpty, "\(trials.map(\.state))")
        for t in pruned {
            #expect(!FileManager.default.fileExists(atPath: w.path("done-\(t.number)")), "pruned trial \(t.number) ran to its end")
            // Pruning may start once a trial has reported warmup_steps (2) steps.
            #expect(t.intermediateValues.count >= 2 && t.intermediateValues.count < 20)
        }
        for t in trials where t.state == .complete { #expect(t.intermediateValues.count == 20 && t.value == t.parameters["x"]?.doubleValue) }
    }

    @Test("failures are FAILED trials with their reason, and the study reaches its total: crashes, non-numbers, time-outs, non-finite values")
    func failures() async throws {
        let w = try Workspace()
        try w.write("flaky.sh", """
            #!/bin/sh
            case "$1" in
              crash) echo "Traceback (most recent call last):" >&2; echo "RuntimeError: CUDA out of memory" >&2; exit 2;;
              words) echo "accuracy: great";;
              hang) sleep 30; echo 1;;
              nan) echo '{"value": NaN}'; echo nan;;
              ok) echo '{"value": 0.5}';;
            esac
            """, executable: true)
        try w.write("study.yaml", """
            study: flaky
            storage: \(w.storageURL)
            sampler: grid
            trials: 5
            parallelism: 2
            trial_timeout: 1s
            space: {mode: [crash, words, hang, nan, ok]}
            command: [./flaky.sh, "{mode}"]
            """)
        let r = try w.run(["run", "study.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        let byMode = Dictionary(uniqueKeysWithValues: try await w.trials("flaky").map { ($0.parameters["mode"]!.stringValue!, $0) })
        #expect(byMode.count == 5)
        #expect(byMode["crash"]?.state == .failed && byMode["crash"]?.failReason == "the program exited with status 2; stderr: RuntimeError: CUDA out of memory")
        #expect(byMode["crash"]?.systemAttributes["stderr_tail"] == .string("Traceback (most recent call last):\nRuntimeError: CUDA out of memory"))
        #expect(byMode["words"]?.failReason?.contains("its last line is 'accuracy: great'") == true)
        #expect(byMode["hang"]?.failReason == "timed out after 1 s")
        #expect(byMode["nan"]?.state == .failed && byMode["nan"]?.failReason == "the objective value is nan")
        #expect(byMode["ok"]?.state == .complete && byMode["ok"]?.value == 0.5)
        #expect(r.stdout.contains("5 trials (1 complete, 4 failed)"))
    }

    @Test("Ctrl-C: running programs are stopped, their trials recorded FAILED as interrupted, nothing finished is lost, and run continues the study")
    func interrupt() async throws {
        let w = try Workspace()
        try w.write("slow.sh", "#!/bin/sh\necho '{\"step\": 1, \"value\": 1}'\nsleep \"$1\"\necho \"$1\"\n", executable: true)
        try w.write("study.yaml", """
            study: slow
            storage: \(w.storageURL)
            sampler: {name: grid, seed: 2}
            trials: 6
            parallelism: 2
            space: {t: [0.1, 0.2, 8, 9, 0.3, 0.4]}
            command: [./slow.sh, "{t}"]
            """)
        let p = try CLI.start(["run", "study.yaml"], in: w.directory)
        // Wait until two long trials are running, then interrupt.
        var running = 0
        for _ in 0..<200 {
            try await Task.sleep(for: .milliseconds(50))
            running = (try? await w.trials("slow"))?.filter { $0.state == .running && ($0.parameters["t"]?.doubleValue ?? 0) > 1 }.count ?? 0
            if running >= 1 { break }
        }
        #expect(running >= 1)
        try await Task.sleep(for: .milliseconds(300))
        kill(p.0.processIdentifier, SIGINT)
        let r = CLI.finish(p)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("SIGINT: stopping") && r.stderr.contains("again to continue the study"))
        var trials = try await w.trials("slow")
        #expect(trials.allSatisfy { $0.state != .running })
        let stopped = trials.filter { $0.state == .failed }
        #expect(!stopped.isEmpty && stopped.allSatisfy { $0.failReason == "interrupted: the run was stopped" && $0.intermediateValues == [1: 1] })
        let completeBefore = trials.filter { $0.state == .complete }.map(\.number)

        let again = try w.run(["run", "study.yaml", "--trial-timeout", "1s"])
        #expect(again.status == 0, "\(again.stderr)")
        trials = try await w.trials("slow")
        #expect(trials.count == 6 && trials.allSatisfy { $0.state != .running })
        #expect(Set(completeBefore).isSubset(of: Set(trials.filter { $0.state == .complete }.map(\.number))))
    }

    @Test("ask and tell from a shell loop: parameters out as JSON, values in, reports kept")
    func askTell() async throws {
        let w = try Workspace()
        try w.write("study.yaml", config(w.storageURL, trials: 5))
        for i in 0..<3 {
            let asked = try w.run(["ask", "study.yaml"])
            #expect(asked.status == 0, "\(asked.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(asked.stdout.utf8)) as? [String: Any])
            let number = try #require(object["number"] as? Int)
            let params = try #require(object["params"] as? [String: Any])
            #expect(number == i && object["study"] as? String == "shell" && params["x"] is Double && params["k"] is String)
            let told = try w.run(["tell", "shell", "--storage", w.storageURL, "--trial", String(number), "--value", String(Double(i) / 10), "--report", "1=0.9"])
            #expect(told.status == 0 && told.stdout.contains("\"state\":\"COMPLETE\""), "\(told.stderr)")
        }
        let again = try w.run(["tell", "shell", "--storage", w.storageURL, "--trial", "0", "--value", "1"])
        #expect(again.status != 0 && again.stderr.contains("trial 0 of 'shell' is COMPLETE, not RUNNING"))
        let trials = try await w.trials("shell")
        #expect(trials.map(\.value) == [0, 0.1, 0.2] && trials.allSatisfy { $0.intermediateValues == [1: 0.9] })
    }

    @Test("trials as a table, CSV and JSON (the contract's fields), the best trial, and exports")
    func trialsBestExport() async throws {
        let w = try Workspace()
        try w.write("objective.sh", shellObjective, executable: true)
        try w.write("study.yaml", config(w.storageURL, trials: 6))
        #expect(try w.run(["run", "study.yaml"]).status == 0)
        let stored = try await w.trials("shell")
        var r = try w.run(["trials", "shell", "--storage", w.storageURL, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(array.count == 6)
        for (object, trial) in zip(array, stored) {
            #expect(object["number"] as? Int == trial.number && object["state"] as? String == "COMPLETE")
            #expect((object["value"] as? NSNumber)?.doubleValue == trial.value)
            #expect((object["params"] as? [String: Any])?["k"] as? String == trial.parameters["k"]?.stringValue)
            #expect((object["intermediate"] as? [String: Any])?.count == 5)
            #expect(object["user_attrs"] is [String: Any] && object.keys.contains("fail_reason"))
        }
        r = try w.run(["trials", "shell", "--storage", w.storageURL, "--format", "csv"])
        #expect(r.stdout.split(whereSeparator: \.isNewline).count == 7 && r.stdout.hasPrefix("number,state,value,k,x,"))
        r = try w.run(["trials", "shell", "--storage", w.storageURL, "--state", "failed"])
        #expect(r.status == 0 && r.stdout.split(separator: "\n").count == 1)
        r = try w.run(["best", "shell", "--storage", w.storageURL, "--format", "json"])
        let best = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((best["value"] as? NSNumber)?.doubleValue == stored.compactMap(\.value).min())
        for format in ["csv", "json", "tensorboard"] {
            r = try w.run(["export", "shell", "--storage", w.storageURL, "--format", format, "--out", "exports"])
            #expect(r.status == 0 && r.stdout.contains("exported study 'shell' (6 trials)"), "\(r.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: w.path("exports/shell.csv")) && FileManager.default.fileExists(atPath: w.path("exports/shell.json")))
        let runs = try FileManager.default.contentsOfDirectory(atPath: w.path("exports/shell")).filter { $0.hasPrefix("trial-") }
        #expect(runs.count == 6)
        r = try w.run(["export", "shell", "--storage", w.storageURL, "--format", "csv", "--out", "exports"])
        #expect(r.status != 0 && r.stderr.contains("--replace"))
        #expect(try w.run(["export", "shell", "--storage", w.storageURL, "--format", "csv", "--out", "exports", "--replace"]).status == 0)
    }

    @Test("plot: every kind of chart of a run study as SVG, with a point per trial; a chart the study cannot give is one clear line")
    func plot() async throws {
        let w = try Workspace()
        try w.write("objective.sh", shellObjective, executable: true)
        try w.write("study.yaml", config(w.storageURL, trials: 8))
        #expect(try w.run(["run", "study.yaml"]).status == 0)
        for kind in ["history", "parallel-coordinates", "slice", "importance", "intermediate"] {
            let r = try w.run(["plot", "shell", "--storage", w.storageURL, "--kind", kind, "--out", "charts/\(kind).svg"])
            #expect(r.status == 0, "\(kind): \(r.stderr)")
            let svg = try String(contentsOfFile: w.path("charts/\(kind).svg"), encoding: .utf8)
            #expect(svg.contains("<svg") && svg.contains("data-chart=\"\(kind)\""))
        }
        let history = try String(contentsOfFile: w.path("charts/history.svg"), encoding: .utf8)
        #expect(history.components(separatedBy: "class=\"trial-point complete\"").count - 1 == 8)
        let r = try w.run(["plot", "shell", "--storage", w.storageURL, "--kind", "hypergradient", "--out", "h.svg"])
        #expect(r.status != 0 && r.stderr.contains("no hypergradient trials") && !FileManager.default.fileExists(atPath: w.path("h.svg")))
        // One numeric parameter: no contour, said in one line.
        var contour = try w.run(["plot", "shell", "--storage", w.storageURL, "--kind", "contour", "--out", "c.svg"])
        #expect(contour.status != 0 && contour.stderr.contains("a contour needs two numeric parameters"))
        contour = try w.run(["plot", "shell", "--storage", w.storageURL, "--kind", "contour", "--params", "x,nope", "--out", "c.svg"])
        #expect(contour.status != 0 && contour.stderr.contains("nope"))
    }

    @Test("studies and delete")
    func studiesAndDelete() async throws {
        let w = try Workspace()
        try w.write("objective.sh", shellObjective, executable: true)
        try w.write("study.yaml", config(w.storageURL, trials: 3))
        #expect(try w.run(["run", "study.yaml"]).status == 0)
        var r = try w.run(["studies", "--storage", w.storageURL])
        #expect(r.status == 0 && r.stdout.contains("shell") && r.stdout.contains("3 complete"))
        r = try w.run(["studies", "--storage", w.storageURL, "--format", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(list.first?["name"] as? String == "shell" && list.first?["trials"] as? Int == 3)
        r = try w.run(["delete", "shell", "--storage", w.storageURL])
        #expect(r.status != 0 && r.stderr.contains("needs --yes"))
        r = try w.run(["delete", "shell", "--storage", w.storageURL, "--yes"])
        #expect(r.status == 0 && r.stdout.contains("deleted study 'shell' (3 trials)"))
        r = try w.run(["studies", "--storage", w.storageURL])
        #expect(r.stdout.contains("no studies"))
    }
}

@Suite("hypertune: bad input is one clear line")
struct BadInputTests {
    func expectOneLine(_ r: CLI.Result, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status != 0, sourceLocation: sourceLocation)
        #expect(r.stderr.contains(expected), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump") && !r.stderr.contains("Backtrace"), sourceLocation: sourceLocation)
        #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test("a malformed configuration names the file, line and key")
    func malformed() throws {
        let w = try Workspace()
        try w.write("bad.yaml", "study: s\nspace:\n  lr: {type: float, low: 1, high: 0.1, lgo: true}\ncommand: [x]\n")
        expectOneLine(try w.run(["run", "bad.yaml"]), "bad.yaml:3:40: space.lr.lgo: unknown field 'lgo' for a float parameter")
        try w.write("typo.yaml", "study: s\ntrails: 3\nspace: {}\ncommand: [x]\n")
        expectOneLine(try w.run(["run", "typo.yaml"]), "typo.yaml:2:1: trails: unknown key (did you mean 'trials'?)")
        expectOneLine(try w.run(["run", "missing.yaml"]), "missing.yaml: no such file")
    }

    @Test("a missing objective program, an unwritable store, an unreachable PostgreSQL server")
    func environment() throws {
        let w = try Workspace()
        try w.write("study.yaml", "study: s\nspace: {x: [1, 2]}\ncommand: [no-such-trainer, '{x}']\n")
        expectOneLine(try w.run(["run", "study.yaml", "--storage", w.storageURL]), "the objective program 'no-such-trainer' is not on PATH")
        try w.write("local.yaml", "study: s\nspace: {x: [1, 2]}\ncommand: [./train.sh, '{x}']\n")
        expectOneLine(try w.run(["run", "local.yaml", "--storage", w.storageURL]), "the objective program './train.sh' does not exist")
        try w.write("ok.yaml", "study: s\nspace: {x: [1, 2]}\ncommand: [sh, -c, 'echo 1', '{x}']\n")
        expectOneLine(try w.run(["run", "ok.yaml", "--storage", "sqlite:////etc/hostname/studies.db"]), "cannot create the folder /etc/hostname")
        expectOneLine(try w.run(["run", "ok.yaml", "--storage", "postgresql://nobody@127.0.0.1:1/db"]), "cannot connect to PostgreSQL at 127.0.0.1:1")
        expectOneLine(try w.run(["run", "ok.yaml", "--storage", "mysql://x"]), "unsupported storage URL 'mysql://x'")
        expectOneLine(try w.run(["trials", "nosuch", "--storage", w.storageURL]), "no study named 'nosuch'")
    }
}
