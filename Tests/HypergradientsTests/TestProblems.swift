import Autograd
import Hypergradients
import RealModule

/// Small bilevel problems in Double for the tests.
enum TestProblems {
    typealias T = Tensor<Double>

    /// Weighted softmax regression: 12 training examples in 3-D, 3 classes, a different minibatch
    /// of 8 examples at every step; hyperparameters: one weight per training example
    /// (`exampleWeights`), an L2 coefficient on a log scale (`logL2`), plus the optimizer's own.
    struct Data {
        let x: T, labels: [Int], xv: T, validationLabels: [Int]

        init(seed: UInt64 = 1) {
            var g = SeededGenerator(seed: seed)
            x = T(randomNormal: [12, 3], generator: &g)
            labels = (0..<12).map { _ in Int(g.next() % 3) }
            xv = T(randomNormal: [8, 3], generator: &g)
            validationLabels = (0..<8).map { _ in Int(g.next() % 3) }
        }

        /// The minibatch of step t: 8 of the 12 examples, rotating.
        static func batch(_ t: Int) -> [Int] { (0..<8).map { ($0 + 4 * t) % 12 } }
    }

    static func problem<O: DifferentiableOptimizer>(
        _ optimizer: O, steps: Int, data: Data = Data()
    ) -> BilevelProblem<O> where O.Scalar == Double {
        let w0 = T(shape: [3, 3], scalars: [0.1, -0.2, 0.05, 0.0, 0.3, -0.1, 0.2, 0.1, -0.3])
        let b0 = T([0.0, 0.1, -0.1])
        return BilevelProblem(
            initialWeights: [w0, b0], steps: steps, optimizer: optimizer,
            innerLoss: { w, lambda, t in
                let rows = Data.batch(t)
                let logits = matmul(data.x.gathering(rows), w[0]) + w[1]
                let weights = lambda["exampleWeights"].gathering(rows)
                let ce = crossEntropy(logits: logits, labels: rows.map { data.labels[$0] }, weights: weights)
                return ce + exp(lambda["logL2"]) * (w[0] * w[0]).sum() * 0.5
            },
            outerLoss: { w, _ in
                crossEntropy(logits: matmul(data.xv, w[0]) + w[1], labels: data.validationLabels)
            })
    }

    /// λ for the problem: example weights, log L2, and the optimizer's hyperparameters.
    static func hyperparameters(optimizerHyperparameters: KeyValuePairs<String, Double> = [:]) -> Hyperparameters<Double> {
        var g = SeededGenerator(seed: 9)
        var names = ["exampleWeights", "logL2"]
        var values = [T(randomUniform: [12], lower: 0.3, upper: 1, generator: &g), T(Double.log(0.05))]
        for (name, v) in optimizerHyperparameters {
            names.append(name)
            values.append(T(v))
        }
        return Hyperparameters(names: names, values: values)
    }

    /// Every inner optimizer, each with some of its own hyperparameters tuned.
    static func optimizerCases() -> [(name: String, check: (Int) -> (BilevelProblemBox, Hyperparameters<Double>))] {
        [
            ("gradient descent", { steps in
                (BilevelProblemBox(problem(GradientDescent(learningRate: .exponential("logLearningRate")), steps: steps)),
                 hyperparameters(optimizerHyperparameters: ["logLearningRate": Double.log(0.5)]))
            }),
            ("heavy ball", { steps in
                (BilevelProblemBox(problem(HeavyBall(learningRate: .exponential("logLearningRate"), momentum: .hyperparameter("momentum")), steps: steps)),
                 hyperparameters(optimizerHyperparameters: ["logLearningRate": Double.log(0.3), "momentum": 0.6]))
            }),
            ("Nesterov", { steps in
                (BilevelProblemBox(problem(HeavyBall(learningRate: .hyperparameter("learningRate"), momentum: .sigmoid("logitMomentum"), nesterov: true), steps: steps)),
                 hyperparameters(optimizerHyperparameters: ["learningRate": 0.3, "logitMomentum": 0.2]))
            }),
            ("Adam", { steps in
                (BilevelProblemBox(problem(Adam(learningRate: .hyperparameter("learningRate"), beta1: .hyperparameter("beta1"), beta2: .hyperparameter("beta2"), epsilon: 1e-4), steps: steps)),
                 hyperparameters(optimizerHyperparameters: ["learningRate": 0.05, "beta1": 0.8, "beta2": 0.95]))
            }),
        ]
    }
}

/// A bilevel problem with its optimizer type erased, so one test can loop over all optimizers.
struct BilevelProblemBox {
    let hypergradient: (any HypergradientMethod, Hyperparameters<Double>) -> Hypergradient<Double>
    let objective: (Hyperparameters<Double>) -> Double

    init<O: DifferentiableOptimizer>(_ problem: BilevelProblem<O>) where O.Scalar == Double {
        hypergradient = { method, lambda in method.hypergradient(of: problem, at: lambda) }
        objective = { problem.objective($0) }
    }
}
