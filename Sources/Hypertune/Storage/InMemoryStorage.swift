import Foundation

/// A storage in this process's memory: fast, shared by all workers of the process, gone when it
/// exits. An actor, so every operation is atomic.
public actor InMemoryStorage: Storage {
    var studies: [Int: StudyRecord] = [:]
    var studyIDs: [String: Int] = [:]
    /// Trials of each study, in number order.
    var trialsByStudy: [Int: [FrozenTrial]] = [:]
    /// Where each trial is: (study, index in its list).
    var locations: [Int: (study: Int, index: Int)] = [:]
    var nextStudyID = 1
    var nextTrialID = 1

    public init() {}

    public func createStudy(name: String, directions: [StudyDirection], loadIfExists: Bool) throws -> StudyRecord {
        guard !directions.isEmpty else { throw StorageError(.invalidValue, "study '\(name)': at least one direction is needed") }
        if let id = studyIDs[name], let existing = studies[id] {
            guard loadIfExists else { throw StorageError(.studyExists, "a study named '\(name)' already exists") }
            guard existing.directions == directions else {
                throw StorageError(.studyExists, "study '\(name)' exists with directions \(existing.directions.map(\.rawValue)), not \(directions.map(\.rawValue))")
            }
            return existing
        }
        let record = StudyRecord(id: nextStudyID, name: name, directions: directions)
        nextStudyID += 1
        studies[record.id] = record
        studyIDs[name] = record.id
        trialsByStudy[record.id] = []
        return record
    }

    public func study(named name: String) -> StudyRecord? { studyIDs[name].flatMap { studies[$0] } }

    public func allStudies() -> [StudyRecord] { studies.values.sorted { $0.id < $1.id } }

    public func deleteStudy(id: Int) throws {
        guard let record = studies.removeValue(forKey: id) else { throw StorageError(.studyNotFound, "no study with id \(id)") }
        studyIDs[record.name] = nil
        for t in trialsByStudy.removeValue(forKey: id) ?? [] { locations[t.id] = nil }
    }

    public func setStudyAttribute(studyID: Int, key: String, value: JSONValue, system: Bool) throws {
        guard studies[studyID] != nil else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
        if system { studies[studyID]!.systemAttributes[key] = value } else { studies[studyID]!.userAttributes[key] = value }
    }

    public func startTrial(studyID: Int, limit: Int?, worker: String?) throws -> FrozenTrial? {
        // Mutated in place through the dictionary (never copied out), so a history a caller still
        // holds is the only reason the array would be copied.
        guard trialsByStudy[studyID] != nil else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
        let now = Date()
        // The limit counts every trial that is not WAITING, and enqueued trials are no exception.
        let count = trialsByStudy[studyID]!.count
        if let limit, count - trialsByStudy[studyID]!.count(where: { $0.state == .waiting }) >= limit { return nil }
        if let i = trialsByStudy[studyID]!.firstIndex(where: { $0.state == .waiting }) {
            trialsByStudy[studyID]![i].state = .running
            trialsByStudy[studyID]![i].startedAt = now
            trialsByStudy[studyID]![i].heartbeatAt = now
            trialsByStudy[studyID]![i].worker = worker
            return trialsByStudy[studyID]![i]
        }
        let trial = FrozenTrial(id: nextTrialID, studyID: studyID, number: count, state: .running,
                                startedAt: now, heartbeatAt: now, worker: worker)
        nextTrialID += 1
        locations[trial.id] = (studyID, count)
        trialsByStudy[studyID]!.append(trial)
        return trial
    }

    public func enqueueTrial(studyID: Int, parameters: [String: ParameterValue], userAttributes: [String: JSONValue]) throws -> FrozenTrial {
        guard let count = trialsByStudy[studyID]?.count else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
        let trial = FrozenTrial(id: nextTrialID, studyID: studyID, number: count, state: .waiting, userAttributes: userAttributes,
                                systemAttributes: [FrozenTrial.fixedParametersKey: .object(parameters.mapValues(\.json))])
        nextTrialID += 1
        locations[trial.id] = (studyID, count)
        trialsByStudy[studyID]!.append(trial)
        return trial
    }

    /// Applies `change` to a trial that must be running.
    func modifyRunning(_ id: Int, _ what: String, _ change: (inout FrozenTrial) throws -> Void) throws {
        guard let (study, index) = locations[id] else { throw StorageError(.trialNotFound, "no trial with id \(id)") }
        guard trialsByStudy[study]![index].state == .running else {
            let t = trialsByStudy[study]![index]
            throw StorageError(.trialNotRunning, "\(what): trial \(t.number) is \(t.state.rawValue), not RUNNING")
        }
        try change(&trialsByStudy[study]![index])
    }

    public func setParameter(trialID: Int, name: String, value: ParameterValue, distribution: Distribution) throws {
        try modifyRunning(trialID, "set parameter '\(name)'") { t in
            if let existing = t.distributions[name] {
                guard existing == distribution else {
                    throw StorageError.parameterConflict(name, trial: t.number, drawnFrom: existing, not: distribution)
                }
                return
            }
            t.parameters[name] = value
            t.distributions[name] = distribution
        }
    }

    public func reportIntermediateValue(trialID: Int, step: Int, value: Double) throws {
        try modifyRunning(trialID, "report step \(step)") { $0.intermediateValues[step] = value }
    }

    public func setTrialAttribute(trialID: Int, key: String, value: JSONValue, system: Bool) throws {
        guard system else {
            try modifyRunning(trialID, "set user attribute '\(key)'") { $0.userAttributes[key] = value }
            return
        }
        guard let (study, index) = locations[trialID] else { throw StorageError(.trialNotFound, "no trial with id \(trialID)") }
        trialsByStudy[study]![index].systemAttributes[key] = value
    }

    public func heartbeat(trialID: Int) throws {
        try modifyRunning(trialID, "heartbeat") { $0.heartbeatAt = Date() }
    }

    @discardableResult
    public func finishTrial(id: Int, state: TrialState, values: [Double]?, failReason: String?) throws -> FrozenTrial {
        guard state.isFinished else { throw StorageError(.invalidValue, "a trial can only finish as COMPLETE, PRUNED or FAILED, not \(state.rawValue)") }
        try modifyRunning(id, "finish as \(state.rawValue)") { t in
            t.state = state
            t.values = state == .complete ? values : nil
            t.failReason = failReason
            t.finishedAt = Date()
        }
        let (study, index) = locations[id]!
        return trialsByStudy[study]![index]
    }

    public func trial(id: Int) throws -> FrozenTrial {
        guard let (study, index) = locations[id] else { throw StorageError(.trialNotFound, "no trial with id \(id)") }
        return trialsByStudy[study]![index]
    }

    public func trials(studyID: Int, states: Set<TrialState>?) throws -> [FrozenTrial] {
        guard let list = trialsByStudy[studyID] else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
        guard let states else { return list }
        return list.filter { states.contains($0.state) }
    }

    public func failStaleTrials(studyID: Int, gracePeriod: TimeInterval) throws -> [FrozenTrial] {
        guard var list = trialsByStudy[studyID] else { throw StorageError(.studyNotFound, "no study with id \(studyID)") }
        let cutoff = Date().addingTimeInterval(-gracePeriod)
        var failed: [FrozenTrial] = []
        for i in list.indices where list[i].state == .running && (list[i].heartbeatAt ?? .distantPast) < cutoff {
            list[i].state = .failed
            list[i].finishedAt = Date()
            list[i].failReason = "no heartbeat for \(Int(gracePeriod)) s: the worker stopped"
            failed.append(list[i])
        }
        trialsByStudy[studyID] = list
        return failed
    }
}
