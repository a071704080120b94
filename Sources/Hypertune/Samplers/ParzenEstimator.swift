import Autograd
import CAutogradKernels
import Foundation

/// A mixture of product distributions over some parameters: one kernel per observation plus a
/// prior kernel, each a product of one-dimensional truncated normals (numerical parameters, in
/// log space for log scales, discretised over the grid for integers and steps) and categorical
/// distributions (categorical parameters). The density model of TPE (Bergstra et al. 2011).
///
/// Bandwidths (``Bandwidth``) are per dimension, clipped to `[range/min(100, n+2), range]` with
/// the magic clip. The prior kernel sits at the centre of the range with the range as its width.
///
/// Densities of continuous dimensions are evaluated kernel-parallel: each kernel's constant
/// factor (weight, `1/σ`, truncation mass) is multiplied once into `scale · exp(base)`, leaving
/// one multiply-add per kernel and dimension, and an exponential only for the terms that can
/// change the sum (`ag_dmixture_logdensity`, or `ag_dquadratic_terms` and `ag_dlogsumexp` with
/// discrete or categorical dimensions); no logarithm per kernel. Large all-continuous mixtures
/// are evaluated in single precision (``SinglePrecision``).
struct ParzenEstimator {
    typealias Bandwidth = TPESampler.Bandwidth

    /// One dimension of the mixture.
    enum Dimension {
        /// Truncated normals on `[low, high]` (transformed space), stored at position `index`
        /// of the continuous arrays.
        case continuous(index: Int, low: Double, high: Double)
        /// Truncated normals discretised over `grid`'s cells: means, standard deviations and log
        /// normalising constants per kernel.
        case discrete(mus: [Double], sigmas: [Double], logZ: [Double], low: Double, high: Double, grid: Grid)
        /// Per-kernel probabilities of each choice, as logs, choice-major:
        /// `logWeights[c * kernels + k]` for choice `c` of kernel `k`.
        case categorical(logWeights: [Double], choices: Int)
    }

    /// How a numerical parameter maps to the transformed space, and back.
    struct Grid {
        /// Grid of the external values: `low + k·step`.
        let externalLow: Double, step: Double, count: Int
        let log: Bool
    }

    let dimensions: [Dimension]
    /// Weights of the kernels (observations, then the prior), summing to 1 (in `storage`).
    let weights: UnsafeMutablePointer<Double>
    let kernels: Int
    /// The kernels' parameters and the scratch space of density evaluations.
    let storage: KernelStorage
    /// For continuous dimension `c` and kernel `k`, at `[c * leading + k]`: the mean, the
    /// standard deviation and `−1/(2σ²)` (in `storage`, or in the caller's ``Prepared`` kernels).
    let continuousMus: UnsafeMutablePointer<Double>, continuousSigmas: UnsafeMutablePointer<Double>, continuousCurvatures: UnsafeMutablePointer<Double>
    /// The distance between dimensions in the continuous arrays (at least `kernels`).
    let leading: Int

    /// Raw buffers by key, kept from one use to the next: a caller building estimators
    /// repeatedly (TPE, twice per proposal) hands the storage back for reuse. Arrays of this size
    /// allocated and freed on every proposal make the allocator return pages to the system and
    /// fault them back in, which costs more than the arithmetic. Keys below ``Key/callers`` are
    /// the estimator's; callers may use the others for their own scratch space. A buffer's
    /// contents are kept only until it is requested again with a larger count. Not for
    /// concurrent use.
    final class KernelStorage: @unchecked Sendable {
        enum Key {
            static let mus = 0, sigmas = 1, curvatures = 2, weights = 3, scale = 4, base = 5, density = 6, points = 7, near = 8, cumulative = 9
            static let singleMus = 10, singleCurvatures = 11, singleBase = 12, singleScale = 13, singlePoints = 14, singleDensity = 15
            /// The first key for callers' own buffers.
            static let callers = 16
        }

        private struct Buffer {
            let pointer: UnsafeMutableRawPointer, bytes: Int
        }
        private var buffers: [Int: Buffer] = [:]

        init() {}

        deinit {
            for b in buffers.values { b.pointer.deallocate() }
        }

        /// The buffer `key`, with room for `count` values of type `T` (a key is always used with
        /// the same type).
        func buffer<T>(_ key: Int, _: T.Type = T.self, count: Int) -> UnsafeMutablePointer<T> {
            let bytes = max(count, 1) * MemoryLayout<T>.stride
            var grown = bytes
            if let old = buffers[key] {
                if old.bytes >= bytes { return old.pointer.assumingMemoryBound(to: T.self) }
                grown = max(bytes, 2 * old.bytes)
                old.pointer.deallocate()
            }
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
            buffers[key] = Buffer(pointer: pointer, bytes: grown)
            return pointer.bindMemory(to: T.self, capacity: grown / MemoryLayout<T>.stride)
        }
    }
    /// Per kernel: its weight times, over the continuous dimensions, `1 / (σ Z √(2π))` (with
    /// `Z` the mass of the truncation interval), as `scale · exp(base)` with `scale` in [1, 2)
    /// (see ``foldExponents(_:into:)``).
    let scale: UnsafeMutablePointer<Double>, base: UnsafeMutablePointer<Double>
    /// Single-precision copies of the kernels, when every dimension is continuous and the
    /// mixture is large enough for it to pay: densities are then evaluated in single precision
    /// (`ag_smixture_logdensity`, twice the lanes per instruction).
    let single: SinglePrecision?

