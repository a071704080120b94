import Autograd
import Foundation

/// The tree-structured Parzen estimator (Bergstra et al., NeurIPS 2011), multivariate by default
/// (Falkner et al., ICML 2018).
///
/// Trials are split by objective into the best `γ(n)` ("below") and the rest ("above"); a Parzen
/// density is fitted to each, `l(x)` and `g(x)`; candidates are drawn from `l` and the one that
/// maximises `l(x)/g(x)` (the expected-improvement criterion) is proposed.
///
/// - Multivariate: the parameters every relevant trial shares are modelled jointly. With
///   `group`, the search space is decomposed into groups of parameters that always occur
///   together (the branches of a conditional space), each modelled jointly on the trials that
///   have it.
/// - Constant liar: running trials join `g` (they count as bad), so parallel workers do not
///   propose the same region.
/// - Pruned trials rank after complete ones, by how far they got and their last value.
/// - The first `startupTrials` proposals are uniformly random.
public struct TPESampler: Sampler {
    /// How each kernel's width is chosen in one numerical dimension.
    public enum Bandwidth: Sendable {
        /// The larger gap to the sorted neighbouring observations (the bounds as end points):
        /// adapts to local density, so kernels around a cluster of good points are narrow.
        case neighbourGaps
        /// As `neighbourGaps`, with the prior's centre counted among the observations (Hyperopt).
        case neighbourGapsWithPrior
        /// One width for all kernels, `0.2·n^(−1/(d+4))` of the range (a Scott-like rule for `d`
        /// jointly modelled parameters, Falkner et al. 2018).
        case scott
    }

    public struct Configuration: Sendable {
        /// Random proposals before the model is used.
        public var startupTrials = 10
        /// Candidates drawn from `l` per proposal. More candidates exploit `l/g` harder, which
        /// pays on smooth functions, at a cost proportional to their number: 48 beat Optuna's 24
        /// over the synthetic suite (seeds 200–299); 100 did better on most functions there but
        /// doubles the cost and was less robust at the benchmark's seeds.
        public var candidates = 48
        /// `γ(n)`: how many of `n` observations count as good.
        public var gamma: @Sendable (Int) -> Int = { min(Int((0.1 * Double($0)).rounded(.up)), 25) }
        /// Weights of `n` observations in time order (older ones down-weighted past 25).
        public var weights: @Sendable (Int) -> [Double] = TPESampler.defaultWeights
        /// Weight of the prior kernel.
        public var priorWeight = 1.0
        /// Bound the smallest bandwidth by `range / min(100, n + 2)`.
        public var magicClip = true
        /// Use the domain's end points in the neighbour-gap bandwidth rule.
        public var considerEndpoints = false
        /// The kernels' widths.
        public var bandwidth = Bandwidth.neighbourGaps
        /// Model the parameters of a trial jointly (one kernel per observation over all of them)
        /// rather than one by one.
        public var multivariate = true
        public var group = true
        public var constantLiar = true

        public init() {}
    }

    public let seed: UInt64
    public let configuration: Configuration
    /// Memoised reads of finished trials; never changes a proposal.
    let memo = TPEObservationMemo()

    public init(seed: UInt64 = 0, configuration: Configuration = Configuration()) {
        precondition(configuration.candidates >= 1, "TPESampler: at least one candidate is needed")
        self.seed = seed
        self.configuration = configuration
    }

    /// Weights 1 for the last 25 observations and a linear ramp from 1/n for older ones.
    public static func defaultWeights(_ n: Int) -> [Double] {
        if n < 25 { return [Double](repeating: 1, count: n) }
        let older = n - 25, low = 1.0 / Double(n)
        return [Double](unsafeUninitializedCapacity: n) { w, count in
            for i in 0..<older { w[i] = older == 1 ? low : low + (1 - low) * Double(i) / Double(n - 26) }
            for i in older..<n { w[i] = 1 }
            count = n
        }
    }

