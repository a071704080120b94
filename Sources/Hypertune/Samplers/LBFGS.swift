import Foundation

/// Limited-memory BFGS (Nocedal 1980) with a backtracking line search, for small smooth problems
/// within box bounds (the iterates are clipped to them). Used to fit Gaussian-process
/// hyperparameters and to maximise acquisition functions.
enum LBFGS {
    /// A local maximum of `f` from `start`, and its value. Coordinates at a bound that the
    /// gradient pushes against are held there (an active set, as L-BFGS-B does). Stops after
    /// `iterations` steps, when no step gains, when a step gains less than `gainTolerance`, or
    /// when every component of the projected gradient (without the held coordinates) is at most
    /// `tolerance`.
    ///
    /// The gradient is asked for only at accepted points, and only right after `value` was
    /// evaluated at the same point, so `gradient` may reuse the work `value` did there (a
    /// factorisation); rejected trial steps of the line search cost a value alone.
    static func maximise(_ start: [Double], bounds: [(Double, Double)], iterations: Int, tolerance: Double = 0,
                         gainTolerance: Double = 0, memory: Int = 6,
                         value f: ([Double]) -> Double, gradient df: ([Double]) -> [Double]) -> (point: [Double], value: Double) {
        func clip(_ x: [Double]) -> [Double] { zip(x, bounds).map { min(max($0, $1.0), $1.1) } }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        var x = clip(start)
        var value = f(x), gradient = df(x)
        var history: [(s: [Double], y: [Double], rho: Double)] = []
        for _ in 0..<iterations {
            let held = gradient.indices.map { k in (x[k] <= bounds[k].0 && gradient[k] < 0) || (x[k] >= bounds[k].1 && gradient[k] > 0) }
            let free = gradient.indices.map { held[$0] ? 0 : gradient[$0] }
            if tolerance > 0 && free.allSatisfy({ abs($0) <= tolerance }) { break }
            // The ascent direction: the two-loop recursion on −f, within the free coordinates.
            var q = free.map { -$0 }
            var alphas: [Double] = []
            for h in history.reversed() {
                let a = h.rho * dot(h.s, q)
                alphas.append(a)
                q = zip(q, h.y).map { $0 - a * $1 }
            }
            if let last = history.last { q = q.map { $0 * dot(last.s, last.y) / dot(last.y, last.y) } }
            for (h, a) in zip(history, alphas.reversed()) {
                let b = h.rho * dot(h.y, q)
                q = zip(q, h.s).map { $0 + (a - b) * $1 }
            }
            var direction = q.indices.map { held[$0] ? 0 : -q[$0] }
            if dot(direction, free) <= 0 {
                direction = free  // not an ascent direction: steepest ascent
                history.removeAll()
            }
            var step = history.isEmpty ? 1 / max(1, dot(direction, direction).squareRoot()) : 1
            var accepted = false, gained = 0.0
            for _ in 0..<30 {
                let candidate = clip(zip(x, direction).map { $0 + step * $1 })
                let nextValue = f(candidate)
                let gain = dot(zip(candidate, x).map { $0 - $1 }, gradient)
                if nextValue.isFinite && nextValue >= value + 1e-4 * gain {
                    let nextGradient = df(candidate)
                    let s = zip(candidate, x).map { $0 - $1 }, y = zip(gradient, nextGradient).map { $0 - $1 }
                    let sy = dot(s, y)
                    if sy > 1e-12 {
                        history.append((s, y, 1 / sy))
                        if history.count > memory { history.removeFirst() }
                    }
                    gained = nextValue - value
                    (x, value, gradient) = (candidate, nextValue, nextGradient)
                    accepted = true
                    break
                }
                // Backtrack to the maximum of the quadratic through φ(0), φ′(0) and φ(step),
                // kept within [step/10, step/2].
                let slope = dot(direction, gradient), drop = nextValue - value - slope * step
                let interpolated = nextValue.isFinite && drop < 0 ? -slope * step * step / (2 * drop) : 0.5 * step
                step = min(max(interpolated, 0.1 * step), 0.5 * step)
            }
            if !accepted || gained < gainTolerance { break }
        }
        return (x, value)
    }
}