    /// The continuous kernels in single precision, in coordinates scaled to [0, 1] per dimension
    /// (`z = (y − low) / range`): per dimension `c` and kernel `k`, at `[c * leading + k]`, the
    /// mean and the curvature `−range²/(2σ²)`; per kernel the constant factor as `scale · exp(base)`.
    ///
    /// Rounding `z` to single precision moves a term by about `2 |u| · 6·10⁻⁸ / (σ/range)` with
    /// `u = (y − μ)/σ`; terms that count have `|u|` below about 10, so widths of at least a
    /// thousandth of the range (the magic clip keeps them above a hundredth) keep every log
    /// density within about 10⁻³ — far below the differences between TPE's candidates.
    struct SinglePrecision {
        var mus: UnsafeMutablePointer<Float>, curvatures: UnsafeMutablePointer<Float>
        var base: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>
        var lows: [Double], inverseRanges: [Double]

        /// Widths below this fraction of the range are left to double precision.
        static let smallestRelativeWidth = 1e-3
        /// Smaller mixtures are evaluated in double precision (cheap, and exact).
        static let smallestMixture = 128

        /// Converts kernels `0..<kernels` from their double-precision values.
        func fill(mus m: UnsafePointer<Double>, curvatures q: UnsafePointer<Double>, base b: UnsafePointer<Double>, scale w: UnsafePointer<Double>,
                  kernels: Int, leading: Int) {
            for c in lows.indices {
                let low = lows[c], inverse = inverseRanges[c], range = 1 / inverse, offset = c * leading
                for k in 0..<kernels {
                    mus[offset + k] = Float((m[offset + k] - low) * inverse)
                    curvatures[offset + k] = Float(q[offset + k] * range * range)
                }
            }
            for k in 0..<kernels {
                base[k] = Float(b[k])
                scale[k] = Float(w[k])
            }
        }
    }

    /// Terms of the mixture this far below the largest exponent cannot change a density at
    /// double precision (`40 + log K + log 2`, the factors being in [1, 2); see `ag_dlogsumexp`).
    let negligibleBelow: Double

    /// - Parameters:
    ///   - observations: `observations[i][d]`: internal value of parameter `d` for observation `i`.
    ///   - weights: one weight per observation (the prior gets `priorWeight`).
    init(observations: [[Double]], weights: [Double], distributions: [Distribution], priorWeight: Double,
         bandwidth: Bandwidth, magicClip: Bool, considerEndpoints: Bool) {
        self.init(flat: observations.flatMap { $0 }, count: observations.count, weights: weights, distributions: distributions,
                  priorWeight: priorWeight, bandwidth: bandwidth, magicClip: magicClip, considerEndpoints: considerEndpoints)
    }

    /// ``init(flat:count:weights:distributions:priorWeight:bandwidth:magicClip:considerEndpoints:sorted:masses:storage:)``
    /// from an array.
    init(flat: [Double], count n: Int, weights: [Double], distributions: [Distribution], priorWeight: Double,
         bandwidth: Bandwidth, magicClip: Bool, considerEndpoints: Bool, sorted: [SortedColumn?]? = nil,
         masses: [TruncationMemo?]? = nil, storage: KernelStorage? = nil) {
        self = flat.withUnsafeBufferPointer {
            ParzenEstimator(flat: $0, count: n, weights: weights, distributions: distributions, priorWeight: priorWeight, bandwidth: bandwidth,
                            magicClip: magicClip, considerEndpoints: considerEndpoints, sorted: sorted, masses: masses, storage: storage)
        }
    }

