import Autograd
@testable import Hypergradients
import RealModule
import Testing

@Suite("Forward and reverse hypergradients")
struct HypergradientTests {
    typealias T = Tensor<Double>

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) {
            num += (x - y) * (x - y)
            den += y * y
        }
        return num.squareRoot() / max(den.squareRoot(), 1e-300)
    }

    /// Central fourth-order finite differences of f(λ) for every scalar hyperparameter.
    static func finiteDifferences(_ f: (Hyperparameters<Double>) -> Double, at lambda: Hyperparameters<Double>, h: Double = 1e-4) -> [Double] {
        var result: [Double] = []
        for (i, v) in lambda.values.enumerated() {
            for j in 0..<v.scalarCount {
                func at(_ delta: Double) -> Double {
                    var values = lambda.values
                    values[i].withUnsafeMutableBufferPointer { $0[j] += delta }
                    return f(lambda.with(values: values))
                }
                result.append((-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h))
            }
        }
        return result
    }

    static let cases = TestProblems.optimizerCases().map(\.name)

    @Test("forward = reverse (1e-8) = finite differences of f(λ) (1e-6), for every inner optimizer", arguments: cases)
    func agreement(optimizer: String) {
        let (box, lambda) = TestProblems.optimizerCases().first { $0.name == optimizer }!.check(6)
        let reverse = box.hypergradient(ReverseHG(), lambda)
        let forward = box.hypergradient(ForwardHG(), lambda)
        let r = reverse.gradient.values.flatMap(\.scalars), f = forward.gradient.values.flatMap(\.scalars)
        #expect(Self.relativeError(f, r) < 1e-8, "\(optimizer): forward vs reverse")
        // Forward mode may sum products in another order (wider matrix products): equal to rounding.
        #expect(abs(reverse.value - forward.value) <= 1e-14 * abs(reverse.value))
        let fd = Self.finiteDifferences(box.objective, at: lambda)
        #expect(Self.relativeError(r, fd) < 1e-6, "\(optimizer): reverse vs finite differences \(r) vs \(fd)")
        // Every hyperparameter actually matters in these problems (a zero would hide a bug).
        for (name, g) in zip(reverse.gradient.names, reverse.gradient.values) {
            #expect(g.scalars.contains { $0 != 0 }, "\(optimizer): zero hypergradient for \(name)")
        }
    }

    static let storages: [ReverseHG.Storage] = [
        .checkpoints(every: 1), .checkpoints(every: 2), .checkpoints(every: 3), .checkpoints(every: 7), .checkpoints(every: 10),
        .stepGraphs,
    ]

    @Test("every storage policy gives the result of the full sweep bit for bit", arguments: storages)
    func storagePolicies(storage: ReverseHG.Storage) {
        let (box, lambda) = TestProblems.optimizerCases()[3].check(7)
        let full = box.hypergradient(ReverseHG(storage: .states), lambda)
        let other = box.hypergradient(ReverseHG(storage: storage), lambda)
        #expect(other.gradient.values.flatMap(\.scalars) == full.gradient.values.flatMap(\.scalars))
        #expect(other.value == full.value)
        if case .checkpoints(2) = storage { #expect(other.storedStates < full.storedStates) }
    }

    @Test("truncation: K = T is the full result exactly, K < T drops the early terms")
    func truncation() {
        let (box, lambda) = TestProblems.optimizerCases()[1].check(7)
        let full = box.hypergradient(ReverseHG(), lambda).gradient.values.flatMap(\.scalars)
        #expect(box.hypergradient(ReverseHG(truncation: 7), lambda).gradient.values.flatMap(\.scalars) == full)
        #expect(box.hypergradient(ReverseHG(truncation: 9), lambda).gradient.values.flatMap(\.scalars) == full)
        let short = box.hypergradient(ReverseHG(truncation: 3), lambda).gradient.values.flatMap(\.scalars)
        #expect(short != full)
        // Truncation composes with every storage policy.
        for storage in Self.storages {
            #expect(box.hypergradient(ReverseHG(storage: storage, truncation: 3), lambda).gradient.values.flatMap(\.scalars) == short, "\(storage)")
        }
        // K = 0 keeps only the direct term ∂E/∂λ, which is zero here (E does not depend on λ).
        let none = box.hypergradient(ReverseHG(truncation: 0), lambda).gradient.values.flatMap(\.scalars)
        #expect(none.allSatisfy { $0 == 0 })
    }

    @Test("the direct term ∂E/∂λ is included")
    func directTerm() {
        let data = TestProblems.Data()
        var problem = TestProblems.problem(GradientDescent(learningRate: 0.3), steps: 4, data: data)
        let base = problem.outerLoss
        problem.outerLoss = { w, lambda in base(w, lambda) + exp(lambda["logL2"]) * 2 }
        let lambda = TestProblems.hyperparameters()
        let reverse = ReverseHG().hypergradient(of: problem, at: lambda).gradient.values.flatMap(\.scalars)
        let forward = ForwardHG().hypergradient(of: problem, at: lambda).gradient.values.flatMap(\.scalars)
        let fd = Self.finiteDifferences(problem.objective, at: lambda)
        #expect(Self.relativeError(reverse, fd) < 1e-6)
        #expect(Self.relativeError(forward, fd) < 1e-6)
    }

    @Test("forward mode restricted to some hyperparameters gives zeros for the others")
    func forwardSubset() {
        let (box, lambda) = TestProblems.optimizerCases()[1].check(5)
        let all = box.hypergradient(ForwardHG(), lambda).gradient
        let some = box.hypergradient(ForwardHG(names: ["logL2", "momentum"]), lambda).gradient
        #expect(some["logL2"].scalar == all["logL2"].scalar)
        #expect(some["momentum"].scalar == all["momentum"].scalar)
        #expect(some["exampleWeights"].scalars.allSatisfy { $0 == 0 })
    }
}
