/// Prunes a trial whose best intermediate value is worse than a percentile of the other trials'
/// values at the same step (Optuna's `PercentilePruner`; the median stopping rule of Golovin et
/// al., "Google Vizier", KDD 2017, is the 50th percentile: ``MedianPruner``).
///
/// Called right after `trial` reports a value at step `t` (its latest step), the rule is:
/// 1. Do not prune while fewer than `startupTrials` compared trials exist (compared trials are the
///    other COMPLETE trials, plus the PRUNED ones when `includePrunedTrials`), nor when there is
///    none at all.
/// 2. Do not prune before step `warmupSteps` (`t < warmupSteps`; steps are assumed to start at 0).
/// 3. Check only once per interval: the checkpoints are `warmupSteps + i · intervalSteps`; the
///    trial is checked at `t` only if its previous report came before the latest checkpoint
///    `≤ t` (so a checkpoint without a report is checked at the next report).
/// 4. Prune if every intermediate value of the trial is NaN.
/// 5. Take the values that the compared trials reported at exactly step `t`. With fewer than
///    `minimumTrials` of them (NaNs count), do not prune. Their `percentile`-th percentile
///    (linear interpolation between order statistics, NaNs ignored, as NumPy's `nanpercentile`)
///    is the threshold; all NaN: do not prune.
/// 6. Prune if the trial's best value over all its steps (NaNs ignored) is strictly worse than
///    the threshold.
///
/// Values are minimised unless the study's first direction is `maximize`; then the percentile is
/// taken from the top (the `percentile`-th percentile of the negated values), as Optuna's
/// `100 − percentile` on the raw values.
///
/// Optuna compares with COMPLETE trials only — the default here. `includePrunedTrials` adds the
/// pruned trials' values (and counts them as startup trials), which gives more data at early steps
/// but biases the threshold towards bad values (the pruned trials were the bad ones).
///
/// Defaults (Optuna's): `startupTrials = 5`, `warmupSteps = 0`, `intervalSteps = 1`,
/// `minimumTrials = 1`.
///
/// - Complexity: O(N + S + M log M) per call, N trials in the history, S steps reported by the
///   trial, M values at step `t`.
public struct PercentilePruner: Pruner {
    /// In `0…100`: 25 keeps (does not prune) trials whose best value is in the best 25 % of the
    /// others' values at the same step.
    public let percentile: Double
    public let startupTrials: Int
    public let warmupSteps: Int
    public let intervalSteps: Int
    public let minimumTrials: Int
    public let includePrunedTrials: Bool

    public init(
        percentile: Double, startupTrials: Int = 5, warmupSteps: Int = 0, intervalSteps: Int = 1,
        minimumTrials: Int = 1, includePrunedTrials: Bool = false
    ) {
        precondition((0...100).contains(percentile), "PercentilePruner: percentile must be in 0…100, got \(percentile)")
        precondition(startupTrials >= 0, "PercentilePruner: startupTrials cannot be negative, got \(startupTrials)")
        precondition(warmupSteps >= 0, "PercentilePruner: warmupSteps cannot be negative, got \(warmupSteps)")
        precondition(intervalSteps >= 1, "PercentilePruner: intervalSteps must be at least 1, got \(intervalSteps)")
        precondition(minimumTrials >= 1, "PercentilePruner: minimumTrials must be at least 1, got \(minimumTrials)")
        self.percentile = percentile
        self.startupTrials = startupTrials
        self.warmupSteps = warmupSteps
        self.intervalSteps = intervalSteps
        self.minimumTrials = minimumTrials
        self.includePrunedTrials = includePrunedTrials
    }

    public func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool {
        let compared = history.trials.filter {
            $0.number != trial.number && ($0.state == .complete || (includePrunedTrials && $0.state == .pruned))
        }
        if compared.isEmpty || compared.count < startupTrials { return false }
        guard let step = trial.lastIntermediate?.step else { return false }
        if step < warmupSteps { return false }
        if !Self.isFirstReportInInterval(step: step, steps: trial.intermediateValues.keys, warmupSteps: warmupSteps, intervalSteps: intervalSteps) {
            return false
        }

        let best = trial.intermediateValues.values.lazy.map(history.minimizationValue).filter { !$0.isNaN }.min()
        guard let best else { return true }  // every reported value is NaN

        let atStep = compared.compactMap { $0.intermediateValues[step] }
        if atStep.count < minimumTrials { return false }
        guard let threshold = Self.percentile(atStep.map(history.minimizationValue), percentile) else { return false }
        return best > threshold
    }

    /// Whether `step` is the first report at or after the latest checkpoint `warmupSteps + i ·
    /// intervalSteps ≤ step`.
    static func isFirstReportInInterval(step: Int, steps: some Sequence<Int>, warmupSteps: Int, intervalSteps: Int) -> Bool {
        let checkpoint = (step - warmupSteps) / intervalSteps * intervalSteps + warmupSteps
        let previous = steps.filter { $0 != step }.max() ?? -1
        return previous < checkpoint
    }

    /// The `q`-th percentile of the non-NaN values (linear interpolation between the order
    /// statistics at position `(n − 1) q / 100`, NumPy's default), or nil if there is none.
    static func percentile(_ values: [Double], _ q: Double) -> Double? {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        let position = Double(sorted.count - 1) * q / 100
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let t = position - Double(lower)
        if t == 0 || sorted[lower] == sorted[upper] { return sorted[lower] }
        return sorted[lower] + t * (sorted[upper] - sorted[lower])
    }
}

/// The median stopping rule (Golovin et al., "Google Vizier", KDD 2017; Optuna's `MedianPruner`):
/// prune when the trial's best intermediate value is worse than the median of the other trials'
/// values at the same step. A ``PercentilePruner`` at the 50th percentile, with the same
/// parameters and defaults (`startupTrials = 5`, `warmupSteps = 0`, `intervalSteps = 1`,
/// `minimumTrials = 1`).
///
/// - Complexity: that of ``PercentilePruner``.
public struct MedianPruner: Pruner {
    public let base: PercentilePruner

    public init(startupTrials: Int = 5, warmupSteps: Int = 0, intervalSteps: Int = 1, minimumTrials: Int = 1, includePrunedTrials: Bool = false) {
        base = PercentilePruner(
            percentile: 50, startupTrials: startupTrials, warmupSteps: warmupSteps, intervalSteps: intervalSteps,
            minimumTrials: minimumTrials, includePrunedTrials: includePrunedTrials)
    }

    public func shouldPrune(history: StudyHistory, trial: FrozenTrial) -> Bool {
        base.shouldPrune(history: history, trial: trial)
    }
}
