import Foundation
@testable import Hypertune
import RealModule
import Testing

/// Sleeps up to `maxMicroseconds`, a different time on every call and every run.
private func jitter(_ maxMicroseconds: Int = 1000) async {
    var g = SystemRandomNumberGenerator()
    try? await Task.sleep(for: .microseconds(Int.random(in: 0...maxMicroseconds, using: &g)))
}

/// A conditional space whose grid is small enough to enumerate by hand.
private let conditionalSpace: SearchSpace = [
    "dropout": .distribution(.float(low: 0, high: 0.5)),  // continuous: 3 points, 0, 0.25, 0.5
    "layers": .distribution(.int(low: 1, high: 2)),
    "epochs": .fixed(10),
    "optimizer": .choice([
        SearchSpace.Branch("sgd", ["momentum": .distribution(.float(low: 0, high: 0.75, step: 0.25))]),
        SearchSpace.Branch("adam", ["beta1": .distribution(.categorical([0.9, 0.99]))]),
    ]),
]

/// The grid of `conditionalSpace` with 3 points per continuous float, written out by hand.
private let conditionalGrid: Set<[String: ParameterValue]> = {
    var points = Set<[String: ParameterValue]>()
    for dropout in [0.0, 0.25, 0.5] {
        for layers in [1, 2] {
            let base: [String: ParameterValue] = ["dropout": .double(dropout), "layers": .int(layers), "epochs": 10]
            for momentum in [0.0, 0.25, 0.5, 0.75] {
                points.insert(base.merging(["optimizer": "sgd", "momentum": .double(momentum)]) { a, _ in a })
            }
            for beta1 in [0.9, 0.99] {
                points.insert(base.merging(["optimizer": "adam", "beta1": .double(beta1)]) { a, _ in a })
            }
        }
    }
    return points
}()

@Suite("Grid sampler")
struct GridSamplerTests {
    let values: [String: [ParameterValue]] = ["a": [1, 2, 3], "b": ["x", "y"], "c": [true, false]]

    /// The objective's view of `values`.
    @Sendable static func suggestAll(_ trial: Trial) async throws -> [String: ParameterValue] {
        [
            "a": .int(try await trial.suggestInt("a", 1, 3)),
            "b": .string(try await trial.suggestCategorical("b", ["x", "y"])),
            "c": try await trial.suggestCategorical("c", [true, false]),
        ]
    }

    @Test("point k is the mixed-radix combination, the last name varying fastest")
    func points() throws {
        let sampler = try GridSampler(values)
        #expect(sampler.count == 12 && sampler.trialLimit == 12)
        var k = 0
        for a in values["a"]! {
            for b in values["b"]! {
                for c in values["c"]! {
                    #expect(sampler.point(k) == ["a": a, "b": b, "c": c], "point \(k)")
                    k += 1
                }
            }
        }
    }

