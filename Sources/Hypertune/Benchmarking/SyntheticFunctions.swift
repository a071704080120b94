import Foundation

/// The synthetic functions samplers are compared on (minimised), with their search spaces and
/// known minima: Branin, Hartmann-6, Rosenbrock, Ackley and Styblinski–Tang on boxes, and a mixed
/// space with a categorical, a log-scale integer and two log-scale floats.
public struct SyntheticFunction: Sendable {
    public let name: String
    /// The search space, in suggestion order.
    public let space: [(name: String, distribution: Distribution)]
    /// The global minimum.
    public let minimum: Double
    let evaluate: @Sendable ([String: ParameterValue]) -> Double

    /// The function's value at `parameters`.
    public func callAsFunction(_ parameters: [String: ParameterValue]) -> Double { evaluate(parameters) }

    /// `f(x) − f*`.
    public func regret(_ value: Double) -> Double { value - minimum }

    /// A box-constrained function of `x0…x(d−1)`.
    static func box(_ name: String, lows: [Double], highs: [Double], minimum: Double, _ f: @escaping @Sendable ([Double]) -> Double) -> SyntheticFunction {
        let names = lows.indices.map { "x\($0)" }
        return SyntheticFunction(
            name: name, space: names.indices.map { (names[$0], .float(low: lows[$0], high: highs[$0])) }, minimum: minimum,
            evaluate: { p in f(names.map { p[$0]!.doubleValue! }) })
    }

    public static let branin = box("branin2d", lows: [-5, 0], highs: [10, 15], minimum: 0.397887) { x in
        let (a, b, c, r, s, t) = (1.0, 5.1 / (4 * Double.pi * Double.pi), 5 / Double.pi, 6.0, 10.0, 1 / (8 * Double.pi))
        let u = x[1] - b * x[0] * x[0] + c * x[0] - r
        return a * u * u + s * (1 - t) * cos(x[0]) + s
    }

