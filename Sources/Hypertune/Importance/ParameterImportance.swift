import Autograd
import Foundation

/// How much each parameter matters to a study's results, by PED-ANOVA (Watanabe, Bansal & Hutter,
/// IJCAI 2023): the Pearson divergence between a parameter's distribution among the best trials
/// and among all of them,
///
///     PD_d = ∫ p_all(x_d) (p_top(x_d) / p_all(x_d) − 1)² dx_d,
///
/// is, up to a constant, the share of the variance of "is this trial among the best" explained
/// by `x_d` alone (a local functional ANOVA). Each parameter's importance is its `PD_d` divided
/// by their sum. Numerical parameters' densities are Parzen estimates (Gaussian kernels, Scott's
/// bandwidth) in the unit interval (log scales respected), evaluated on a grid; categorical ones
/// are smoothed frequencies. The confidence is a bootstrap over trials.
/// - Complexity: O(B · d · (n + grid · kernels)) for `B` bootstrap rounds; closed form, no model
///   to fit (unlike fANOVA's random forest).
public enum ParameterImportance {
    /// One parameter's importance: its share (the shares sum to 1) and a bootstrap interval.
    public struct Share: Sendable, Equatable {
        public let name: String
        public let share: Double
        /// A 90% interval: the share ± 1.645 standard deviations of it over bootstrap resamples of
        /// the trials (clipped to [0, 1]).
        public let low: Double, high: Double
    }

