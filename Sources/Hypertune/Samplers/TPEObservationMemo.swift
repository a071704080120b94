import Foundation

/// What TPE reads from finished trials, memoised per study: each trial's parameter set, and each
/// parameter's values by trial number and in sorted order.
///
/// Finished trials never change, so the memo is exact: proposals are those computed from the
/// history alone (ties in sorted order break by trial number, as in ``ParzenEstimator``), and the
/// sampler remains a function of its seed and the history. What it saves is the per-trial
/// dictionary lookups and the per-dimension sorts, which dominate a proposal's cost once a study
/// has hundreds of trials: with the memo, a proposal costs O(n) cheap array reads plus the
/// density evaluations, and each newly finished trial costs one O(n) sorted insertion.
final class TPEObservationMemo: @unchecked Sendable {
    // Every access goes through `lock`.
    private let lock = NSLock()
    private var studies: [Int: StudyMemo] = [:]
    /// Kernel storage handed back by finished proposals, for the next ones to reuse.
    private var spareStorage: [ParzenEstimator.KernelStorage] = []

    /// Storage for an estimator: a spare one when there is one.
    func takeStorage() -> ParzenEstimator.KernelStorage {
        lock.lock()
        defer { lock.unlock() }
        return spareStorage.popLast() ?? ParzenEstimator.KernelStorage()
    }

    /// Hands back storage no estimator uses any more (a few are kept, one per concurrent proposal).
    func recycle(_ storage: ParzenEstimator.KernelStorage) {
        lock.lock()
        defer { lock.unlock() }
        if spareStorage.count < 8 { spareStorage.append(storage) }
    }

    /// Runs `body` on the memo of `studyID`, brought up to date with `history`'s finished trials.
    func withStudy<R>(_ studyID: Int, history: StudyHistory, _ body: (StudyMemo) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        var memo = studies[studyID] ?? StudyMemo()
        if !memo.record(history) {
            memo = StudyMemo()
            _ = memo.record(history)
        }
        studies[studyID] = memo
        return body(memo)
    }
}

/// The memo of one study. Trials count as *finished* here when COMPLETE or PRUNED (the trials
/// TPE learns from); failed ones are ignored.
final class StudyMemo {
    /// Trial id recorded at each trial number; -1 before the trial has finished.
    private(set) var recordedID: [Int] = []
    /// Index into `signatures` of each recorded trial's parameter set; -1 before it finished.
    private(set) var signatureOf: [Int32] = []
    /// Each recorded trial's outcome for TPE's ranking (nil for complete trials without a
    /// finite value).
    private(set) var outcomeOf: [TPESampler.Outcome?] = []
    /// The distinct parameter sets (name → distribution) of finished trials.
    private(set) var signatures: [[String: Distribution]] = []
    private var signatureIndex: [[String: Distribution]: Int32] = [:]
    /// Finished trials in the order they were recorded. Histories may be subsets of the study
    /// (a reproducible parallel run shows each trial only what had finished before it), so the
    /// memo can hold trials a given history lacks; readers mask by the history.
    private var recorded: [FrozenTrial] = []
    private var columns: [ColumnKey: Column] = [:]
    /// `g`'s kernels kept per group of continuous parameters (``AboveKernels``).
    private var aboveKernelsByGroup: [[ColumnKey]: AboveKernels] = [:]

    /// How many trials have been recorded, and the number of the `i`th (in recording order).
    var recordedCount: Int { recorded.count }
    func recordedNumber(at i: Int) -> Int { recorded[i].number }

    /// The kept kernels of `parameters` (continuous), up to date with the recorded trials.
    func aboveKernels(_ parameters: [(name: String, distribution: Distribution)]) -> AboveKernels {
        let keys = parameters.map { ColumnKey(name: $0.name, distribution: $0.distribution) }
        let kernels: AboveKernels
        if let existing = aboveKernelsByGroup[keys] {
            kernels = existing
        } else {
            kernels = AboveKernels(columns: parameters.map { column($0.name, $0.distribution) }, distributions: parameters.map(\.distribution))
            aboveKernelsByGroup[keys] = kernels
        }
        // The columns take in new trials first.
        for (c, p) in parameters.enumerated() { update(kernels.columns[c], p.name, p.distribution) }
        kernels.sync(self)
        return kernels
    }

    /// Groups memoised by the set of signatures they were computed from.
    var groupsMemo: [[Int32]: [[(name: String, distribution: Distribution)]]] = [:]

    struct ColumnKey: Hashable {
        let name: String
        let distribution: Distribution
    }

    /// One parameter (name and distribution) over the recorded trials that have it.
    final class Column {
        /// Internal value by trial number (`count` of them); NaN where the trial lacks the
        /// parameter or is not recorded. Raw storage, so readers index it without reference
        /// counting; it moves only when the column grows (under the memo's lock).
        private(set) var value: UnsafeMutablePointer<Double>
        /// By trial number, the truncation masses of the trial's kernel in `g`
        /// (``ParzenEstimator/TruncationMemo``): the width they were computed for and the mass.
        private(set) var kernelSigma: UnsafeMutablePointer<Double>, kernelMass: UnsafeMutablePointer<Double>
        private(set) var count = 0
        private var capacity = 64

        init() {
            value = .allocate(capacity: capacity)
            kernelSigma = .allocate(capacity: capacity)
            kernelMass = .allocate(capacity: capacity)
        }

        deinit {
            value.deallocate()
            kernelSigma.deallocate()
            kernelMass.deallocate()
        }

        /// The mass memo of this column for kernels whose trial numbers are `slots`.
        func truncationMemo(slots: UnsafePointer<Int32>) -> ParzenEstimator.TruncationMemo {
            .init(slots: slots, sigmas: kernelSigma, masses: kernelMass)
        }

