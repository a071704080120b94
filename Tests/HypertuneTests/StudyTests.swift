import Foundation
@testable import Hypertune
import Testing

/// A value shared by concurrent objectives and callbacks.
private final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

/// The error objectives throw in these tests.
private struct Boom: Error, CustomStringConvertible {
    let trial: Int
    var description: String { "boom in trial \(trial)" }
}

/// Prunes a trial whose last report exceeds the best complete value so far by more than 0.3.
private struct MarginPruner: Pruner {
    static let margin = 0.3
    func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool {
        guard let last = trial.lastIntermediate?.value, let best = history.completed.compactMap(\.value).min() else { return false }
        return last > best + Self.margin
    }
}

/// Sleeps up to `maxMicroseconds`, a different time on every call and every run.
private func jitter(_ maxMicroseconds: Int = 3000) async {
    var g = SystemRandomNumberGenerator()
    try? await Task.sleep(for: .microseconds(Int.random(in: 0...maxMicroseconds, using: &g)))
}

@Suite("Studies: ask and tell")
struct AskTellTests {
    @Test("ask and tell store parameters, values, states and times")
    func askTell() async throws {
        let study = try await Study.create(name: "ask-tell", direction: .minimize, sampler: RandomSampler(seed: 1))
        let trial = try await study.ask()
        let running = try await study.storage.trial(id: trial.id)
        #expect(running.state == .running && running.number == 0)
        #expect(running.startedAt != nil && running.finishedAt == nil && running.values == nil)

        let x = try await trial.suggestFloat("x", -1, 1)
        let k = try await trial.suggestInt("k", 1, 8, log: true)
        let c = try await trial.suggestCategorical("c", ["a", "b"])
        #expect(await trial.parameters == ["x": .double(x), "k": .int(k), "c": .string(c)])
        let value = x * x + Double(k) + (c == "a" ? 0 : 1)
        let done = try await study.tell(trial, value)

        let stored = try await study.trials()
        #expect(stored == [done])
        #expect(done.state == .complete && done.values == [value] && done.value == value && done.failReason == nil)
        #expect(done.parameters == ["x": .double(x), "k": .int(k), "c": .string(c)])
        #expect(done.distributions == ["x": .float(low: -1, high: 1), "k": .int(low: 1, high: 8, log: true), "c": .categorical(["a", "b"])])
        let started = try #require(done.startedAt), finished = try #require(done.finishedAt)
        #expect(started == running.startedAt && started <= finished)
        #expect(done.duration == finished.timeIntervalSince(started))

        // A trial ends once.
        await #expect(throws: StorageError.self) { try await study.tell(trial, 0) }

        // A wrong number of values fails the trial, with the reason.
        let second = try await study.ask()
        let failed = try await study.tell(second, values: [1, 2])
        #expect(failed.state == .failed && failed.values == nil)
        #expect(failed.failReason?.contains("2 values for 1 objectives") == true)

        let third = try await study.ask()
        try await third.report(0.5, step: 1)
        let pruned = try await study.tell(third, state: .pruned, reason: "slow")
        #expect(pruned.state == .pruned && pruned.values == nil && pruned.failReason == "slow" && pruned.intermediateValues == [1: 0.5])

        #expect(try await study.trials().map(\.number) == [0, 1, 2])
        #expect(try await study.trials(states: [.complete]).map(\.number) == [0])
        #expect(try await study.trials(states: [.failed, .pruned]).map(\.number) == [1, 2])
    }

