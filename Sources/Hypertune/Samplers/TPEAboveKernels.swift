import Foundation

/// TPE's `g` over a group of continuous parameters, kept from one proposal to the next.
///
/// A proposal's `g` has one kernel per finished trial outside the best `γ(n)` (and per running
/// trial, under the constant liar), whose width is the larger gap to its sorted neighbours. From
/// one proposal to the next one trial joins and a few widths change, so this keeps a kernel for
/// every recorded trial that has the group's parameters — mean, width, curvature and constant
/// factor, in trial-number order — and recomputes one only when its width changes. A proposal
/// then costs an ordered pass per dimension over the memo's sorted values (the widths) and a pass
/// over the kernels (the weights), instead of building every kernel anew.
///
/// The result depends on the history alone: a kernel is a function of its mean and width, and
/// kernels of trials outside this proposal's `g` get weight 0 (base −∞), which the density skips.
/// Used under the memo's lock, density evaluations included.
final class AboveKernels {
    /// Transformed bounds of each dimension, and whether it is on a log scale.
    let bounds: [(low: Double, high: Double)]
    private let isLog: [Bool]
    /// The memo's columns of the parameters.
    let columns: [StudyMemo.Column]
    /// Trial numbers of the kept kernels ("members"), ascending; a member's index is its slot.
    private var numbers: [Int32] = []
    /// Slot of each trial number; −1 for non-members.
    private var slotOfNumber: [Int32] = []
    /// How many of the memo's recorded trials have been examined.
    private var taken = 0
    /// Slots the arrays have room for: members, then this proposal's running rows and the prior.
    private var capacity = 0
    /// Dimension-major, `[c * capacity + slot]`: mean, width (NaN: not computed yet), curvature
    /// `−1/(2σ²)` and factor `1/(σ √(2π) Z)` with `Z` the truncation mass.
    private var mu: UnsafeMutablePointer<Double>, sigma: UnsafeMutablePointer<Double>
    private var curvature: UnsafeMutablePointer<Double>, factor: UnsafeMutablePointer<Double>
    /// Per slot: the product of the factors as `productScale · 2^productExponent`, with
    /// `productScale` in [1, 2); `stale` when a factor changed since.
    private var productScale: UnsafeMutablePointer<Double>, productExponent: UnsafeMutablePointer<Int>
    private var stale: UnsafeMutablePointer<Bool>
    /// Per slot, this proposal's: normalised weight, and constant factor as `scale · exp(base)`.
    private var weights: UnsafeMutablePointer<Double>, scale: UnsafeMutablePointer<Double>, base: UnsafeMutablePointer<Double>
    /// Single-precision copies (``ParzenEstimator/SinglePrecision``): means and curvatures in
    /// coordinates scaled to [0, 1], kept like the others; the constant factors per proposal.
    private var singleMu: UnsafeMutablePointer<Float>, singleCurvature: UnsafeMutablePointer<Float>
    private var singleScale: UnsafeMutablePointer<Float>, singleBase: UnsafeMutablePointer<Float>

    /// Whether a group of parameters can be kept this way: continuous distributions only.
    static func applies(to distributions: [Distribution]) -> Bool {
        !distributions.isEmpty && distributions.allSatisfy(ParzenEstimator.isContinuous)
    }

    init(columns: [StudyMemo.Column], distributions: [Distribution]) {
        precondition(Self.applies(to: distributions), "AboveKernels: continuous distributions only")
        self.columns = columns
        bounds = distributions.map { d in
            let (low, high, _) = ParzenEstimator.transformedBounds(d)
            return (low, high)
        }
        isLog = distributions.map(ParzenEstimator.isLogTransformed)
        mu = .allocate(capacity: 1)
        sigma = .allocate(capacity: 1)
        curvature = .allocate(capacity: 1)
        factor = .allocate(capacity: 1)
        productScale = .allocate(capacity: 1)
        productExponent = .allocate(capacity: 1)
        stale = .allocate(capacity: 1)
        weights = .allocate(capacity: 1)
        scale = .allocate(capacity: 1)
        base = .allocate(capacity: 1)
        singleMu = .allocate(capacity: 1)
        singleCurvature = .allocate(capacity: 1)
        singleScale = .allocate(capacity: 1)
        singleBase = .allocate(capacity: 1)
    }