    /// - Parameters:
    ///   - flat: row-major `count × distributions.count` internal values (the columns of
    ///     dimensions given in `sorted` are not read).
    ///   - sorted: optionally, per dimension, the observations sorted ascending by (transformed
    ///     value, index), supplied by a caller that keeps values sorted: the kernels' means and
    ///     neighbour gaps are then read from it in order. Used for numerical dimensions with the
    ///     `neighbourGaps` bandwidth only.
    ///   - masses: optionally, per dimension, truncation masses remembered by the caller across
    ///     estimators (see ``TruncationMemo``); they do not change the result.
    ///   - storage: storage to reuse (else new storage); the estimator owns it until it is no
    ///     longer used.
    /// - Complexity: O(n · d) with `sorted`, else O(n log n · d).
    init(flat: UnsafeBufferPointer<Double>, count n: Int, weights: [Double], distributions: [Distribution], priorWeight: Double,
         bandwidth: Bandwidth, magicClip: Bool, considerEndpoints: Bool, sorted: [SortedColumn?]? = nil,
         masses: [TruncationMemo?]? = nil, storage: KernelStorage? = nil) {
        let width = distributions.count
        precondition(flat.count == n * width && weights.count == n, "ParzenEstimator: shape mismatch")
        precondition(sorted.map { $0.count == width } ?? true, "ParzenEstimator: one sorted column (or nil) per dimension")
        let kernels = n + 1
        self.kernels = kernels
        leading = kernels
        let storage = storage ?? KernelStorage()
        self.storage = storage
        typealias Key = KernelStorage.Key
        let continuousCount = distributions.reduce(0) { $0 + (Self.isContinuous($1) ? 1 : 0) }
        continuousMus = storage.buffer(Key.mus, count: continuousCount * kernels)
        continuousSigmas = storage.buffer(Key.sigmas, count: continuousCount * kernels)
        continuousCurvatures = storage.buffer(Key.curvatures, count: continuousCount * kernels)
        let normalized = storage.buffer(Key.weights, Double.self, count: kernels)
        let total = n == 0 ? 1 : weights.reduce(priorWeight, +)
        for i in 0..<n { normalized[i] = weights[i] / total }
        normalized[n] = n == 0 ? 1 : priorWeight / total
        self.weights = normalized
        // Each kernel's constant factor as `scale · exp(base)`, starting from its weight.
        let scale = storage.buffer(Key.scale, Double.self, count: kernels), base = storage.buffer(Key.base, Double.self, count: kernels)
        scale.update(from: normalized, count: kernels)
        base.update(repeating: 0, count: kernels)
        self.scale = scale
        self.base = base
        var dims: [Dimension] = []
        var nextContinuous = 0
        let (continuousMus, continuousSigmas, continuousCurvatures) = (self.continuousMus, self.continuousSigmas, self.continuousCurvatures)
        for (d, distribution) in distributions.enumerated() {
            if case let .categorical(choices) = distribution {
                let c = choices.count
                var table = [Double](repeating: priorWeight / Double(n + 1), count: kernels * c)
                for i in 0..<n { table[Int(flat[i * width + d]) * kernels + i] += 1 }
                for k in 0..<kernels {
                    var rowSum = 0.0
                    for j in 0..<c { rowSum += table[j * kernels + k] }
                    for j in 0..<c { table[j * kernels + k] = Foundation.log(table[j * kernels + k] / rowSum) }
                }
                dims.append(.categorical(logWeights: table, choices: c))
                continue
            }
            let (low, high, grid) = Self.transformedBounds(distribution)
            let range = high - low
            let isLog = Self.isLogTransformed(distribution)
            // Continuous kernels are written straight into the storage; discrete ones into
            // buffers of their own.
            let c = nextContinuous
            let temporary: UnsafeMutablePointer<Double>? = grid == nil ? nil : .allocate(capacity: 2 * kernels)
            defer { temporary?.deallocate() }
            let m = temporary ?? continuousMus + c * kernels, sg = temporary.map { $0 + kernels } ?? continuousSigmas + c * kernels
            m[n] = 0.5 * (low + high)
            if bandwidth == .neighbourGaps, let column = sorted?[d] {
                // Means and gaps in one ordered pass over the caller's sorted values.
                precondition(column.count == n, "ParzenEstimator: a sorted column must list every observation")
                column.scatter(means: m, gaps: sg, low: low, high: high, considerEndpoints: considerEndpoints)
            } else {
                if isLog {
                    for i in 0..<n { m[i] = Foundation.log(flat[i * width + d]) }
                } else {
                    for i in 0..<n { m[i] = flat[i * width + d] }
                }
                switch bandwidth {
                case .scott:
                    let sigma = 0.2 * pow(Double(max(n, 1)), -1.0 / Double(width + 4)) * range
                    sg.update(repeating: sigma, count: n)
                case .neighbourGaps, .neighbourGapsWithPrior:
                    // With the prior, its centre (the last kernel) counts among the points.
                    let count = bandwidth == .neighbourGaps ? n : kernels
                    Self.sortedOrder(m, count: count).withUnsafeBufferPointer {
                        Self.neighbourGaps(m, order: $0, low: low, high: high, considerEndpoints: considerEndpoints, into: sg)
                    }
                }
            }
            sg[n] = range
            let minSigma = magicClip ? range / min(100, 1 + Double(n + 1)) : 1e-12
            for k in 0..<n { sg[k] = Swift.min(Swift.max(sg[k], minSigma), range) }
            if let grid {
                let mus = Array(UnsafeBufferPointer(start: m, count: kernels)), sigmas = Array(UnsafeBufferPointer(start: sg, count: kernels))
                let logZ = (0..<kernels).map { Foundation.log(Self.truncatedMass(mean: mus[$0], sigma: sigmas[$0], low: low, high: high)) }
                dims.append(.discrete(mus: mus, sigmas: sigmas, logZ: logZ, low: low, high: high, grid: grid))
                continue
            }
            nextContinuous += 1
            dims.append(.continuous(index: c, low: low, high: high))
            let cv = continuousCurvatures + c * kernels
            // Branch-free over all kernels (so it vectorises): curvature and 1/(σ√(2π)), and the
            // kernels within 9σ of an end listed (their truncation mass differs from 1).
            let near = storage.buffer(Key.near, Int32.self, count: kernels)
            var nearCount = 0
            for k in 0..<kernels {
                let sigma = sg[k], mean = m[k], inverse = 1 / sigma
                cv[k] = -0.5 * inverse * inverse
                scale[k] *= inverse * Normal.inverseSqrt2Pi
                near[nearCount] = Int32(k)
                nearCount &+= (mean - low < 9 * sigma) || (high - mean < 9 * sigma) ? 1 : 0
            }
            let memo = masses?[d]
            for i in 0..<nearCount {
                let k = Int(near[i]), sigma = sg[k], mean = m[k]
                let mass = if let memo, k < n {
                    memo.mass(kernel: k, mean: mean, sigma: sigma, low: low, high: high)
                } else {
                    Normal.mass((low - mean) / sigma, (high - mean) / sigma)
                }
                scale[k] /= mass
            }
            // Products over many dimensions could leave the range of doubles.
            let (smallest, largest) = Self.extremes(scale, count: kernels)
            if !(smallest > 1e-100 && largest < 1e100) { Self.foldExponents(scale, into: base, count: kernels) }
        }
        Self.foldExponents(scale, into: base, count: kernels)
        dimensions = dims
        var single: SinglePrecision?
        if continuousCount == width && width > 0 && kernels >= SinglePrecision.smallestMixture {
            let bounds = dims.map { dim -> (low: Double, high: Double) in
                guard case let .continuous(_, low, high) = dim else { preconditionFailure("internal: continuous dimensions only") }
                return (low, high)
            }
            let narrowest = bounds.indices.map { Self.extremes(continuousSigmas + $0 * kernels, count: kernels).0 / (bounds[$0].high - bounds[$0].low) }
            if narrowest.allSatisfy({ $0 >= SinglePrecision.smallestRelativeWidth }) {
                single = SinglePrecision(
                    mus: storage.buffer(Key.singleMus, count: width * kernels), curvatures: storage.buffer(Key.singleCurvatures, count: width * kernels),
                    base: storage.buffer(Key.singleBase, count: kernels), scale: storage.buffer(Key.singleScale, count: kernels),
                    lows: bounds.map(\.low), inverseRanges: bounds.map { 1 / ($0.high - $0.low) })
                single!.fill(mus: continuousMus, curvatures: continuousCurvatures, base: base, scale: scale, kernels: kernels, leading: kernels)
            }
        }
        self.single = single
        // Factors within [1, 2): see `ag_dlogsumexp`.
        negligibleBelow = 40 + Foundation.log(Double(kernels)) + Self.ln2
    }

