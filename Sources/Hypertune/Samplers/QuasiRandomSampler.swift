import Autograd
import RealModule

/// Quasi-random sampling: low-discrepancy points of the unit cube mapped onto the search space,
/// so that a fixed budget of trials covers the space more evenly than independent uniform draws
/// (Bergstra & Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 2012, §5).
///
/// - ``Kind/sobol``: the scrambled Sobol sequence (``SobolSequence``: Joe–Kuo direction numbers,
///   linear matrix scrambling plus a digital shift, as SciPy's `qmc.Sobol(scramble=True)`). Point
///   `k` goes to the trial numbered `k`, so workers never duplicate a point and the sequence is
///   reproducible from the seed whatever the order of the trials. Balance is best at powers of 2:
///   the first `2^m` points of each coordinate fall one in each interval `[i/2^m, (i+1)/2^m)`.
///   Up to ``SobolSequence/maximumDimensions`` (1024) parameters are sampled jointly; further ones
///   are left to independent sampling.
/// - ``Kind/latinHypercube(trials:)``: Latin hypercube sampling (McKay, Beckman & Conover,
///   Technometrics 1979) for a known number of trials `n`: coordinate `d` of trial `k` lies in
///   stratum `π_d[k mod n]` of `[0, 1)` cut in `n` equal strata, `π_d` a seeded permutation of
///   `0..<n`, at a uniform position inside it (seeded per trial). Every block of `n` consecutive
///   trial numbers uses each stratum of each coordinate exactly once; block `c = ⌊k/n⌋` has its own
///   permutations, so trials past `n` start a new hypercube instead of repeating the first one.
///
/// The unit-cube coordinates are mapped by ``Distribution/fromUnit(_:)``: linearly for floats, in
/// log space for log scales, onto the grid for stepped floats and integers (each grid value gets
/// an equal share), choice `⌊u · k⌋` for categoricals.
///
/// The dimensions are `space` when given (in that order), sampled jointly for every trial,
/// including the first. Without it they are inferred from the history: the parameters that every
/// COMPLETE trial has, with the same distribution (single-valued ones left out), sorted by name —
/// so the first trials, before any is complete, are sampled independently, and their points of the
/// sequence go unused (give `space` to keep the power-of-2 balance from the first trial).
/// Parameters outside the space are sampled independently and uniformly (``SamplerRandom``).
///
/// The sampler keeps no state: a proposal is a function of (seed, trial number, space).
///
/// - Complexity: per trial, O(D · 52) for Sobol and O(D · n) for a Latin hypercube of n trials
///   (the permutations are rebuilt), D dimensions; inferring the space is O(N · P) for N trials
///   of P parameters.
public struct QuasiRandomSampler: Sampler {
    /// The point set.
    public enum Kind: Sendable, Hashable {
        /// The scrambled Sobol sequence.
        case sobol
        /// Latin hypercube sampling for `trials` trials (at least 1).
        case latinHypercube(trials: Int)
    }

    public let kind: Kind
    public let seed: UInt64
    /// The dimensions, in order; nil to infer them from the complete trials.
    public let space: [(name: String, distribution: Distribution)]?

    public init(kind: Kind = .sobol, seed: UInt64 = 0, space: [(name: String, distribution: Distribution)]? = nil) {
        if case let .latinHypercube(trials) = kind {
            precondition(trials >= 1, "QuasiRandomSampler: a Latin hypercube needs at least 1 trial, got \(trials)")
        }
        if let space {
            precondition(Set(space.map(\.name)).count == space.count, "QuasiRandomSampler: repeated parameter names in the space \(space.map(\.name))")
            for (name, distribution) in space {
                do {
                    try distribution.validate(name: name)
                } catch {
                    preconditionFailure("QuasiRandomSampler: \(error)")
                }
            }
        }
        self.kind = kind
        self.seed = seed
        self.space = space
    }

