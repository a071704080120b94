import Autograd
import Hypergradients
import RealModule
import Testing

/// Hypergradient descent reproduces Baydin et al.'s update rules step by step on
/// `f(θ) = ½ θᵀ diag(1, 4) θ` from `θ₀ = (1, 1)`, `α₀ = 0.1`, `β = 0.01`; the expected values were
/// worked out by hand from the paper's equations.
@Suite("Hypergradient descent")
struct HypergradientDescentTests {
    typealias T = Tensor<Double>

    static func gradient(_ theta: [Double]) -> [Double] { [theta[0], 4 * theta[1]] }

    static func run(_ optimizer: inout HypergradientDescent<Double>, steps: Int) -> (theta: [Double], rates: [Double]) {
        var params = [T([1.0, 1.0])]
        var rates: [Double] = []
        for _ in 0..<steps {
            optimizer.update(&params, along: [T(gradient(params[0].scalars))])
            rates.append(optimizer.learningRate)
        }
        return (params[0].scalars, rates)
    }

    static func close(_ a: [Double], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) <= 1e-14 * max(1, abs($1)) } }

    @Test("SGD-HD, additive")
    func sgdAdditive() {
        var o = HypergradientDescent<Double>(.sgd, learningRate: 0.1, hypergradientLearningRate: 0.01)
        let (theta, rates) = Self.run(&o, steps: 3)
        // t=1: g=(1,4), α=0.1, θ=(0.9,0.6). t=2: g=(0.9,2.4), h=g·(−1,−4)=−10.5, α=0.1+0.105=0.205,
        // θ=(0.9−0.205·0.9, 0.6−0.205·2.4)=(0.7155,0.108). t=3: g=(0.7155,0.432),
        // h=−(0.7155·0.9+0.432·2.4)=−1.68075, α=0.205+0.0168075=0.2218075, θ=θ−α g.
        #expect(Self.close(rates, [0.1, 0.205, 0.2218075]))
        #expect(Self.close(theta, [0.7155 - 0.2218075 * 0.7155, 0.108 - 0.2218075 * 0.432]))
    }

    @Test("SGD-HD, multiplicative")
    func sgdMultiplicative() {
        var o = HypergradientDescent<Double>(.sgd, learningRate: 0.1, hypergradientLearningRate: 0.01, variant: .multiplicative)
        let (theta, rates) = Self.run(&o, steps: 2)
        // t=2: g=(0.9,2.4), d=(−1,−4), h=−10.5, α = 0.1·(1 − 0.01·(−10.5)/(‖g‖‖d‖)).
        let alpha2 = 0.1 * (1 + 0.01 * 10.5 / (Double.sqrt(0.81 + 5.76) * Double.sqrt(17)))
        #expect(Self.close(rates, [0.1, alpha2]))
        #expect(Self.close(theta, [0.9 - alpha2 * 0.9, 0.6 - alpha2 * 2.4]))
    }

    @Test("SGDN-HD (Nesterov momentum 0.5)")
    func sgdNesterov() {
        var o = HypergradientDescent<Double>(.sgdNesterov(momentum: 0.5), learningRate: 0.1, hypergradientLearningRate: 0.01)
        let (theta, rates) = Self.run(&o, steps: 2)
        // t=1: v=(1,4), d=−(g+μv)=(−1.5,−6), θ=(0.85,0.4). t=2: g=(0.85,1.6),
        // h=−(0.85·1.5+1.6·6)=−10.875, α=0.20875, v=(1.35,3.6), d=−(1.525,3.4).
        #expect(Self.close(rates, [0.1, 0.20875]))
        #expect(Self.close(theta, [0.85 - 0.20875 * 1.525, 0.4 - 0.20875 * 3.4]))
    }

    @Test("Adam-HD")
    func adam() {
        var o = HypergradientDescent<Double>(.adam(), learningRate: 0.1, hypergradientLearningRate: 0.01)
        let (theta, rates) = Self.run(&o, steps: 2)
        let eps = 1e-8
        // t=1: m̂ = g = (1,4), v̂ = g² = (1,16), d1 = −m̂/(√v̂+ε), θ1 = θ0 + 0.1·d1.
        let d1 = [-1 / (1 + eps), -4 / (4 + eps)]
        let theta1 = [1 + 0.1 * d1[0], 1 + 0.1 * d1[1]]
        // t=2: g2 = (θ1₀, 4θ1₁); h = g2·d1; α2 = 0.1 − 0.01 h.
        let g2 = [theta1[0], 4 * theta1[1]]
        let alpha2 = 0.1 - 0.01 * (g2[0] * d1[0] + g2[1] * d1[1])
        // m2 = 0.9·0.1·g1 + 0.1·g2, v2 = 0.999·0.001·g1² + 0.001·g2², corrected by 1−0.9², 1−0.999².
        let g1 = [1.0, 4.0]
        let d2 = (0..<2).map { i -> Double in
            let m = (0.9 * 0.1 * g1[i] + 0.1 * g2[i]) / (1 - 0.81)
            let v = (0.999 * 0.001 * g1[i] * g1[i] + 0.001 * g2[i] * g2[i]) / (1 - 0.999 * 0.999)
            return -m / (Double.sqrt(v) + eps)
        }
        #expect(Self.close(rates, [0.1, alpha2]))
        #expect(Self.close(theta, [theta1[0] + alpha2 * d2[0], theta1[1] + alpha2 * d2[1]]))
    }

    @Test("the learning rate stays positive")
    func positivity() {
        // α₀ = 1 overshoots: θ₁ = (0, −3), g₂ = (0, −12) opposes d₁ = (−1, −4), h = 48, and the
        // additive rule would give α₂ = 1 − 0.1·48 < 0.
        var o = HypergradientDescent<Double>(.sgd, learningRate: 1, hypergradientLearningRate: 0.1, minimumLearningRate: 1e-6)
        let (_, rates) = Self.run(&o, steps: 3)
        #expect(rates.allSatisfy { $0 >= 1e-6 })
        #expect(rates[1] == 1e-6)
    }
}
