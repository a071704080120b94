import Autograd
import Hypergradients
import Testing

/// Projections are exact: the result lies in the set and satisfies the variational inequality
/// `⟨x − P(x), y − P(x)⟩ ≤ 0` for every `y` in the set, which characterises the Euclidean
/// projection onto a convex set.
@Suite("Constraint projections")
struct ConstraintTests {
    typealias T = Tensor<Double>

    /// Random points of the set: projections of random points (feasible by construction) and
    /// the set's vertices where they are simple.
    static func feasiblePoints(_ c: Constraint<Double>, count: Int, _ g: inout SeededGenerator) -> [T] {
        (0..<40).map { _ in c.project(T(randomNormal: [count], standardDeviation: 3, generator: &g)) }
    }

    static let constraints: [Constraint<Double>] = [
        .atLeast(0.01), .box(lower: -1, upper: 2), .boxWithSumBound(lower: 0, upper: 1, maximumSum: 3),
        .simplex(sum: 1), .simplex(sum: 4), .l1Ball(radius: 2),
    ]

    @Test("projections satisfy the variational inequality", arguments: 0..<6)
    func variationalInequality(index: Int) {
        let c = Self.constraints[index]
        var g = SeededGenerator(seed: UInt64(index + 1))
        for _ in 0..<30 {
            let x = T(randomNormal: [9], standardDeviation: 2, generator: &g)
            let p = c.project(x)
            #expect(c.contains(p, tolerance: 1e-12), "\(c): \(p.scalars) not in the set")
            #expect(c.project(p).scalars.elementsEqual(p.scalars) { abs($0 - $1) <= 1e-12 }, "\(c): not idempotent")
            for y in Self.feasiblePoints(c, count: 9, &g) {
                let inner = dot(x - p, y - p).scalar
                #expect(inner <= 1e-10, "\(c): ⟨x − P(x), y − P(x)⟩ = \(inner)")
            }
        }
    }

    @Test("the capped simplex of data hyper-cleaning: values, sum and an exact shift")
    func cappedSimplex() {
        let c = Constraint<Double>.boxWithSumBound(lower: 0, upper: 1, maximumSum: 2)
        // Inside: unchanged. Outside: clip(x − τ, 0, 1) with Σ = 2. For x = (1.5, 1, 0.7, 0.1):
        // 1 + (1 − τ) + (0.7 − τ) + 0 = 2 gives τ = 0.35 (the last element is clipped to 0).
        #expect(c.project(T([0.2, 0.3, 1.0])).scalars == [0.2, 0.3, 1.0])
        let p = c.project(T([1.5, 1.0, 0.7, 0.1])).scalars
        #expect(zip(p, [1.0, 0.65, 0.35, 0.0]).allSatisfy { abs($0 - $1) <= 1e-15 }, "\(p)")
    }

    @Test("invalid constraints are reported with the reason")
    func invalid() {
        #expect(throws: ConstraintError.self) { try Constraint<Double>.box(lower: 2, upper: 1).validate(count: 3) }
        #expect(throws: ConstraintError.self) { try Constraint<Double>.boxWithSumBound(lower: 1, upper: 2, maximumSum: 2).validate(count: 3) }
        #expect(throws: ConstraintError.self) { try Constraint<Double>.simplex(sum: 0).validate(count: 3) }
        do {
            try OuterOptimizer<Double>(.sgd(learningRate: 0.1), constraints: ["missing": .atLeast(0)])
                .validate(for: Hyperparameters(["present": T(1.0)]))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("missing") && error.description.contains("present"))
        }
    }
}