    deinit {
        for p in [mu, sigma, curvature, factor, productScale, weights, scale, base] { p.deallocate() }
        productExponent.deallocate()
        stale.deallocate()
        for p in [singleMu, singleCurvature, singleScale, singleBase] { p.deallocate() }
    }

    private var dimensions: Int { bounds.count }

    /// Room for `slots` slots, keeping the members' data.
    private func reserve(_ slots: Int) {
        guard slots > capacity else { return }
        let old = capacity, members = numbers.count
        let grown = max(slots, 2 * old, 64)
        func moved<T>(_ p: UnsafeMutablePointer<T>, rows: Int) -> UnsafeMutablePointer<T> {
            let q = UnsafeMutablePointer<T>.allocate(capacity: rows * grown)
            for r in 0..<rows { (q + r * grown).moveInitialize(from: p + r * old, count: members) }
            p.deallocate()
            return q
        }
        let d = dimensions
        mu = moved(mu, rows: d)
        sigma = moved(sigma, rows: d)
        curvature = moved(curvature, rows: d)
        factor = moved(factor, rows: d)
        singleMu = moved(singleMu, rows: d)
        singleCurvature = moved(singleCurvature, rows: d)
        productScale = moved(productScale, rows: 1)
        productExponent = moved(productExponent, rows: 1)
        stale = moved(stale, rows: 1)
        for p in [weights, scale, base] { p.deallocate() }
        weights = .allocate(capacity: grown)
        scale = .allocate(capacity: grown)
        base = .allocate(capacity: grown)
        singleScale.deallocate()
        singleBase.deallocate()
        singleScale = .allocate(capacity: grown)
        singleBase = .allocate(capacity: grown)
        capacity = grown
    }

    /// Takes in the trials the memo recorded since the last call that have every parameter of
    /// the group (in number order: a trial that finished before a lower-numbered one is inserted).
    func sync(_ memo: StudyMemo) {
        let values = columns.map(\.value)
        while taken < memo.recordedCount {
            let number = memo.recordedNumber(at: taken)
            taken += 1
            guard values.allSatisfy({ !$0[number].isNaN }) else { continue }
            reserve(numbers.count + 2)
            if slotOfNumber.count <= number { slotOfNumber += [Int32](repeating: -1, count: number + 1 - slotOfNumber.count) }
            // The slot: at the end unless a later trial finished first.
            var slot = numbers.count
            while slot > 0 && numbers[slot - 1] > Int32(number) { slot -= 1 }
            let moving = numbers.count - slot
            if moving > 0 {
                for c in 0..<dimensions {
                    for p in [mu, sigma, curvature, factor] { (p + c * capacity + slot + 1).update(from: p + c * capacity + slot, count: moving) }
                    for p in [singleMu, singleCurvature] { (p + c * capacity + slot + 1).update(from: p + c * capacity + slot, count: moving) }
                }
                (productScale + slot + 1).update(from: productScale + slot, count: moving)
                (productExponent + slot + 1).update(from: productExponent + slot, count: moving)
                (stale + slot + 1).update(from: stale + slot, count: moving)
            }
            numbers.insert(Int32(number), at: slot)
            for s in slot..<numbers.count { slotOfNumber[Int(numbers[s])] = Int32(s) }
            for c in 0..<dimensions {
                let i = c * capacity + slot, x = values[c][number]
                mu[i] = isLog[c] ? Foundation.log(x) : x
                sigma[i] = .nan  // computed when the trial first joins g
                curvature[i] = 0  // finite, so that a weightless kernel's term stays −∞
                factor[i] = 1
                singleMu[i] = scaled(mu[i], c)
                singleCurvature[i] = 0
            }
            stale[slot] = true
        }
    }

