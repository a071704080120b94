import Foundation

/// Parameters and intermediate reports of the trials a storage object started, held briefly by
/// the object so that it writes them together: a trial's bookkeeping then costs a few
/// transactions instead of one per suggestion and report (an SQLite commit costs tens of
/// microseconds of locking and WAL writes, a PostgreSQL statement a network round trip,
/// whatever they write). The backends (SQLite, PostgreSQL) use it alike.
///
/// What a caller of such a backend can rely on:
/// - Within the process every read first writes what is pending, so the process reads its own
///   writes; finishing a trial, its heartbeat and its attributes write its pending values in the
///   same transaction or just before.
/// - Other processes see pending values within `delay` (a background flush), or sooner.
/// - The errors the protocol promises at the call are raised at the call: a parameter drawn
///   again from another distribution, a trial this object finished. A trial that another worker
///   failed meanwhile (stale) is found out when the values are written; the error is raised by
///   the trial's next operation — its end, which the study handles.
/// - A process killed with values pending loses them, and its running trials fail anyway.
public final class HeldBackWrites: @unchecked Sendable {
    public struct TrialWrites: Sendable {
        public var number: Int
        /// Parameters in the order suggested.
        public var parameters: [(name: String, value: ParameterValue, distribution: Distribution)] = []
        public var reports: [Int: Double] = [:]

        public init(number: Int) { self.number = number }
    }

    private let lock = NSLock()
    private var pending: [Int: TrialWrites] = [:]
    /// Running trials this object started: their numbers and the distributions drawn from.
    private var local: [Int: (number: Int, distributions: [String: Distribution])] = [:]
    /// Errors found by a background flush, raised by the trial's next operation.
    private var deferred: [Int: StorageError] = [:]
    private var flusher: Task<Void, Never>?
    public let delay: Duration

    public init(delay: Duration = .milliseconds(100)) { self.delay = delay }

    /// Held from taking values to having written them: a trial's values taken by one writer
    /// (the background flush) are written before another (its end) runs, never after it.
    private let writing = AsyncMutex()

    /// Runs `body` — which takes values and writes them — alone among this object's writers.
    public func whileWriting<T>(_ body: () async throws -> T) async throws -> T {
        await writing.lock()
        do {
            let result = try await body()
            writing.unlock()
            return result
        } catch {
            writing.unlock()
            throw error
        }
    }

    public func started(_ trial: FrozenTrial) {
        lock.withLock { local[trial.id] = (trial.number, trial.distributions) }
    }

    /// Forgets a trial (finished, or failed by the reaper in this process).
    public func ended(_ trialID: Int) {
        lock.withLock {
            local[trialID] = nil
            pending[trialID] = nil
        }
    }

    public func takeDeferredError(_ trialID: Int) -> StorageError? {
        lock.withLock { deferred.removeValue(forKey: trialID) }
    }

    /// Holds a parameter of a local trial; false when the trial is not local (write it now).
    /// - Throws: ``StorageError`` (`.parameterConflict`) for a name drawn from another distribution.
    public func setParameter(_ trialID: Int, _ name: String, value: ParameterValue, distribution: Distribution) throws -> Bool {
        try lock.withLock {
            guard var entry = local[trialID] else { return false }
            if let existing = entry.distributions[name] {
                guard existing == distribution else {
                    throw StorageError.parameterConflict(name, trial: entry.number, drawnFrom: existing, not: distribution)
                }
                return true
            }
            entry.distributions[name] = distribution
            local[trialID] = entry
            pending[trialID, default: TrialWrites(number: entry.number)].parameters.append((name, value, distribution))
            return true
        }
    }

    /// Holds a report of a local trial; false when the trial is not local.
    public func report(_ trialID: Int, step: Int, value: Double) -> Bool {
        lock.withLock {
            guard let entry = local[trialID] else { return false }
            pending[trialID, default: TrialWrites(number: entry.number)].reports[step] = value
            return true
        }
    }

    /// Takes the pending writes of `trialIDs` (all when nil).
    public func take(_ trialIDs: [Int]?) -> [Int: TrialWrites] {
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

    /// Starts the background flush if it is not running: every `delay`, while anything is
    /// pending, `flush` writes it.
    public func ensureFlusher(_ flush: @escaping @Sendable () async -> Void) {
        lock.withLock {
            guard flusher == nil else { return }
            let delay = delay
            flusher = Task.detached { [weak self] in
                while true {
                    try? await Task.sleep(for: delay)
                    guard let self else { return }
                    await flush()
                    let done = self.lock.withLock { () -> Bool in
                        if self.pending.isEmpty { self.flusher = nil }
                        return self.pending.isEmpty
                    }
                    if done { return }
                }
            }
        }
    }

    public func postpone(_ error: StorageError, for trialID: Int) {
        lock.withLock {
            deferred[trialID] = error
            local[trialID] = nil
        }
    }
}