    public static let hartmann6 = box("hartmann6d", lows: [Double](repeating: 0, count: 6), highs: [Double](repeating: 1, count: 6), minimum: -3.32237) { x in
        let alpha = [1.0, 1.2, 3.0, 3.2]
        let a: [[Double]] = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
        let p: [[Double]] = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                             [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
        var total = 0.0
        for i in 0..<4 {
            var inner = 0.0
            for j in 0..<6 { inner += a[i][j] * (x[j] - 1e-4 * p[i][j]) * (x[j] - 1e-4 * p[i][j]) }
            total -= alpha[i] * exp(-inner)
        }
        return total
    }

    public static let rosenbrock10 = box("rosenbrock10d", lows: [Double](repeating: -5, count: 10), highs: [Double](repeating: 10, count: 10), minimum: 0) { x in
        var total = 0.0
        for i in 0..<(x.count - 1) {
            let a: Double = x[i + 1] - x[i] * x[i], b: Double = 1 - x[i]
            total += 100 * a * a + b * b
        }
        return total
    }

    public static let ackley10 = box("ackley10d", lows: [Double](repeating: -32.768, count: 10), highs: [Double](repeating: 32.768, count: 10), minimum: 0) { x in
        let d = Double(x.count)
        var squares = 0.0, cosines = 0.0
        for v in x {
            squares += v * v
            cosines += cos(2 * Double.pi * v)
        }
        return -20 * exp(-0.2 * (squares / d).squareRoot()) - exp(cosines / d) + 20 + M_E
    }

    public static let styblinskiTang10 = box("styblinskitang10d", lows: [Double](repeating: -5, count: 10), highs: [Double](repeating: 5, count: 10), minimum: -39.16617 * 10) { x in
        var total = 0.0
        for v in x { total += v * v * v * v - 16 * v * v + 5 * v }
        return 0.5 * total
    }

    /// A categorical `cat` ∈ {a, b, c}, an integer `n` ∈ [1, 64] on a log scale and `lr`, `wd` ∈
    /// [1e-5, 1] on log scales: per category, a correlated quadratic in (log₁₀ lr, log₁₀ wd) with a
    /// ripple in lr and a quadratic in log₂ n, offset by category; minimum 0 at (a, 32, 1e-3, 1e-4).
    public static let mixed = SyntheticFunction(
        name: "mixed",
        space: [("cat", .categorical(["a", "b", "c"])), ("n", .int(low: 1, high: 64, log: true)),
                ("lr", .float(low: 1e-5, high: 1, log: true)), ("wd", .float(low: 1e-5, high: 1, log: true))],
        minimum: 0,
        evaluate: { p in
            let targets: [String: (Double, Double, Double, Double)] = ["a": (-3, -4, 5, 0), "b": (-2, -1.5, 3, 0.3), "c": (-4.5, -2.5, 1, 0.6)]
            let (us, vs, ms, o) = targets[p["cat"]!.stringValue!]!
            let du = log10(p["lr"]!.doubleValue!) - us, dv = log10(p["wd"]!.doubleValue!) - vs
            let dm = log2(Double(p["n"]!.intValue!)) - ms
            return o + (du * du + dv * dv + du * dv) / 4 + dm * dm / 9 + 0.1 * (1 - cos(2 * Double.pi * du))
        })

    /// The benchmark suite, in its usual order.
    public static let suite: [SyntheticFunction] = [branin, hartmann6, rosenbrock10, ackley10, styblinskiTang10, mixed]
}

/// Two-objective test problems with known Pareto fronts (Zitzler, Deb & Thiele 2000), over
/// `x0…x29` in [0, 1], both objectives minimised: `f₁ = x₀`, `f₂ = g h(f₁, g)` with
/// `g = 1 + 9 Σᵢ₌₁ xᵢ / 29`; the front is `g = 1`.
public struct MultiObjectiveFunction: Sendable {
    public let name: String
    public let space: [(name: String, distribution: Distribution)]
    /// `f₂` on the true front as a function of `f₁` in [0, 1].
    let front: @Sendable (Double) -> Double
    let evaluate: @Sendable ([Double]) -> [Double]

    public func callAsFunction(_ parameters: [String: ParameterValue]) -> [Double] {
        evaluate(space.map { parameters[$0.name]!.doubleValue! })
    }

    /// The hypervolume of the true front with respect to `reference` (beyond (1, 0) on both
    /// axes), by the midpoint rule on 100 000 strips.
    public func optimalHypervolume(reference: (Double, Double)) -> Double {
        let strips = 100_000, width = 1.0 / Double(strips)
        var area = 0.0
        for i in 0..<strips { area += width * max(0, reference.1 - front((Double(i) + 0.5) * width)) }
        return area + (reference.0 - 1) * reference.1
    }

    static func zdt(_ name: String, _ h: @escaping @Sendable (Double, Double) -> Double) -> MultiObjectiveFunction {
        let n = 30
        return MultiObjectiveFunction(
            name: name, space: (0..<n).map { ("x\($0)", .float(low: 0, high: 1)) }, front: { h($0, 1) },
            evaluate: { x in
                let g = 1 + 9 * x.dropFirst().reduce(0, +) / Double(n - 1)
                return [x[0], g * h(x[0], g)]
            })
    }

    /// ZDT1: `h = 1 − √(f₁/g)`, a convex front `f₂ = 1 − √f₁`.
    public static let zdt1 = zdt("zdt1") { f1, g in 1 - (f1 / g).squareRoot() }
    /// ZDT2: `h = 1 − (f₁/g)²`, a concave front `f₂ = 1 − f₁²`.
    public static let zdt2 = zdt("zdt2") { f1, g in 1 - (f1 / g) * (f1 / g) }

    public static let suite: [MultiObjectiveFunction] = [zdt1, zdt2]
}
