import Foundation
import Hypertune
import Testing

@Suite("Fault tolerance: heartbeats, stale trials, retries")
struct FaultToleranceTests {
    static let quick = FaultTolerance(heartbeatInterval: .milliseconds(50), gracePeriod: .milliseconds(400), maxRetries: 1)
    /// A grace period long enough for heartbeats to get through on a loaded machine (tests run in
    /// parallel), for the checks that a live trial is not failed.
    static let patient = FaultTolerance(heartbeatInterval: .milliseconds(50), gracePeriod: .seconds(2), maxRetries: 1)

    /// Waits (up to 20 s) until the trial's heartbeat is later than `since`.
    static func heartbeatAdvances(_ storage: any Storage, _ id: Int, since: Date) async throws -> Bool {
        for _ in 0..<400 {
            if let beat = try await storage.trial(id: id).heartbeatAt, beat > since { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test("a running trial's heartbeat advances while its objective works, for optimize and for ask/tell", arguments: Backend.available)
    func heartbeats(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await Study.create(name: "beat", storage: storage, faultTolerance: Self.quick)
        try await study.optimize(trials: 1) { trial in
            let started = try #require(try await storage.trial(id: trial.id).heartbeatAt)
            #expect(try await Self.heartbeatAdvances(storage, trial.id, since: started))
            return 1
        }
        let asked = try await study.ask()
        let started = try #require(try await storage.trial(id: asked.id).heartbeatAt)
        #expect(try await Self.heartbeatAdvances(storage, asked.id, since: started))
        try await study.tell(asked, 2)
        // Once told, the trial beats no more.
        let ended = try await storage.trial(id: asked.id).heartbeatAt
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await storage.trial(id: asked.id).heartbeatAt == ended)
    }

    @Test("a dead worker's trial fails after the grace period and its parameters run again; a slow live trial is left alone", arguments: Backend.available)
    func staleTrialRetried(_ backend: Backend) async throws {
        let storage = try await backend.make()
        let study = try await Study.create(name: "stale", storage: storage, sampler: RandomSampler(seed: 1), faultTolerance: Self.patient)
        // A worker that started a trial, drew its parameter and died: no heartbeats from it.
        let dead = try #require(try await storage.startTrial(studyID: study.record.id, limit: nil, worker: "dead"))
        try await storage.setParameter(trialID: dead.id, name: "x", value: .double(0.123), distribution: .float(low: 0, high: 1))
        try await Task.sleep(for: .milliseconds(2100))
        // Two workers: one trial is slow (longer than the grace period) but alive.
        try await study.optimize(trials: 4, parallelism: 2) { trial in
            let x = try await trial.suggestFloat("x", 0, 1)
            if trial.number == 1 { try await Task.sleep(for: .milliseconds(2500)) }
            return x
        }
        let trials = try await study.trials()
        let failed = trials[dead.number]
        #expect(failed.state == .failed && failed.failReason?.contains("heartbeat") == true)
        let retry = try #require(trials.first { $0.systemAttributes[FaultTolerance.retryOfKey] == .number(Double(dead.number)) })
        #expect(retry.state == .complete && retry.parameters["x"] == .double(0.123) && retry.systemAttributes[FaultTolerance.retryCountKey] == .number(1))
        #expect(failed.systemAttributes[FaultTolerance.retriedAsKey] == .number(Double(retry.number)))
        #expect(trials.filter { $0.number != dead.number }.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
        // The retry budget is per original trial: a retry that dies too is not tried a third time.
        let again = try #require(try await storage.startTrial(studyID: study.record.id, limit: nil, worker: "dead"))
        try await storage.setTrialAttribute(trialID: again.id, key: FaultTolerance.retryOfKey, value: .number(Double(dead.number)), system: true)
        try await storage.setTrialAttribute(trialID: again.id, key: FaultTolerance.retryCountKey, value: .number(1), system: true)
        try await storage.setParameter(trialID: again.id, name: "x", value: .double(0.5), distribution: .float(low: 0, high: 1))
        try await Task.sleep(for: .milliseconds(2100))
        #expect(try await study.reapStaleTrials().map(\.id) == [again.id])
        #expect(try await study.trials(states: [.waiting]).isEmpty)
    }

    @Test("a worker whose trial was failed as stale meanwhile finds it so when it reports, and the study goes on", arguments: Backend.available)
    func reapedUnderAWorker(_ backend: Backend) async throws {
        let storage = try await backend.make()
        // This worker beats every 10 s; a stricter one beside it counts 0.3 s without a beat as dead.
        let lax = try await Study.create(name: "mixed", storage: storage, sampler: RandomSampler(seed: 2))
        let strict = try await Study.create(name: "mixed", storage: storage, sampler: RandomSampler(seed: 3), faultTolerance: Self.quick)
        try await lax.optimize(trials: 2) { trial in
            if trial.number == 0 {
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await strict.reapStaleTrials().map(\.number) == [0])
            }
            return 1
        }
        let trials = try await lax.trials()
        #expect(trials.map(\.state) == [.failed, .complete])
    }
}