    @Test("two studies sharing a storage, with 3 workers each, visit every combination exactly once and stop")
    func everyCombinationOnce() async throws {
        let sampler = try GridSampler(values, seed: 4)
        let storage = InMemoryStorage()
        let first = try await Study.create(name: "grid", storage: storage, direction: .minimize, sampler: sampler)
        let second = try await Study.create(name: "grid", storage: storage, direction: .minimize, sampler: sampler)
        let objective: @Sendable (Trial) async throws -> Double = { trial in
            let p = try await Self.suggestAll(trial)
            await jitter()
            return Double(p["a"]!.intValue!)
        }
        async let a: Void = first.optimize(parallelism: 3, objective: objective)
        async let b: Void = second.optimize(parallelism: 3, objective: objective)
        _ = try await (a, b)

        let trials = try await first.trials()
        #expect(trials.count == 12)
        #expect(trials.allSatisfy { $0.state == .complete })
        let visited = trials.map(\.parameters)
        #expect(Set(visited).count == 12)
        #expect(Set(visited) == Set((0..<12).map(sampler.point)))
        // Trial k has the k-th point of the seeded order.
        for t in trials { #expect(t.parameters == sampler.point(sampler.gridIndex(ofSampledTrial: t.number))) }
    }

    @Test("a seed gives a permutation of the grid (not the grid order for some seed); no seed, the grid order")
    func order() throws {
        let plain = try GridSampler(values)
        #expect((0..<12).map(plain.gridIndex(ofSampledTrial:)) == Array(0..<12))
        var shuffled = 0
        for seed: UInt64 in 0..<8 {
            let sampler = try GridSampler(values, seed: seed)
            let order = (0..<12).map(sampler.gridIndex(ofSampledTrial:))
            #expect(order.sorted() == Array(0..<12), "seed \(seed)")
            #expect((0..<12).map(try GridSampler(values, seed: seed).gridIndex(ofSampledTrial:)) == order, "seed \(seed) is reproducible")
            if order != Array(0..<12) { shuffled += 1 }
        }
        #expect(shuffled > 0)
        let orders = Set(try (0..<8).map { seed in (0..<12).map(try GridSampler(values, seed: UInt64(seed)).gridIndex(ofSampledTrial:)) })
        #expect(orders.count > 1, "the order depends on the seed")
    }

    @Test("enqueued trials do not use up grid points")
    func enqueuedTrials() async throws {
        let sampler = try GridSampler(values, seed: 1)
        let study = try await Study.create(name: "grid-enqueue", direction: .minimize, sampler: sampler)
        try await study.enqueue(["a": 2, "b": "y", "c": false])
        let objective: @Sendable (Trial) async throws -> Double = { trial in
            Double(try await Self.suggestAll(trial)["a"]!.intValue!)
        }
        try await study.optimize(trials: 3, objective: objective)
        // One enqueued in the middle of the run, too.
        try await study.enqueue(["a": 3, "b": "x", "c": true])
        try await study.optimize(parallelism: 2, objective: objective)

        let trials = try await study.trials()
        #expect(trials.count == 12 + 2)
        #expect(trials.allSatisfy { $0.state == .complete })
        let enqueued = trials.filter(\.isEnqueued), sampled = trials.filter { !$0.isEnqueued }
        #expect(enqueued.map(\.parameters) == [["a": 2, "b": "y", "c": false], ["a": 3, "b": "x", "c": true]])
        #expect(sampled.count == 12 && Set(sampled.map(\.parameters)) == Set((0..<12).map(sampler.point)))
    }

    @Test("ask beyond the grid starts over in the same order; optimize then has nothing to do")
    func wrapAround() async throws {
        let sampler = try GridSampler(["k": [10, 20, 30]], seed: 3)
        let study = try await Study.create(name: "grid-wrap", direction: .minimize, sampler: sampler)
        var seen: [ParameterValue] = []
        for _ in 0..<7 {
            let trial = try await study.ask()
            seen.append(.int(try await trial.suggestInt("k", 10, 30, step: 10)))
            try await study.tell(trial, 0)
        }
        let cycle = (0..<3).map { sampler.point(sampler.gridIndex(ofSampledTrial: $0))["k"]! }
        #expect(Set(cycle) == [10, 20, 30])
        #expect(seen == cycle + cycle + cycle.prefix(1))
        try await study.optimize { _ in 0 }
        #expect(try await study.trials().count == 7)
    }

    @Test("a grid value outside the suggested distribution fails the trial; parameters off the grid are sampled")
    func offGrid() async throws {
        let study = try await Study.create(name: "grid-off", direction: .minimize, sampler: try GridSampler(["a": [1, 5]]))
        try await study.optimize { trial in
            let z = try await trial.suggestFloat("z", 0, 1)
            return Double(try await trial.suggestInt("a", 1, 3)) + z
        }
        let trials = try await study.trials()
        #expect(trials.map(\.state) == [.complete, .failed])
        #expect(trials[1].failReason?.contains("'a'") == true)
        let z = try #require(trials[0].parameters["z"]?.doubleValue)
        #expect(z >= 0 && z <= 1)
        #expect(trials.map { $0.parameters["z"] } .allSatisfy { $0 != nil })
    }

    @Test("a conditional space's grid: count and points by hand, and a study visits them all")
    func conditionalSpaceGrid() async throws {
        // dropout × layers × (sgd's momenta + adam's beta1 values).
        let expectedCount: Int = 3 * 2 * (4 + 2)
        #expect(conditionalGrid.count == expectedCount)
        let sampler = try GridSampler(space: conditionalSpace, continuousPoints: 3)
        #expect(sampler.count == conditionalGrid.count)
        #expect(try conditionalSpace.gridCount(continuousPoints: 3) == conditionalGrid.count)
        let points = (0..<sampler.count).map(sampler.point)
        #expect(Set(points) == conditionalGrid)

        let space = conditionalSpace
        let study = try await Study.create(name: "grid-space", direction: .minimize, sampler: try GridSampler(space: space, continuousPoints: 3, seed: 2))
        let sampled = LockedList()
        try await study.optimize(parallelism: 3) { trial in
            let p = try await space.sample(trial)
            sampled.append(p)
            return p["dropout"]!.doubleValue!
        }
        let trials = try await study.trials()
        #expect(trials.count == conditionalGrid.count && trials.allSatisfy { $0.state == .complete })
        #expect(Set(trials.map(\.parameters)) == conditionalGrid)
        #expect(sampled.items.count == conditionalGrid.count)
        // What sample(_:) returns agrees with what the trial recorded…
        for p in sampled.items {
            #expect(conditionalGrid.contains { point in p.allSatisfy { point[$0.key] == $0.value } }, "\(p)")
        }
        // … including the conditional categorical's own value.
        #expect(Set(sampled.items) == conditionalGrid)
    }

    @Test("a continuous float without continuousPoints has no grid; the error names it")
    func continuousWithoutPoints() throws {
        let top = #expect(throws: SearchSpaceError.self) {
            try GridSampler(space: ["layers": .distribution(.int(low: 1, high: 3)), "lr": .distribution(.float(low: 0, high: 1))])
        }
        #expect(top?.parameter == "lr")
        let nested = #expect(throws: SearchSpaceError.self) { try GridSampler(space: conditionalSpace) }
        #expect(nested?.parameter.contains("dropout") == true)
        let inBranch: SearchSpace = ["optimizer": .choice([SearchSpace.Branch("sgd", ["momentum": .distribution(.float(low: 0, high: 1))]), SearchSpace.Branch("adam")])]
        let branch = #expect(throws: SearchSpaceError.self) { try GridSampler(space: inBranch) }
        #expect(branch?.parameter.contains("momentum") == true)
        #expect(throws: SearchSpaceError.self) { try GridSampler(space: ["a": .distribution(.int(low: 1, high: 2))], continuousPoints: 0) }
        #expect(throws: SearchSpaceError.self) { try GridSampler(["a": []]) }
        #expect(throws: SearchSpaceError.self) { try GridSampler(["a": [1, 1]]) }
    }

