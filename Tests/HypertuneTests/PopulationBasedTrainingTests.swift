import Foundation
@testable import Hypertune
import Testing

@Suite("Population-based training")
struct PopulationBasedTrainingTests {
    private func scratch(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-pbt-\(name)-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.removeItem(at: url)
        return url
    }

    private let space: [String: Distribution] = ["lr": .float(low: 1e-4, high: 1, log: true), "width": .int(low: 1, high: 64), "act": .categorical(["relu", "tanh", "gelu"])]

    /// A complete round of `member` with score `value`.
    private func round(_ number: Int, member: Int, round: Int, value: Double, lr: Double, width: Int = 16, act: String = "tanh", parent: Int? = nil) -> FrozenTrial {
        var attributes: [String: JSONValue] = [PopulationBasedTraining.memberKey: .number(Double(member)), PopulationBasedTraining.roundKey: .number(Double(round))]
        if let parent { attributes[PopulationBasedTraining.parentKey] = .number(Double(parent)) }
        return FrozenTrial(id: number + 1, studyID: 1, number: number, state: .complete,
                           parameters: ["lr": .double(lr), "width": .int(width), "act": .string(act)], distributions: space,
                           values: [value], systemAttributes: attributes)
    }

    @Test("exploit and explore: a bottom member continues a top member's checkpoint with its hyperparameters ×0.8 or ×1.2; others continue their own")
    func exploitExplore() {
        var configuration = PopulationBasedTraining.Configuration()
        configuration.populationSize = 4
        configuration.resampleProbability = 0
        let pbt = PopulationBasedTraining(checkpoints: scratch("plan"), seed: 5, configuration: configuration)
        // Round 0 of four members; member 2 leads (maximised), member 0 trails.
        var trials = [round(0, member: 0, round: 0, value: 0.1, lr: 0.01), round(1, member: 1, round: 0, value: 0.5, lr: 0.02),
                      round(2, member: 2, round: 0, value: 0.9, lr: 0.05, width: 10, act: "relu"), round(3, member: 3, round: 0, value: 0.4, lr: 0.03)]
        let history = StudyHistory(directions: [.maximize], trials: trials)
        let next = FrozenTrial(id: 5, studyID: 1, number: 4, state: .running)
        let plan = pbt.plan(history, next)
        #expect(plan.member == 0 && plan.round == 1 && plan.parent == 2 && plan.donor == 2)
        let lr = plan.parameters["lr"]!.doubleValue!
        #expect([0.05 * 0.8, 0.05 * 1.2].contains { abs($0 - lr) < 1e-15 }, "lr \(lr)")
        #expect([8, 12].contains(plan.parameters["width"]!.intValue!))
        // relu, the first choice, moves up to tanh or stays (clamped).
        #expect([.string("relu"), .string("tanh")].contains(plan.parameters["act"]!))
        // The values reach the trial through the relative space, and the lineage through the attributes.
        let relative = pbt.sampleRelative(history: history, trial: next, space: pbt.relativeSearchSpace(history: history, trial: next))
        #expect(relative["lr"] == lr && relative["width"] == Double(plan.parameters["width"]!.intValue!))
        #expect(relative["act"] == space["act"]!.toInternal(plan.parameters["act"]!))
        let attributes = pbt.startAttributes(history: history, trial: next, space: [])
        #expect(attributes[PopulationBasedTraining.parentKey] == .number(2) && attributes[PopulationBasedTraining.donorKey] == .number(2))
        // With member 0 running, the free members are all one round in: the lowest number, member
        // 1, goes next; it is not in the bottom quantile, so it continues its own checkpoint.
        trials.append(FrozenTrial(id: 6, studyID: 1, number: 4, state: .running, systemAttributes: [PopulationBasedTraining.memberKey: .number(0)]))
        let second = pbt.plan(StudyHistory(directions: [.maximize], trials: trials), FrozenTrial(id: 7, studyID: 1, number: 5, state: .running))
        #expect(second.member == 1 && second.round == 1 && second.parent == 1 && second.donor == nil)
        #expect(second.parameters["lr"] == .double(0.02) && second.parameters["width"] == .int(16))
        // Minimising ranks the other way. Members 0, 1 and 3 are two rounds in, so member 2 goes
        // next; with the largest value it is now the worst, and copies the best, member 0.
        let later = trials.filter { $0.number != 4 } + [round(4, member: 0, round: 1, value: 0.05, lr: 0.01, parent: 0),
                                                         round(5, member: 1, round: 1, value: 0.5, lr: 0.02, parent: 1),
                                                         round(6, member: 3, round: 1, value: 0.4, lr: 0.03, parent: 3)]
        let minimising = pbt.plan(StudyHistory(directions: [.minimize], trials: later), FrozenTrial(id: 8, studyID: 1, number: 7, state: .running))
        #expect(minimising.member == 2 && minimising.parent == 4 && minimising.donor == 0 && minimising.round == 2)
    }

