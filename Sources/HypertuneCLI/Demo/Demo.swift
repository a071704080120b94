import ArgumentParser
import Autograd
import Foundation
import Hypertune
import RealModule

/// `hypertune demo`: trains a small neural network on a synthetic three-arm spiral with gradients
/// from the engine, printing the loss as it falls and the final accuracy. With `--study`, tunes
/// the network's learning rate, momentum and width instead: a TPE study with median pruning on
/// the validation loss. With `--pbt`, trains a population whose learning rate and momentum
/// population-based training adapts between rounds, beside random search given the same
/// training steps.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a small MLP with the autodiff engine (or, with --study, tune it with TPE).")

    @Flag(help: "Tune learning rate, momentum and width with a TPE study (median pruning) instead of training once.")
    var study = false

    @Flag(help: "Population-based training of learning rate and momentum, beside random search with the same training steps.")
    var pbt = false

    @Option(help: "Members of the population (with --pbt).")
    var population: Int = 8

    @Option(help: "Rounds each member trains, --steps in all (with --pbt).")
    var rounds: Int = 10

    @Option(help: "Trials of the study (with --study).")
    var trials: Int = 30

    @Option(help: "Where the study lives (with --study): sqlite:///relative.db, sqlite:////absolute.db or memory:. Running again continues the study.")
    var storage: String = "sqlite:///hypertune.db"

    @Option(help: "Trials run at once (with --study).")
    var parallelism: Int = 1

    @Option(help: "Training steps (full-batch SGD with momentum).")
    var steps: Int = 400

    @Option(help: "Examples per spiral arm.")
    var pointsPerClass: Int = 100

    @Option(help: "Hidden units per layer.")
    var hidden: Int = 32

    @Option(help: "Learning rate.")
    var learningRate: Double = 0.1

    @Option(help: "Random seed for data and initialisation.")
    var seed: UInt64 = 0

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard pointsPerClass > 0 else { throw ValidationError("--points-per-class must be positive, got \(pointsPerClass)") }
        guard hidden > 0 else { throw ValidationError("--hidden must be positive, got \(hidden)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw ValidationError("--learning-rate must be a positive number, got \(learningRate)")
        }
        guard trials > 0, parallelism > 0 else { throw ValidationError("--trials and --parallelism must be positive") }
        guard !(study && pbt) else { throw ValidationError("--study and --pbt are two demos: choose one") }
        guard population >= 2 else { throw ValidationError("--population must be at least 2, got \(population)") }
        guard rounds >= 1, steps >= rounds else { throw ValidationError("--rounds must be between 1 and --steps (\(steps)), got \(rounds)") }
    }

    /// Three interleaved spiral arms with Gaussian noise: not linearly separable.
    static func spirals(perClass: Int, generator g: inout SeededGenerator) -> (Tensor<Float>, [Int]) {
        var xs: [Float] = [], labels: [Int] = []
        for c in 0..<3 {
            for i in 0..<perClass {
                let r = Double(i) / Double(perClass)
                let t = Double(c) * 4 + 4 * r + 0.2 * g.nextNormal()
                xs += [Float(r * Double.sin(t)), Float(r * Double.cos(t))]
                labels.append(c)
            }
        }
        return (Tensor(shape: [3 * perClass, 2], scalars: xs), labels)
    }

    func run() async throws {
        if study { return try await runStudy() }
        if pbt { return try await runPopulationBasedTraining() }
        var g = SeededGenerator(seed: seed)
        let (x, labels) = Self.spirals(perClass: pointsPerClass, generator: &g)
        var model = MLP<Float>(sizes: [2, hidden, hidden, 3], activation: .relu, generator: &g)
        var optimizer = SGD<Float>(learningRate: Float(learningRate), momentum: 0.9)
        print("Training an MLP \([2, hidden, hidden, 3]) (\(model.parameterCount) parameters) on \(labels.count) spiral points")
        print("step   loss      accuracy")
        let start = ContinuousClock.now
        var firstLoss: Float = 0, lastLoss: Float = 0
        for step in 0...steps {
            let (loss, grads) = valueWithGradient(at: model.parameters) { ps in
                crossEntropy(logits: model.with(parameters: ps)(x), labels: labels)
            }
            if step == 0 { firstLoss = loss.scalar }
            lastLoss = loss.scalar
            guard lastLoss.isFinite else {
                throw ValidationError("training diverged at step \(step) (loss \(lastLoss)); try a smaller --learning-rate")
            }
            if step % max(1, steps / 10) == 0 || step == steps {
                let accuracy = Self.accuracy(model(x), labels)
                print(String(format: "%4d   %.4f    %5.1f%%", step, lastLoss, 100 * accuracy))
            }
            if step < steps { optimizer.update(&model.parameters, along: grads) }
        }
        let elapsed = ContinuousClock.now - start
        print(String(format: "loss %.4f -> %.4f in %d steps (%.2f s)", firstLoss, lastLoss, steps,
                     Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
    }

    /// The study: each trial trains the network from its own seed for `steps` steps, reports the
    /// validation loss every tenth of them (the median pruner stops trials doing worse than the
    /// median of earlier ones at the same step), and returns the final validation loss. A
    /// diverging learning rate gives a NaN loss: that trial fails, with the reason, and the study
    /// goes on.
    func runStudy() async throws {
        var g = SeededGenerator(seed: seed)
        let (x, labels) = Self.spirals(perClass: pointsPerClass, generator: &g)
        let (validation, validationLabels) = Self.spirals(perClass: pointsPerClass, generator: &g)
        let steps = self.steps, seed = self.seed, every = max(1, steps / 10)
        let store = try await StorageURL.open(storage)
        let study = try await Study.create(
            name: "spiral-mlp", storage: store, direction: .minimize, sampler: TPESampler(seed: seed),
            pruner: MedianPruner(startupTrials: 5, warmupSteps: steps / 5))
        let before = try await study.trials().count
        print("Tuning an MLP on \(labels.count) spiral points: \(trials) trials of \(steps) steps, TPE with median pruning")
        print("study 'spiral-mlp' in \(storage)" + (before > 0 ? ", continuing after its \(before) trials" : ""))
        print("trial  state     validation loss  learning rate  momentum  hidden")
        let clock = ContinuousClock(), start = clock.now
        try await study.optimize(trials: trials, parallelism: parallelism, onTrialFinished: { t in
            let p = t.parameters
            let value = t.value.map { String(format: "%.4f", $0) } ?? "-"
            print(String(format: "%5d  ", t.number) + t.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                  + String(repeating: " ", count: max(0, 17 - value.count)) + value
                  + String(format: "  %13.5f  %8.3f  %6d", p["learning_rate"]?.doubleValue ?? .nan, p["momentum"]?.doubleValue ?? .nan, p["hidden"]?.intValue ?? 0))
        }) { trial in
            let learningRate = try await trial.suggestFloat("learning_rate", 1e-3, 3, log: true)
            let momentum = try await trial.suggestFloat("momentum", 0, 0.99)
            let hidden = try await trial.suggestInt("hidden", 4, 64, log: true)
            var g = SeededGenerator(seed: seed &+ 1 &+ UInt64(trial.number))
            var model = MLP<Float>(sizes: [2, hidden, hidden, 3], activation: .relu, generator: &g)
            var optimizer = SGD<Float>(learningRate: Float(learningRate), momentum: Float(momentum))
            var loss = Double.nan
            for step in 1...steps {
                let (_, grads) = valueWithGradient(at: model.parameters) { ps in
                    crossEntropy(logits: model.with(parameters: ps)(x), labels: labels)
                }
                optimizer.update(&model.parameters, along: grads)
                guard step % every == 0 || step == steps else { continue }
                loss = Double(crossEntropy(logits: model(validation), labels: validationLabels).scalar)
                guard loss.isFinite else { return loss }  // the study records the trial as FAILED
                try await trial.report(loss, step: step)
                if try await trial.shouldPrune() { throw TrialPruned() }
            }
            return loss
        }
        let seconds = Double((clock.now - start).components.seconds) + Double((clock.now - start).components.attoseconds) * 1e-18
        let all = try await study.trials()
        let count = { (state: TrialState) in all.count { $0.state == state } }
        print(String(format: "%d trials in the study: %d complete, %d pruned, %d failed (this run: %d trials in %.1f s)",
                     all.count, count(.complete), count(.pruned), count(.failed), all.count - before, seconds))
        if let best = try await study.bestTrial() {
            print("best: trial \(best.number), validation loss \(String(format: "%.4f", best.value ?? .nan)), " +
                  best.parameters.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", "))
        }
    }

    /// A member's state between rounds: the network's parameters and the momentum buffers.
    struct MemberState: Codable {
        var shapes: [[Int]], parameters: [[Float]], velocities: [[Float]]
    }

    /// Population-based training on the spiral network: `population` members, each trained for
    /// `rounds` rounds of `steps / rounds` steps; between rounds the worst quarter continues the
    /// best quarter's networks with their learning rate and momentum perturbed. Beside it,
    /// random search over the same space trains `population` networks for `steps` steps each —
    /// the same number of training steps. Both report validation losses.
    func runPopulationBasedTraining() async throws {
        var g = SeededGenerator(seed: seed)
        let (x, labels) = Self.spirals(perClass: pointsPerClass, generator: &g)
        let (validation, validationLabels) = Self.spirals(perClass: pointsPerClass, generator: &g)
        let (steps, rounds, hidden, seed) = (self.steps, self.rounds, self.hidden, self.seed)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-demo-pbt-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = PopulationBasedTraining.Configuration()
        configuration.populationSize = population
        configuration.rounds = rounds
        let pbt = PopulationBasedTraining(checkpoints: root, seed: seed, configuration: configuration)
        /// Trains from `state` (or a fresh network seeded by `initSeed`) for `count` steps; the
        /// validation loss and the state reached.
        @Sendable func train(_ state: MemberState?, initSeed: UInt64, learningRate: Double, momentum: Double, count: Int) -> (Double, MemberState) {
            var g = SeededGenerator(seed: initSeed)
            var model = MLP<Float>(sizes: [2, hidden, hidden, 3], activation: .relu, generator: &g)
            var optimizer = SGD<Float>(learningRate: Float(learningRate), momentum: Float(momentum))
            if let state {
                model.parameters = zip(state.shapes, state.parameters).map { Tensor(shape: Shape($0), scalars: $1) }
                optimizer.velocities = state.velocities.isEmpty ? [] : zip(state.shapes, state.velocities).map { Tensor(shape: Shape($0), scalars: $1) }
            }
            for _ in 0..<count {
                let (_, grads) = valueWithGradient(at: model.parameters) { ps in crossEntropy(logits: model.with(parameters: ps)(x), labels: labels) }
                optimizer.update(&model.parameters, along: grads)
            }
            let loss = Double(crossEntropy(logits: model(validation), labels: validationLabels).scalar)
            return (loss, MemberState(shapes: model.parameters.map(\.shape.dimensions), parameters: model.parameters.map(\.scalars), velocities: optimizer.velocities.map(\.scalars)))
        }
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        print("Population-based training of an MLP on \(labels.count) spiral points: \(population) members × \(rounds) rounds of \(steps / rounds) steps")
        print("trial  member  round  validation loss  learning rate  momentum  continues")
        var start = clock.now
        let study = try await Study.create(name: "spiral-pbt", direction: .minimize, sampler: pbt)
        try await study.optimize(trials: population * rounds, parallelism: parallelism, onTrialFinished: { t in
            let number = { (key: String) -> String in if case let .number(v)? = t.systemAttributes[key] { String(Int(v)) } else { "-" } }
            let p = t.parameters
            print(String(format: "%5d  %6@  %5@  %15.4f  %13.5f  %8.3f  %@", t.number, number(PopulationBasedTraining.memberKey), number(PopulationBasedTraining.roundKey),
                         t.value ?? .nan, p["learning_rate"]?.doubleValue ?? .nan, p["momentum"]?.doubleValue ?? .nan,
                         t.systemAttributes[PopulationBasedTraining.donorKey] != nil ? "trial \(number(PopulationBasedTraining.parentKey)) (exploit)" : number(PopulationBasedTraining.parentKey)))
        }) { trial in
            let learningRate = try await trial.suggestFloat("learning_rate", 1e-3, 3, log: true)
            let momentum = try await trial.suggestFloat("momentum", 0, 0.99)
            let checkpoint = try await pbt.checkpoint(for: trial)
            let (loss, state) = train(try checkpoint.load(MemberState.self), initSeed: seed &+ 1 &+ UInt64(trial.number),
                                      learningRate: learningRate, momentum: momentum, count: steps / rounds)
            guard loss.isFinite else { return loss }  // a diverged member: the trial fails, the member restarts
            try checkpoint.save(state)
            return loss
        }
        let pbtSeconds = seconds(clock.now - start)
        let pbtBest = try await study.bestTrial()
        start = clock.now
        let random = try await Study.create(name: "spiral-random", direction: .minimize, sampler: RandomSampler(seed: seed))
        try await random.optimize(trials: population, parallelism: parallelism) { trial in
            let learningRate = try await trial.suggestFloat("learning_rate", 1e-3, 3, log: true)
            let momentum = try await trial.suggestFloat("momentum", 0, 0.99)
            return train(nil, initSeed: seed &+ 1 &+ UInt64(trial.number), learningRate: learningRate, momentum: momentum, count: steps / rounds * rounds).0
        }
        let randomSeconds = seconds(clock.now - start)
        let randomBest = try await random.bestTrial()
        print(String(format: "population-based training: best validation loss %.4f (%.1f s, %d training steps)", pbtBest?.value ?? .nan, pbtSeconds, population * (steps / rounds) * rounds))
        print(String(format: "random search, same steps:  best validation loss %.4f (%.1f s, %d networks of %d steps)", randomBest?.value ?? .nan, randomSeconds, population, steps / rounds * rounds))
    }

    static func accuracy(_ logits: Tensor<Float>, _ labels: [Int]) -> Double {
        let c = logits.shape[1], s = logits.scalars
        var right = 0
        for (i, l) in labels.enumerated() {
            let row = s[(i * c)..<((i + 1) * c)]
            if row.firstIndex(of: row.max()!)! - i * c == l { right += 1 }
        }
        return Double(right) / Double(labels.count)
    }
}
