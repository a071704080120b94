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

@Suite("TPE's kept kernels of g")
struct AboveKernelsTests {
    private static let space: [(name: String, distribution: Distribution)] = [
        ("a", .float(low: 0, high: 1, log: false, step: nil)),
        ("b", .float(low: 1e-3, high: 10, log: true, step: nil)),
        ("c", .float(low: -5, high: 5, log: false, step: nil)),
    ]

    /// `g`'s log density at `points`, from the kernels the memo keeps and from `g` built anew
    /// from the history (the sorted split and the estimator's own construction).
    private static func densities(_ sampler: TPESampler, _ history: StudyHistory, _ points: [Double]) -> (kept: [Double], scratch: [Double]) {
        let distributions = space.map(\.distribution), count = points.count / space.count
        let kept = ParzenEstimator.KernelStorage(), fresh = ParzenEstimator.KernelStorage()
        return sampler.memo.withStudy(history.trials[0].studyID, history: history) { memo in
            let kernels = memo.aboveKernels(space)
            let limit = max(history.trials.last!.number + 1, memo.recordedID.count)
            for c in kernels.columns { c.grow(to: limit) }
            let ranked = sampler.rank(history, space, values: kernels.columns.map(\.value), memo: memo, storage: kept)!
            let prepared = kernels.prepare(ranked, configuration: sampler.configuration, numberLimit: limit, scratch: kept).g
            let g = ParzenEstimator(prepared: prepared, storage: kept)
            let split = sampler.split(history, space, memo, fresh)!
            let reference = ParzenEstimator(
                flat: split.above, count: split.aboveCount, weights: TPESampler.defaultWeights(split.aboveCount), distributions: distributions,
                priorWeight: 1, bandwidth: .neighbourGaps, magicClip: true, considerEndpoints: false, sorted: split.aboveSorted, storage: fresh)
            return (g.logDensity(flat: points, count: count, distributions: distributions),
                    reference.logDensity(flat: points, count: count, distributions: distributions))
        }
    }

    @Test("kept kernels give g's densities through out-of-order finishes, running trials, pruned ones and partial histories")
    func keptEqualsScratch() async throws {
        let sampler = TPESampler(seed: 1)
        let study = try await Study.create(name: "kept", sampler: RandomSampler(seed: 5))
        var g = SeededGenerator(seed: 8)
        let points = (0..<40 * Self.space.count).map { i -> Double in
            let u: Double = g.nextUnit()
            switch i % 3 {
            case 0: return u
            case 1: return Foundation.exp(Foundation.log(1e-3) + u * Foundation.log(1e4))
            default: return -5 + 10 * u
            }
        }
        var checked = 0
        for round in 0..<30 {
            // Three trials at a time, finished in a shuffled order; one in five pruned.
            var open: [Trial] = []
            for _ in 0..<3 {
                let t = try await study.ask()
                for (name, d) in Self.space { _ = try await t.suggest(name, d) }
                open.append(t)
            }
            for (i, t) in open.enumerated().reversed() where !(round % 4 == 1 && i == 0) {
                if t.number % 5 == 4 {
                    try await t.report(Double(t.number % 7), step: 1)
                    try await study.tell(t, state: .pruned)
                } else {
                    try await study.tell(t, Double((t.number * 37) % 101) / 10)
                }
            }
            // Every round: the whole history (some trials still running), and a history that
            // lacks the latest trials (as a reproducible parallel run shows them).
            let history = try await study.history()
            let partial = StudyHistory(directions: history.directions, trials: Array(history.trials.prefix(history.trials.count - 2)))
            for h in [history, partial] where h.trials.contains(where: { $0.state == .complete }) {
                let (kept, scratch) = Self.densities(sampler, h, points)
                for (x, y) in zip(kept, scratch) {
                    #expect(x.isFinite && Swift.abs(x - y) <= 1e-9 * (1 + Swift.abs(y)), "round \(round): \(x) vs \(y)")
                }
                checked += 1
            }
        }
        #expect(checked == 60)
    }

    @Test("single-precision densities of a large mixture agree with a double-precision sum over its kernels")
    func singlePrecision() {
        var g = SeededGenerator(seed: 11)
        let distributions = Self.space.map(\.distribution)
        let n = 600
        // Clustered observations (narrow kernels, as TPE's g has around good points) plus spread ones.
        let flat = (0..<n * 3).map { i -> Double in
            let u: Double = g.nextUnit(), clustered = i / 3 % 2 == 0
            switch i % 3 {
            case 0: return clustered ? 0.3 + 0.05 * u : u
            case 1: return Foundation.exp(Foundation.log(clustered ? 0.1 : 1e-3) + u * Foundation.log(clustered ? 2 : 1e4))
            default: return clustered ? 1 + u : -5 + 10 * u
            }
        }
        let p = ParzenEstimator(flat: flat, count: n, weights: TPESampler.defaultWeights(n), distributions: distributions, priorWeight: 1,
                                bandwidth: .neighbourGaps, magicClip: true, considerEndpoints: false)
        #expect(p.single != nil)
        // Points near observations (where densities are large and terms nearly cancel) and anywhere.
        let points = (0..<300).flatMap { i -> [Double] in
            if i % 2 == 0 {
                let k = Int(g.nextUnit() * Double(n))
                return [min(max(flat[3 * k] + 0.003 * (g.nextUnit() - 0.5), 0), 1), flat[3 * k + 1] * (1 + 0.01 * (g.nextUnit() - 0.5)),
                        min(max(flat[3 * k + 2] + 0.01 * (g.nextUnit() - 0.5), -5), 5)]
            }
            return [g.nextUnit(), Foundation.exp(Foundation.log(1e-3) + g.nextUnit() * Foundation.log(1e4)), -5 + 10 * g.nextUnit()]
        }
        let got = p.logDensity(flat: points, count: 300, distributions: distributions)
        // The mixture summed directly: weight × Π N(y; μ, σ) / mass over the kernels, in double.
        for i in 0..<300 {
            let y = (0..<3).map { ParzenEstimator.transform(points[3 * i + $0], distributions[$0]) }
            var terms: [Double] = []
            for k in 0..<p.kernels {
                var t = Foundation.log(p.weights[k])
                for (c, dim) in p.dimensions.enumerated() {
                    guard case let .continuous(index, low, high) = dim else { continue }
                    let mu = p.continuousMus[index * p.leading + k], sigma = p.continuousSigmas[index * p.leading + k]
                    let z = (y[c] - mu) / sigma
                    t += -0.5 * z * z - Foundation.log(sigma) - Normal.logSqrt2Pi - Foundation.log(Normal.mass((low - mu) / sigma, (high - mu) / sigma))
                }
                terms.append(t)
            }
            let m = terms.max()!
            let expected = m + Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - m) })
            #expect(Swift.abs(got[i] - expected) <= 2e-3, "point \(i): \(got[i]) vs \(expected)")
        }
    }
}