    @Test("bestTrial is the lowest value when minimising and the highest when maximising", arguments: StudyDirection.allCases)
    func bestTrial(direction: StudyDirection) async throws {
        let study = try await Study.create(name: "best", direction: direction, sampler: RandomSampler(seed: 3))
        #expect(try await study.bestTrial() == nil)
        var told: [(number: Int, value: Double)] = []
        for _ in 0..<12 {
            let trial = try await study.ask()
            let x = try await trial.suggestFloat("x", -2, 2)
            let value = (x - 0.3) * (x - 0.3)
            try await study.tell(trial, value)
            told.append((trial.number, value))
        }
        // Pruned and failed trials never count, whatever they reported.
        let pruned = try await study.ask()
        try await pruned.report(direction == .minimize ? -1e9 : 1e9, step: 0)
        try await study.tell(pruned, state: .pruned)
        try await study.tell(try await study.ask(), direction == .minimize ? -.infinity : .infinity)

        let expected = direction == .minimize ? told.min { $0.value < $1.value }! : told.max { $0.value < $1.value }!
        let best = try #require(try await study.bestTrial())
        #expect(best.number == expected.number && best.value == expected.value)
        #expect(try await study.bestTrials().map(\.number) == [expected.number])

        // A tie is among the best trials too.
        let tie = try await study.ask()
        try await study.tell(tie, expected.value)
        #expect(Set(try await study.bestTrials().map(\.number)) == [expected.number, tie.number])
    }

    @Test("bestTrials of two objectives is the Pareto front, ties included")
    func paretoFront() async throws {
        let study = try await Study.create(name: "pareto", directions: [.minimize, .maximize], sampler: RandomSampler(seed: 5))
        var points: [Int: [Double]] = [:]
        for _ in 0..<40 {
            let trial = try await study.ask()
            // A coarse grid, so that equal points (which do not dominate each other) occur.
            let a = Double(try await trial.suggestInt("a", 0, 5)), b = Double(try await trial.suggestInt("b", 0, 5))
            try await study.tell(trial, values: [a, b])
            points[trial.number] = [a, b]
        }
        // A failed trial is no part of the front.
        try await study.tell(try await study.ask(), values: [-1, .nan])

        // p dominates q: no worse in both (first minimised, second maximised), better in one.
        func dominates(_ p: [Double], _ q: [Double]) -> Bool {
            p[0] <= q[0] && p[1] >= q[1] && (p[0] < q[0] || p[1] > q[1])
        }
        let front = Set(points.keys.filter { n in !points.values.contains { dominates($0, points[n]!) } })
        #expect(Set(points.values).count < points.count, "the test needs repeated points")
        #expect(front.count < points.count)
        #expect(Set(try await study.bestTrials().map(\.number)) == front)
    }
}

@Suite("Studies: optimize")
struct OptimizeTests {
    @Test("a throwing objective or a non-finite value fails the trial with the reason; TrialPruned prunes it; the study goes on")
    func failures() async throws {
        let study = try await Study.create(name: "failures", direction: .minimize, sampler: RandomSampler(seed: 2))
        try await study.optimize(trials: 8) { trial in
            let x = try await trial.suggestFloat("x", 0, 1)
            switch trial.number {
            case 1: throw Boom(trial: 1)
            case 2: return .nan
            case 3: return -.infinity
            case 4:
                try await trial.report(x, step: 3)
                throw TrialPruned("slow")
            case 5: throw TrialPruned()
            default: return x
            }
        }
        let trials = try await study.trials()
        #expect(trials.map(\.state) == [.complete, .failed, .failed, .failed, .pruned, .pruned, .complete, .complete])
        #expect(trials[1].failReason == "boom in trial 1")
        #expect(trials[2].failReason?.contains("nan") == true)
        #expect(trials[3].failReason?.contains("-inf") == true)
        #expect(trials[4].failReason == "slow" && trials[4].intermediateValues == [3: trials[4].parameters["x"]!.doubleValue!])
        #expect(trials[5].failReason == nil)
        for t in trials {
            #expect(t.finishedAt != nil)
            #expect(t.values == (t.state == .complete ? [t.parameters["x"]!.doubleValue!] : nil))
        }
    }