    /// Continuous kernels computed by the caller (TPE keeps `g`'s from one proposal to the next):
    /// per dimension `c` and kernel `k`, at `[c * leading + k]`, the mean, width and curvature;
    /// per kernel the normalised weight and the constant factor as `scale · exp(base)` with
    /// `scale` in [1, 2) (a kernel of weight 0 has base −∞). `active` kernels have a weight.
    struct Prepared {
        var kernels: Int, leading: Int, active: Int
        var mus: UnsafeMutablePointer<Double>, sigmas: UnsafeMutablePointer<Double>, curvatures: UnsafeMutablePointer<Double>
        var weights: UnsafeMutablePointer<Double>, scale: UnsafeMutablePointer<Double>, base: UnsafeMutablePointer<Double>
        /// Transformed bounds of each dimension.
        var bounds: [(low: Double, high: Double)]
        /// Single-precision copies (with the same leading dimension), if the caller keeps them.
        var single: SinglePrecision?
    }

    /// An estimator over continuous dimensions from kernels the caller computed; `storage`
    /// provides the scratch space of its densities. The kernels must not change while it is used.
    init(prepared p: Prepared, storage: KernelStorage) {
        kernels = p.kernels
        leading = p.leading
        self.storage = storage
        continuousMus = p.mus
        continuousSigmas = p.sigmas
        continuousCurvatures = p.curvatures
        weights = p.weights
        scale = p.scale
        base = p.base
        dimensions = p.bounds.enumerated().map { .continuous(index: $0, low: $1.low, high: $1.high) }
        single = p.single
        // Only the kernels with a weight count: the others are −∞ terms.
        negligibleBelow = 40 + Foundation.log(Double(max(p.active, 1))) + Self.ln2
    }

    static let ln2 = 0.693_147_180_559_945_309_42

    /// Writes each kernel's constant factor as `significand · 2^exponent` and moves the binary
    /// exponent into the exponent of its term (`base`, as `exponent · ln 2`), leaving factors in
    /// [1, 2). The largest term of the mixture's sum is then within a factor 2 of the largest
    /// *weighted* one, so most terms fall below `negligibleBelow` and skip their exponential;
    /// no logarithm is taken, and products over many dimensions cannot overflow.
    static func foldExponents(_ factors: UnsafeMutablePointer<Double>, into base: UnsafeMutablePointer<Double>, count: Int) {
        let (smallest, largest) = extremes(factors, count: count)
        if smallest >= .leastNormalMagnitude && largest <= .greatestFiniteMagnitude {
            // All normal: bit arithmetic, branch-free (so it vectorises).
            for k in 0..<count {
                let (significand, exponent) = normalBinary(factors[k])
                base[k] += Double(exponent) * ln2
                factors[k] = significand
            }
            return
        }
        for k in 0..<count {
            guard let (significand, exponent) = binary(factors[k]) else {
                // Zero mass or weight: the kernel contributes nothing (an infinite factor cannot
                // arise from finite widths and masses, but is kept as such).
                base[k] = factors[k] > 0 ? .infinity : -.infinity
                factors[k] = 1
                continue
            }
            base[k] += Double(exponent) * ln2
            factors[k] = significand
        }
    }