    /// The importance of the parameters every complete trial has (drawn from the same
    /// distribution), most important first.
    /// - Parameters:
    ///   - quantile: the fraction of trials that count as the best (at least 2 trials). What is
    ///     measured is what sets those apart: with a small quantile, parameters that only order the
    ///     best trials among themselves count too.
    ///   - bootstrap: resamples for the interval (0: none; `low` and `high` equal the share).
    public static func pedAnova(_ history: StudyHistory, quantile: Double = 0.1, bootstrap: Int = 100, seed: UInt64 = 0) -> [Share] {
        precondition(quantile > 0 && quantile <= 1, "ParameterImportance: quantile must be in (0, 1], got \(quantile)")
        let sign = history.directions.first == .maximize ? -1.0 : 1.0
        let complete = history.trials.filter { $0.state == .complete && ($0.values?.first?.isFinite ?? false) }
        let space = StudyHistory.sharedSpace(complete).map { (key: $0.name, value: $0.distribution) }
        guard !space.isEmpty else { return [] }
        // Per parameter, each trial's coordinate (unit interval) or category index.
        let columns: [[Double]] = space.map { name, d in
            complete.map { t in
                let x = d.toInternal(t.parameters[name]!)!
                if d.isCategorical { return x }
                let (low, high, _) = ParzenEstimator.transformedBounds(d)
                return (ParzenEstimator.transform(x, d) - low) / (high - low)
            }
        }
        let values = complete.map { sign * $0.values![0] }
        func shares(_ rows: [Int]) -> [Double] {
            let top = Array(rows.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
                .prefix(max(2, Int((quantile * Double(rows.count)).rounded(.up)))))
            let divergences = space.indices.map { c -> Double in
                if case let .categorical(choices) = space[c].value {
                    return categoricalDivergence(rows.map { Int(columns[c][$0]) }, top.map { Int(columns[c][$0]) }, choices: choices.count)
                }
                return continuousDivergence(rows.map { columns[c][$0] }, top.map { columns[c][$0] })
            }
            let total = divergences.reduce(0, +)
            return total > 0 ? divergences.map { $0 / total } : divergences.map { _ in 1 / Double(space.count) }
        }
        let all = Array(complete.indices)
        let point = shares(all)
        var resampled: [[Double]] = []
        var g = SeededGenerator(seed: seed)
        for _ in 0..<bootstrap {
            resampled.append(shares(all.map { _ in Int(g.nextUnit() * Double(all.count)) % all.count }))
        }
        return space.indices.map { c in
            // A 90% interval from the bootstrap's standard deviation (normal approximation: the
            // percentiles of resamples with repeated trials are biased for a density estimate).
            let draws = resampled.map { $0[c] }
            let mean = draws.reduce(0, +) / Double(max(draws.count, 1))
            let sd = draws.count > 1 ? (draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count - 1)).squareRoot() : 0
            return Share(name: space[c].key, share: point[c], low: max(point[c] - 1.645 * sd, 0), high: min(point[c] + 1.645 * sd, 1))
        }.sorted { $0.share > $1.share || ($0.share == $1.share && $0.name < $1.name) }
    }

    /// Pearson divergence of the top sample's Parzen density from the whole sample's, on [0, 1].
    static func continuousDivergence(_ all: [Double], _ top: [Double]) -> Double {
        let grid = 200
        let pAll = parzen(all, grid: grid), pTop = parzen(top, grid: grid)
        var divergence = 0.0
        for i in 0..<grid where pAll[i] > 0 {
            let ratio = pTop[i] / pAll[i] - 1
            divergence += pAll[i] * ratio * ratio / Double(grid)
        }
        return divergence
    }

    /// A Gaussian Parzen density of `points` in [0, 1] (Scott's bandwidth, at least 1/100,
    /// renormalised over the interval), at the midpoints of `grid` cells.
    ///
    /// Each point's kernel over the uniform grid is a Gaussian sampled at equal steps δ, which a
    /// recurrence gives with two multiplications a cell instead of an `exp`: with
    /// `k_i = exp(−(x_i − p)² / 2h²)`, `k_{i+1} = k_i · r_i` and `r_{i+1} = r_i · q` where
    /// `r_i = exp(−(2(x_i − p)δ + δ²) / 2h²)` and `q = exp(−δ²/h²)`. It walks outwards from the
    /// cell nearest the point, so values only shrink (an underflow to 0 is the true value's
    /// rounding, never a lost peak); the relative error grows by about one rounding a cell.
    /// - Complexity: O(n · grid) multiplications and O(n) exponentials.
    static func parzen(_ points: [Double], grid: Int) -> [Double] {
        let n = Double(points.count)
        let mean = points.reduce(0, +) / n
        let sd = (points.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)).squareRoot()
        let h = max(1.06 * sd * Foundation.pow(n, -0.2), 0.01)
        let delta = 1 / Double(grid), twoH2 = 2 * h * h
        let q = Foundation.exp(-delta * delta / (h * h))
        var density = [Double](repeating: 0, count: grid)
        density.withUnsafeMutableBufferPointer { d in
            for p in points {
                let nearest = min(max(Int((p * Double(grid)).rounded(.down)), 0), grid - 1)
                let x0 = (Double(nearest) + 0.5) * delta
                let k0 = Foundation.exp(-(x0 - p) * (x0 - p) / twoH2)
                d[nearest] += k0
                // Upwards: k_{i+1} = k_i · r_i, r_i = exp(−(2(x_i − p)δ + δ²) / 2h²).
                var k = k0, r = Foundation.exp(-(2 * (x0 - p) * delta + delta * delta) / twoH2)
                var i = nearest + 1
                while i < grid {
                    k *= r
                    r *= q
                    d[i] += k
                    i += 1
                }
                // Downwards, the same walk mirrored: k_{i−1} = k_i · s_i, s_i = exp((2(x_i − p)δ − δ²) / 2h²).
                k = k0
                var s = Foundation.exp((2 * (x0 - p) * delta - delta * delta) / twoH2)
                i = nearest - 1
                while i >= 0 {
                    k *= s
                    s *= q
                    d[i] += k
                    i -= 1
                }
            }
        }
        let mass = density.reduce(0, +) / Double(grid)
        if mass > 0 { density = density.map { $0 / mass } }
        return density
    }

    /// Pearson divergence between two samples of categories, frequencies smoothed by one
    /// pseudo-count per category.
    static func categoricalDivergence(_ all: [Int], _ top: [Int], choices: Int) -> Double {
        func frequencies(_ sample: [Int]) -> [Double] {
            var counts = [Double](repeating: 1, count: choices)
            for c in sample { counts[c] += 1 }
            let total = counts.reduce(0, +)
            return counts.map { $0 / total }
        }
        let pAll = frequencies(all), pTop = frequencies(top)
        return zip(pAll, pTop).reduce(0) { $0 + $1.0 * ($1.1 / $1.0 - 1) * ($1.1 / $1.0 - 1) }
    }
}