    public func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)] {
        if let space { return space }
        let completed = history.completed
        guard var common = completed.first?.distributions else { return [] }
        for other in completed.dropFirst() {
            common = common.filter { other.distributions[$0.key] == $0.value }
        }
        return common.filter { !$0.value.isSingle }.sorted { $0.key < $1.key }.map { (name: $0.key, distribution: $0.value) }
    }

    public func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        guard !space.isEmpty else { return [:] }
        let unit = point(trial: trial.number, dimensions: space.count)
        var values: [String: Double] = [:]
        for (u, parameter) in zip(unit, space) {
            values[parameter.name] = parameter.distribution.fromUnit(u)
        }
        return values
    }

    public func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        var g = SamplerRandom.generator(seed: seed, trial: trial.number, purpose: name)
        return SamplerRandom.uniform(distribution, &g)
    }

    /// The unit-cube point of the trial numbered `trial` in `dimensions` dimensions (at most
    /// ``SobolSequence/maximumDimensions`` coordinates for Sobol).
    public func point(trial: Int, dimensions: Int) -> [Double] {
        precondition(trial >= 0, "QuasiRandomSampler: trial numbers start at 0, got \(trial)")
        guard dimensions > 0 else { return [] }
        switch kind {
        case .sobol:
            let d = min(dimensions, SobolSequence.maximumDimensions)
            return SobolSequence(dimensions: d, scrambleSeed: seed).point(trial)
        case let .latinHypercube(n):
            return (0..<dimensions).map { Self.latinHypercubeCoordinate(trial: trial, dimension: $0, trials: n, seed: seed) }
        }
    }

    /// Coordinate `dimension` of trial `trial` in the Latin hypercube of `n` trials.
    static func latinHypercubeCoordinate(trial: Int, dimension: Int, trials n: Int, seed: UInt64) -> Double {
        let (block, position) = trial.quotientAndRemainder(dividingBy: n)
        // Fisher–Yates with an explicit draw, so the permutation does not depend on the standard
        // library's shuffle.
        var g = SamplerRandom.generator(seed: seed, trial: block, purpose: "latin hypercube strata \(dimension)")
        var strata = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(UInt64(i + 1).multipliedFullWidth(by: g.next()).high)
            strata.swapAt(i, j)
        }
        let stratum = strata[position]
        var jitter = SamplerRandom.generator(seed: seed, trial: trial, purpose: "latin hypercube jitter \(dimension)")
        // Kept inside the stratum despite rounding.
        let v = min(Double(stratum) + jitter.nextUnit(), Double(stratum + 1).nextDown)
        return min(v / Double(n), 1.0.nextDown)
    }
}

/// The Sobol sequence (Sobol', 1967) in up to 1024 dimensions, with the direction numbers of Joe &
/// Kuo (2008, new-joe-kuo-6.21201), optionally scrambled.
///
/// Point `k` is computed directly from its Gray code `g = k ⊕ ⌊k/2⌋` (Antonov & Saleev 1979):
/// coordinate `d` is `⊕_{j : bit j of g set} v_{d,j}` with 52-bit direction numbers `v_{d,j}`,
/// divided by 2^52 — exact in a `Double`, in `[0, 1)`. Point 0 of the unscrambled sequence is the
/// origin; its first coordinate is the van der Corput sequence 0, ½, ¾, ¼, ⅜, ⅞, ⅝, ⅛, …. As for
/// SciPy's `qmc.Sobol`, the order is the Gray-code order.
///
/// Scrambling (given a seed) applies to each coordinate's 52 binary digits a random lower
/// triangular binary matrix with unit diagonal — each digit XOR-ed with a random subset of the
/// more significant ones: Matoušek's linear matrix scrambling, "On the L2-discrepancy for anchored
/// boxes", J. Complexity 1998 — then XORs a random digital shift (Owen 1998 describes the random
/// scramblings this approximates). Both are drawn per dimension from the seed. Scrambling removes
/// the origin and the sequence's alignment on dyadic points but keeps its net structure: the first
/// `2^m` points of each coordinate still lie one in each interval of width `2^−m`, and the
/// t-values of the projections are unchanged. SciPy's `qmc.Sobol(scramble=True)` does LMS plus a
/// digital shift too (its random numbers differ).
///
/// - Complexity: O(D · 52) to build, O(52) per coordinate; the direction numbers of all 1024
///   dimensions are derived once per process, O(1024 · 52).
public struct SobolSequence: Sendable, Hashable {
    /// The number of dimensions the direction-number table covers.
    public static let maximumDimensions = SobolDirectionNumbers.maximumDimension
    /// The binary digits of each coordinate.
    public static let bits = 52