    @Test("perturbations stay on the grid and in bounds; integers always move; categorical choices move to a neighbour")
    func perturbations() {
        let width = Distribution.int(low: 1, high: 64)
        #expect(PopulationBasedTraining.perturb(.int(2), width, factor: 1.2) == .int(3))
        #expect(PopulationBasedTraining.perturb(.int(2), width, factor: 0.8) == .int(1))
        #expect(PopulationBasedTraining.perturb(.int(1), width, factor: 0.8) == .int(1))
        #expect(PopulationBasedTraining.perturb(.int(60), width, factor: 1.2) == .int(64))
        #expect(PopulationBasedTraining.perturb(.int(8), .int(low: 0, high: 64, step: 4), factor: 1.2) == .int(12))
        #expect(PopulationBasedTraining.perturb(.double(0.9), .float(low: 0, high: 1), factor: 1.2) == .double(1))
        #expect(PopulationBasedTraining.perturb(.double(0.5), .float(low: 0, high: 1, step: 0.25), factor: 0.8) == .double(0.5))
        let act = Distribution.categorical(["relu", "tanh", "gelu"])
        #expect(PopulationBasedTraining.perturb(.string("tanh"), act, factor: 1.2) == .string("gelu"))
        #expect(PopulationBasedTraining.perturb(.string("tanh"), act, factor: 0.8) == .string("relu"))
        #expect(PopulationBasedTraining.perturb(.string("gelu"), act, factor: 1.2) == .string("gelu"))
    }

    /// The toy problem of Jaderberg et al. (2017, §4.1): maximise Q(θ) = 1.2 − (θ₀² + θ₁²) by
    /// gradient ascent on the surrogate Q̂(θ | h) = 1.2 − (h₀θ₀² + h₁θ₁²) from θ = (0.9, 0.9). With
    /// h fixed at (1, 0) or (0, 1) — the paper's two members — one coordinate never moves, so
    /// training alone cannot pass Q = 1.2 − 0.81; PBT, copying θ and varying h, reaches the optimum.
    private static func toyRound(_ theta: [Double], h: [Double], steps: Int = 4, rate: Double = 0.05) -> [Double] {
        var theta = theta
        for _ in 0..<steps { theta = zip(theta, h).map { $0 - rate * 2 * $1 * $0 } }
        return theta
    }

    private static func score(_ theta: [Double]) -> Double { 1.2 - theta.reduce(0) { $0 + $1 * $1 } }