    @Test("stopOnError stops at the first failure and rethrows it; earlier trials are kept")
    func stopOnError() async throws {
        let study = try await Study.create(name: "stop", direction: .minimize, sampler: RandomSampler(seed: 2))
        let error = await #expect(throws: Boom.self) {
            try await study.optimize(trials: 20, stopOnError: true) { trial in
                if trial.number == 3 { throw Boom(trial: 3) }
                return Double(trial.number)
            }
        }
        #expect(error?.trial == 3)
        let trials = try await study.trials()
        #expect(trials.map(\.state) == [.complete, .complete, .complete, .failed])
        #expect(trials.map(\.values) == [[0], [1], [2], nil])
        #expect(trials[3].failReason == "boom in trial 3")

        // A non-finite value stops the run as well.
        let other = try await Study.create(name: "stop-nan", direction: .minimize, sampler: RandomSampler(seed: 2))
        await #expect(throws: OptimizeError.self) {
            try await other.optimize(trials: 20, stopOnError: true) { $0.number == 1 ? .nan : 0 }
        }
        #expect(try await other.trials().map(\.state) == [.complete, .failed])
    }

    @Test("with parallel workers, stopOnError leaves no trial running and loses no completed one")
    func stopOnErrorInParallel() async throws {
        let study = try await Study.create(name: "stop-parallel", direction: .minimize, sampler: RandomSampler(seed: 2))
        let returned = Locked<[Int: Double]>([:])
        await #expect(throws: Boom.self) {
            try await study.optimize(trials: 40, parallelism: 3, stopOnError: true) { trial in
                let x = try await trial.suggestFloat("x", 0, 1)
                await jitter(1000)
                if trial.number == 6 { throw Boom(trial: 6) }
                returned.withLock { $0[trial.number] = x }
                return x
            }
        }
        let trials = try await study.trials()
        #expect(trials.count < 40)
        #expect(trials.allSatisfy { $0.state.isFinished })
        #expect(trials.filter { $0.state == .failed }.map(\.number) == [6])
        for (number, value) in returned.current {
            #expect(trials[number].state == .complete && trials[number].values == [value], "trial \(number)")
        }
        #expect(trials.count(where: { $0.state == .complete }) == returned.current.count)
    }

    @Test("intermediate values, user attributes and one onTrialFinished call per trial")
    func reportsAttributesCallbacks() async throws {
        let study = try await Study.create(name: "reports", direction: .minimize, sampler: RandomSampler(seed: 4))
        let finished = Locked<[FrozenTrial]>([])
        try await study.optimize(trials: 6, parallelism: 2, onTrialFinished: { t in finished.withLock { $0.append(t) } }) { trial in
            for step in 0..<3 { try await trial.report(Double(10 * trial.number + step), step: step) }
            try await trial.report(-1, step: 1)  // a later report for the same step wins
            try await trial.setUserAttribute("tag", .string("t\(trial.number)"))
            #expect(await trial.snapshot.intermediateValues.count == 3)
            if trial.number == 2 { throw Boom(trial: 2) }
            if trial.number == 4 { throw TrialPruned() }
            return Double(trial.number)
        }
        let stored = try await study.trials()
        let seen = finished.current
        #expect(seen.count == 6)
        #expect(Set(seen.map(\.number)) == Set(0..<6))
        #expect(seen.map(\.state).count(where: { $0 == .complete }) == 4)
        for t in stored {
            let n = Double(10 * t.number)
            #expect(t.intermediateValues == [0: n, 1: -1, 2: n + 2])
            #expect(t.lastIntermediate?.step == 2 && t.lastIntermediate?.value == n + 2)
            #expect(t.userAttributes == ["tag": .string("t\(t.number)")])
            // The callback received the trial as stored.
            #expect(seen.first { $0.number == t.number } == t)
        }
    }

    @Test("enqueued trials run first, with their fixed parameters; a fixed value outside the distribution fails the trial")
    func enqueue() async throws {
        let study = try await Study.create(name: "enqueue", direction: .minimize, sampler: RandomSampler(seed: 8))
        try await study.optimize(trials: 2) { trial in try await trial.suggestFloat("x", 0, 1) }
        try await study.enqueue(["x": 0.25, "n": 3], userAttributes: ["source": .string("by hand")])
        try await study.enqueue(["n": 2])
        try await study.enqueue(["x": 5.0, "n": 1])
        let waiting = try await study.trials(states: [.waiting])
        #expect(waiting.map(\.number) == [2, 3, 4])
        #expect(waiting[0].fixedParameters == ["x": 0.25, "n": 3] && waiting[0].userAttributes == ["source": .string("by hand")])
        #expect(waiting.allSatisfy { $0.startedAt == nil && $0.isEnqueued })

        // A first new trial by ask() is the first enqueued one.
        let asked = try await study.ask()
        #expect(asked.number == 2)
        #expect(try await asked.suggestFloat("x", 0, 1) == 0.25)
        #expect(try await asked.suggestInt("n", 1, 5) == 3)
        try await study.tell(asked, 0)

        try await study.optimize(trials: 4) { trial in
            let x = try await trial.suggestFloat("x", 0, 1)
            let n = try await trial.suggestInt("n", 1, 5)
            return x + Double(n)
        }
        let trials = try await study.trials()
        #expect(trials.count == 7 && trials.allSatisfy { $0.state.isFinished })
        #expect(trials.map(\.isEnqueued) == [false, false, true, true, true, false, false])
        #expect(trials[2].parameters == ["x": 0.25, "n": 3] && trials[2].systemAttributes[FrozenTrial.fixedParametersKey] != nil)
        // Partly fixed: the rest is sampled.
        #expect(trials[3].state == .complete && trials[3].parameters["n"] == 2 && trials[3].parameters["x"] != nil)
        #expect(trials[3].fixedParameters == ["n": 2])
        // Out of the distribution: FAILED, naming the parameter.
        #expect(trials[4].state == .failed)
        #expect(trials[4].failReason?.contains("'x'") == true && trials[4].failReason?.contains("5") == true)
        #expect(trials[4].parameters["x"] == nil)
        for t in trials where !t.isEnqueued { #expect(t.fixedParameters.isEmpty && t.state == .complete) }
    }

    @Test("one name keeps one distribution in a trial; invalid distributions are reported with the name")
    func defineByRunConflicts() async throws {
        let study = try await Study.create(name: "conflicts", direction: .minimize, sampler: RandomSampler(seed: 9))
        let trial = try await study.ask()
        let x = try await trial.suggestFloat("x", 0, 1)
        #expect(try await trial.suggestFloat("x", 0, 1) == x)

        func parameter(_ body: () async throws -> Void) async -> String? {
            await #expect(throws: SearchSpaceError.self) { try await body() }?.parameter
        }
        #expect(await parameter { _ = try await trial.suggestFloat("x", 0, 2) } == "x")
        // The message names both distributions, in the order they were suggested.
        let changed = await #expect(throws: SearchSpaceError.self) { _ = try await trial.suggestInt("x", 0, 1) }
        let message = changed?.message ?? ""
        let before = Distribution.float(low: 0, high: 1).description, after = Distribution.int(low: 0, high: 1).description
        #expect(message.contains(before) && message.contains(after), "\(message)")
        if let b = message.range(of: before), let a = message.range(of: after) { #expect(a.lowerBound < b.lowerBound, "\(message)") }
        #expect(await parameter { _ = try await trial.suggestInt("x", 0, 1) } == "x")
        #expect(await parameter { _ = try await trial.suggestFloat("lr", 1, 0) } == "lr")
        #expect(await parameter { _ = try await trial.suggestFloat("lr", 0, 1, log: true) } == "lr")
        #expect(await parameter { _ = try await trial.suggestInt("units", 0, 10, step: 3) } == "units")
        #expect(await parameter { _ = try await trial.suggestCategorical("act", [String]()) } == "act")
        #expect(await parameter { _ = try await trial.suggestCategorical("act", ["relu", "relu"]) } == "act")
        // Nothing of the refused suggestions is recorded.
        #expect(try await study.storage.trial(id: trial.id).parameters == ["x": .double(x)])

        // In optimize, such an error fails the trial with a message naming the parameter.
        try await study.tell(trial, x)
        try await study.optimize(trials: 1) { trial in
            _ = try await trial.suggestInt("depth", 1, 4)
            return Double(try await trial.suggestCategorical("depth", ["1", "2"]).count)
        }
        let last = try #require(try await study.trials().last)
        #expect(last.state == .failed && last.failReason?.contains("'depth'") == true)
    }

    @Test("totalTrials counts every worker: two studies of one name, each with 3 workers, run exactly that many trials")
    func totalTrialsAcrossWorkers() async throws {
        let storage = InMemoryStorage()
        let a = try await Study.create(name: "shared", storage: storage, direction: .minimize, sampler: RandomSampler(seed: 1))
        let b = try await Study.create(name: "shared", storage: storage, direction: .minimize, sampler: RandomSampler(seed: 2))
        #expect(a.record.id == b.record.id)
        let callbacks = Locked<[Int]>([])
        let objective: @Sendable (Trial) async throws -> Double = { trial in
            await jitter(1000)
            return try await trial.suggestFloat("x", 0, 1)
        }
        let total = 17
        async let runA: Void = a.optimize(totalTrials: total, parallelism: 3, onTrialFinished: { t in callbacks.withLock { $0.append(t.number) } }, objective: objective)
        async let runB: Void = b.optimize(totalTrials: total, parallelism: 3, onTrialFinished: { t in callbacks.withLock { $0.append(t.number) } }, objective: objective)
        _ = try await (runA, runB)

        let trials = try await a.trials()
        #expect(trials.count(where: { $0.state != .waiting }) == total)
        #expect(trials.allSatisfy { $0.state == .complete })
        #expect(callbacks.current.sorted() == Array(0..<total))
        // A further run finds the limit reached.
        try await a.optimize(totalTrials: total, objective: objective)
        #expect(try await a.trials().count == total)
    }

    @Test("timeout ends a run long before its trial count; the trials it started finish", arguments: [1, 3])
    func timeout(parallelism: Int) async throws {
        let study = try await Study.create(name: "timeout", direction: .minimize, sampler: RandomSampler(seed: 1))
        let limit = 2000
        try await study.optimize(trials: limit, timeout: .milliseconds(60), parallelism: parallelism) { trial in
            try await Task.sleep(for: .milliseconds(5))
            return try await trial.suggestFloat("x", 0, 1)
        }
        // Each worker starts trials only before the deadline and each trial sleeps at least 5 ms,
        // so at most 60/5 + 1 trials per worker start, however loaded the machine (on a loaded
        // one the deadline may pass before the first trial: zero is allowed). No wall-clock
        // assertion: the machine may stall the whole run.
        let trials = try await study.trials()
        #expect(trials.count <= parallelism * (60 / 5 + 1), "\(trials.count) trials")
        #expect(trials.allSatisfy { $0.state == .complete })
    }

    @Test("optimize runs exactly the number of trials asked for in this call, up to parallelism at a time, one callback each", arguments: [1, 4])
    func trialCount(parallelism: Int) async throws {
        let study = try await Study.create(name: "count", direction: .minimize, sampler: RandomSampler(seed: 6))
        let callbacks = Locked<[Int]>([]), running = Locked(0), mostRunning = Locked(0)
        let objective: @Sendable (Trial) async throws -> Double = { trial in
            let now = running.withLock { $0 += 1; return $0 }
            mostRunning.withLock { $0 = max($0, now) }
            try await Task.sleep(for: .milliseconds(10))
            running.withLock { $0 -= 1 }
            return try await trial.suggestFloat("x", 0, 1)
        }
        try await study.optimize(trials: 10, parallelism: parallelism, onTrialFinished: { t in callbacks.withLock { $0.append(t.number) } }, objective: objective)
        #expect(try await study.trials().count == 10)
        // A second call runs as many again.
        try await study.optimize(trials: 7, parallelism: parallelism, onTrialFinished: { t in callbacks.withLock { $0.append(t.number) } }, objective: objective)
        let trials = try await study.trials()
        #expect(trials.count == 17 && trials.allSatisfy { $0.state == .complete })
        #expect(callbacks.current.sorted() == Array(0..<17))
        #expect(mostRunning.current <= parallelism)
        if parallelism > 1 { #expect(mostRunning.current >= 2, "the workers never overlapped") }
        // No trials: nothing happens.
        try await study.optimize(trials: 0, parallelism: parallelism, objective: objective)
        #expect(try await study.trials().count == 17)
    }

    @Test("trial.report and shouldPrune consult the study's pruner; throwing TrialPruned prunes, and the study goes on")
    func pruning() async throws {
        let study = try await Study.create(name: "pruning", direction: .minimize, sampler: RandomSampler(seed: 12), pruner: MarginPruner())
        // Reports rise to the final value x.
        @Sendable func report(_ x: Double, _ step: Int) -> Double { x * (0.6 + 0.1 * Double(step)) }
        try await study.optimize(trials: 20) { trial in
            let x = try await trial.suggestFloat("x", 0, 1)
            for step in 0..<5 {
                try await trial.report(report(x, step), step: step)
                if try await trial.shouldPrune() { throw TrialPruned("step \(step)") }
            }
            return x
        }
        // The same rule simulated by hand on the sampled x values.
        let trials = try await study.trials()
        #expect(trials.count == 20)
        var best = Double.infinity
        var pruningSteps = Set<Int>()
        for t in trials {
            let x = try #require(t.parameters["x"]?.doubleValue)
            let reports = (0..<5).map { report(x, $0) }
            if let step = reports.firstIndex(where: { $0 > best + MarginPruner.margin }) {
                pruningSteps.insert(step)
                #expect(t.state == .pruned && t.failReason == "step \(step)", "trial \(t.number)")
                #expect(t.intermediateValues == Dictionary(uniqueKeysWithValues: (0...step).map { ($0, reports[$0]) }), "trial \(t.number)")
                #expect(t.values == nil)
            } else {
                #expect(t.state == .complete && t.values == [x], "trial \(t.number)")
                #expect(t.intermediateValues.count == 5)
                best = min(best, x)
            }
        }
        #expect(trials.count { $0.state == .pruned } >= 3 && trials.count { $0.state == .complete } >= 3)
        #expect(pruningSteps.count >= 2, "trials pruned at steps \(pruningSteps)")
    }

    /// The parameters of each trial of a 25-trial TPE run with `parallelism` workers whose
    /// objectives take random times.
    static func tpeRun(seed: UInt64, parallelism: Int, reproducible: Bool = true) async throws -> [[String: ParameterValue]] {
        var configuration = TPESampler.Configuration()
        configuration.startupTrials = 5
        let study = try await Study.create(name: "reproducible", direction: .minimize, sampler: TPESampler(seed: seed, configuration: configuration))
        try await study.optimize(trials: 25, parallelism: parallelism, reproducible: reproducible) { trial in
            let x = try await trial.suggestFloat("x", -5, 5)
            await jitter()
            let n = try await trial.suggestInt("n", 0, 10)
            let c = try await trial.suggestCategorical("c", ["a", "b", "c"])
            await jitter()
            return (x - 1) * (x - 1) + Double(abs(n - 3)) + (c == "b" ? 0 : 1)
        }
        let trials = try await study.trials()
        #expect(trials.map(\.number) == Array(0..<25) && trials.allSatisfy { $0.state == .complete })
        return trials.map(\.parameters)
    }

    @Test("the same seed and parallelism give the same parameters by trial number, whatever the timing")
    func reproducibleParallelism() async throws {
        let first = try await Self.tpeRun(seed: 7, parallelism: 4), second = try await Self.tpeRun(seed: 7, parallelism: 4)
        for (number, (p, q)) in zip(first, second).enumerated() {
            #expect(p == q, "trial \(number)")
        }
        #expect(Set(first).count == first.count, "TPE proposed the same configuration twice")
        // The proposals do depend on the seed.
        let other = try await Self.tpeRun(seed: 8, parallelism: 4)
        #expect(zip(first, other).allSatisfy { $0 != $1 })
    }
}
