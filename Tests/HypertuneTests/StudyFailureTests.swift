import Foundation
@testable import Hypertune
import Testing

/// Stands for an error type the study itself throws, raised by the user's objective.
private struct NestedFailure: Error {}

@Suite("Studies: failures of storage and objectives")
struct StudyFailureTests {
    @Test("a storage error stops every worker and reaches the caller, reproducible or not", arguments: [false, true])
    func storageErrorStopsTheRun(reproducible: Bool) async throws {
        let storage = FlakyStorage(failAt: 3)
        let study = try await Study.create(name: "flaky", storage: storage, direction: .minimize, sampler: RandomSampler(seed: 1))
        await #expect(throws: FlakyStorage.Outage.self) {
            try await study.optimize(trials: 40, parallelism: 2, reproducible: reproducible) { trial in
                try await Task.sleep(for: .milliseconds(2))
                return try await trial.suggestFloat("x", 0, 1)
            }
        }
        // The run ended soon after the failure: at most the trials already under way finished.
        let trials = try await study.trials()
        #expect(trials.count <= 4, "\(trials.count) trials ran after the outage")
        #expect(trials.allSatisfy { $0.state == .complete })
    }

    @Test("an objective throwing the study's own error type fails only its trial")
    func optimizeErrorFromObjective() async throws {
        let study = try await Study.create(name: "nested", direction: .minimize, sampler: RandomSampler(seed: 1))
        try await study.optimize(trials: 4) { trial in
            if trial.number == 1 { throw OptimizeError(description: "a nested study stopped") }
            return Double(trial.number)
        }
        let states = try await study.trials().map(\.state)
        #expect(states == [.complete, .failed, .complete, .complete])
        #expect(try await study.trials()[1].failReason == "a nested study stopped")
    }

    @Test("a finished trial is a record: its user attributes and reports cannot change")
    func finishedTrialsAreRecords() async throws {
        let study = try await Study.create(name: "records", direction: .minimize, sampler: RandomSampler(seed: 1))
        let trial = try await study.ask()
        try await trial.setUserAttribute("note", .string("kept"))
        try await study.tell(trial, 1)
        await #expect(throws: StorageError.self) { try await trial.setUserAttribute("note", .string("changed")) }
        await #expect(throws: StorageError.self) { try await trial.report(3, step: 1) }
        await #expect(throws: StorageError.self) { try await study.tell(trial, 2) }
        let stored = try await study.storage.trial(id: trial.id)
        #expect(stored.userAttributes["note"] == .string("kept") && stored.intermediateValues.isEmpty && stored.value == 1)
    }

    @Test("totalTrials counts enqueued trials: none starts past the limit")
    func totalTrialsWithEnqueued() async throws {
        let study = try await Study.create(name: "limit", direction: .minimize, sampler: RandomSampler(seed: 1))
        try await study.optimize(trials: 5) { _ in 1 }
        for x in [0.1, 0.2, 0.3] { try await study.enqueue(["x": .double(x)]) }
        try await study.optimize(totalTrials: 6) { trial in try await trial.suggestFloat("x", 0, 1) }
        let trials = try await study.trials()
        #expect(trials.count(where: { $0.state != .waiting }) == 6)
        // The first enqueued trial ran with its parameters; the other two still wait.
        #expect(trials.count(where: { $0.state == .waiting }) == 2)
        #expect(trials.first { $0.isEnqueued && $0.state == .complete }?.parameters["x"] == .double(0.1))
    }

    @Test("successive halving prunes when shouldPrune is asked only every few reports")
    func sparseChecks() async throws {
        for every in [1, 5] {
            let study = try await Study.create(name: "sha-\(every)", direction: .minimize, sampler: RandomSampler(seed: 1),
                                               pruner: SuccessiveHalvingPruner(minimumResource: 1, reductionFactor: 2))
            // Four good trials, then a bad one reporting every step and checking every `every`.
            try await study.optimize(trials: 4) { trial in
                for step in 1...20 { try await trial.report(0, step: step) }
                return 0
            }
            try await study.optimize(trials: 1) { trial in
                for step in 1...20 {
                    try await trial.report(100, step: step)
                    if step % every == 0, try await trial.shouldPrune() { throw TrialPruned() }
                }
                return 100
            }
            // Pruned at its first check: the last step it reported.
            let bad = try #require(try await study.trials().last)
            #expect(bad.state == .pruned)
            #expect(bad.lastIntermediate?.step == every, "checking every \(every) reports")
        }
    }
}