        /// Extends the column with NaN to `count` trial numbers.
        func grow(to newCount: Int) {
            guard newCount > count else { return }
            if newCount > capacity {
                let newCapacity = max(newCount, 2 * capacity)
                func moved(_ old: UnsafeMutablePointer<Double>) -> UnsafeMutablePointer<Double> {
                    let storage = UnsafeMutablePointer<Double>.allocate(capacity: newCapacity)
                    storage.update(from: old, count: count)
                    old.deallocate()
                    return storage
                }
                value = moved(value)
                kernelSigma = moved(kernelSigma)
                kernelMass = moved(kernelMass)
                capacity = newCapacity
            }
            (value + count).initialize(repeating: .nan, count: newCount - count)
            (kernelSigma + count).initialize(repeating: .nan, count: newCount - count)
            (kernelMass + count).initialize(repeating: .nan, count: newCount - count)
            count = newCount
        }

        /// Transformed values (``ParzenEstimator/transform(_:_:)``) with their trial numbers,
        /// ascending by (value, number).
        var sorted: [(value: Double, number: Int32)] = []

        /// The sorted values of the trials whose `keys[number]` is ≥ 0, merged with `running`
        /// rows (values the memo does not have, ascending by (value, number)): each one's key
        /// and value, in order, into `outKeys` and `outValues`. Returns how many were written.
        func merged(keys: UnsafePointer<Int32>, running: [(value: Double, number: Int32, key: Int32)],
                    into outKeys: UnsafeMutablePointer<Int32>, _ outValues: UnsafeMutablePointer<Double>) -> Int {
            sorted.withUnsafeBufferPointer { sorted in
                var w = 0, j = 0
                func emitRunning() {
                    (outKeys[w], outValues[w]) = (running[j].key, running[j].value)
                    w += 1
                    j += 1
                }
                for e in sorted {
                    let key = keys[Int(e.number)]
                    guard key >= 0 else { continue }
                    while j < running.count && (running[j].value < e.value || (running[j].value == e.value && running[j].number < e.number)) { emitRunning() }
                    (outKeys[w], outValues[w]) = (key, e.value)
                    w += 1
                }
                while j < running.count { emitRunning() }
                return w
            }
        }
        /// How many of the memo's recorded trials the column has taken in.
        var taken = 0
    }

    static func isFinished(_ state: TrialState) -> Bool { state == .complete || state == .pruned }

    /// Records the trials of `history` that finished since they were last seen, and checks that
    /// every recorded trial is still the trial of its number (it is, unless the study was
    /// replaced under the same id): false, recording nothing, when one is not. A recorded trial
    /// may appear as running: a reproducible parallel run shows each trial the ones started
    /// just before it as they were at their start.
    /// - Complexity: O(n) array reads, plus a dictionary lookup per newly finished trial.
    func record(_ history: StudyHistory) -> Bool {
        let unrecorded: [Int]? = history.trials.withUnsafeBufferPointer { trials in
            var indices: [Int] = []
            for i in trials.indices {
                let number = trials[i].number
                let id = number < recordedID.count ? recordedID[number] : -1
                if id >= 0 {
                    if id != trials[i].id { return nil }
                } else if Self.isFinished(trials[i].state) {
                    indices.append(i)
                }
            }
            return indices
        }
        guard let unrecorded else { return false }
        for i in unrecorded {
            let t = history.trials[i]
            grow(to: t.number + 1)
            recordedID[t.number] = t.id
            outcomeOf[t.number] = TPESampler.Outcome(t)
            recorded.append(t)
            let distributions = t.distributions
            if let s = signatureIndex[distributions] {
                signatureOf[t.number] = s
            } else {
                let s = Int32(signatures.count)
                signatures.append(distributions)
                signatureIndex[distributions] = s
                signatureOf[t.number] = s
            }
        }
        return true
    }

    private func grow(to count: Int) {
        guard recordedID.count < count else { return }
        recordedID += [Int](repeating: -1, count: count - recordedID.count)
        signatureOf += [Int32](repeating: -1, count: count - signatureOf.count)
        outcomeOf += [TPESampler.Outcome?](repeating: nil, count: count - outcomeOf.count)
    }

    /// The column of `name` drawn from `distribution`, up to date with the recorded trials.
    /// - Complexity: O(n) per trial recorded since the last call (a sorted insertion), else O(1).
    func column(_ name: String, _ distribution: Distribution) -> Column {
        let key = ColumnKey(name: name, distribution: distribution)
        let column: Column
        if let existing = columns[key] {
            column = existing
        } else {
            column = Column()
            columns[key] = column
        }
        update(column, name, distribution)
        return column
    }

    /// Brings `column` (of `name` drawn from `distribution`) up to date with the recorded trials.
    func update(_ column: Column, _ name: String, _ distribution: Distribution) {
        column.grow(to: recordedID.count)
        while column.taken < recorded.count {
            let t = recorded[column.taken]
            column.taken += 1
            guard t.distributions[name] == distribution, let v = t.parameters[name], let x = distribution.toInternal(v) else { continue }
            column.value[t.number] = x
            let entry = (value: ParzenEstimator.transform(x, distribution), number: Int32(t.number))
            column.sorted.insert(entry, at: Self.insertionIndex(column.sorted, entry))
        }
    }

    /// Where `entry` goes in `sorted` (ascending by value, then number).
    static func insertionIndex(_ sorted: [(value: Double, number: Int32)], _ entry: (value: Double, number: Int32)) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let e = sorted[mid]
            if e.value < entry.value || (e.value == entry.value && e.number < entry.number) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
