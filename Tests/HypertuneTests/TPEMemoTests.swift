import Autograd
import Foundation
@testable import Hypertune
import Testing

/// A TPE sampler that forgets everything between calls: each call goes to a new
/// ``TPESampler``, whose memo starts empty. What the shared sampler proposes must be the same.
private struct ForgetfulTPE: Sampler {
    let seed: UInt64
    let configuration: TPESampler.Configuration
    var fresh: TPESampler { TPESampler(seed: seed, configuration: configuration) }

    func relativeSearchSpace(history: StudyHistory, trial: FrozenTrial) -> [(name: String, distribution: Distribution)] {
        fresh.relativeSearchSpace(history: history, trial: trial)
    }

    func sampleRelative(history: StudyHistory, trial: FrozenTrial, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        fresh.sampleRelative(history: history, trial: trial, space: space)
    }

    func sampleIndependent(history: StudyHistory, trial: FrozenTrial, name: String, distribution: Distribution) -> Double {
        fresh.sampleIndependent(history: history, trial: trial, name: name, distribution: distribution)
    }
}

/// A conditional objective with every kind of parameter, some failures, NaN values and pruned
/// trials, so the memo sees all the states it must handle.
@Sendable private func awkwardObjective(_ trial: Trial) async throws -> Double {
    let x = try await trial.suggestFloat("x", -3, 3)
    let lr = try await trial.suggestFloat("lr", 1e-4, 1, log: true)
    let model = try await trial.suggestCategorical("model", ["linear", "tree"])
    var value = x * x + abs(Foundation.log10(lr) + 2)
    if model == "tree" {
        let depth = try await trial.suggestInt("depth", 1, 12)
        let width = try await trial.suggestFloat("width", 0, 1, step: 0.125)
        value += abs(Double(depth) - 5) / 4 + width
    } else {
        value += try await trial.suggestFloat("alpha", 0, 2)
    }
    switch trial.number % 11 {
    case 3: throw TrialPruned()
    case 5: return .nan
    case 7: throw CancellationError()
    default: return value
    }
}

@Suite("TPE memo: proposals are those computed from the history alone")
struct TPEMemoTests {
    private func proposals(_ sampler: any Sampler, direction: StudyDirection, parallelism: Int) async throws -> [[String: ParameterValue]] {
        let study = try await Study.create(name: "memo", direction: direction, sampler: sampler)
        try await study.optimize(trials: 60, parallelism: parallelism, objective: awkwardObjective)
        return try await study.trials().map(\.parameters)
    }

    @Test("a shared sampler proposes what a fresh sampler per call proposes", arguments: [
        (StudyDirection.minimize, 1), (.maximize, 1), (.minimize, 3),
    ])
    func sharedEqualsFresh(direction: StudyDirection, parallelism: Int) async throws {
        var configuration = TPESampler.Configuration()
        configuration.startupTrials = 5
        let shared = try await proposals(TPESampler(seed: 9, configuration: configuration), direction: direction, parallelism: parallelism)
        let fresh = try await proposals(ForgetfulTPE(seed: 9, configuration: configuration), direction: direction, parallelism: parallelism)
        #expect(shared.count == 60)
        #expect(shared == fresh)
    }

    @Test("supplied sorted columns and remembered masses give the estimator computed without them")
    func estimatorShortcuts() {
        var g = SeededGenerator(seed: 4)
        let n = 40
        let distributions: [Distribution] = [.float(low: 0, high: 1, log: false, step: nil), .float(low: 1e-3, high: 10, log: true, step: nil)]
        var flat: [Double] = []
        for i in 0..<n {
            // Some points sit on the bounds and some repeat, so ties and truncation both occur.
            let u: Double = i % 7 == 0 ? 0 : (i % 5 == 0 ? 0.5 : g.nextUnit())
            let v: Double = i % 6 == 0 ? 10 : Foundation.exp(Foundation.log(1e-3) + g.nextUnit() * Foundation.log(1e4))
            flat += [u, v]
        }
        let weights = TPESampler.defaultWeights(n)
        func build(sorted: [ParzenEstimator.SortedColumn?]?, masses: [ParzenEstimator.TruncationMemo?]?) -> ParzenEstimator {
            // With sorted columns, the flat values of those dimensions are not read.
            let flat = sorted == nil ? flat : [Double](repeating: .nan, count: flat.count)
            return ParzenEstimator(flat: flat, count: n, weights: weights, distributions: distributions, priorWeight: 1, bandwidth: .neighbourGaps,
                                   magicClip: true, considerEndpoints: false, sorted: sorted, masses: masses)
        }
        let plain = build(sorted: nil, masses: nil)
        // Per dimension, the transformed values in sorted order and the indices they came from.
        let columns = distributions.indices.map { d in
            let points = (0..<n).map { ParzenEstimator.transform(flat[$0 * 2 + d], distributions[d]) }
            let order = (0..<n).sorted { points[$0] < points[$1] || (points[$0] == points[$1] && $0 < $1) }
            return (order: order.map { Int32($0) }, values: order.map { points[$0] })
        }
        let orderStorage = columns.map { c in UnsafeMutablePointer<Int32>.allocate(capacity: n).initialized(from: c.order) }
        let valueStorage = columns.map { c in UnsafeMutablePointer<Double>.allocate(capacity: n).initialized(from: c.values) }
        defer {
            orderStorage.forEach { $0.deallocate() }
            valueStorage.forEach { $0.deallocate() }
        }
        let sorted = distributions.indices.map { ParzenEstimator.SortedColumn(order: orderStorage[$0], values: valueStorage[$0], count: n) }
        // Slots in reverse order, with memos that have seen other widths before.
        let slots = (0..<n).map { Int32(n - 1 - $0) }
        var sigmas0 = [Double](repeating: 0.5, count: n), sigmas1 = sigmas0
        var masses0 = [Double](repeating: 0.25, count: n), masses1 = masses0
        let points = (0..<50).map { _ in [g.nextUnit(), Foundation.exp(Foundation.log(1e-3) + g.nextUnit() * Foundation.log(1e4))] as [Double] }
        var results: [[Double]] = []
        slots.withUnsafeBufferPointer { slotPointer in
            sigmas0.withUnsafeMutableBufferPointer { s0 in
                sigmas1.withUnsafeMutableBufferPointer { s1 in
                    masses0.withUnsafeMutableBufferPointer { m0 in
                        masses1.withUnsafeMutableBufferPointer { m1 in
                            let memos = [
                                ParzenEstimator.TruncationMemo(slots: slotPointer.baseAddress!, sigmas: s0.baseAddress!, masses: m0.baseAddress!),
                                ParzenEstimator.TruncationMemo(slots: slotPointer.baseAddress!, sigmas: s1.baseAddress!, masses: m1.baseAddress!),
                            ]
                            for _ in 0..<2 {  // the second time the masses come from the memo
                                results.append(build(sorted: sorted, masses: memos).logDensity(points, distributions: distributions))
                            }
                        }
                    }
                }
            }
        }
        let expected = plain.logDensity(points, distributions: distributions)
        #expect(expected.allSatisfy { $0.isFinite })
        #expect(results == [expected, expected])
    }
}

extension UnsafeMutablePointer {
    /// The pointer, its first `values.count` elements initialised from `values`.
    func initialized(from values: [Pointee]) -> Self {
        initialize(from: values, count: values.count)
        return self
    }
}