    /// The first `count` of `weights` (all of them, without a copy, when that is all there is).
    static func firstWeights(_ weights: [Double], _ count: Int) -> [Double] {
        weights.count == count ? weights : Array(weights.prefix(count))
    }

    // MARK: Search space

    public func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)] {
        guard configuration.multivariate else { return [] }
        return groups(history).flatMap { $0 }
    }

    /// Groups of parameters: with `group`, the finest partition such that every past trial's
    /// parameters are a union of groups; otherwise the parameters all trials share. Parameters
    /// with one possible value are left out, and so are names drawn from different distributions
    /// in different trials (sampled independently instead).
    /// - Complexity: O(n) to find the distinct parameter sets of the finished trials; the
    ///   partition itself is memoised per set of parameter sets.
    func groups(_ history: StudyHistory) -> [[(name: String, distribution: Distribution)]] {
        guard let studyID = history.trials.first?.studyID else { return [] }
        return memo.withStudy(studyID, history: history) { m in
            var present = [Bool](repeating: false, count: m.signatures.count)
            history.trials.withUnsafeBufferPointer { trials in
                for i in trials.indices where StudyMemo.isFinished(trials[i].state) { present[Int(m.signatureOf[trials[i].number])] = true }
            }
            let ids = present.indices.filter { present[$0] }.map { Int32($0) }
            guard !ids.isEmpty else { return [] }
            if let memoised = m.groupsMemo[ids] { return memoised }
            let result = Self.groups(of: ids.map { m.signatures[Int($0)] }, group: configuration.group)
            m.groupsMemo[ids] = result
            return result
        }
    }

    /// ``groups(_:)`` from the distinct parameter sets of the finished trials.
    static func groups(of signatures: [[String: Distribution]], group: Bool) -> [[(name: String, distribution: Distribution)]] {
        var distributions: [String: Distribution] = [:], inconsistent: Set<String> = []
        for signature in signatures {
            for (n, d) in signature {
                if let seen = distributions[n] {
                    if seen != d { inconsistent.insert(n) }
                } else {
                    distributions[n] = d
                }
            }
        }
        func modelled(_ names: [String]) -> [(name: String, distribution: Distribution)] {
            names.sorted().compactMap { n in
                guard let d = distributions[n], !d.isSingle, !inconsistent.contains(n) else { return nil }
                return (n, d)
            }
        }
        if group {
            var parts: [Set<String>] = []
            for signature in signatures {
                let names = Set(signature.keys)
                var next: [Set<String>] = []
                var rest = names
                for p in parts {
                    let inside = p.intersection(names), outside = p.subtracting(names)
                    if !inside.isEmpty { next.append(inside) }
                    if !outside.isEmpty { next.append(outside) }
                    rest.subtract(p)
                }
                if !rest.isEmpty { next.append(rest) }
                parts = next
            }
            return parts.map { modelled(Array($0)) }.filter { !$0.isEmpty }.sorted { $0[0].name < $1[0].name }
        }
        var shared = Set(signatures[0].keys)
        for signature in signatures.dropFirst() { shared.formIntersection(signature.keys) }
        let all = modelled(Array(shared))
        return all.isEmpty ? [] : [all]
    }

    // MARK: Sampling

    public func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        let wanted = Set(space.map(\.name))
        var result: [String: Double] = [:]
        for group in groups(history) {
            let members = group.filter { wanted.contains($0.name) }
            guard !members.isEmpty else { continue }
            if let values = propose(history: history, trial: trial, parameters: members) {
                for (i, m) in members.enumerated() { result[m.name] = values[i] }
            }
        }
        return result
    }

    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        if let values = propose(history: history, trial: trial, parameters: [(name, distribution)]) {
            return values[0]
        }
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: name)
        return SamplerRandom.uniform(distribution, &g)
    }

    /// The TPE proposal for `parameters` (internal values), or nil while fewer than
    /// `startupTrials` trials have finished (the caller then samples at random).
    ///
    /// The `γ(n)` best of the `n` finished trials that have the parameters form `l`; the others,
    /// and running trials under the constant liar, form `g`. Candidates are drawn from `l` and
    /// the one maximising `log l(x) − log g(x)` is returned.
    /// - Complexity: O(n · |parameters| + candidates · n · |parameters|): the trials' values and
    ///   their sorted orders come from the memo, so no sort or dictionary lookup is O(n). For
    ///   continuous parameters `g`'s kernels are kept across proposals (``AboveKernels``): a
    ///   proposal recomputes only the kernels whose width changed, and large mixtures are
    ///   evaluated in single precision (``ParzenEstimator/SinglePrecision``).
    func propose(history: StudyHistory, trial: FrozenTrial, parameters: [(name: String, distribution: Distribution)]) -> [Double]? {
        let finished = history.trials.withUnsafeBufferPointer { trials in
            trials.indices.reduce(0) { $0 + (StudyMemo.isFinished(trials[$1].state) ? 1 : 0) }
        }
        guard finished >= max(configuration.startupTrials, 1), let studyID = history.trials.first?.studyID else { return nil }
        let distributions = parameters.map(\.distribution)
        func estimator(_ flat: UnsafeBufferPointer<Double>, _ count: Int, sorted: [ParzenEstimator.SortedColumn?]?, masses: [ParzenEstimator.TruncationMemo?]?,
                       storage: ParzenEstimator.KernelStorage) -> ParzenEstimator {
            ParzenEstimator(
                flat: flat, count: count, weights: Self.firstWeights(configuration.weights(count), count), distributions: distributions,
                priorWeight: configuration.priorWeight, bandwidth: configuration.bandwidth, magicClip: configuration.magicClip,
                considerEndpoints: configuration.considerEndpoints, sorted: sorted, masses: masses, storage: storage)
        }
        let storage = memo.takeStorage(), belowStorage = memo.takeStorage()
        defer {
            memo.recycle(storage)
            memo.recycle(belowStorage)
        }
        var rng = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: "tpe:" + parameters.map(\.name).joined(separator: ","))
        let count = configuration.candidates, width = parameters.count
        if configuration.bandwidth == .neighbourGaps && AboveKernels.applies(to: distributions) {
            // `g` kept across proposals (``AboveKernels``): built and evaluated under the memo's lock.
            guard let (candidates, logG, l) = memo.withStudy(studyID, history: history, { memo -> ([Double], [Double], ParzenEstimator)? in
                let kernels = memo.aboveKernels(parameters)
                let numberLimit = max((history.trials.last?.number ?? 0) + 1, memo.recordedID.count)
                for c in kernels.columns { c.grow(to: numberLimit) }
                guard let ranked = kernels.withMembers(upTo: numberLimit, { members in
                    rank(history, parameters, values: kernels.columns.map(\.value), memo: memo, storage: storage, members: members)
                }) else { return nil }
                let (prepared, below) = kernels.prepare(ranked, configuration: configuration, numberLimit: numberLimit, scratch: storage)
                let g = ParzenEstimator(prepared: prepared, storage: storage)
                let l = below.withUnsafeBufferPointer { estimator($0, ranked.below, sorted: nil, masses: nil, storage: belowStorage) }
                let candidates = l.sampleFlat(count, distributions: distributions, generator: &rng)
                return (candidates, g.logDensity(flat: candidates, count: count, distributions: distributions), l)
            }) else { return nil }
            let logL = l.logDensity(flat: candidates, count: count, distributions: distributions)
            var best = 0
            for i in 1..<count where logL[i] - logG[i] > logL[best] - logG[best] { best = i }
            return Array(candidates[(best * width)..<(best * width + width)])
        }
        // `g` is built under the memo's lock: its truncation masses are memoised there.
        guard let (split, g) = memo.withStudy(studyID, history: history, { memo -> (Split, ParzenEstimator)? in
            guard let split = split(history, parameters, memo, storage) else { return nil }
            let g = estimator(split.above, split.aboveCount, sorted: split.aboveSorted,
                              masses: split.columns.map { $0.truncationMemo(slots: split.aboveNumbers) }, storage: storage)
            return (split, g)
        }) else { return nil }
        let l = split.below.withUnsafeBufferPointer { estimator($0, split.belowCount, sorted: nil, masses: nil, storage: belowStorage) }
        let candidates = l.sampleFlat(count, distributions: distributions, generator: &rng)
        let logL = l.logDensity(flat: candidates, count: count, distributions: distributions)
        let logG = g.logDensity(flat: candidates, count: count, distributions: distributions)
        var best = 0
        for i in 1..<count where logL[i] - logG[i] > logL[best] - logG[best] { best = i }
        return Array(candidates[(best * width)..<(best * width + width)])
    }

    /// The observations of `parameters`, split into the good ones and the rest. The buffers are
    /// in the storage given to ``split(_:_:_:_:)`` and valid while it is held.
    struct Split {
        /// Row-major internal values of the `γ(n)` best trials, in number order.
        var below: [Double], belowCount: Int
        /// Row-major internal values of the other finished trials and the running ones, in number
        /// order (with neighbour-gap bandwidths, the numerical columns of finished rows are left
        /// out: the estimator reads them from `aboveSorted`).
        var above: UnsafeBufferPointer<Double>, aboveCount: Int
        /// Per numerical dimension, `above`'s rows ascending by (transformed value, row).
        var aboveSorted: [ParzenEstimator.SortedColumn?]
        /// The trial number of each of `above`'s rows.
        var aboveNumbers: UnsafePointer<Int32>
        /// The memo's columns of the parameters (valid under the memo's lock).
        var columns: [StudyMemo.Column]
    }

    /// Keys of the split's buffers in its storage.
    enum SplitKey {
        static let rowNumbers = ParzenEstimator.KernelStorage.Key.callers, scores = rowNumbers + 1, rowKinds = rowNumbers + 2
        static let above = rowNumbers + 3, aboveIndex = rowNumbers + 4, aboveNumbers = rowNumbers + 5
        /// ``AboveKernels``' slots by trial number.
        static let aboveSlot = rowNumbers + 6
        /// Then two per dimension: the sorted order and the sorted values.
        static let sorted = rowNumbers + 7
    }

    /// Scores sort better first: (−steps reached, minimisation value). Complete trials rank by
    /// value, pruned ones after them by progress and then their last value.
    struct Score: Comparable {
        let stepKey: Double, value: Double
        static func < (a: Score, b: Score) -> Bool { (a.stepKey, a.value) < (b.stepKey, b.value) }
    }

    /// What a finished trial brings to the ranking, as reported: `stepKey` is −∞ for a complete
    /// trial and −(last step) for a pruned one (+∞ without any report); `value` is the objective
    /// value or the last intermediate one (NaN possible for pruned trials).
    struct Outcome {
        let stepKey: Double, value: Double

        /// Nil unless `t` is complete with a finite value, or pruned.
        init?(_ t: FrozenTrial) {
            switch t.state {
            case .complete:
                guard let v = t.values?.first, v.isFinite else { return nil }
                (stepKey, value) = (-.infinity, v)
            case .pruned:
                guard let last = t.lastIntermediate else {
                    (stepKey, value) = (.infinity, 0)
                    return
                }
                (stepKey, value) = (-Double(last.step), last.value)
            default:
                return nil
            }
        }

        /// The rank key for the study's direction; a NaN value ranks last among its peers.
        func score(maximizing: Bool) -> Score {
            Score(stepKey: stepKey, value: value.isNaN ? .infinity : maximizing ? -value : value)
        }
    }

    /// The trials of `history` that have all of `parameters`, in number order ("rows"): finished
    /// ones with a score and, under the constant liar, running ones with their values; and which
    /// finished rows are the `γ(n)` best. Buffers are in `storage`.
    struct Ranked {
        var count: Int
        /// Per row: its trial number, and its kind (``RowKind``).
        var numbers: UnsafeMutablePointer<Int32>, kinds: UnsafeMutablePointer<UInt8>
        /// Row-major internal values of the running rows, in row order.
        var runningValues: [Double]
        /// How many finished rows are among the best.
        var below: Int
    }

    enum RowKind {
        static let finished: UInt8 = 0, running: UInt8 = 1, best: UInt8 = 2
    }

    /// ``Ranked`` rows of `history`; nil when no finished trial has the parameters. `values`
    /// are the memo's columns of the parameters (finished trials' values by number); `members`,
    /// if given, is ≥ 0 by trial number exactly for the finished trials that have them all.
    /// - Complexity: O(n · |parameters|) array reads, and O(n · γ) at worst for the best rows
    ///   (a bounded insertion sort).
    func rank(_ history: StudyHistory, _ parameters: [(name: String, distribution: Distribution)], values: [UnsafeMutablePointer<Double>],
              memo: StudyMemo, storage: ParzenEstimator.KernelStorage, members: UnsafePointer<Int32>? = nil) -> Ranked? {
        let width = parameters.count
        let capacity = history.trials.count
        let rowNumbers = storage.buffer(SplitKey.rowNumbers, Int32.self, count: capacity)
        let scores = storage.buffer(SplitKey.scores, Score.self, count: capacity)
        let rowKinds = storage.buffer(SplitKey.rowKinds, UInt8.self, count: capacity)
        var rows = 0, n = 0
        var runningRows: [Double] = []
        let outcomeOf = memo.outcomeOf, maximizing = history.directions.first == .maximize
        history.trials.withUnsafeBufferPointer { trials in
            for i in trials.indices {
                let state = trials[i].state, number = trials[i].number
                if StudyMemo.isFinished(state) {
                    guard let outcome = outcomeOf[number] else { continue }
                    if let members {
                        // The caller knows which trials have every parameter.
                        guard members[number] >= 0 else { continue }
                    } else {
                        var complete = true
                        for v in values where v[number].isNaN {
                            complete = false
                            break
                        }
                        guard complete else { continue }
                    }
                    scores[rows] = outcome.score(maximizing: maximizing)
                    rowKinds[rows] = RowKind.finished
                    n += 1
                } else if state == .running && configuration.constantLiar {
                    let t = trials[i]
                    let start = runningRows.count
                    for p in parameters {
                        guard t.distributions[p.name] == p.distribution, let v = t.parameters[p.name], let x = p.distribution.toInternal(v) else { break }
                        runningRows.append(x)
                    }
                    guard runningRows.count == start + width else {
                        runningRows.removeSubrange(start...)
                        continue
                    }
                    rowKinds[rows] = RowKind.running
                } else {
                    continue
                }
                rowNumbers[rows] = Int32(number)
                rows += 1
            }
        }
        guard n > 0 else { return nil }
        // The γ(n) best rows by (score, row): a bounded insertion sort.
        let nBelow = min(max(configuration.gamma(n), 1), n)
        var best: [Int] = []
        best.reserveCapacity(nBelow + 1)
        var worst: Score?  // of `best`, once it is full
        for r in 0..<rows where rowKinds[r] == RowKind.finished {
            let score = scores[r]
            if let worst, !(score < worst) { continue }
            var i = best.count
            while i > 0 && score < scores[best[i - 1]] { i -= 1 }
            best.insert(r, at: i)
            if best.count > nBelow { best.removeLast() }
            if best.count == nBelow { worst = scores[best[nBelow - 1]] }
        }
        for r in best { rowKinds[r] = RowKind.best }
        return Ranked(count: rows, numbers: rowNumbers, kinds: rowKinds, runningValues: runningRows, below: nBelow)
    }

    /// Every trial of `history` (in number order) that has all of `parameters` — finished ones
    /// with a score, running ones under the constant liar — split by ``Configuration/gamma``,
    /// in buffers of `storage`. Nil when no finished trial has them.
    /// - Complexity: O(n · |parameters|) sequential array reads and writes: the values come
    ///   from the memo's columns, the sorted orders from its sorted columns.
    func split(_ history: StudyHistory, _ parameters: [(name: String, distribution: Distribution)], _ memo: StudyMemo,
               _ storage: ParzenEstimator.KernelStorage) -> Split? {
        let columns = parameters.map { memo.column($0.name, $0.distribution) }
        // Running trials may have numbers past the finished ones: their slots must exist.
        let numberLimit = max((history.trials.last?.number ?? 0) + 1, memo.recordedID.count)
        for c in columns { c.grow(to: numberLimit) }
        let values = columns.map(\.value)  // finished trials' values by number, NaN where absent
        let width = parameters.count
        guard let ranked = rank(history, parameters, values: values, memo: memo, storage: storage) else { return nil }
        let rows = ranked.count, nBelow = ranked.below, rowNumbers = ranked.numbers, rowKinds = ranked.kinds, runningRows = ranked.runningValues
        let aboveCount = rows - nBelow
        var below = [Double](repeating: 0, count: nBelow * width)
        let above = storage.buffer(SplitKey.above, Double.self, count: aboveCount * width)
        // Index among the above rows by trial number: −1 for none, and −2 − index for running
        // rows (their values are not the memo's).
        let aboveIndex = storage.buffer(SplitKey.aboveIndex, Int32.self, count: numberLimit)
        aboveIndex.update(repeating: -1, count: numberLimit)
        let aboveNumbers = storage.buffer(SplitKey.aboveNumbers, Int32.self, count: aboveCount)
        // The estimator reads the numerical columns from the sorted ones with neighbour-gap
        // bandwidths; otherwise it needs every column.
        let flatColumns = parameters.indices.filter { parameters[$0].distribution.isCategorical || configuration.bandwidth != .neighbourGaps }
        var running: [(row: Int32, number: Int32)] = []
        below.withUnsafeMutableBufferPointer { b in
            var nb = 0, na = 0
            for r in 0..<rows {
                let number = Int(rowNumbers[r])
                switch rowKinds[r] {
                case RowKind.best:
                    for (c, v) in values.enumerated() { b[nb * width + c] = v[number] }
                    nb += 1
                    continue
                case RowKind.running:
                    let runningRow = running.count
                    for c in 0..<width { above[na * width + c] = runningRows[runningRow * width + c] }
                    running.append((Int32(na), Int32(number)))
                    aboveIndex[number] = -2 - Int32(na)
                default:
                    for c in flatColumns { above[na * width + c] = values[c][number] }
                    aboveIndex[number] = Int32(na)
                }
                aboveNumbers[na] = Int32(number)
                na += 1
            }
        }
        // Sorted above rows per numerical dimension: the memo's sorted finished values, masked to
        // the above rows, merged with the running rows (not in the memo).
        var sortedColumns: [ParzenEstimator.SortedColumn?] = []
        for (d, p) in parameters.enumerated() {
            guard !p.distribution.isCategorical else {
                sortedColumns.append(nil)
                continue
            }
            var runningSorted = running.map { e in
                (value: ParzenEstimator.transform(above[Int(e.row) * width + d], p.distribution), number: e.number, key: e.row)
            }
            runningSorted.sort { $0.value < $1.value || ($0.value == $1.value && $0.number < $1.number) }
            let order = storage.buffer(SplitKey.sorted + 2 * d, Int32.self, count: aboveCount)
            let sortedValues = storage.buffer(SplitKey.sorted + 2 * d + 1, Double.self, count: aboveCount)
            // Rows running in this history come from the merge, even when the memo has their
            // values (a finished trial shown at its start): their index is negative.
            let written = columns[d].merged(keys: aboveIndex, running: runningSorted, into: order, sortedValues)
            precondition(written == aboveCount, "TPE: the sorted columns disagree with the history")
            sortedColumns.append(ParzenEstimator.SortedColumn(order: order, values: sortedValues, count: aboveCount))
        }
        return Split(below: below, belowCount: nBelow, above: UnsafeBufferPointer(start: above, count: aboveCount * width), aboveCount: aboveCount,
                     aboveSorted: sortedColumns, aboveNumbers: aboveNumbers, columns: columns)
    }
}