    /// `x = significand · 2^exponent` with the significand in [1, 2), for a normal positive `x`,
    /// by bit arithmetic (no branch, so loops over it vectorise).
    @inline(__always)
    static func normalBinary(_ x: Double) -> (significand: Double, exponent: Int) {
        let bits = x.bitPattern, exponentMask: UInt64 = 0x7ff0_0000_0000_0000
        return (Double(bitPattern: (bits & ~exponentMask) | 0x3ff0_0000_0000_0000), Int((bits & exponentMask) >> 52) - 1023)
    }

    /// `x = significand · 2^exponent` with the significand in [1, 2), for any positive finite `x`
    /// (subnormal ones included); nil for zero, negative, infinite or NaN values.
    @inline(__always)
    static func binary(_ x: Double) -> (significand: Double, exponent: Int)? {
        guard x > 0 && x.isFinite else { return nil }
        return x.isNormal ? normalBinary(x) : (x.significand, Int(x.exponent))
    }

    /// The smallest and largest of `count` values (NaN: not counted).
    static func extremes(_ values: UnsafePointer<Double>, count: Int) -> (Double, Double) {
        var smallest = Double.infinity, largest = -Double.infinity
        for k in 0..<count {
            smallest = min(smallest, values[k])
            largest = max(largest, values[k])
        }
        return (smallest, largest)
    }

    static func isContinuous(_ d: Distribution) -> Bool {
        switch d {
        case .float(_, _, _, nil): return true
        default: return false
        }
    }

    /// Truncation masses remembered across estimators: the mass of a kernel depends only on its
    /// mean and width, and from one proposal to the next most kernels keep both (a trial's
    /// value never changes; its width changes only when a neighbour arrives). Slots are the
    /// caller's keys (trial numbers); a slot is reused only when the width is the same.
    struct TruncationMemo {
        /// The slot of each observation kernel.
        let slots: UnsafePointer<Int32>
        /// By slot: the width the mass was computed for (NaN: none yet), and the mass.
        let sigmas: UnsafeMutablePointer<Double>, masses: UnsafeMutablePointer<Double>

        @inline(__always)
        func mass(kernel k: Int, mean: Double, sigma: Double, low: Double, high: Double) -> Double {
            let slot = Int(slots[k])
            if sigmas[slot] == sigma { return masses[slot] }
            let mass = Normal.mass((low - mean) / sigma, (high - mean) / sigma)
            sigmas[slot] = sigma
            masses[slot] = mass
            return mass
        }
    }

    /// The mass a normal puts on `[low, high]`; 1 when both ends are over 9σ away (the mass
    /// is 1 to double precision).
    @inline(__always)
    static func truncatedMass(mean: Double, sigma: Double, low: Double, high: Double) -> Double {
        // Compared without dividing: most kernels are far from both ends.
        let reach = 9 * sigma
        guard mean - low < reach || high - mean < reach else { return 1 }
        return Normal.mass((low - mean) / sigma, (high - mean) / sigma)
    }

    /// Bounds in the transformed space (log for log scales; widened by half a step on grids).
    static func transformedBounds(_ d: Distribution) -> (Double, Double, Grid?) {
        switch d {
        case let .float(low, high, log, step):
            if let step {
                return (low - step / 2, high + step / 2, Grid(externalLow: low, step: step, count: Int(((high - low) / step).rounded()) + 1, log: false))
            }
            return log ? (Foundation.log(low), Foundation.log(high), nil) : (low, high, nil)
        case let .int(low, high, log, step):
            let grid = Grid(externalLow: Double(low), step: Double(step), count: (high - low) / step + 1, log: log)
            if log { return (Foundation.log(Double(low) - 0.5), Foundation.log(Double(high) + 0.5), grid) }
            return (Double(low) - Double(step) / 2, Double(high) + Double(step) / 2, grid)
        case .categorical:
            preconditionFailure("internal: categorical has no numerical bounds")
        }
    }

    /// Whether values are modelled in log space: log scales, except stepped floats.
    static func isLogTransformed(_ d: Distribution) -> Bool {
        switch d {
        case .float(_, _, true, nil), .int(_, _, true, _): return true
        default: return false
        }
    }

    static func transform(_ x: Double, _ d: Distribution) -> Double {
        isLogTransformed(d) ? Foundation.log(x) : x
    }

    static func untransform(_ y: Double, _ d: Distribution) -> Double {
        isLogTransformed(d) ? Foundation.exp(y) : y
    }

    /// Each point's bandwidth: the larger gap to its sorted neighbours, the bounds as end points.
    /// Without `considerEndpoints` the extreme points use their inner gap only. Ties sort by index.
    /// - Complexity: O(n log n).
    static func neighbourBandwidths(_ points: [Double], low: Double, high: Double, considerEndpoints: Bool) -> [Double] {
        guard !points.isEmpty else { return [] }
        return neighbourBandwidths(points, order: points.withUnsafeBufferPointer { sortedOrder($0.baseAddress!, count: points.count) }, low: low, high: high,
                                   considerEndpoints: considerEndpoints)
    }

