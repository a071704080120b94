import Foundation
import Hypertune
@testable import HypertuneRunner
import Testing

/// A scratch directory with executable scripts.
struct Scripts {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes an executable script and returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try body.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// Whether a process has ended: it no longer exists, or is a zombie waiting for a parent that
/// does not reap (as PID 1 in some containers).
func isGone(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // The state follows the command name, which is in parentheses.
    guard let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}

/// Prunes any trial once it has reported step `step`.
struct PruneAt: Pruner {
    let step: Int
    func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool { (trial.lastIntermediate?.step ?? -1) >= step }
}

/// Runs `program` for one trial of a fresh in-memory study with parameters `x` (float) and `name`
/// (categorical), and returns the outcome and the trial as stored after telling it.
func runOnce(_ program: ObjectiveProgram, parameters: [String: ParameterValue] = ["x": .double(0.25)], pruner: any Pruner = NoPruner(),
             objectives: Int = 1, stop: StopSignal? = nil) async throws -> (ObjectiveOutcome, FrozenTrial) {
    let study = try await Study.create(name: "runner", directions: Array(repeating: .minimize, count: objectives), sampler: RandomSampler(seed: 1),
                                       pruner: pruner)
    let trial = try await study.ask(fixing: parameters)
    for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { _ = try await trial.suggest(name, .categorical([value])) }
    let outcome = await program.run(trial: trial, studyName: "runner", objectives: objectives, stop: stop)
    let stored: FrozenTrial
    switch outcome.result {
    case let .complete(values): stored = try await study.tell(trial, values: values)
    case .pruned: stored = try await study.tell(trial, state: .pruned)
    case let .failed(reason): stored = try await study.tell(trial, state: .failed, reason: reason)
    }
    return (outcome, stored)
}

@Suite("Command templates")
struct CommandTemplateTests {
    @Test("placeholders are replaced, elements naming an absent parameter dropped, braces escaped")
    func substitution() throws {
        let t = try CommandTemplate(["python3", "train.py", "--lr={lr}", "--model={model}", "--gamma={gamma}", "{{literal}}", "{a}x{b}"])
        #expect(t.placeholders == ["lr", "model", "gamma", "a", "b"])
        #expect(t.program == "python3")
        let argv = try t.arguments(for: ["lr": .double(0.001), "model": .string("svm"), "a": .int(1), "b": .bool(true)])
        #expect(argv == ["python3", "train.py", "--lr=0.001", "--model=svm", "{literal}", "1xtrue"])
    }

    @Test("malformed templates are errors naming the element", arguments: [
        ([], "empty"), ([""], "empty"), (["p", "--x={x"], "unclosed"), (["p", "x}"], "stray"), (["p", "{}"], "empty placeholder"),
    ] as [([String], String)])
    func malformed(_ elements: [String], _ expected: String) {
        #expect {
            try CommandTemplate(elements)
        } throws: { error in
            (error as? CommandTemplateError)?.description.contains(expected) == true
        }
    }

    @Test("a placeholder naming no parameter of the space is an error listing the parameters")
    func validation() throws {
        let t = try CommandTemplate(["run", "--lr={lr}", "--depth={depht}"])
        #expect(throws: CommandTemplateError.self) { try t.validate(parameters: ["lr", "depth"]) }
        do {
            try t.validate(parameters: ["lr", "depth"])
        } catch {
            #expect(error.description.contains("'{depht}'") && error.description.contains("depth, lr"))
        }
        try t.validate(parameters: ["lr", "depht"])
    }
}

