import Foundation
@testable import Hypertune

/// In-memory storage with what a remote one adds: `startTrial` fails once, at its `failAt`-th
/// call (1-based), if asked; reading the trials and writing a trial's attribute take `latency`,
/// as a database round trip does (other tasks run meanwhile).
final class FlakyStorage: Storage, @unchecked Sendable {
    let inner = InMemoryStorage()
    let failAt: Int?
    let latency: Duration
    private let lock = NSLock()
    private var starts = 0

    init(failAt: Int? = nil, latency: Duration = .zero) {
        self.failAt = failAt
        self.latency = latency
    }

    struct Outage: Error, CustomStringConvertible { var description: String { "storage outage" } }

    func createStudy(name: String, directions: [StudyDirection], loadIfExists: Bool) async throws -> StudyRecord {
        try await inner.createStudy(name: name, directions: directions, loadIfExists: loadIfExists)
    }
    func study(named name: String) async throws -> StudyRecord? { try await inner.study(named: name) }
    func allStudies() async throws -> [StudyRecord] { try await inner.allStudies() }
    func deleteStudy(id: Int) async throws { try await inner.deleteStudy(id: id) }
    func setStudyAttribute(studyID: Int, key: String, value: JSONValue, system: Bool) async throws {
        try await inner.setStudyAttribute(studyID: studyID, key: key, value: value, system: system)
    }
    func startTrial(studyID: Int, limit: Int?, worker: String?) async throws -> FrozenTrial? {
        let call = lock.withLock { starts += 1; return starts }
        if call == failAt { throw Outage() }
        return try await inner.startTrial(studyID: studyID, limit: limit, worker: worker)
    }
    func enqueueTrial(studyID: Int, parameters: [String: ParameterValue], userAttributes: [String: JSONValue]) async throws -> FrozenTrial {
        try await inner.enqueueTrial(studyID: studyID, parameters: parameters, userAttributes: userAttributes)
    }
    func setParameter(trialID: Int, name: String, value: ParameterValue, distribution: Distribution) async throws {
        try await inner.setParameter(trialID: trialID, name: name, value: value, distribution: distribution)
    }
    func reportIntermediateValue(trialID: Int, step: Int, value: Double) async throws {
        try await inner.reportIntermediateValue(trialID: trialID, step: step, value: value)
    }
    func setTrialAttribute(trialID: Int, key: String, value: JSONValue, system: Bool) async throws {
        if latency > .zero { try await Task.sleep(for: latency) }
        try await inner.setTrialAttribute(trialID: trialID, key: key, value: value, system: system)
    }
    func heartbeat(trialID: Int) async throws { try await inner.heartbeat(trialID: trialID) }
    func finishTrial(id: Int, state: TrialState, values: [Double]?, failReason: String?) async throws -> FrozenTrial {
        try await inner.finishTrial(id: id, state: state, values: values, failReason: failReason)
    }
    func trial(id: Int) async throws -> FrozenTrial { try await inner.trial(id: id) }
    func trials(studyID: Int, states: Set<TrialState>?) async throws -> [FrozenTrial] {
        if latency > .zero { try await Task.sleep(for: latency) }
        return try await inner.trials(studyID: studyID, states: states)
    }
    func failStaleTrials(studyID: Int, gracePeriod: TimeInterval) async throws -> [FrozenTrial] {
        try await inner.failStaleTrials(studyID: studyID, gracePeriod: gracePeriod)
    }
}
