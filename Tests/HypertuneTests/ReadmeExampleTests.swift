import Foundation
import Hypertune
import Testing

/// The README's study example, with a stand-in training step: it must compile and do what the
/// README says.
@Suite("README example")
struct ReadmeExampleTests {
    /// A loss falling with the epochs, lowest for lr = 1e-3 and momentum 0.9 under sgd.
    @Sendable static func train(_ epoch: Int, _ lr: Double, _ momentum: Double) -> Double {
        let distance = pow(log10(lr) + 3, 2) + pow(momentum - 0.9, 2)
        return distance + 1 / Double(epoch + 1)
    }

    @Test("the study example runs, prunes, and finds a good learning rate")
    func example() async throws {
        let train = Self.train
        let study = try await Study.create(name: "demo", direction: .minimize,
                                           sampler: TPESampler(seed: 1), pruner: MedianPruner())
        try await study.optimize(trials: 100, parallelism: 4) { trial in
            let lr = try await trial.suggestFloat("lr", 1e-5, 1e-1, log: true)
            let optimizer = try await trial.suggestCategorical("optimizer", ["sgd", "adam"])
            let momentum = try await optimizer == "sgd" ? trial.suggestFloat("momentum", 0, 0.99) : 0
            var loss = 0.0
            for epoch in 0..<20 {
                loss = train(epoch, lr, momentum)           // your training step
                try await trial.report(loss, step: epoch)
                if try await trial.shouldPrune() { throw TrialPruned() }
            }
            return loss
        }
        let best = try #require(try await study.bestTrial())
        let lr = try #require(best.parameters["lr"]?.doubleValue)
        #expect(abs(log10(lr) + 3) < 0.5, "best lr \(lr)")
        let states = try await study.trials().map(\.state)
        #expect(states.count == 100 && states.contains(.pruned) && !states.contains(.failed))
        #expect(try await study.table().rows.count == 100)
    }

    /// A stand-in model for the population-based training example: its accuracy grows with the
    /// rounds trained, fastest for lr near 1e-2.
    struct Model: Codable {
        var progress = 0.0
        mutating func train(epochs: Int, lr: Double) -> Double {
            progress += Double(epochs) * exp(-pow(log10(lr) + 2, 2))
            return 1 - exp(-progress / 3)
        }
    }

    @Test("the population-based training example runs, continues checkpoints, and keeps only the ones still needed")
    func populationBasedTraining() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hypertune-readme-pbt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let pbt = PopulationBasedTraining(checkpoints: root, seed: 0)  // 8 members × 10 rounds
        let study = try await Study.create(name: "pbt", direction: .maximize, sampler: pbt)
        try await study.optimize(trials: 80, parallelism: 2) { trial in
            let lr = try await trial.suggestFloat("lr", 1e-4, 1e-1, log: true)
            let checkpoint = try await pbt.checkpoint(for: trial)
            var model = try checkpoint.load(Model.self) ?? Model()   // nil: a member's first round
            let accuracy = model.train(epochs: 1, lr: lr)              // your training round
            try checkpoint.save(model)                                 // any Codable, as JSON
            return accuracy
        }
        let trials = try await study.trials()
        #expect(trials.count == 80 && trials.allSatisfy { $0.state == .complete }, "\(trials.filter { $0.state != .complete }.map { "\($0.number): \($0.failReason ?? "")" })")
        // Ten rounds at the best rate give 1 − e^(−10/3) ≈ 0.964; exploiting the best members
        // gets the population close to it.
        let best = try #require(try await study.bestTrial()?.value)
        #expect(best > 0.9, "best accuracy \(best)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).count <= 12)
    }
}