@Suite("Objective output protocol")
struct ObjectiveLineTests {
    @Test("lines: intermediate values, results, bare numbers, malformed protocol lines, log output")
    func lines() {
        #expect(ObjectiveLine(parsing: #"{"step": 3, "value": 0.41}"#) == .intermediate(step: 3, value: 0.41))
        #expect(ObjectiveLine(parsing: #"  {"value": 0.37}  "#) == .result([0.37]))
        #expect(ObjectiveLine(parsing: #"{"values": [1, 2.5]}"#) == .result([1, 2.5]))
        #expect(ObjectiveLine(parsing: "0.37") == .number(0.37))
        #expect(ObjectiveLine(parsing: "-1e-3") == .number(-1e-3))
        #expect(ObjectiveLine(parsing: "epoch 3: loss 0.5") == .other)
        #expect(ObjectiveLine(parsing: #"{"loss": 0.5}"#) == .other)
        #expect(ObjectiveLine(parsing: "") == .other)
        guard case .malformed = ObjectiveLine(parsing: #"{"value": "high"}"#) else { Issue.record("a string value"); return }
        guard case .malformed = ObjectiveLine(parsing: #"{"step": 1.5, "value": 1}"#) else { Issue.record("a fractional step"); return }
        guard case .malformed = ObjectiveLine(parsing: #"{"step": true, "value": 1}"#) else { Issue.record("a boolean step"); return }
        guard case .malformed = ObjectiveLine(parsing: #"{"values": [1, "a"]}"#) else { Issue.record("a string in values"); return }
    }

    @Test("the result is the last value line, or a bare number standing last")
    func transcript() {
        var t = ObjectiveTranscript()
        for line in [#"{"value": 1}"#, "log", #"{"value": 2}"#, "done"] { _ = t.read(line) }
        #expect(t.values(objectives: 1) == .success([2]))
        t = ObjectiveTranscript()
        for line in [#"{"value": 1}"#, "0.5", ""] { _ = t.read(line) }
        #expect(t.values(objectives: 1) == .success([0.5]))
        t = ObjectiveTranscript()
        for line in ["0.5", "trailing log line"] { _ = t.read(line) }
        guard case let .failure(reason) = t.values(objectives: 1) else { Issue.record("a number followed by text"); return }
        #expect(reason.description.contains("'trailing log line'"))
        t = ObjectiveTranscript()
        _ = t.read(#"{"values": [1, 2]}"#)
        #expect(t.values(objectives: 1) == .failure(ObjectiveFailure("the program gave 2 values for 1 objective")))
        #expect(t.values(objectives: 2) == .success([1, 2]))
        t = ObjectiveTranscript()
        _ = t.read("nan")
        #expect(t.values(objectives: 1) == .failure(ObjectiveFailure("the objective value is nan")))
        #expect(ObjectiveTranscript().values(objectives: 1) == .failure(ObjectiveFailure("no objective value: the program printed nothing")))
    }
}

@Suite("Objective programs")
struct ObjectiveProgramTests {
    @Test("values reach the program as single arguments, never through a shell, and in HYPERTUNE_PARAMS")
    func noShell() async throws {
        let s = try Scripts()
        let record = s.path("argv.txt")
        let program = try s.script("echo-args.sh", """
            #!/bin/sh
            for a in "$@"; do printf '%s\\n' "$a"; done > '\(record)'
            printf '%s\\n' "$HYPERTUNE_PARAMS" >> '\(record)'
            printf '%s %s\\n' "$HYPERTUNE_TRIAL_NUMBER" "$HYPERTUNE_STUDY" >> '\(record)'
            echo '{"value": 1}'
            """)
        let hostile = "x; touch \(s.path("pwned")) $(touch \(s.path("pwned2"))) `id` 'q' \"dq\" | & > \(s.path("pwned3"))"
        let command = try CommandTemplate([program, "--name={name}", "{name}", "--x={x}"])
        let (outcome, _) = try await runOnce(ObjectiveProgram(command: command), parameters: ["name": .string(hostile), "x": .double(0.5)])
        #expect(outcome.result == .complete([1]))
        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(lines.prefix(3)) == ["--name=\(hostile)", hostile, "--x=0.5"])
        let params = try JSONSerialization.jsonObject(with: Data(lines[3].utf8)) as? [String: Any]
        #expect(params?["name"] as? String == hostile && (params?["x"] as? NSNumber)?.doubleValue == 0.5)
        #expect(lines[4] == "0 runner")
        for file in ["pwned", "pwned2", "pwned3"] { #expect(!FileManager.default.fileExists(atPath: s.path(file))) }
    }

    @Test("intermediate values are reported as they come; a bare number printed last is the result")
    func intermediate() async throws {
        let s = try Scripts()
        let program = try s.script("steps.sh", """
            #!/bin/sh
            echo "starting"
            for i in 1 2 3; do echo "{\\"step\\": $i, \\"value\\": 0.$i}"; done
            echo 0.125
            """)
        let (outcome, stored) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([program])))
        #expect(outcome.result == .complete([0.125]))
        #expect(stored.state == .complete && stored.value == 0.125)
        #expect(stored.intermediateValues == [1: 0.1, 2: 0.2, 3: 0.3])
    }

    @Test("a pruned program is stopped with SIGTERM, then SIGKILL if it ignores it, and the trial is PRUNED")
    func pruning() async throws {
        let s = try Scripts()
        let finished = s.path("finished")
        // Ignores SIGTERM, so only SIGKILL ends it; a minute long, so that it is pruned even when
        // this test process's threads are busy with other tests for a while.
        let program = try s.script("stubborn.sh", """
            #!/bin/sh
            trap '' TERM
            i=0
            while [ $i -lt 1200 ]; do i=$((i+1)); echo "{\\"step\\": $i, \\"value\\": 1}"; sleep 0.05; done
            touch '\(finished)'
            echo 1
            """)
        var program2 = ObjectiveProgram(command: try CommandTemplate([program]))
        program2.terminationGrace = .milliseconds(300)
        let (outcome, stored) = try await runOnce(program2, pruner: PruneAt(step: 3))
        #expect(outcome.result == .pruned(step: 3))
        #expect(stored.state == .pruned && stored.intermediateValues.keys.sorted().prefix(3) == [1, 2, 3])
        #expect(!FileManager.default.fileExists(atPath: finished))
    }

    @Test("a program past its time-out fails, and so does what it started in the background")
    func timeout() async throws {
        let s = try Scripts()
        let pidFile = s.path("child.pid")
        let program = try s.script("slow.sh", """
            #!/bin/sh
            sleep 60 &
            echo $! > '\(pidFile)'
            sleep 60
            echo 1
            """)
        var p = ObjectiveProgram(command: try CommandTemplate([program]), timeout: .milliseconds(500))
        p.terminationGrace = .milliseconds(500)
        let (outcome, stored) = try await runOnce(p)
        guard case let .failed(reason) = outcome.result else { Issue.record("not failed: \(outcome)"); return }
        #expect(reason.contains("timed out after 0.5 s") && stored.state == .failed && stored.failReason == reason)
        let child = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        try await Task.sleep(for: .milliseconds(200))
        #expect(isGone(child), "the background child \(child) survived its trial")
    }

    @Test("failures name their cause: exit status with the stderr tail, output that is not a number, a missing or non-executable program")
    func failures() async throws {
        let s = try Scripts()
        let crash = try s.script("crash.sh", "#!/bin/sh\necho 'Traceback: something' >&2\necho 'ValueError: bad input' >&2\nexit 3\n")
        var (outcome, stored) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([crash])))
        #expect(outcome.result == .failed("the program exited with status 3; stderr: ValueError: bad input"))
        #expect(outcome.stderrTail == "Traceback: something\nValueError: bad input" && stored.state == .failed)

        let words = try s.script("words.sh", "#!/bin/sh\necho 'accuracy is high'\n")
        (outcome, _) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([words])))
        #expect(outcome.result == .failed("no objective value in the output: its last line is 'accuracy is high' (print {\"value\": x} or a bare number last)"))

        let malformed = try s.script("malformed.sh", "#!/bin/sh\necho '{\"value\": \"0.5\"}'\n")
        (outcome, _) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([malformed])))
        #expect(outcome.result == .failed("the value in '{\"value\": \"0.5\"}' is not a number"))