    @Test("the paper's toy problem: PBT with two members reaches the optimum that either member alone cannot; checkpoints carry θ")
    func toyProblem() async throws {
        for seed in UInt64(0)..<3 {
            var configuration = PopulationBasedTraining.Configuration()
            configuration.populationSize = 2
            configuration.rounds = 30
            let root = scratch("toy")
            let pbt = PopulationBasedTraining(checkpoints: root, seed: seed, configuration: configuration)
            let study = try await Study.create(name: "toy", direction: .maximize, sampler: pbt)
            try await study.enqueue(["h0": .double(1), "h1": .double(0)])
            try await study.enqueue(["h0": .double(0), "h1": .double(1)])
            try await study.optimize(trials: 1000) { trial in
                let h = [try await trial.suggestFloat("h0", 0, 1), try await trial.suggestFloat("h1", 0, 1)]
                let checkpoint = try await pbt.checkpoint(for: trial)
                let theta = Self.toyRound(try checkpoint.load([Double].self) ?? [0.9, 0.9], h: h)
                try checkpoint.save(theta)
                return Self.score(theta)
            }
            let trials = try await study.trials()
            #expect(trials.count == 62)  // the sampler's limit, population × rounds, after the enqueued trials
            // Alone, each member's score is capped below 1.2 − 0.81 = 0.39.
            let alone = [[1.0, 0], [0, 1]].map { h in (0..<30).reduce([0.9, 0.9]) { theta, _ in Self.toyRound(theta, h: h) } }.map(Self.score).max()!
            #expect(alone < 0.39)
            let best = try await study.bestTrial()!.value!
            #expect(best > 1.19, "seed \(seed): PBT reached \(best), alone \(alone)")
            // Every round continued its parent's checkpoint, one round further on.
            for t in trials {
                guard case let .number(parent)? = t.systemAttributes[PopulationBasedTraining.parentKey] else { continue }
                let p = trials[Int(parent)]
                #expect(p.state == .complete && PopulationBasedTraining.round(of: t) == PopulationBasedTraining.round(of: p) + 1)
            }
            // Only the checkpoints a member could continue from are left: each member's latest.
            let left = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
            #expect(left.count <= 3, "\(left)")  // each member's latest, and the last trial's parent
            try? FileManager.default.removeItem(at: root)
        }
    }