    public let dimensions: Int
    /// The scrambling seed; nil for the plain sequence.
    public let scrambleSeed: UInt64?
    /// Per dimension, the rows of its scrambling matrix: the mask of input digits whose parity
    /// gives output digit `b` (bit `b`) is `rows[d · 52 + b]`. Empty when unscrambled.
    let rows: [UInt64]
    /// The digital shift of each dimension (zero when unscrambled).
    let shifts: [UInt64]

    public init(dimensions: Int, scrambleSeed: UInt64? = nil) {
        precondition((1...Self.maximumDimensions).contains(dimensions), "SobolSequence: dimensions must be in 1…\(Self.maximumDimensions), got \(dimensions)")
        self.dimensions = dimensions
        self.scrambleSeed = scrambleSeed
        guard let scrambleSeed else {
            rows = []
            shifts = Array(repeating: 0, count: dimensions)
            return
        }
        let all: UInt64 = (1 << Self.bits) - 1
        var rows: [UInt64] = []
        var shifts: [UInt64] = []
        rows.reserveCapacity(dimensions * Self.bits)
        for d in 0..<dimensions {
            // The dimension stands in for a trial number: one stream per dimension.
            var g = SamplerRandom.generator(seed: scrambleSeed, trial: d, purpose: "Sobol scrambling")
            for b in 0..<Self.bits {
                let diagonal: UInt64 = 1 << UInt64(b)
                let moreSignificant = all & ~((diagonal << 1) &- 1)
                rows.append(diagonal | (g.next() & moreSignificant))
            }
            shifts.append(g.next() & all)
        }
        self.rows = rows
        self.shifts = shifts
    }

    /// Point `index` (0-based, below 2^52).
    public func point(_ index: Int) -> [Double] {
        (0..<dimensions).map { coordinate(index, dimension: $0) }
    }

    /// Coordinate `dimension` (0-based) of point `index`.
    public func coordinate(_ index: Int, dimension: Int) -> Double {
        Double(integerCoordinate(index, dimension: dimension)) * 0x1p-52
    }

    /// Coordinate `dimension` of point `index` as an integer multiple of 2^−52.
    func integerCoordinate(_ index: Int, dimension: Int) -> UInt64 {
        precondition(index >= 0 && index < 1 << Self.bits, "SobolSequence: index must be in 0..<2^52, got \(index)")
        precondition((0..<dimensions).contains(dimension), "SobolSequence: dimension \(dimension) is not in 0..<\(dimensions)")
        let v = Self.directionNumbers
        let base = dimension * Self.bits
        var gray = UInt64(index) ^ (UInt64(index) >> 1)
        var x: UInt64 = 0
        var j = 0
        while gray != 0 {
            if gray & 1 == 1 { x ^= v[base + j] }
            gray >>= 1
            j += 1
        }
        guard !rows.isEmpty else { return x }
        var scrambled: UInt64 = 0
        for b in 0..<Self.bits where (x & rows[base + b]).nonzeroBitCount & 1 == 1 {
            scrambled |= 1 << UInt64(b)
        }
        return scrambled ^ shifts[dimension]
    }