        (outcome, _) = try await runOnce(ObjectiveProgram(command: try CommandTemplate(["no-such-program-hypertune"])))
        guard case let .failed(missing) = outcome.result else { Issue.record("a missing program ran"); return }
        #expect(missing.contains("'no-such-program-hypertune' is not on PATH"))

        let plain = s.path("plain.sh")
        try "#!/bin/sh\necho 1\n".write(toFile: plain, atomically: true, encoding: .utf8)
        (outcome, _) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([plain])))
        guard case let .failed(notExecutable) = outcome.result else { Issue.record("a non-executable program ran"); return }
        #expect(notExecutable.contains("is not executable"))

        let killed = try s.script("killed.sh", "#!/bin/sh\nkill -9 $$\n")
        (outcome, _) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([killed])))
        #expect(outcome.result == .failed("the program was killed by signal 9 (SIGKILL: out of memory?)"))
    }

    @Test("relative program paths resolve from the working directory; several objectives read from 'values'")
    func workingDirectory() async throws {
        let s = try Scripts()
        _ = try s.script("two.sh", "#!/bin/sh\npwd > where.txt\necho '{\"values\": [1.5, -2]}'\n")
        let (outcome, stored) = try await runOnce(ObjectiveProgram(command: try CommandTemplate(["./two.sh"]), workingDirectory: s.directory.path), objectives: 2)
        #expect(outcome.result == .complete([1.5, -2]) && stored.values == [1.5, -2])
        let cwd = try String(contentsOfFile: s.path("where.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(URL(fileURLWithPath: cwd).resolvingSymlinksInPath().path == s.directory.resolvingSymlinksInPath().path)
    }

    @Test("a stop signal ends a running program, and its trial fails as interrupted")
    func interrupted() async throws {
        let s = try Scripts()
        let program = try s.script("long.sh", "#!/bin/sh\necho '{\"step\": 1, \"value\": 1}'\nsleep 30\necho 1\n")
        let stop = StopSignal()
        // On a Dispatch timer: the test's own cooperative threads may be busy with other tests.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.4) { stop.stop() }
        let (outcome, stored) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([program])), stop: stop)
        #expect(outcome.result == .failed("interrupted: the run was stopped") && stored.state == .failed && stored.intermediateValues == [1: 1])
    }

    @Test("long lines are cut, not fatal; the last line counts even without a final line break")
    func longLines() async throws {
        let s = try Scripts()
        let program = try s.script("long-line.sh", "#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\\\0' 'a'\necho\nprintf '0.75'\n")
        let (outcome, _) = try await runOnce(ObjectiveProgram(command: try CommandTemplate([program])))
        #expect(outcome.result == .complete([0.75]))
    }
}