    @Test("continuous points on a log scale are geometric, from low to high")
    func logPoints() throws {
        let sampler = try GridSampler(space: ["lr": .distribution(.float(low: 1e-4, high: 1, log: true)), "w": .distribution(.float(low: -1, high: 1))], continuousPoints: 5)
        #expect(sampler.count == 25)
        // The last name varies fastest: points 0, 5, 10, … have w = -1 and lr running over its grid.
        let lr = (0..<5).map { sampler.point(5 * $0)["lr"]!.doubleValue! }
        for (k, x) in lr.enumerated() {
            #expect(x.isApproximatelyEqual(to: Double.pow(10, Double(k - 4)), relativeTolerance: 1e-12), "point \(k): \(x)")
        }
        let w = (0..<5).map { sampler.point($0)["w"]!.doubleValue! }
        #expect(w == [-1, -0.5, 0, 0.5, 1])
        // One point: the geometric mean.
        let one = try GridSampler(space: ["lr": .distribution(.float(low: 1e-4, high: 1, log: true))], continuousPoints: 1)
        #expect(one.point(0)["lr"]!.doubleValue!.isApproximatelyEqual(to: 1e-2, relativeTolerance: 1e-12))
    }
}

/// Configurations collected by concurrent objectives.
private final class LockedList: @unchecked Sendable {
    private var list: [[String: ParameterValue]] = []
    private let lock = NSLock()

    func append(_ item: [String: ParameterValue]) {
        lock.lock()
        defer { lock.unlock() }
        list.append(item)
    }

    var items: [[String: ParameterValue]] {
        lock.lock()
        defer { lock.unlock() }
        return list
    }
}
