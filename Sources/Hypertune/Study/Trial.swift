import Foundation

/// A running trial, handed to the objective: it suggests parameter values (define-by-run),
/// receives intermediate results and says whether to stop early.
///
/// ```swift
/// try await study.optimize(trials: 100) { trial in
///     let lr = try await trial.suggestFloat("lr", 1e-5, 1e-1, log: true)
///     let layers = try await trial.suggestInt("layers", 1, 4)
///     for epoch in 1...10 {
///         let loss = train(lr: lr, layers: layers, epoch: epoch)
///         try await trial.report(loss, step: epoch)
///         if try await trial.shouldPrune() { throw TrialPruned() }
///     }
///     return validationLoss
/// }
/// ```
public actor Trial {
    /// The trial's number in its study (0, 1, …).
    public nonisolated let number: Int
    /// The trial's identifier in the storage.
    public nonisolated let id: Int
    nonisolated let study: Study
    /// The history the sampler sees for this trial, fixed when the trial started (so that every
    /// suggestion of the trial is reproducible).
    let history: StudyHistory
    var frozen: FrozenTrial
    /// Values sampled jointly at the start (internal representation), used when suggested.
    nonisolated let relative: [String: Double]
    nonisolated let relativeSpace: [String: Distribution]
    /// Values fixed in advance (an enqueued trial, or `ask(fixing:)`).
    let fixed: [String: ParameterValue]
    init(study: Study, frozen: FrozenTrial, history: StudyHistory, relative: [String: Double],
         relativeSpace: [String: Distribution], fixed: [String: ParameterValue]) {
        self.number = frozen.number
        self.id = frozen.id
        self.study = study
        self.frozen = frozen
        self.history = history
        self.relative = relative
        self.relativeSpace = relativeSpace
        self.fixed = fixed
    }

    /// The parameters suggested so far.
    public var parameters: [String: ParameterValue] { frozen.parameters }

    /// The trial as stored by this process (parameters, reports) so far.
    public var snapshot: FrozenTrial { frozen }

    /// A value for parameter `name` from `distribution`. Suggesting the same name again returns
    /// the same value; with a different distribution it is an error.
    /// - Throws: ``SearchSpaceError`` for an invalid distribution, a changed distribution, or a
    ///   fixed value outside the distribution.
    public func suggest(_ name: String, _ distribution: Distribution) async throws -> ParameterValue {
        try distribution.validate(name: name)
        if let existing = frozen.distributions[name] {
            guard existing == distribution else {
                throw SearchSpaceError.invalid(name, "suggested with \(distribution) after \(existing); one name must keep one distribution")
            }
            return frozen.parameters[name]!
        }
        let value: ParameterValue
        if let v = fixed[name] {
            guard let x = distribution.toInternal(v) else {
                throw SearchSpaceError.invalid(name, "the fixed value \(v) is not in \(distribution)")
            }
            value = distribution.toExternal(x)
        } else if let x = relative[name], relativeSpace[name] == distribution {
            value = distribution.toExternal(x)
        } else {
            value = distribution.toExternal(study.sampler.sampleIndependent(history: history, trial: frozen, name: name, distribution: distribution))
        }
        try await study.storage.setParameter(trialID: id, name: name, value: value, distribution: distribution)
        frozen.parameters[name] = value
        frozen.distributions[name] = distribution
        return value
    }

    /// A real number in `[low, high]` (log-uniform when `log`; on the grid `low + k·step`).
    public func suggestFloat(_ name: String, _ low: Double, _ high: Double, log: Bool = false, step: Double? = nil) async throws -> Double {
        try await suggest(name, .float(low: low, high: high, log: log, step: step)).doubleValue!
    }

    /// An integer in `[low, high]` (log-uniform when `log`; on the grid `low + k·step`).
    public func suggestInt(_ name: String, _ low: Int, _ high: Int, log: Bool = false, step: Int = 1) async throws -> Int {
        try await suggest(name, .int(low: low, high: high, log: log, step: step)).intValue!
    }

    /// One of `choices`.
    public func suggestCategorical(_ name: String, _ choices: [ParameterValue]) async throws -> ParameterValue {
        try await suggest(name, .categorical(choices))
    }

    /// One of `choices` (strings).
    public func suggestCategorical(_ name: String, _ choices: [String]) async throws -> String {
        try await suggest(name, .categorical(choices.map { .string($0) })).stringValue!
    }

    /// Records an intermediate objective value at `step` (for pruning and for charts).
    public func report(_ value: Double, step: Int) async throws {
        try await study.storage.reportIntermediateValue(trialID: id, step: step, value: value)
        frozen.intermediateValues[step] = value
    }

    /// Whether the study's pruner would stop this trial now, given its reports and the other
    /// trials' (the history is read afresh). Throw ``TrialPruned`` to stop.
    public func shouldPrune() async throws -> Bool {
        let history = try await study.history()
        let prune = study.pruner.shouldPrune(history: history, trial: frozen)
        // Pruners that judge once per rung (successive halving, Hyperband) read how far the
        // previous check got, so reports between checks are judged at the next one.
        if !prune, let step = frozen.lastIntermediate?.step {
            let key = FrozenTrial.prunerCheckedStepKey, value = JSONValue.number(Double(step))
            try await study.storage.setTrialAttribute(trialID: id, key: key, value: value, system: true)
            frozen.systemAttributes[key] = value
        }
        return prune
    }

    /// Attaches a user attribute to the trial.
    public func setUserAttribute(_ key: String, _ value: JSONValue) async throws {
        try await study.storage.setTrialAttribute(trialID: id, key: key, value: value, system: false)
        frozen.userAttributes[key] = value
    }
}

/// Thrown by an objective to end its trial as PRUNED.
public struct TrialPruned: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String = "pruned") { self.message = message }
    public var description: String { message }
}
