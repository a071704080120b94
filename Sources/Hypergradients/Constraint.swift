import Autograd

/// A convex set a hyperparameter must stay in, with the exact Euclidean projection onto it:
/// `P(λ) = argmin_{x ∈ C} ‖x − λ‖²`.
///
/// Projected hypergradient steps (`λ ← P(λ − η∇f)`) keep per-example weights in `[0, 1]` with a
/// budget on their sum (data hyper-cleaning, Franceschi et al. 2017), learning rates positive, and
/// mixing weights on a simplex.
public enum Constraint<Scalar: TensorScalar>: Sendable, Equatable {
    /// No constraint.
    case unconstrained
    /// Every element at least `minimum` (positivity with a small floor).
    case atLeast(Scalar)
    /// Every element in `[lower, upper]`.
    case box(lower: Scalar, upper: Scalar)
    /// Every element in `[lower, upper]` and the sum at most `maximumSum` — for example
    /// `{0 ≤ λᵢ ≤ 1, Σλᵢ ≤ R}`.
    case boxWithSumBound(lower: Scalar, upper: Scalar, maximumSum: Scalar)
    /// Non-negative elements summing to `sum` (the probability simplex for `sum = 1`).
    case simplex(sum: Scalar)
    /// `Σ|λᵢ| ≤ radius`.
    case l1Ball(radius: Scalar)

    /// Checks the parameters (bounds ordered, sums and radii feasible) and names the problem.
    public func validate(count: Int) throws(ConstraintError) {
        switch self {
        case .unconstrained, .atLeast:
            return
        case let .box(lower, upper):
            guard lower <= upper else { throw .invalid("box: lower bound \(lower) exceeds upper bound \(upper)") }
        case let .boxWithSumBound(lower, upper, maximumSum):
            guard lower <= upper else { throw .invalid("boxWithSumBound: lower bound \(lower) exceeds upper bound \(upper)") }
            guard Scalar(count) * lower <= maximumSum else {
                throw .invalid("boxWithSumBound: \(count) elements of at least \(lower) cannot sum to at most \(maximumSum)")
            }
        case let .simplex(sum):
            guard sum > 0 else { throw .invalid("simplex: the sum must be positive, got \(sum)") }
        case let .l1Ball(radius):
            guard radius >= 0 else { throw .invalid("l1Ball: negative radius \(radius)") }
        }
    }

    /// The Euclidean projection of `x` onto the set.
    /// - Complexity: O(n) for the box constraints, O(n log n) for those with a sum (sorting the
    ///   breakpoints of a piecewise-linear equation, solved exactly — no bisection tolerance).
    public func project(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let v = x.detached
        switch self {
        case .unconstrained:
            return v
        case let .atLeast(minimum):
            return clamp(v, min: minimum, max: .infinity)
        case let .box(lower, upper):
            return clamp(v, min: lower, max: upper)
        case let .boxWithSumBound(lower, upper, maximumSum):
            let clipped = clamp(v, min: lower, max: upper)
            if clipped.sum().scalar <= maximumSum { return clipped }
            return Projection.shiftedClip(v, lower: lower, upper: upper, sum: maximumSum)
        case let .simplex(sum):
            return Projection.shiftedClip(v, lower: 0, upper: .infinity, sum: sum)
        case let .l1Ball(radius):
            let magnitudes = abs(v)
            if magnitudes.sum().scalar <= radius { return v }
            let shrunk = Projection.shiftedClip(magnitudes, lower: 0, upper: .infinity, sum: radius)
            return Tensor(shape: v.shape, scalars: zip(v.scalars, shrunk.scalars).map { $0 < 0 ? -$1 : $1 })
        }
    }

    /// Whether `x` lies in the set, up to `tolerance` (absolute, on bounds and sums).
    public func contains(_ x: Tensor<Scalar>, tolerance: Scalar = 0) -> Bool {
        let s = x.scalars
        switch self {
        case .unconstrained:
            return true
        case let .atLeast(minimum):
            return s.allSatisfy { $0 >= minimum - tolerance }
        case let .box(lower, upper):
            return s.allSatisfy { $0 >= lower - tolerance && $0 <= upper + tolerance }
        case let .boxWithSumBound(lower, upper, maximumSum):
            return s.allSatisfy { $0 >= lower - tolerance && $0 <= upper + tolerance }
                && s.reduce(0, +) <= maximumSum + tolerance
        case let .simplex(sum):
            return s.allSatisfy { $0 >= -tolerance } && Swift.abs(s.reduce(0, +) - sum) <= tolerance
        case let .l1Ball(radius):
            return s.reduce(0) { $0 + Swift.abs($1) } <= radius + tolerance
        }
    }
}

/// An invalid constraint, with a message naming the problem.
public struct ConstraintError: Error, CustomStringConvertible, Equatable {
    public let description: String
    static func invalid(_ message: String) -> ConstraintError { ConstraintError(description: message) }
}

enum Projection {
    /// `clip(x − τ, lower, upper)` with τ chosen so that its sum equals `sum` exactly.
    ///
    /// `s(τ) = Σ clip(xᵢ − τ, l, u)` is continuous, non-increasing and linear between the
    /// breakpoints `xᵢ − u` and `xᵢ − l`; the breakpoints are sorted, the segment containing the
    /// solution is found by a scan that keeps the current slope (minus the number of elements
    /// strictly between their bounds) and the linear piece is solved exactly. This is the KKT
    /// solution of the projection onto `{l ≤ y ≤ u, Σy = sum}`; with `u = ∞` and `l = 0` it is
    /// the classical projection onto the simplex (Held, Wolfe & Crowder 1974; Duchi et al. 2008).
    /// - Precondition: `n·l ≤ sum ≤ n·u`.
    static func shiftedClip<S: TensorScalar>(_ x: Tensor<S>, lower: S, upper: S, sum: S) -> Tensor<S> {
        let v = x.scalars
        let n = v.count
        precondition(S(n) * lower <= sum && sum <= S(n) * upper, "projection: the sum \(sum) is infeasible for \(n) elements in [\(lower), \(upper)]")
        // Events in increasing τ: at xᵢ − u element i leaves its upper bound and becomes free
        // (the slope of s decreases by 1); at xᵢ − l it reaches its lower bound (slope +1).
        var events: [(tau: S, slopeChange: Int)] = []
        events.reserveCapacity(2 * n)
        for xi in v {
            if upper.isFinite { events.append((xi - upper, -1)) }
            events.append((xi - lower, +1))
        }
        events.sort { $0.tau < $1.tau }
        // Start left of every breakpoint: all elements at the upper bound (or, without an upper
        // bound, all free with s(τ) = Σxᵢ − nτ).
        var slope = upper.isFinite ? 0 : -n  // ds/dτ
        var tau = events.first.map { $0.tau } ?? 0
        var value: S = upper.isFinite ? S(n) * upper : v.reduce(0, +) - S(n) * tau
        var solution = tau
        var found = false
        for event in events {
            // Linear piece from tau to event.tau.
            let next = value + S(slope) * (event.tau - tau)
            if next <= sum, slope != 0 {
                solution = tau + (sum - value) / S(slope)
                found = true
                break
            }
            value = next
            tau = event.tau
            slope += event.slopeChange
            if value == sum {
                solution = tau
                found = true
                break
            }
        }
        if !found { solution = tau + (slope != 0 ? (sum - value) / S(slope) : 0) }
        return Tensor(shape: x.shape, scalars: v.map { Swift.min(Swift.max($0 - solution, lower), upper) })
    }
}