    @Test("an external program keeps its state in the checkpoint directories it is given in its environment")
    func externalProgram() async throws {
        let root = scratch("program")
        let script = root.appendingPathComponent("member.sh")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // One round of the toy problem in POSIX shell and awk: θ from the restore directory (or
        // the start), four ascent steps with h = ($1, $2), θ saved, the score printed.
        try """
        #!/bin/sh
        set -e
        if [ -n "$HYPERTUNE_RESTORE_DIR" ]; then theta=$(cat "$HYPERTUNE_RESTORE_DIR/theta"); else theta="0.9 0.9"; fi
        mkdir -p "$HYPERTUNE_CHECKPOINT_DIR"
        echo "$theta" | awk -v h0="$1" -v h1="$2" '{ a = $1; b = $2; for (i = 0; i < 4; i++) { a -= 0.1 * h0 * a; b -= 0.1 * h1 * b } printf "%.17g %.17g\\n", a, b }' > "$HYPERTUNE_CHECKPOINT_DIR/theta"
        awk '{ printf "%.17g\\n", 1.2 - $1 * $1 - $2 * $2 }' "$HYPERTUNE_CHECKPOINT_DIR/theta"
        """.write(to: script, atomically: true, encoding: .utf8)
        var configuration = PopulationBasedTraining.Configuration()
        configuration.populationSize = 2
        configuration.rounds = 25
        let pbt = PopulationBasedTraining(checkpoints: root.appendingPathComponent("checkpoints"), seed: 1, configuration: configuration)
        let study = try await Study.create(name: "program", direction: .maximize, sampler: pbt)
        try await study.enqueue(["h0": .double(1), "h1": .double(0)])
        try await study.enqueue(["h0": .double(0), "h1": .double(1)])
        try await study.optimize(trials: 1000) { trial in
            let h0 = try await trial.suggestFloat("h0", 0, 1), h1 = try await trial.suggestFloat("h1", 0, 1)
            let checkpoint = try await pbt.checkpoint(for: trial)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [script.path, String(h0), String(h1)]
            process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HYPERTUNE_") }.merging(checkpoint.environment) { $1 }
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0, let value = Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw CheckpointError("the member program failed: \(String(decoding: data, as: UTF8.self))")
            }
            return value
        }
        let trials = try await study.trials()
        #expect(trials.count == 52 && trials.allSatisfy { $0.state == .complete })
        #expect(try await study.bestTrial()!.value! > 1.19)
        try? FileManager.default.removeItem(at: root)
    }

    @Test("a resumed study carries on from the history; parallel workers never train one member twice at once; every checkpoint is kept when asked")
    func resumeAndParallel() async throws {
        var configuration = PopulationBasedTraining.Configuration()
        configuration.populationSize = 4
        configuration.rounds = 6
        configuration.keepsEveryCheckpoint = true
        let root = scratch("resume")
        let storage = InMemoryStorage()
        let objective: @Sendable (PopulationBasedTraining, Trial) async throws -> Double = { pbt, trial in
            let h = [try await trial.suggestFloat("h0", 0, 1), try await trial.suggestFloat("h1", 0, 1)]
            let checkpoint = try await pbt.checkpoint(for: trial)
            let theta = Self.toyRound(try checkpoint.load([Double].self) ?? [0.9, 0.9], h: h)
            try checkpoint.save(theta)
            return Self.score(theta)
        }
        // A first process runs 9 trials; a second, with a fresh sampler, finishes the study.
        let first = PopulationBasedTraining(checkpoints: root, seed: 2, configuration: configuration)
        let study = try await Study.create(name: "resume", storage: storage, direction: .maximize, sampler: first)
        try await study.optimize(trials: 9, parallelism: 3) { try await objective(first, $0) }
        let second = PopulationBasedTraining(checkpoints: root, seed: 2, configuration: configuration)
        let resumed = try await Study.create(name: "resume", storage: storage, direction: .maximize, sampler: second)
        try await resumed.optimize(trials: 1000, parallelism: 3) { try await objective(second, $0) }
        let trials = try await resumed.trials()
        #expect(trials.count == 24 && trials.allSatisfy { $0.state == .complete })
        var members: [Int: Int] = [:]
        for t in trials {
            guard case let .number(m)? = t.systemAttributes[PopulationBasedTraining.memberKey] else {
                Issue.record("trial \(t.number) has no member")
                continue
            }
            members[Int(m), default: 0] += 1
            // A round starts only after the round it continues has finished.
            if case let .number(parent)? = t.systemAttributes[PopulationBasedTraining.parentKey] {
                let p = trials[Int(parent)]
                #expect(p.finishedAt! <= t.startedAt!, "trial \(t.number) started before its parent \(p.number) finished")
            }
        }
        #expect(members.count == 4 && members.values.allSatisfy { $0 == 6 }, "\(members)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).count == 24)
        try? FileManager.default.removeItem(at: root)
    }

    @Test("concurrent asks are serialised: each gets its own member, even when the storage takes time to answer")
    func concurrentAsks() async throws {
        var configuration = PopulationBasedTraining.Configuration()
        configuration.populationSize = 6
        let pbt = PopulationBasedTraining(checkpoints: scratch("asks"), seed: 0, configuration: configuration)
        let study = try await Study.create(name: "asks", storage: FlakyStorage(latency: .milliseconds(2)), direction: .maximize, sampler: pbt)
        let members = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            for _ in 0..<6 { group.addTask { try await study.ask().snapshot.systemAttributes[PopulationBasedTraining.memberKey] } }
            return try await group.reduce(into: [JSONValue?]()) { $0.append($1) }
        }
        #expect(Set(members.compactMap { $0 }) == Set((0..<6).map { JSONValue.number(Double($0)) }), "\(members)")
    }

    @Test("a checkpoint that was never saved is a clear error, not a crash")
    func missingCheckpoint() throws {
        let root = scratch("missing")
        let checkpoint = TrialCheckpoint(root: root, trial: 3, restoringFrom: 1)
        #expect(checkpoint.environment == [TrialCheckpoint.directoryVariable: root.path + "/trial-3", TrialCheckpoint.restoreVariable: root.path + "/trial-1"])
        #expect(throws: CheckpointError.self) { try checkpoint.load([Double].self) }
        #expect(try TrialCheckpoint(root: root, trial: 0, restoringFrom: nil).load([Double].self) == nil)
    }
}