    /// ``neighbourBandwidths(_:low:high:considerEndpoints:)`` given the points' sorted order.
    /// - Complexity: O(n).
    static func neighbourBandwidths(_ points: [Double], order: [Int], low: Double, high: Double, considerEndpoints: Bool) -> [Double] {
        precondition(order.count == points.count, "neighbourBandwidths: the order must list every point")
        guard !points.isEmpty else { return [] }
        var sigmas = [Double](repeating: 0, count: points.count)
        points.withUnsafeBufferPointer { x in
            order.withUnsafeBufferPointer { o in
                sigmas.withUnsafeMutableBufferPointer { neighbourGaps(x.baseAddress!, order: o, low: low, high: high, considerEndpoints: considerEndpoints, into: $0.baseAddress!) }
            }
        }
        return sigmas
    }

    /// Observations of one dimension in sorted order: `values[r]` is the transformed value of
    /// observation `order[r]`, ascending by (value, index).
    struct SortedColumn {
        let order: UnsafePointer<Int32>, values: UnsafePointer<Double>, count: Int

        /// Writes each observation's mean and neighbour gap (as ``neighbourGaps(_:order:low:high:considerEndpoints:into:)``)
        /// at its index, reading the values in order.
        func scatter(means m: UnsafeMutablePointer<Double>, gaps s: UnsafeMutablePointer<Double>, low: Double, high: Double, considerEndpoints: Bool) {
            let n = count, o = order, x = values
            guard n > 0 else { return }
            var previous = low
            for rank in 0..<n {
                let current = x[rank], next = rank < n - 1 ? x[rank + 1] : high
                m[Int(o[rank])] = current
                s[Int(o[rank])] = ParzenEstimator.neighbourGap(previous, current, next, rank: rank, count: n, considerEndpoints: considerEndpoints)
                previous = current
            }
        }
    }

    /// The indices of `points[0..<count]` ascending by (value, index): by insertion for the few
    /// points of TPE's `l`, else by the standard sort.
    static func sortedOrder(_ points: UnsafePointer<Double>, count: Int) -> [Int] {
        guard count <= 64 else { return (0..<count).sorted { points[$0] < points[$1] || (points[$0] == points[$1] && $0 < $1) } }
        var order = [Int](repeating: 0, count: count)
        for i in 0..<count {
            // Ties keep index order: an element moves only past strictly larger values.
            var j = i
            while j > 0 && points[order[j - 1]] > points[i] {
                order[j] = order[j - 1]
                j -= 1
            }
            order[j] = i
        }
        return order
    }

    /// Writes the neighbour-gap bandwidth of each point listed in `order` to `sigmas`.
    static func neighbourGaps(_ x: UnsafePointer<Double>, order o: UnsafeBufferPointer<Int>, low: Double, high: Double, considerEndpoints: Bool,
                              into s: UnsafeMutablePointer<Double>) {
        let n = o.count
        guard n > 0 else { return }
        var previous = low, current = x[o[0]]
        for rank in 0..<n {
            let next = rank < n - 1 ? x[o[rank + 1]] : high
            s[o[rank]] = neighbourGap(previous, current, next, rank: rank, count: n, considerEndpoints: considerEndpoints)
            previous = current
            current = next
        }
    }

    /// The bandwidth of the point `current` at `rank` of `count` sorted points, between
    /// `previous` and `next` (the bounds at the ends): the larger gap to its neighbours; without
    /// `considerEndpoints` the extreme points use their inner gap only.
    @inline(__always)
    static func neighbourGap(_ previous: Double, _ current: Double, _ next: Double, rank: Int, count: Int, considerEndpoints: Bool) -> Double {
        if !considerEndpoints && count >= 2 {
            if rank == 0 { return next - current }
            if rank == count - 1 { return current - previous }
        }
        return max(current - previous, next - current)
    }

    /// `count` samples (internal representation) from the mixture: a kernel by weight (binary
    /// search of the cumulative weights), then each dimension from that kernel. Normal
    /// deviates come in pairs from Marsaglia's polar method (no trigonometric function).
    func sample(_ count: Int, distributions: [Distribution], generator g: inout SeededGenerator) -> [[Double]] {
        let flat = sampleFlat(count, distributions: distributions, generator: &g), width = distributions.count
        return (0..<count).map { Array(flat[($0 * width)..<($0 * width + width)]) }
    }

