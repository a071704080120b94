import Foundation
import Synchronization

/// A hyperparameter search: a named list of trials in a ``Storage``, a sampler that proposes
/// parameters and a pruner that stops unpromising trials.
///
/// Workers cooperate only through the storage, so several ``Study`` objects — in one process or
/// many — can share one study by name. ``optimize(trials:totalTrials:timeout:parallelism:stopOnError:reproducible:onTrialFinished:objective:)``
/// runs an objective; ``ask(fixing:)`` and ``tell(_:_:)`` let the caller drive the loop.
public final class Study: Sendable {
    public let record: StudyRecord
    public let storage: any Storage
    public let sampler: any Sampler
    public let pruner: any Pruner
    /// Heartbeats, stale-trial detection and retries.
    public let faultTolerance: FaultTolerance
    /// How this process names itself in trials it runs.
    public let worker: String
    /// Serialises trial starts for samplers that need it (``Sampler/serializesStarts``).
    let startLock = AsyncMutex()
    /// The heartbeats of the trials this object started.
    let heartbeats = Heartbeats()
    /// When this object last reaped stale trials.
    private let reaping = Mutex<ContinuousClock.Instant?>(nil)

    public var name: String { record.name }
    public var directions: [StudyDirection] { record.directions }

    init(record: StudyRecord, storage: any Storage, sampler: any Sampler, pruner: any Pruner, faultTolerance: FaultTolerance) {
        self.record = record
        self.storage = storage
        self.sampler = sampler
        self.pruner = pruner
        self.faultTolerance = faultTolerance
        self.worker = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// The study system attributes naming the sampler and pruner of the latest worker to join
    /// (their type names: `TPESampler`, `MedianPruner`).
    public static let samplerKey = "sampler", prunerKey = "pruner"

    /// Creates the study, or joins it when a study of that name exists (with the same directions).
    public static func create(
        name: String, storage: any Storage = InMemoryStorage(), directions: [StudyDirection] = [.minimize],
        sampler: any Sampler = TPESampler(), pruner: any Pruner = NoPruner(), loadIfExists: Bool = true,
        faultTolerance: FaultTolerance = FaultTolerance()
    ) async throws -> Study {
        var record = try await storage.createStudy(name: name, directions: directions, loadIfExists: loadIfExists)
        // What drives the study, for lists of studies (the dashboard, `hypertune studies`).
        for (key, value) in [(samplerKey, String(describing: type(of: sampler))), (prunerKey, String(describing: type(of: pruner)))]
        where record.systemAttributes[key] != .string(value) {
            try await storage.setStudyAttribute(studyID: record.id, key: key, value: .string(value), system: true)
            record.systemAttributes[key] = .string(value)
        }
        return Study(record: record, storage: storage, sampler: sampler, pruner: pruner, faultTolerance: faultTolerance)
    }

    /// Creates or joins a single-objective study.
    public static func create(
        name: String, storage: any Storage = InMemoryStorage(), direction: StudyDirection,
        sampler: any Sampler = TPESampler(), pruner: any Pruner = NoPruner(), loadIfExists: Bool = true,
        faultTolerance: FaultTolerance = FaultTolerance()
    ) async throws -> Study {
        try await create(name: name, storage: storage, directions: [direction], sampler: sampler, pruner: pruner, loadIfExists: loadIfExists,
                         faultTolerance: faultTolerance)
    }

    // MARK: Fault tolerance

    /// Fails the study's stale RUNNING trials (no heartbeat within the grace period) and enqueues
    /// their parameters again within the retry budget; the trials failed. Every worker does this
    /// before it starts a trial, at most twice per grace period.
    @discardableResult
    public func reapStaleTrials() async throws -> [FrozenTrial] {
        guard faultTolerance.heartbeatInterval != nil else { return [] }
        let failed = try await storage.failStaleTrials(studyID: record.id, gracePeriod: faultTolerance.gracePeriodSeconds)
        for t in failed {
            let count: Int = if case let .number(c)? = t.systemAttributes[FaultTolerance.retryCountKey] { Int(c) } else { 0 }
            guard count < faultTolerance.maxRetries, !t.parameters.isEmpty || t.isEnqueued else { continue }
            let original: Int = if case let .number(o)? = t.systemAttributes[FaultTolerance.retryOfKey] { Int(o) } else { t.number }
            let retry = try await storage.enqueueTrial(studyID: record.id, parameters: t.isEnqueued ? t.fixedParameters.merging(t.parameters) { a, _ in a } : t.parameters,
                                                       userAttributes: t.userAttributes)
            try await storage.setTrialAttribute(trialID: retry.id, key: FaultTolerance.retryOfKey, value: .number(Double(original)), system: true)
            try await storage.setTrialAttribute(trialID: retry.id, key: FaultTolerance.retryCountKey, value: .number(Double(count + 1)), system: true)
            try await storage.setTrialAttribute(trialID: t.id, key: FaultTolerance.retriedAsKey, value: .number(Double(retry.number)), system: true)
        }
        return failed
    }

    /// Reaps stale trials if the last reaping by this object is half a grace period old.
    private func reapIfDue() async throws {
        guard faultTolerance.heartbeatInterval != nil else { return }
        let now = ContinuousClock.now, half = faultTolerance.gracePeriod / 2
        let due = reaping.withLock { last -> Bool in
            guard last.map({ now - $0 >= half }) ?? true else { return false }
            last = now
            return true
        }
        if due { try await reapStaleTrials() }
    }

    /// Starts recording `trialID`'s heartbeat (nothing without heartbeats).
    func startHeartbeats(trialID: Int) {
        guard let interval = faultTolerance.heartbeatInterval else { return }
        heartbeats.add(trialID, interval: interval, storage: storage)
    }

    // MARK: Reading

    /// The study's directions and all its trials now.
    public func history() async throws -> StudyHistory {
        StudyHistory(directions: directions, trials: try await storage.trials(studyID: record.id, states: nil))
    }

    /// The trials, optionally only those in `states`.
    public func trials(states: Set<TrialState>? = nil) async throws -> [FrozenTrial] {
        try await storage.trials(studyID: record.id, states: states)
    }

    /// The best complete trial of a single-objective study (nil before any).
    public func bestTrial() async throws -> FrozenTrial? {
        precondition(directions.count == 1, "bestTrial: the study has \(directions.count) objectives; use bestTrials()")
        let sign = directions[0] == .maximize ? -1.0 : 1.0
        return try await trials(states: [.complete]).filter { $0.value != nil }.min { sign * $0.value! < sign * $1.value! }
    }

    /// The complete trials no other complete trial dominates (the Pareto front); for a single
    /// objective, the best trials (ties included).
    public func bestTrials() async throws -> [FrozenTrial] {
        let done = try await trials(states: [.complete]).filter { $0.values?.count == directions.count }
        return ParetoFront.indices(of: done.map(\.values!), directions: directions).map { done[$0] }
    }

    // MARK: Ask and tell

    /// Adds a trial with fixed parameters, run before any new trial.
    public func enqueue(_ parameters: [String: ParameterValue], userAttributes: [String: JSONValue] = [:]) async throws {
        _ = try await storage.enqueueTrial(studyID: record.id, parameters: parameters, userAttributes: userAttributes)
    }

    /// Starts a trial (an enqueued one first); parameters in `fixing` take those values when
    /// suggested. Asking beyond a sampler's ``Sampler/trialLimit`` is allowed (a grid starts over).
    public func ask(fixing: [String: ParameterValue] = [:]) async throws -> Trial {
        guard let trial = try await start(limit: nil, samplerLimit: false, fixing: fixing, historyFilter: nil) else {
            preconditionFailure("internal: a trial without a limit was refused")
        }
        return trial
    }

    /// Starts a trial within `limit` trials for the whole study (and within the sampler's own
    /// limit, beyond enqueued trials), sampling from the history `historyFilter` makes of the
    /// stored one. Nil when a limit is reached.
    func start(limit: Int?, samplerLimit applySamplerLimit: Bool, fixing: [String: ParameterValue],
               historyFilter: ((StudyHistory) -> StudyHistory)?) async throws -> Trial? {
        guard sampler.serializesStarts else {
            return try await startUnserialised(limit: limit, samplerLimit: applySamplerLimit, fixing: fixing, historyFilter: historyFilter)
        }
        await startLock.lock()
        do {
            let trial = try await startUnserialised(limit: limit, samplerLimit: applySamplerLimit, fixing: fixing, historyFilter: historyFilter)
            startLock.unlock()
            return trial
        } catch {
            startLock.unlock()
            throw error
        }
    }

    private func startUnserialised(limit: Int?, samplerLimit applySamplerLimit: Bool, fixing: [String: ParameterValue],
                                   historyFilter: ((StudyHistory) -> StudyHistory)?) async throws -> Trial? {
        try await reapIfDue()
        // The history is read before the trial starts, so that it does not hold the trial itself
        // (taking a new trial out again would copy every trial each time); within this process
        // starts are ordered (`optimize`'s start gate), so it holds every trial started before.
        var history = try await self.history()
        var limit = limit
        if applySamplerLimit, let samplerLimit = sampler.trialLimit {
            let enqueued = history.trials.count { $0.isEnqueued }
            limit = min(limit ?? .max, samplerLimit + enqueued)
        }
        guard var frozen = try await storage.startTrial(studyID: record.id, limit: limit, worker: worker) else { return nil }
        if frozen.isEnqueued {
            // A claimed enqueued trial was read as waiting.
            history = StudyHistory(directions: history.directions, trials: history.trials.filter { $0.id != frozen.id })
        }
        if let historyFilter { history = historyFilter(history) }
        let space = sampler.relativeSearchSpace(history: history, trial: frozen)
        let relative = space.isEmpty ? [:] : sampler.sampleRelative(history: history, trial: frozen, space: space)
        for (key, value) in sampler.startAttributes(history: history, trial: frozen, space: space) {
            try await storage.setTrialAttribute(trialID: frozen.id, key: key, value: value, system: true)
            frozen.systemAttributes[key] = value
        }
        // Precedence: values stored with an enqueued trial, then the caller's, then the sampler's.
        var fixed = frozen.fixedParameters
        fixed.merge(fixing) { stored, _ in stored }
        if !frozen.isEnqueued { fixed.merge(sampler.fixedParameters(history: history, trial: frozen)) { given, _ in given } }
        let trial = Trial(study: self, frozen: frozen, history: history, relative: relative,
                          relativeSpace: Dictionary(space.map { ($0.name, $0.distribution) }, uniquingKeysWith: { a, _ in a }), fixed: fixed)
        startHeartbeats(trialID: frozen.id)
        return trial
    }

    /// Ends `trial` with its objective value. A non-finite value makes it FAILED.
    @discardableResult
    public func tell(_ trial: Trial, _ value: Double) async throws -> FrozenTrial {
        try await tell(trial, values: [value])
    }

    /// Ends `trial` with one value per objective. Wrong counts or non-finite values make it FAILED,
    /// with the reason.
    @discardableResult
    public func tell(_ trial: Trial, values: [Double]) async throws -> FrozenTrial {
        if values.count != directions.count {
            return try await finish(trial, .failed, nil, "the objective returned \(values.count) values for \(directions.count) objectives")
        }
        if let bad = values.first(where: { !$0.isFinite }) {
            return try await finish(trial, .failed, nil, "the objective returned \(bad)")
        }
        return try await finish(trial, .complete, values, nil)
    }

    /// Ends `trial` as PRUNED or FAILED.
    @discardableResult
    public func tell(_ trial: Trial, state: TrialState, reason: String? = nil) async throws -> FrozenTrial {
        precondition(state == .pruned || state == .failed, "tell(_:state:): use tell(_:_:) for a complete trial")
        return try await finish(trial, state, nil, reason)
    }

    /// Ends the trial and its heartbeats. A trial another worker has meanwhile failed as stale
    /// (its heartbeats were late) stays as that worker left it: the record returned says so.
    private func finish(_ trial: Trial, _ state: TrialState, _ values: [Double]?, _ reason: String?) async throws -> FrozenTrial {
        heartbeats.remove(trial.id)
        do {
            return try await storage.finishTrial(id: trial.id, state: state, values: values, failReason: reason)
        } catch let error as StorageError where error.kind == .trialNotRunning {
            let stored = try await storage.trial(id: trial.id)
            guard stored.state == .failed, faultTolerance.heartbeatInterval != nil else { throw error }
            return stored
        }
    }

    // MARK: Optimize

    /// Runs the objective on new trials until `trials` of them have run in this call, the study
    /// holds `totalTrials` trials (counting every worker of the study), or `timeout` has passed —
    /// whichever comes first.
    ///
    /// - `parallelism` trials run concurrently (Swift concurrency).
    /// - With `reproducible` (the default), trial *i* of this call is proposed only once the
    ///   trials up to *i − parallelism* have finished, and sees the *parallelism − 1* trials before
    ///   it as running with the parameters they were given at their start: the proposals depend
    ///   only on the seed, the parallelism and the objective values, not on timing. (Pruning
    ///   decisions read the study as it is when asked, so with a pruner they can depend on timing.)
    /// - A throwing objective or a non-finite value makes the trial FAILED with the reason and the
    ///   study goes on, unless `stopOnError`; throwing ``TrialPruned`` makes it PRUNED.
    /// - `shouldStop` is asked before each new trial: once it says yes, no trial starts and the
    ///   call returns when the running ones have ended (an interrupted command line run).
    public func optimize(
        trials count: Int? = nil, totalTrials: Int? = nil, timeout: Duration? = nil, parallelism: Int = 1,
        stopOnError: Bool = false, reproducible: Bool = true, shouldStop: @escaping @Sendable () -> Bool = { false },
        onTrialFinished: @escaping @Sendable (FrozenTrial) -> Void = { _ in },
        objective: @escaping @Sendable (Trial) async throws -> Double
    ) async throws {
        try await optimize(trials: count, totalTrials: totalTrials, timeout: timeout, parallelism: parallelism,
                           stopOnError: stopOnError, reproducible: reproducible, shouldStop: shouldStop, onTrialFinished: onTrialFinished,
                           objectives: { [try await objective($0)] })
    }

    /// ``optimize(trials:totalTrials:timeout:parallelism:stopOnError:reproducible:onTrialFinished:objective:)``
    /// for objectives returning one value per direction.
    public func optimize(
        trials count: Int? = nil, totalTrials: Int? = nil, timeout: Duration? = nil, parallelism: Int = 1,
        stopOnError: Bool = false, reproducible: Bool = true, shouldStop: @escaping @Sendable () -> Bool = { false },
        onTrialFinished: @escaping @Sendable (FrozenTrial) -> Void = { _ in },
        objectives: @escaping @Sendable (Trial) async throws -> [Double]
    ) async throws {
        precondition(parallelism >= 1, "optimize: parallelism must be at least 1, got \(parallelism)")
        precondition(count.map { $0 >= 0 } ?? true, "optimize: negative number of trials")
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let run = OptimizeRun(count: count, deadline: deadline, parallelism: parallelism, reproducible: reproducible && parallelism > 1,
                              shouldStop: shouldStop)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<parallelism {
                group.addTask {
                    do {
                        while let trial = try await self.nextTrial(run: run, totalTrials: totalTrials) {
                            let finished = try await self.evaluate(trial, objectives: objectives, stopOnError: stopOnError, run: run)
                            onTrialFinished(finished)
                        }
                    } catch {
                        // An error (a storage failure, or stopOnError) ends every worker's loop,
                        // including those waiting for earlier trials.
                        await run.stop()
                        throw error
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// The next trial of a run, or nil when the run is over.
    func nextTrial(run: OptimizeRun, totalTrials: Int?) async throws -> Trial? {
        try await run.startGate.withLock {
            guard let index = await run.claimIndex() else { return nil }
            do {
                return try await self.startTrial(index: index, run: run, totalTrials: totalTrials)
            } catch {
                await run.abandon(index: index)
                throw error
            }
        }
    }

    /// Starts the trial of index `index` of a run (see ``nextTrial(run:totalTrials:)``); nil, with
    /// the index abandoned, when the run is over.
    private func startTrial(index: Int, run: OptimizeRun, totalTrials: Int?) async throws -> Trial? {
        if run.reproducible { await run.waitUntilFinished(upTo: index - run.parallelism) }
        // The run may have stopped, or its deadline passed, while this index waited.
        guard await run.isLive else {
            await run.abandon(index: index)
            return nil
        }
        let window = await run.recentStarts(before: index)
        let filter: ((StudyHistory) -> StudyHistory)? = run.reproducible ? { history in
            // The trials started just before this one are shown as running with the
            // parameters they had at their start, whatever has happened to them since.
            let recent = Dictionary(window.map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
            return StudyHistory(directions: history.directions, trials: history.trials.map { t in
                guard let start = recent[t.number] else { return t }
                var shown = t
                shown.state = .running
                shown.values = nil
                shown.intermediateValues = [:]
                shown.parameters = start.parameters
                shown.distributions = start.distributions
                return shown
            })
        } : nil
        guard let trial = try await self.start(limit: totalTrials, samplerLimit: true, fixing: [:], historyFilter: filter) else {
            await run.abandon(index: index)
            await run.stop()
            return nil
        }
        // What later trials may see of this one while it runs: its jointly sampled values.
        var parameters: [String: ParameterValue] = [:], distributions: [String: Distribution] = [:]
        for (name, x) in trial.relative {
            guard let d = trial.relativeSpace[name] else { continue }
            parameters[name] = d.toExternal(x)
            distributions[name] = d
        }
        await run.started(index: index, trialNumber: trial.number, parameters: parameters, distributions: distributions)
        return trial
    }

    /// Runs the objective on `trial` and records the outcome.
    func evaluate(_ trial: Trial, objectives: @Sendable (Trial) async throws -> [Double], stopOnError: Bool, run: OptimizeRun) async throws -> FrozenTrial {
        defer { Task { await run.finished(trialNumber: trial.number) } }
        let values: [Double]
        do {
            values = try await objectives(trial)
        } catch let pruned as TrialPruned {
            let result = try await tell(trial, state: .pruned, reason: pruned.message == "pruned" ? nil : pruned.message)
            await run.finished(trialNumber: trial.number)
            return result
        } catch {
            // Any error of the objective, an OptimizeError of a nested study included, fails
            // only this trial (unless stopOnError).
            let result = try await tell(trial, state: .failed, reason: String(describing: error))
            await run.finished(trialNumber: trial.number)
            if stopOnError {
                await run.stop()
                throw error
            }
            return result
        }
        let result = try await tell(trial, values: values)
        await run.finished(trialNumber: trial.number)
        if stopOnError, result.state == .failed {
            await run.stop()
            throw OptimizeError(description: "trial \(trial.number) failed: \(result.failReason ?? "")")
        }
        return result
    }
}

/// An optimisation stopped on a failed trial (``Study/optimize(trials:totalTrials:timeout:parallelism:stopOnError:reproducible:onTrialFinished:objective:)`` with `stopOnError`).
public struct OptimizeError: Error, CustomStringConvertible {
    public let description: String
}

/// The shared state of one `optimize` call's workers.
actor OptimizeRun {
    let count: Int?
    let deadline: ContinuousClock.Instant?
    nonisolated let parallelism: Int
    nonisolated let reproducible: Bool
    nonisolated let startGate = AsyncMutex()
    var nextIndex = 0
    var stopped = false
    /// Call-local index → (trial number, parameters at start).
    var starts: [Int: (number: Int, parameters: [String: ParameterValue], distributions: [String: Distribution])] = [:]
    var indexOfNumber: [Int: Int] = [:]
    var finishedIndices = Set<Int>()
    var waiters: [(index: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// Asked before each trial: an outside request to stop starting trials.
    nonisolated let shouldStop: @Sendable () -> Bool

    init(count: Int?, deadline: ContinuousClock.Instant?, parallelism: Int, reproducible: Bool, shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.shouldStop = shouldStop
        self.count = count
        self.deadline = deadline
        self.parallelism = parallelism
        self.reproducible = reproducible
    }

    func claimIndex() -> Int? {
        guard isLive else { return nil }
        if let count, nextIndex >= count { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }

    /// Neither stopped nor past the deadline.
    var isLive: Bool {
        if stopped || shouldStop() { return false }
        if let deadline, ContinuousClock.now >= deadline { return false }
        return true
    }

    /// Ends the run: no index is handed out any more, and workers waiting for earlier trials
    /// are released (they then find the run over).
    func stop() {
        stopped = true
        let released = waiters
        waiters.removeAll()
        for w in released { w.continuation.resume() }
    }

    /// An index that will never have a trial (its start failed or found the run over): it counts
    /// as finished, so no later index waits for it.
    func abandon(index: Int) {
        markFinished(index)
    }

    func started(index: Int, trialNumber: Int, parameters: [String: ParameterValue], distributions: [String: Distribution]) {
        starts[index] = (trialNumber, parameters, distributions)
        indexOfNumber[trialNumber] = index
    }

    /// The trials started at the `parallelism − 1` indices before `index`.
    func recentStarts(before index: Int) -> [(number: Int, parameters: [String: ParameterValue], distributions: [String: Distribution])] {
        (max(0, index - parallelism + 1)..<index).compactMap { starts[$0] }
    }

    func finished(trialNumber: Int) {
        guard let index = indexOfNumber[trialNumber] else { return }
        markFinished(index)
    }

    private func markFinished(_ index: Int) {
        guard finishedIndices.insert(index).inserted else { return }
        while finishedIndices.contains(finishedPrefix) { finishedPrefix += 1 }
        let ready = waiters.filter { isFinished(upTo: $0.index) }
        waiters.removeAll { isFinished(upTo: $0.index) }
        for w in ready { w.continuation.resume() }
    }

    /// How many indices from 0 on have all finished.
    private var finishedPrefix = 0

    func isFinished(upTo index: Int) -> Bool { index < finishedPrefix }

    /// Returns when every trial of this call up to `index` has finished, or the run has stopped.
    func waitUntilFinished(upTo index: Int) async {
        if isFinished(upTo: index) || stopped { return }
        await withCheckedContinuation { waiters.append((index, $0)) }
    }
}

/// A first-come, first-served lock for async code. Taking a free lock and releasing one nobody
/// waits for do not suspend (no hop to another executor); only a contended `lock()` waits.
final class AsyncMutex: @unchecked Sendable {
    private let state = NSLock()
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        if state.withLock({ () -> Bool in
            guard !locked else { return false }
            locked = true
            return true
        }) { return }
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            // Free again meanwhile: take it; else wait to be handed it by `unlock()`.
            let acquired = state.withLock { () -> Bool in
                guard !locked else {
                    waiters.append(waiter)
                    return false
                }
                locked = true
                return true
            }
            if acquired { waiter.resume() }
        }
    }

    /// Releases the lock, handing it to the longest waiter if there is one.
    func unlock() {
        let next = state.withLock { () -> CheckedContinuation<Void, Never>? in
            guard !waiters.isEmpty else {
                locked = false
                return nil
            }
            return waiters.removeFirst()
        }
        next?.resume()
    }

    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await lock()
        do {
            let result = try await body()
            unlock()
            return result
        } catch {
            unlock()
            throw error
        }
    }
}