    /// Runs `body` on the slot of each trial number below `limit` (−1 for trials that are not
    /// members: unfinished, or without every parameter).
    func withMembers<R>(upTo limit: Int, _ body: (UnsafePointer<Int32>) -> R) -> R {
        if slotOfNumber.count < limit { slotOfNumber += [Int32](repeating: -1, count: limit - slotOfNumber.count) }
        return slotOfNumber.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// This proposal's `g` from the ranked rows: weights from `weights(aboveCount)` in row
    /// order, widths from the sorted columns (clipped as ``ParzenEstimator`` clips them), and
    /// the prior kernel last. Also returns the best rows' values (row-major, number order).
    /// `scratch` holds a buffer indexed by trial number.
    func prepare(_ ranked: TPESampler.Ranked, configuration: TPESampler.Configuration, numberLimit: Int,
                 scratch: ParzenEstimator.KernelStorage) -> (g: ParzenEstimator.Prepared, below: [Double]) {
        let d = dimensions, members = numbers.count
        let aboveCount = ranked.count - ranked.below
        let runningCount = ranked.runningValues.count / d
        reserve(members + runningCount + 1)
        let kernels = members + runningCount + 1
        // Weights by row order among the above rows; members outside g weigh nothing.
        let rowWeights = configuration.weights(aboveCount)
        precondition(rowWeights.count >= aboveCount, "TPE: weights(n) must give n weights")
        let total = aboveCount == 0 ? 1 : rowWeights.prefix(aboveCount).reduce(configuration.priorWeight, +)
        weights.update(repeating: 0, count: kernels)
        // Slot of each above row by trial number: ≥ 0 for finished rows (the memo knows their
        // values), −2 for running ones, −1 for the rest.
        let aboveSlot = scratch.buffer(TPESampler.SplitKey.aboveSlot, Int32.self, count: numberLimit)
        aboveSlot.update(repeating: -1, count: numberLimit)
        var below: [Double] = []
        below.reserveCapacity(ranked.below * d)
        var running: [(slot: Int, number: Int32, row: Int)] = []
        var rank = 0
        for r in 0..<ranked.count {
            let number = Int(ranked.numbers[r])
            switch ranked.kinds[r] {
            case TPESampler.RowKind.best:
                for c in 0..<d { below.append(columns[c].value[number]) }
                continue
            case TPESampler.RowKind.running:
                let slot = members + running.count
                running.append((slot, Int32(number), running.count))
                aboveSlot[number] = -2
                weights[slot] = rowWeights[rank] / total
            default:
                let slot = Int(slotOfNumber[number])
                aboveSlot[number] = Int32(slot)
                weights[slot] = rowWeights[rank] / total
            }
            rank += 1
        }
        let prior = kernels - 1
        weights[prior] = aboveCount == 0 ? 1 : configuration.priorWeight / total
        // Widths, one ordered pass per dimension over the sorted finished values merged with the
        // running rows; a kernel is recomputed when its width changed.
        let orderedValues = scratch.buffer(TPESampler.SplitKey.sorted + 1, Double.self, count: aboveCount)
        let orderedSlots = scratch.buffer(TPESampler.SplitKey.sorted, Int32.self, count: aboveCount)
        for c in 0..<d {
            let (low, high) = bounds[c], range = high - low
            let minSigma = configuration.magicClip ? range / min(100, 1 + Double(aboveCount + 1)) : 1e-12
            let offset = c * capacity
            var runningSorted = running.map { e in
                let x = ranked.runningValues[e.row * d + c]
                return (value: isLog[c] ? Foundation.log(x) : x, number: e.number, key: Int32(e.slot))
            }
            runningSorted.sort { $0.value < $1.value || ($0.value == $1.value && $0.number < $1.number) }
            for e in runningSorted {
                mu[offset + Int(e.key)] = e.value
                singleMu[offset + Int(e.key)] = scaled(e.value, c)
            }
            // The above rows in sorted order: the memo's finished values merged with the running rows.
            let emitted = columns[c].merged(keys: aboveSlot, running: runningSorted, into: orderedSlots, orderedValues)
            precondition(emitted == aboveCount, "TPE: the sorted columns disagree with the history")
            // Each one's width from its neighbours (as ``ParzenEstimator/neighbourGaps``), clipped;
            // a member's kernel is recomputed only when its width changed.
            var previous = low
            for r in 0..<aboveCount {
                let current = orderedValues[r], next = r < aboveCount - 1 ? orderedValues[r + 1] : high
                let gap = ParzenEstimator.neighbourGap(previous, current, next, rank: r, count: aboveCount, considerEndpoints: configuration.considerEndpoints)
                previous = current
                let slot = Int(orderedSlots[r]), s = min(max(gap, minSigma), range), k = offset + slot
                if s != sigma[k] || slot >= members {
                    setKernel(k, mean: mu[k], sigma: s, low: low, high: high)
                    stale[slot] = true
                }
            }
            // The prior: centred, as wide as the domain.
            let i = offset + prior
            mu[i] = 0.5 * (low + high)
            singleMu[i] = 0.5
            setKernel(i, mean: mu[i], sigma: range, low: low, high: high)
        }
        for slot in members..<kernels { stale[slot] = true }
        // Products of the changed kernels' factors, then this proposal's constant factors.
        for slot in 0..<kernels where stale[slot] {
            var p = 1.0, e = 0
            for c in 0..<d {
                p *= factor[c * capacity + slot]
                guard let (significand, exponent) = ParzenEstimator.binary(p) else { break }
                (p, e) = (significand, e + exponent)
            }
            (productScale[slot], productExponent[slot]) = (p, e)
            stale[slot] = false
        }
        for slot in 0..<kernels {
            let v = weights[slot] * productScale[slot]
            guard let (significand, exponent) = ParzenEstimator.binary(v) else {
                (scale[slot], base[slot]) = (1, v > 0 ? .infinity : -.infinity)
                continue
            }
            scale[slot] = significand
            base[slot] = Double(productExponent[slot] + exponent) * ParzenEstimator.ln2
        }
        // Single precision when it pays and the widths allow it: the magic clip keeps them
        // above a hundredth of the range.
        var single: ParzenEstimator.SinglePrecision?
        if configuration.magicClip && aboveCount + 1 >= ParzenEstimator.SinglePrecision.smallestMixture {
            for slot in 0..<kernels {
                singleScale[slot] = Float(scale[slot])
                singleBase[slot] = Float(base[slot])
            }
            single = .init(mus: singleMu, curvatures: singleCurvature, base: singleBase, scale: singleScale, lows: bounds.map(\.low),
                           inverseRanges: bounds.map { 1 / ($0.high - $0.low) })
        }
        let prepared = ParzenEstimator.Prepared(kernels: kernels, leading: capacity, active: aboveCount + 1, mus: mu, sigmas: sigma, curvatures: curvature,
                                                weights: weights, scale: scale, base: base, bounds: bounds, single: single)
        return (prepared, below)
    }

    /// Sets kernel `i`'s width and what follows from it: curvature and factor.
    @inline(__always)
    private func setKernel(_ i: Int, mean: Double, sigma s: Double, low: Double, high: Double) {
        sigma[i] = s
        let inverse = 1 / s
        curvature[i] = -0.5 * inverse * inverse
        singleCurvature[i] = Float(curvature[i] * (high - low) * (high - low))
        factor[i] = inverse * Normal.inverseSqrt2Pi / ParzenEstimator.truncatedMass(mean: mean, sigma: s, low: low, high: high)
    }

    /// A transformed coordinate of dimension `c` scaled to [0, 1], in single precision.
    @inline(__always)
    private func scaled(_ y: Double, _ c: Int) -> Float {
        Float((y - bounds[c].low) / (bounds[c].high - bounds[c].low))
    }
}