    /// ``sample(_:distributions:generator:)`` as row-major `count × dimensions` values.
    func sampleFlat(_ count: Int, distributions: [Distribution], generator g: inout SeededGenerator) -> [Double] {
        let width = dimensions.count
        let cumulative = storage.buffer(KernelStorage.Key.cumulative, Double.self, count: kernels)
        var running = 0.0
        for k in 0..<kernels {
            running += weights[k]
            cumulative[k] = running
        }
        // What each dimension draws, read once (the enum's payloads are not copied per draw).
        let draws = dimensions.enumerated().map { d, dim in Draw(dim, distributions[d]) }
        var normals = NormalPairs()
        return [Double](unsafeUninitializedCapacity: count * width) { out, initialized in
            for i in 0..<count {
                let u: Double = g.nextUnit() * running
                // The first kernel whose cumulative weight exceeds u.
                var lo = 0, hi = kernels - 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
                }
                let k = lo
                for d in 0..<width {
                    let draw = draws[d]
                    if draw.continuous >= 0 {
                        let c = draw.continuous * leading + k
                        let y = Normal.truncatedSample(mean: continuousMus[c], sigma: continuousSigmas[c], low: draw.low, high: draw.high, normals: &normals, &g)
                        out[i * width + d] = min(max(draw.isLog ? Foundation.exp(y) : y, draw.externalLow), draw.externalHigh)
                        continue
                    }
                    switch dimensions[d] {
                    case let .categorical(logWeights, c):
                        var v: Double = g.nextUnit()
                        out[i * width + d] = Double(c - 1)
                        for j in 0..<c {
                            v -= Foundation.exp(logWeights[j * kernels + k])
                            if v < 0 {
                                out[i * width + d] = Double(j)
                                break
                            }
                        }
                    case let .discrete(mus, sigmas, _, low, high, grid):
                        let y = Normal.truncatedSample(mean: mus[k], sigma: sigmas[k], low: low, high: high, normals: &normals, &g)
                        out[i * width + d] = Self.toInternal(y, grid: grid, distribution: distributions[d])
                    case .continuous:
                        preconditionFailure("internal: continuous dimensions are drawn above")
                    }
                }
            }
            initialized = count * width
        }
    }

    /// How ``sampleFlat(_:distributions:generator:)`` draws one dimension: continuous ones
    /// inline (`continuous` is their index, else −1), the others through ``Dimension``.
    private struct Draw {
        var continuous = -1, low = 0.0, high = 0.0, isLog = false, externalLow = 0.0, externalHigh = 0.0

        init(_ dimension: Dimension, _ distribution: Distribution) {
            guard case let .continuous(c, low, high) = dimension, case let .float(externalLow, externalHigh, _, _) = distribution else { return }
            (continuous, self.low, self.high, isLog) = (c, low, high, ParzenEstimator.isLogTransformed(distribution))
            (self.externalLow, self.externalHigh) = (externalLow, externalHigh)
        }
    }

    /// A transformed-space value back to the internal representation (snapped onto grids).
    static func toInternal(_ y: Double, grid: Grid?, distribution: Distribution) -> Double {
        let x = untransform(y, distribution)
        guard let grid else {
            if case let .float(low, high, _, _) = distribution { return min(max(x, low), high) }
            return x
        }
        let k = min(grid.count - 1, max(0, Int(((x - grid.externalLow) / grid.step).rounded())))
        return grid.externalLow + Double(k) * grid.step
    }

    /// `log p(x)` of each point (internal representation).
    /// - Complexity: O(points · kernels · dimensions): per point and kernel one multiply-add per
    ///   continuous dimension (8 kernels per instruction), a truncated-normal mass per discrete
    ///   one, a table read per categorical one, and one exponential.
    func logDensity(_ points: [[Double]], distributions: [Distribution]) -> [Double] {
        logDensity(flat: points.flatMap { $0 }, count: points.count, distributions: distributions)
    }

    /// ``logDensity(_:distributions:)`` of row-major `count × dimensions` points.
    func logDensity(flat points: [Double], count pointCount: Int, distributions: [Distribution]) -> [Double] {
        let K = kernels, block = 8, width = dimensions.count
        precondition(points.count == pointCount * width, "ParzenEstimator: shape mismatch")
        let continuousCount = dimensions.reduce(0) { if case .continuous = $1 { return $0 + 1 } else { return $0 } }
        if let single {
            // Single precision, coordinates scaled to [0, 1].
            let ys = storage.buffer(KernelStorage.Key.singlePoints, Float.self, count: pointCount * width)
            for d in 0..<width {
                let low = single.lows[d], inverse = single.inverseRanges[d], isLog = Self.isLogTransformed(distributions[d])
                for p in 0..<pointCount {
                    let x = points[p * width + d]
                    ys[p * width + d] = Float(((isLog ? Foundation.log(x) : x) - low) * inverse)
                }
            }
            let scratch = storage.buffer(KernelStorage.Key.singleDensity, Float.self, count: 8 * K)
            // Terms this far below the largest cannot change a single-precision sum.
            let cutoff = Float(negligibleBelow - 20)
            return [Double](unsafeUninitializedCapacity: pointCount) { out, count in
                ag_smixture_logdensity(K, width, single.base, single.mus, single.curvatures, leading, single.scale, cutoff, pointCount, ys, scratch,
                                       out.baseAddress)
                count = pointCount
            }
        }
        if continuousCount == width {
            // Only continuous dimensions: the fused kernel, all points at once.
            let ys = storage.buffer(KernelStorage.Key.points, Double.self, count: pointCount * width)
            for d in 0..<width {
                if Self.isLogTransformed(distributions[d]) {
                    for p in 0..<pointCount { ys[p * width + d] = Foundation.log(points[p * width + d]) }
                } else {
                    for p in 0..<pointCount { ys[p * width + d] = points[p * width + d] }
                }
            }
            let scratch = storage.buffer(KernelStorage.Key.density, Double.self, count: 4 * K)
            return [Double](unsafeUninitializedCapacity: pointCount) { out, count in
                ag_dmixture_logdensity(K, width, base, continuousMus, continuousCurvatures, leading, scale, negligibleBelow, pointCount, ys, scratch,
                                       out.baseAddress)
                count = pointCount
            }
        }
        var result: [Double] = []
        result.reserveCapacity(pointCount)
        let terms = storage.buffer(KernelStorage.Key.density, Double.self, count: block * K)
        var ys = [Double](repeating: 0, count: block * continuousCount)
        var start = 0
        while start < pointCount {
            let count = min(block, pointCount - start)
            for p in 0..<count {
                var c = 0
                for (d, dim) in dimensions.enumerated() {
                    guard case .continuous = dim else { continue }
                    ys[p * continuousCount + c] = Self.transform(points[(start + p) * width + d], distributions[d])
                    c += 1
                }
            }
            ag_dquadratic_terms_batch(K, continuousCount, base, continuousMus, continuousCurvatures, leading, count, ys, terms, K)
            for p in 0..<count {
                let x = (start + p) * width, offset = p * K
                for (d, dim) in dimensions.enumerated() {
                    switch dim {
                    case .continuous:
                        continue
                    case let .categorical(logWeights, _):
                        let choice = Int(points[x + d]) * K
                        for k in 0..<K { terms[offset + k] += logWeights[choice + k] }
                    case let .discrete(mus, sigmas, logZ, _, _, grid):
                        // The probability of the grid cell around the value, in transformed space.
                        let half = grid.step / 2
                        let a = Self.transform(points[x + d] - half, distributions[d]), b = Self.transform(points[x + d] + half, distributions[d])
                        for k in 0..<K {
                            terms[offset + k] += Normal.logMass((a - mus[k]) / sigmas[k], (b - mus[k]) / sigmas[k]) - logZ[k]
                        }
                    }
                }
                result.append(ag_dlogsumexp(K, terms + offset, scale, negligibleBelow))
            }
            start += count
        }
        return result
    }
}