    /// The 52 direction numbers `v_{d,j} = m_{d,j} · 2^(52 − j)` (j = 1…52) of every dimension,
    /// flattened: dimension `d` (0-based) at `d · 52 ..< (d + 1) · 52`.
    static let directionNumbers: [UInt64] = {
        let bits = SobolSequence.bits
        var v = [UInt64](repeating: 0, count: SobolDirectionNumbers.maximumDimension * bits)
        // Dimension 1: m_j = 1, the van der Corput sequence.
        for j in 0..<bits { v[j] = 1 << UInt64(bits - 1 - j) }
        let table = SobolDirectionNumbers.rows
        var i = 0
        while i < table.count {
            let d = Int(table[i]), s = Int(table[i + 1]), a = Int(table[i + 2])
            let base = (d - 1) * bits
            for j in 0..<s { v[base + j] = UInt64(table[i + 3 + j]) << UInt64(bits - 1 - j) }
            for j in s..<bits {
                var x = v[base + j - s] ^ (v[base + j - s] >> UInt64(s))
                for k in 1..<s where (a >> (s - 1 - k)) & 1 == 1 {
                    x ^= v[base + j - k]
                }
                v[base + j] = x
            }
            i += 3 + s
        }
        return v
    }()
}

extension Distribution {
    /// The internal value at `u ∈ [0, 1)` of the unit interval (clamped into it): linear for
    /// floats, linear in log space on a log scale, and for grids (stepped floats, integers,
    /// categoricals) grid value `⌊u · count⌋`, so each gets an equal share. A log-scale integer
    /// is log-uniform over `[low − ½, high + ½]` then rounded: each integer's share is its
    /// interval's log-length (as ``SamplerRandom/uniform(_:_:)``).
    func fromUnit(_ u: Double) -> Double {
        let u = u.isNaN ? 0 : min(max(u, 0), 1)
        switch self {
        case let .float(low, high, log, step):
            if log {
                return min(high, max(low, Double.exp(Double.log(low) + u * (Double.log(high) - Double.log(low)))))
            }
            if let step {
                let count = Int(((high - low) / step).rounded()) + 1
                return min(high, low + Double(min(count - 1, Int(u * Double(count)))) * step)
            }
            return min(high, low + u * (high - low))
        case let .int(low, high, log, step):
            if log {
                let (a, b) = Self.logIntegerRange(low, high)
                return Double(min(high, max(low, Int(Double.exp(a + u * (b - a)).rounded()))))
            }
            let count = (high - low) / step + 1
            return Double(low + min(count - 1, Int(u * Double(count))) * step)
        case let .categorical(choices):
            return Double(min(choices.count - 1, Int(u * Double(choices.count))))
        }
    }

    /// The inverse of ``fromUnit(_:)``: the position in `[0, 1]` of the internal value `x`
    /// (clamped into the range) — for a grid value, the centre of its share, so that
    /// `fromUnit(toUnit(x)) == x` on the grid.
    func toUnit(_ x: Double) -> Double {
        switch self {
        case let .float(low, high, log, step):
            guard high > low else { return 0.5 }
            let x = min(max(x, low), high)
            if log { return (Double.log(x) - Double.log(low)) / (Double.log(high) - Double.log(low)) }
            if let step {
                let count = Int(((high - low) / step).rounded()) + 1
                let k = min(count - 1, Int(((x - low) / step).rounded()))
                return (Double(k) + 0.5) / Double(count)
            }
            return (x - low) / (high - low)
        case let .int(low, high, log, step):
            let clamped = min(max(x, Double(low)), Double(high))
            if log {
                let (a, b) = Self.logIntegerRange(low, high)
                let i = clamped.rounded()
                return ((Double.log(i - 0.5) + Double.log(i + 0.5)) / 2 - a) / (b - a)
            }
            let count = (high - low) / step + 1
            let k = min(count - 1, Int(((clamped - Double(low)) / Double(step)).rounded()))
            return (Double(k) + 0.5) / Double(count)
        case let .categorical(choices):
            let i = min(choices.count - 1, max(0, Int(x.rounded())))
            return (Double(i) + 0.5) / Double(choices.count)
        }
    }

    /// `log(low − ½)` and `log(high + ½)`: the log-space range of a log-scale integer.
    private static func logIntegerRange(_ low: Int, _ high: Int) -> (Double, Double) {
        (Double.log(Double(low) - 0.5), Double.log(Double(high) + 0.5))
    }
}
