import Foundation
import Hypertune

/// Small studies built directly as stored trials, with fixed times.
enum Fixtures {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000.125)

    static let lr = Distribution.float(low: 1e-5, high: 0.1, log: true)
    static let layers = Distribution.int(low: 1, high: 8, step: 1)
    static let batch = Distribution.int(low: 16, high: 256, step: 16)
    static let optimizer = Distribution.categorical(["adam", "sgd", "rmsprop"])
    static let nesterov = Distribution.categorical([true, false])
    static let dropout = Distribution.float(low: 0, high: 0.5, step: 0.1)

    /// A complete single-objective trial with one parameter of each kind.
    static func complete(number: Int = 3, value: Double = 0.25) -> FrozenTrial {
        FrozenTrial(
            id: 100 + number, studyID: 1, number: number, state: .complete,
            parameters: ["lr": .double(0.001), "layers": .int(4), "optimizer": .string("adam"), "nesterov": .bool(true)],
            distributions: ["lr": lr, "layers": layers, "optimizer": optimizer, "nesterov": nesterov],
            values: [value], intermediateValues: [0: 0.9, 2: 0.5, 10: 0.3],
            userAttributes: ["note": .string("ok"), "hypergradient_norm": .number(0.5), "lambda": .object(["lr": .number(0.001)])],
            systemAttributes: ["fixed_params": .object([:])],
            startedAt: t0, finishedAt: t0.addingTimeInterval(2.5), worker: "w1")
    }

    /// A study of every state: complete (two), pruned (with intermediate values), failed,
    /// running and waiting.
    static func mixedStudy() -> [FrozenTrial] {
        func trial(_ n: Int, _ state: TrialState, lr: Double, optimizer: String, layers: Int, values: [Double]? = nil,
                   intermediate: [Int: Double] = [:], reason: String? = nil, started: Bool = true, finished: Bool = true) -> FrozenTrial {
            FrozenTrial(
                id: n, studyID: 1, number: n, state: state,
                parameters: ["lr": .double(lr), "optimizer": .string(optimizer), "layers": .int(layers)],
                distributions: ["lr": Self.lr, "optimizer": Self.optimizer, "layers": Self.layers],
                values: values, intermediateValues: intermediate, failReason: reason,
                startedAt: started ? t0.addingTimeInterval(Double(10 * n)) : nil,
                finishedAt: finished ? t0.addingTimeInterval(Double(10 * n) + 4) : nil)
        }
        return [
            trial(0, .complete, lr: 0.01, optimizer: "adam", layers: 2, values: [0.5], intermediate: [1: 0.8, 2: 0.6, 3: 0.5]),
            trial(1, .pruned, lr: 0.05, optimizer: "sgd", layers: 6, intermediate: [1: 0.95, 2: 0.9]),
            trial(2, .complete, lr: 0.0003, optimizer: "rmsprop", layers: 3, values: [0.375], intermediate: [1: 0.7, 2: 0.45, 3: 0.375]),
            trial(3, .failed, lr: 0.09, optimizer: "sgd", layers: 8, reason: "the objective returned nan"),
            trial(4, .running, lr: 0.002, optimizer: "adam", layers: 1, intermediate: [1: 0.75], finished: false),
            trial(5, .waiting, lr: 0.001, optimizer: "adam", layers: 5, started: false, finished: false),
            trial(6, .complete, lr: 0.001, optimizer: "adam", layers: 4, values: [0.4375]),
        ]
    }
}