/// The standard normal distribution: log masses of intervals computed without cancellation,
/// and sampling truncated to an interval.
enum Normal {
    static let logSqrt2Pi = 0.5 * Foundation.log(2 * Double.pi)

    /// `1/√(2π)`, written out: a computed `static let` would cost a lazy-initialisation check on
    /// every use in the kernel loops.
    static let inverseSqrt2Pi = 0.398_942_280_401_432_677_94

    /// `Φ(b) − Φ(a)` for `a ≤ b`, without cancellation in either tail.
    static func mass(_ a: Double, _ b: Double) -> Double {
        if a >= b { return 0 }
        @inline(__always) func upperTail(_ z: Double) -> Double { z >= 9 ? 0 : 0.5 * erfc(z / 2.0.squareRoot()) }
        if a > 0 { return upperTail(a) - upperTail(b) }
        if b < 0 { return upperTail(-b) - upperTail(-a) }
        return 1 - upperTail(-a) - upperTail(b)
    }

    /// The standard normal distribution function Φ.
    static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// `log(Φ(b) − Φ(a))` for `a ≤ b`, accurate in both tails.
    static func logMass(_ a: Double, _ b: Double) -> Double {
        if a >= b { return -.infinity }
        let mass = Self.mass(a, b)
        if mass > 1e-300 { return Foundation.log(mass) }
        // Far in a tail: the density at the nearer end times the width, to first order.
        let near = a > 0 ? a : -b
        return -0.5 * near * near - logSqrt2Pi + Foundation.log(min(b - a, 1 / max(near, 1e-300)))
    }

    /// A normal sample conditioned on `[low, high]`: by rejection while it accepts often, else
    /// uniform on the interval.
    static func truncatedSample(mean: Double, sigma: Double, low: Double, high: Double, normals: inout NormalPairs, _ g: inout SeededGenerator) -> Double {
        for _ in 0..<64 {
            let y = mean + sigma * normals.next(&g)
            if y >= low && y <= high { return y }
        }
        // Rare: the interval holds little mass. Uniform on it is a safe fallback here, since the
        // kernel barely overlaps the domain.
        let u: Double = g.nextUnit()
        return low + u * (high - low)
    }
}

/// Standard normal deviates two at a time by Marsaglia's polar method: a point uniform in the
/// unit disc (by rejection, accepted with probability π/4) gives two independent deviates for one
/// logarithm and one square root.
struct NormalPairs {
    private var spare: Double?

    mutating func next(_ g: inout SeededGenerator) -> Double {
        if let spare {
            self.spare = nil
            return spare
        }
        while true {
            let u = 2 * (g.nextUnit() as Double) - 1, v = 2 * (g.nextUnit() as Double) - 1
            let s = u * u + v * v
            guard s < 1 && s > 0 else { continue }
            let factor = (-2 * Foundation.log(s) / s).squareRoot()
            spare = v * factor
            return u * factor
        }
    }
}
