import Autograd
import Hypergradients
import RealModule
import Testing

/// Ridge regression, whose optimum and hypergradient have closed forms:
/// `J(w, θ) = ‖Xw − y‖²/(2n) + e^θ‖w‖²/2`, `E(w) = ‖X_v w − y_v‖²/(2n_v)`,
/// `w*(θ) = A⁻¹Xᵀy/n` with `A = XᵀX/n + e^θ I`, `dw*/dθ = −A⁻¹ e^θ w*`.
@Suite("Implicit differentiation")
struct ImplicitHGTests {
    typealias T = Tensor<Double>
    static let n = 20, nv = 15, d = 4

    struct Ridge {
        let x: T, y: T, xv: T, yv: T
        init() {
            var g = SeededGenerator(seed: 5)
            x = T(randomNormal: [ImplicitHGTests.n, ImplicitHGTests.d], generator: &g)
            y = T(randomNormal: [ImplicitHGTests.n, 1], generator: &g)
            xv = T(randomNormal: [ImplicitHGTests.nv, ImplicitHGTests.d], generator: &g)
            yv = T(randomNormal: [ImplicitHGTests.nv, 1], generator: &g)
        }

        func problem(steps: Int) -> BilevelProblem<GradientDescent<Double>> {
            let (x, y, xv, yv) = (self.x, self.y, self.xv, self.yv)
            return BilevelProblem(
                initialWeights: [T(zeros: [ImplicitHGTests.d, 1])], steps: steps,
                optimizer: GradientDescent(learningRate: 0.3),
                innerLoss: { w, lambda, _ in
                    let r = matmul(x, w[0]) - y
                    return (r * r).sum() / Double(2 * ImplicitHGTests.n) + exp(lambda["logRidge"]) * (w[0] * w[0]).sum() * 0.5
                },
                outerLoss: { w, _ in
                    let r = matmul(xv, w[0]) - yv
                    return (r * r).sum() / Double(2 * ImplicitHGTests.nv)
                })
        }

        /// df/dθ from the closed form, by Gaussian elimination in Double.
        func closedForm(theta: Double) -> Double {
            let dd = ImplicitHGTests.d
            let a = matmul(x, x, transposeA: true) / Double(ImplicitHGTests.n)
            var m = a.scalars
            for i in 0..<dd { m[i * dd + i] += Double.exp(theta) }
            let rhs = (matmul(x, y, transposeA: true) / Double(ImplicitHGTests.n)).scalars
            let w = Self.solve(m, rhs, dd)
            let dw = Self.solve(m, w.map { -Double.exp(theta) * $0 }, dd)
            let residual = (matmul(xv, T(shape: [dd, 1], scalars: w)) - yv) / Double(ImplicitHGTests.nv)
            let dEdw = matmul(xv, residual, transposeA: true).scalars
            return zip(dEdw, dw).reduce(0) { $0 + $1.0 * $1.1 }
        }

        static func solve(_ matrix: [Double], _ b: [Double], _ n: Int) -> [Double] {
            var m = matrix, v = b
            for col in 0..<n {
                let pivot = (col..<n).max { abs(m[$0 * n + col]) < abs(m[$1 * n + col]) }!
                for k in 0..<n { m.swapAt(col * n + k, pivot * n + k) }
                v.swapAt(col, pivot)
                for row in (col + 1)..<n {
                    let f = m[row * n + col] / m[col * n + col]
                    for k in col..<n { m[row * n + k] -= f * m[col * n + k] }
                    v[row] -= f * v[col]
                }
            }
            var out = [Double](repeating: 0, count: n)
            for row in stride(from: n - 1, through: 0, by: -1) {
                var s = v[row]
                for k in (row + 1)..<n { s -= m[row * n + k] * out[k] }
                out[row] = s / m[row * n + row]
            }
            return out
        }
    }

    let theta = Double.log(0.1)

    @Test("conjugate gradient at a converged inner problem matches the closed form")
    func conjugateGradient() {
        let ridge = Ridge()
        let lambda = Hyperparameters<Double>(["logRidge": T(theta)])
        let implicit = ImplicitHG(solver: .conjugateGradient(iterations: 50)).hypergradient(of: ridge.problem(steps: 400), at: lambda)
        let exact = ridge.closedForm(theta: theta)
        #expect(abs(implicit.gradient["logRidge"].scalar - exact) <= 1e-8 * abs(exact), "\(implicit.gradient["logRidge"].scalar) vs \(exact)")
    }

    @Test("the Neumann series approaches the same value as terms are added")
    func neumann() {
        let ridge = Ridge()
        let lambda = Hyperparameters<Double>(["logRidge": T(theta)])
        let exact = ridge.closedForm(theta: theta)
        let problem = ridge.problem(steps: 400)
        var previous = Double.infinity
        for terms in [5, 20, 80, 320] {
            let value = ImplicitHG(solver: .neumann(terms: terms, stepSize: 0.3)).hypergradient(of: problem, at: lambda).gradient["logRidge"].scalar
            let error = abs(value - exact)
            #expect(error < previous, "\(terms) terms: error \(error) did not shrink from \(previous)")
            previous = error
        }
        #expect(previous <= 1e-6 * abs(exact))
    }

    @Test("reverse-mode hypergradients converge to the implicit one as training converges")
    func reverseConvergesToImplicit() {
        let ridge = Ridge()
        let lambda = Hyperparameters<Double>(["logRidge": T(theta)])
        let exact = ridge.closedForm(theta: theta)
        var errors: [Double] = []
        for steps in [10, 40, 160] {
            let reverse = ReverseHG().hypergradient(of: ridge.problem(steps: steps), at: lambda).gradient["logRidge"].scalar
            errors.append(abs(reverse - exact))
        }
        #expect(errors[0] > errors[1] && errors[1] > errors[2], "\(errors)")
        #expect(errors[2] <= 1e-6 * abs(exact))
    }
}
