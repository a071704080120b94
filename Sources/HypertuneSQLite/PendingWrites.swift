import Foundation
import GRDB
import Hypertune

/// Parameters and intermediate reports of the trials this storage object started, held briefly
/// and written together: a trial's bookkeeping then costs a few transactions instead of one per
/// suggestion and report (each SQLite commit costs tens of microseconds of locking and WAL
/// writes, whatever it writes).
///
/// What a caller can rely on:
/// - Within the process every read (``SQLiteStorage/trials(studyID:states:)``,
///   ``SQLiteStorage/trial(id:)``) first writes what is pending, so the process reads its own
///   writes; finishing a trial, its heartbeat and its attributes write its pending values in the
///   same transaction or just before.
/// - Other processes see pending values within `delay` (a background flush), or sooner.
/// - The errors the protocol promises at the call are raised at the call: a parameter drawn
///   again from another distribution, a trial this object finished. A trial that another worker
///   failed meanwhile (stale) is found out when the values are written; the error is raised by
///   the trial's next operation — its end, which the study handles.
/// - A process killed with values pending loses them, and its running trials fail anyway.
final class PendingWrites: @unchecked Sendable {
    struct TrialWrites {
        var number: Int
        /// Parameters in the order suggested, as JSON text.
        var parameters: [(name: String, value: String, distribution: String)] = []
        var reports: [Int: Double] = [:]
        var since = ContinuousClock.now
    }

    private let lock = NSLock()
    private var pending: [Int: TrialWrites] = [:]
    /// Running trials this object started: their numbers and the distributions drawn from.
    private var local: [Int: (number: Int, distributions: [String: Distribution])] = [:]
    /// Errors found by a background flush, raised by the trial's next operation.
    private var deferred: [Int: StorageError] = [:]
    private var flusher: Task<Void, Never>?
    let delay: Duration

    init(delay: Duration = .milliseconds(100)) { self.delay = delay }

    func started(_ trial: FrozenTrial) {
        lock.withLock { local[trial.id] = (trial.number, trial.distributions) }
    }

    /// Forgets a trial (finished, or failed by the reaper in this process).
    func ended(_ trialID: Int) {
        lock.withLock {
            local[trialID] = nil
            pending[trialID] = nil
        }
    }

    func takeDeferredError(_ trialID: Int) -> StorageError? {
        lock.withLock { deferred.removeValue(forKey: trialID) }
    }

    /// Holds a parameter of a local trial; false when the trial is not local (write it now).
    /// - Throws: ``StorageError`` (`.parameterConflict`) for a name drawn from another distribution.
    func setParameter(_ trialID: Int, _ name: String, value: String, distribution: Distribution, text: String) throws -> Bool {
        try lock.withLock {
            guard var entry = local[trialID] else { return false }
            if let existing = entry.distributions[name] {
                guard existing == distribution else {
                    throw StorageError(.parameterConflict, "parameter '\(name)' of trial \(entry.number) was drawn from \(existing), not \(distribution)")
                }
                return true
            }
            entry.distributions[name] = distribution
            local[trialID] = entry
            pending[trialID, default: TrialWrites(number: entry.number)].parameters.append((name, value, text))
            return true
        }
    }

    /// Holds a report of a local trial; false when the trial is not local.
    func report(_ trialID: Int, step: Int, value: Double) -> Bool {
        lock.withLock {
            guard let entry = local[trialID] else { return false }
            pending[trialID, default: TrialWrites(number: entry.number)].reports[step] = value
            return true
        }
    }

    /// Takes the pending writes of `trialIDs` (all when nil).
    func take(_ trialIDs: [Int]?) -> [Int: TrialWrites] {
        lock.withLock {
            guard let trialIDs else {
                defer { pending.removeAll() }
                return pending
            }
            var taken: [Int: TrialWrites] = [:]
            for id in trialIDs { if let w = pending.removeValue(forKey: id) { taken[id] = w } }
            return taken
        }
    }

    var isEmpty: Bool { lock.withLock { pending.isEmpty } }

    /// Starts the background flush if it is not running: every `delay`, while anything is
    /// pending, `flush` writes it.
    func ensureFlusher(_ flush: @escaping @Sendable () -> Void) {
        lock.withLock {
            guard flusher == nil else { return }
            let delay = delay
            flusher = Task.detached { [weak self] in
                while true {
                    try? await Task.sleep(for: delay)
                    guard let self else { return }
                    flush()
                    let done = self.lock.withLock { () -> Bool in
                        if self.pending.isEmpty { self.flusher = nil }
                        return self.pending.isEmpty
                    }
                    if done { return }
                }
            }
        }
    }

    func postpone(_ error: StorageError, for trialID: Int) {
        lock.withLock {
            deferred[trialID] = error
            local[trialID] = nil
        }
    }

    /// Writes `writes` (one trial's) inside the caller's transaction: one UPDATE for the
    /// parameters and reports together, after checking the trial still runs.
    static func write(_ trialID: Int, _ writes: TrialWrites, _ db: Database) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT state, number FROM trials WHERE id = ?"), arguments: [trialID]) else {
            throw StorageError(.trialNotFound, "no trial with id \(trialID)")
        }
        let what = writes.parameters.first.map { "set parameter '\($0.name)'" } ?? "report step \(writes.reports.keys.min() ?? 0)"
        try SQLiteStorage.requireRunning(row, what)
        var assignments: [String] = [], arguments = StatementArguments()
        if !writes.parameters.isEmpty {
            let pairs = Array(repeating: "?, json(?)", count: writes.parameters.count).joined(separator: ", ")
            assignments.append("parameters = json_set(parameters, \(pairs))")
            for p in writes.parameters { arguments += [SQLiteStorage.jsonPath(p.name)!, p.value] }
            assignments.append("distributions = json_set(distributions, \(pairs))")
            for p in writes.parameters { arguments += [SQLiteStorage.jsonPath(p.name)!, p.distribution] }
        }
        if !writes.reports.isEmpty {
            let pairs = Array(repeating: "?, json(?)", count: writes.reports.count).joined(separator: ", ")
            assignments.append("intermediate_values = json_set(intermediate_values, \(pairs))")
            for (step, value) in writes.reports.sorted(by: { $0.key < $1.key }) { arguments += ["$.\"\(step)\"", StoredJSON.number(value)] }
        }
        arguments += [try SQLiteStorage.nextRevision(db), trialID]
        try db.run("UPDATE trials SET \(assignments.joined(separator: ", ")), revision = ? WHERE id = ?", arguments: arguments)
    }
}
