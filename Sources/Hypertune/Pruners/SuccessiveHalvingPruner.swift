/// Asynchronous successive halving (ASHA: Li et al., "A System for Massively Parallel
/// Hyperparameter Tuning", MLSys 2020), with the semantics of Optuna's `SuccessiveHalvingPruner`.
///
/// Rung `k = 0, 1, …` completes at step `r · η^(s + k)` (`r = minimumResource`,
/// `η = reductionFactor`, `s = minimumEarlyStoppingRate`). When a trial's report first reaches or
/// passes a rung's step, its value there is compared with the values recorded at that rung by all
/// the trials so far (itself included): it goes on (is promoted to the next rung) only if it is
/// among the best `⌊n/η⌋` of those `n` values — the best one while `n < η`, since a trial cannot
/// wait to be promoted later — and is pruned otherwise. A report that passes several rungs at once
/// is checked at each of them in turn. A NaN value at a rung is pruned. With `bootstrapCount > 0`,
/// a trial is also pruned while at most `bootstrapCount` values (its own included) are recorded at
/// the rung.
///
/// Nothing is stored: the value a trial *recorded* at a rung is derived from its intermediate
/// values as its value at the **first reported step ≥ the rung's step** (the report at which the
/// rung was reached, as Optuna records it when the pruner runs after every report). Trials of
/// every state count (running, complete, pruned, failed), as in Optuna; a NaN recorded value is
/// left out (Optuna records none). Rungs whose step is at or before the step of the trial's
/// previous check (``FrozenTrial/prunerCheckedStepKey``, which ``Trial/shouldPrune()`` records)
/// were decided then — the trial went on, so it was promoted — and are not judged again; rungs
/// passed since (all of them at a first check) are judged in order at the next check, so checking
/// every few reports prunes as checking after each one does.
///
/// Values are minimised unless the study's first direction is `maximize`. Optuna's `min_resource
/// = "auto"` (a hundredth of the first complete trial's steps) is not supported: give the
/// smallest step that makes sense. The maximum resource is not needed: rungs go on as long as the
/// trial reports.
///
/// Defaults (Optuna's): `minimumResource = 1`, `reductionFactor = 4`,
/// `minimumEarlyStoppingRate = 0`, `bootstrapCount = 0`.
///
/// - Complexity: O(R · (N · S + N log N)) per call, R rungs reached at this report (usually
///   0 or 1), N trials, S steps reported per trial.
public struct SuccessiveHalvingPruner: Pruner {
    public let minimumResource: Int
    public let reductionFactor: Int
    public let minimumEarlyStoppingRate: Int
    public let bootstrapCount: Int

    public init(minimumResource: Int = 1, reductionFactor: Int = 4, minimumEarlyStoppingRate: Int = 0, bootstrapCount: Int = 0) {
        precondition(minimumResource >= 1, "SuccessiveHalvingPruner: minimumResource must be at least 1, got \(minimumResource)")
        precondition(reductionFactor >= 2, "SuccessiveHalvingPruner: reductionFactor must be at least 2, got \(reductionFactor)")
        precondition(minimumEarlyStoppingRate >= 0, "SuccessiveHalvingPruner: minimumEarlyStoppingRate cannot be negative, got \(minimumEarlyStoppingRate)")
        precondition(bootstrapCount >= 0, "SuccessiveHalvingPruner: bootstrapCount cannot be negative, got \(bootstrapCount)")
        self.minimumResource = minimumResource
        self.reductionFactor = reductionFactor
        self.minimumEarlyStoppingRate = minimumEarlyStoppingRate
        self.bootstrapCount = bootstrapCount
    }

    /// The step at which rung `rung` completes, `r · η^(s + rung)`, or nil past `Int.max`.
    public func rungStep(_ rung: Int) -> Int? {
        var step = minimumResource
        for _ in 0..<(minimumEarlyStoppingRate + rung) {
            let (next, overflow) = step.multipliedReportingOverflow(by: reductionFactor)
            if overflow { return nil }
            step = next
        }
        return step
    }

    /// The value `trial` recorded at the rung completing at `step`: its value at the first
    /// reported step ≥ `step`, or nil if it has not reached the rung.
    static func recordedValue(_ trial: FrozenTrial, rungStep step: Int) -> Double? {
        var first: (step: Int, value: Double)?
        for (s, v) in trial.intermediateValues where s >= step && s < (first?.step ?? Int.max) {
            first = (s, v)
        }
        return first?.value
    }

    public func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool {
        guard let (last, reported) = trial.lastIntermediate else { return false }
        var previous = Int.min
        if case let .number(checked)? = trial.systemAttributes[FrozenTrial.prunerCheckedStepKey], checked.isFinite {
            previous = Int(checked)
        }
        let value = history.minimizationValue(reported)
        var rung = 0
        while let step = rungStep(rung), step <= last {
            defer { rung += 1 }
            if step <= previous { continue }  // reached at an earlier report, and promoted then
            if value.isNaN { return true }
            var competing = [value]
            for other in history.trials where other.number != trial.number {
                if let v = Self.recordedValue(other, rungStep: step).map(history.minimizationValue), !v.isNaN {
                    competing.append(v)
                }
            }
            if competing.count <= bootstrapCount { return true }
            if !Self.isPromotable(value, competing: competing, reductionFactor: reductionFactor) { return true }
        }
        return false
    }

    /// Whether `value` is among the best `max(1, ⌊n/η⌋)` of the `n` competing (minimisation)
    /// values, which include it; ties go to the trial.
    static func isPromotable(_ value: Double, competing: [Double], reductionFactor: Int) -> Bool {
        let index = max(0, competing.count / reductionFactor - 1)
        return value <= competing.sorted()[index]
    }
}
