import Foundation

/// How a study notices workers that stopped, and what it does with their trials.
///
/// While a trial runs, its worker records a heartbeat in the storage every `heartbeatInterval`
/// (``Study/optimize(trials:totalTrials:timeout:parallelism:stopOnError:reproducible:onTrialFinished:objective:)``
/// and trials from ``Study/ask(fixing:)`` alike, until they are told). A RUNNING trial whose
/// last heartbeat is older than `gracePeriod` belongs to a worker that was killed, lost its
/// machine or its connection: the next worker to start a trial marks it FAILED, with the reason,
/// and — up to `maxRetries` times per original trial — enqueues a new trial with the same
/// parameters (system attributes `retry_of` and `retry_count` on the new trial, `retried_as` on
/// the failed one), so that the study's quota is still met.
///
/// The grace period must be well above the interval (the default: 10 s and 60 s), or slow
/// storage could make a live trial look dead; its worker then finds it FAILED when it reports,
/// and carries on. Heartbeats are tasks of Swift's cooperative pool: an objective that keeps a
/// thread of it busy without suspending (CPU-bound code with no `await`), on every thread at
/// once, delays them — the grace period must also exceed such stretches.
public struct FaultTolerance: Sendable, Equatable {
    /// How often a running trial records that its worker is alive; nil: never (stale trials are
    /// then not detected either).
    public var heartbeatInterval: Duration?
    /// How long without a heartbeat makes a RUNNING trial stale.
    public var gracePeriod: Duration
    /// How many times a stale trial's parameters are tried again.
    public var maxRetries: Int

    public init(heartbeatInterval: Duration? = .seconds(10), gracePeriod: Duration = .seconds(60), maxRetries: Int = 0) {
        precondition(heartbeatInterval.map { $0 > .zero } ?? true, "FaultTolerance: the heartbeat interval must be positive")
        precondition(heartbeatInterval.map { gracePeriod > $0 } ?? true, "FaultTolerance: the grace period must exceed the heartbeat interval")
        precondition(maxRetries >= 0, "FaultTolerance: negative retry count")
        self.heartbeatInterval = heartbeatInterval
        self.gracePeriod = gracePeriod
        self.maxRetries = maxRetries
    }

    /// No heartbeats, no detection: a crashed worker's trials stay RUNNING.
    public static let none = FaultTolerance(heartbeatInterval: nil)

    /// System attributes of retried trials.
    public static let retryOfKey = "retry_of", retryCountKey = "retry_count", retriedAsKey = "retried_as"

    var gracePeriodSeconds: TimeInterval {
        Double(gracePeriod.components.seconds) + Double(gracePeriod.components.attoseconds) * 1e-18
    }
}

/// The heartbeats of the running trials a study object started: one task records them all,
/// every interval, while any runs (a task per trial would cost a thread wake-up at each start
/// and end). A trial whose heartbeat fails (it was ended meanwhile) is dropped.
final class Heartbeats: @unchecked Sendable {
    private let lock = NSLock()
    private var running: Set<Int> = []
    private var beating = false

    func add(_ trialID: Int, interval: Duration, storage: any Storage) {
        let start = lock.withLock { () -> Bool in
            running.insert(trialID)
            defer { beating = true }
            return !beating
        }
        guard start else { return }
        Task.detached { [weak self] in
            while true {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                let due = self.lock.withLock { () -> Set<Int>? in
                    // Stops once nothing runs; the next start begins again.
                    if self.running.isEmpty { self.beating = false }
                    return self.running.isEmpty ? nil : self.running
                }
                guard let due else { return }
                for id in due.sorted() {
                    do {
                        try await storage.heartbeat(trialID: id)
                    } catch {
                        self.remove(id)
                    }
                }
            }
        }
    }

    func remove(_ trialID: Int) {
        _ = lock.withLock { running.remove(trialID) }
    }
}
