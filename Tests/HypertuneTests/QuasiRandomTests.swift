import Autograd
@testable import Hypertune
import RealModule
import Testing

@Suite("Sobol sequence")
struct SobolSequenceTests {
    @Test("the first points of the plain sequence in 3 dimensions")
    func firstPoints() {
        // Dimension 1 is van der Corput; dimensions 2 and 3 as SciPy's qmc.Sobol(3, scramble=False).
        let expected: [[Double]] = [
            [0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75], [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375], [0.1875, 0.3125, 0.9375],
            [0.6875, 0.8125, 0.4375],
        ]
        let sobol = SobolSequence(dimensions: 3)
        #expect((0..<10).map(sobol.point) == expected)
    }

    @Test("all 1024 dimensions agree with SciPy's Joe–Kuo sequence, low and high digits")
    func allDimensions() {
        // Σ_d (d + 1) · x_d · 2^52 mod 2^64 over the 1024 coordinates of point k, computed from
        // SciPy's direction numbers (and checked there against qmc.Sobol itself).
        let checksums: [(Int, UInt64)] = [
            (1, 1_152_921_504_606_846_976), (2, 463_870_761_619_161_088), (3, 1_841_972_247_594_532_864),
            (7, 8_785_396_973_092_995_072), (100, 4_185_603_272_431_632_384), (1000, 6_184_990_400_751_599_616),
            (12345, 17_641_859_230_979_850_240), (1_048_581, 15_216_413_893_812_289_536),
            (536_871_689, 9_265_843_292_744_974_336), (1_099_511_640_121, 4_472_203_691_402_407_936),
            (3_377_700_708_182_193, 2_333_122_999_146_349_130),
        ]
        let sobol = SobolSequence(dimensions: SobolSequence.maximumDimensions)
        for (k, expected) in checksums {
            var sum: UInt64 = 0
            for d in 0..<sobol.dimensions {
                sum &+= sobol.integerCoordinate(k, dimension: d) &* UInt64(d + 1)
            }
            #expect(sum == expected, "point \(k)")
        }
    }

    @Test("scrambled points are in [0, 1), reproducible, and depend on the seed")
    func scrambled() {
        let a = SobolSequence(dimensions: 8, scrambleSeed: 42)
        let b = SobolSequence(dimensions: 8, scrambleSeed: 42)
        let c = SobolSequence(dimensions: 8, scrambleSeed: 43)
        let plain = SobolSequence(dimensions: 8)
        for k in 0..<64 {
            let p = a.point(k)
            #expect(p.allSatisfy { $0 >= 0 && $0 < 1 })
            #expect(p == b.point(k))
            #expect(p != c.point(k))
            #expect(p != plain.point(k))
        }
        #expect(a.point(0) != [Double](repeating: 0, count: 8))
        // The coordinates do not all share one scrambling.
        #expect(Set(a.point(1)).count == 8)
    }

    @Test("the first 2^m points of every coordinate lie one per interval of width 2^-m, scrambled or not", arguments: [nil, 7, 2024] as [UInt64?])
    func netProperty(seed: UInt64?) {
        let sobol = SobolSequence(dimensions: SobolSequence.maximumDimensions, scrambleSeed: seed)
        let m = 10
        for d in Array(0..<24) + [99, 511, 777, 1023] {
            let xs = (0..<(1 << m)).map { sobol.integerCoordinate($0, dimension: d) }
            for level in 0...m {
                let cells = Set(xs.prefix(1 << level).map { $0 >> UInt64(SobolSequence.bits - level) })
                #expect(cells.count == 1 << level, "dimension \(d), m = \(level)")
            }
            // And every later block of 2^level consecutive points too.
            let blocks = Set(xs[512..<768].map { $0 >> UInt64(SobolSequence.bits - 8) })
            #expect(blocks.count == 256, "dimension \(d)")
        }
    }

    @Test("256 points: exactly 32 in each of 8 bins per coordinate, one per elementary box in 2-D")
    func uniformity() {
        let sobol = SobolSequence(dimensions: 64, scrambleSeed: 5)
        let points = (0..<256).map(sobol.point)
        for d in 0..<64 {
            var bins = [Int](repeating: 0, count: 8)
            for p in points { bins[Int(p[d] * 8)] += 1 }
            #expect(bins == [Int](repeating: 32, count: 8), "dimension \(d)")
        }
        // Dimensions 1 and 2 form a (0, 2)-sequence: every 2^a × 2^b box with a + b = 8 holds
        // exactly one of the 256 points.
        for a in 0...8 {
            let b = 8 - a
            let boxes = Set(points.map { Int($0[0] * Double(1 << a)) * 1000 + Int($0[1] * Double(1 << b)) })
            #expect(boxes.count == 256, "boxes 2^\(a) × 2^\(b)")
        }
        // Independent uniform points are nowhere near as even.
        var g = SeededGenerator(seed: 5)
        var randomBins = [Int](repeating: 0, count: 8)
        for _ in 0..<256 { randomBins[Int((g.nextUnit() as Double) * 8)] += 1 }
        #expect(randomBins != [Int](repeating: 32, count: 8))
    }
}

@Suite("Quasi-random sampler")
struct QuasiRandomSamplerTests {
    let space: [(name: String, distribution: Distribution)] = [
        ("lr", .float(low: 1e-5, high: 1, log: true)),
        ("layers", .int(low: 1, high: 8)),
        ("optimizer", .categorical(["adam", "sgd", "rmsprop"])),
    ]

    private func trial(_ number: Int, _ state: TrialState = .running, distributions: [String: Distribution] = [:]) -> FrozenTrial {
        FrozenTrial(id: number, studyID: 1, number: number, state: state, distributions: distributions, values: state == .complete ? [0] : nil)
    }

    @Test("with a given space, trial k gets Sobol point k mapped onto the space, from the first trial on")
    func givenSpace() {
        let sampler = QuasiRandomSampler(kind: .sobol, seed: 9, space: space)
        let history = StudyHistory(directions: [.minimize], trials: [])
        #expect(sampler.relativeSearchSpace(history: history, trial: trial(0)).map(\.name) == ["lr", "layers", "optimizer"])
        let sobol = SobolSequence(dimensions: 3, scrambleSeed: 9)
        var seen = Set<[Double]>()
        for k in 0..<32 {
            let values = sampler.sampleRelative(history: history, trial: trial(k), space: space)
            let u = sobol.point(k)
            #expect(values == ["lr": space[0].distribution.fromUnit(u[0]), "layers": space[1].distribution.fromUnit(u[1]), "optimizer": space[2].distribution.fromUnit(u[2])])
            #expect(sampler.point(trial: k, dimensions: 3) == u)
            seen.insert([values["lr"]!, values["layers"]!, values["optimizer"]!])
        }
        #expect(seen.count > 24)
        // 8 consecutive trials (a 2^3 block) use each of the 8 layer counts once.
        let layers = (8..<16).map { sampler.sampleRelative(history: history, trial: trial($0), space: space)["layers"]! }
        #expect(Set(layers) == Set((1...8).map(Double.init)))
        // Reproducible, and seeded.
        #expect(QuasiRandomSampler(seed: 9, space: space).sampleRelative(history: history, trial: trial(5), space: space) == sampler.sampleRelative(history: history, trial: trial(5), space: space))
        #expect(QuasiRandomSampler(seed: 10, space: space).sampleRelative(history: history, trial: trial(5), space: space) != sampler.sampleRelative(history: history, trial: trial(5), space: space))
    }

    @Test("without a space: the intersection of the complete trials' spaces, sorted by name")
    func inferredSpace() {
        let sampler = QuasiRandomSampler(seed: 1)
        let full: [String: Distribution] = ["x": .float(low: 0, high: 1), "b": .int(low: 0, high: 3), "a": .categorical([1, 2]), "one": .int(low: 2, high: 2)]
        var partial = full
        partial["x"] = nil
        var changed = full
        changed["b"] = .int(low: 0, high: 4)
        func names(_ trials: [FrozenTrial]) -> [String] {
            sampler.relativeSearchSpace(history: StudyHistory(directions: [.minimize], trials: trials), trial: trial(99)).map(\.name)
        }
        #expect(names([]) == [])
        #expect(names([trial(0, .running, distributions: full), trial(1, .pruned, distributions: full)]) == [])
        #expect(names([trial(0, .complete, distributions: full)]) == ["a", "b", "x"])  // single-valued "one" left out
        #expect(names([trial(0, .complete, distributions: full), trial(1, .complete, distributions: partial)]) == ["a", "b"])
        #expect(names([trial(0, .complete, distributions: full), trial(1, .complete, distributions: changed), trial(2, .failed, distributions: [:])]) == ["a", "x"])
        // An empty space samples nothing jointly.
        #expect(sampler.sampleRelative(history: StudyHistory(directions: [.minimize], trials: []), trial: trial(0), space: []) == [:])
    }

    @Test("parameters outside the space are sampled independently and uniformly")
    func independent() {
        let sampler = QuasiRandomSampler(seed: 3, space: space)
        let random = RandomSampler(seed: 3)
        let history = StudyHistory(directions: [.minimize], trials: [])
        let d = Distribution.float(low: -2, high: 2)
        for k in 0..<20 {
            let v = sampler.sampleIndependent(history: history, trial: trial(k), name: "extra", distribution: d)
            #expect(v == random.sampleIndependent(history: history, trial: trial(k), name: "extra", distribution: d))
            #expect(v >= -2 && v <= 2)
        }
    }

    @Test("Latin hypercube: each of the n strata of every dimension is used exactly once in n trials")
    func latinHypercube() {
        let n = 10
        let sampler = QuasiRandomSampler(kind: .latinHypercube(trials: n), seed: 11)
        var blocks: [[[Int]]] = []
        for block in 0..<3 {
            let points = (block * n..<(block + 1) * n).map { sampler.point(trial: $0, dimensions: 4) }
            #expect(points.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 < 1 } })
            let strata = (0..<4).map { d in points.map { Int($0[d] * Double(n)) } }
            for d in 0..<4 { #expect(strata[d].sorted() == Array(0..<n), "block \(block), dimension \(d)") }
            blocks.append(strata)
        }
        // The dimensions and the blocks have their own permutations.
        #expect(blocks[0][0] != blocks[0][1])
        #expect(blocks[0] != blocks[1] && blocks[1] != blocks[2])
        // Reproducible from the seed, and different for another seed.
        #expect(QuasiRandomSampler(kind: .latinHypercube(trials: n), seed: 11).point(trial: 3, dimensions: 4) == sampler.point(trial: 3, dimensions: 4))
        #expect(QuasiRandomSampler(kind: .latinHypercube(trials: n), seed: 12).point(trial: 3, dimensions: 4) != sampler.point(trial: 3, dimensions: 4))
        // Mapped onto an integer grid of n values, n trials take every value once.
        let grid: [(name: String, distribution: Distribution)] = [("k", .int(low: 0, high: 18, step: 2))]
        let gridSampler = QuasiRandomSampler(kind: .latinHypercube(trials: n), seed: 11, space: grid)
        let history = StudyHistory(directions: [.minimize], trials: [])
        let ks = (0..<n).map { gridSampler.sampleRelative(history: history, trial: trial($0), space: grid)["k"]! }
        #expect(ks.sorted() == (0..<n).map { Double(2 * $0) })
        // A hypercube of a single trial is the whole interval.
        let single = QuasiRandomSampler(kind: .latinHypercube(trials: 1), seed: 0)
        #expect(single.point(trial: 5, dimensions: 2).allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(single.point(trial: 5, dimensions: 0).isEmpty && QuasiRandomSampler().point(trial: 5, dimensions: 0).isEmpty)
    }
}

@Suite("Unit-interval mapping of distributions")
struct UnitMappingTests {
    /// How often each value comes up for `count` equally spaced u in [0, 1).
    private func shares(_ d: Distribution, _ count: Int = 10_000) -> [Double: Int] {
        var counts: [Double: Int] = [:]
        for i in 0..<count { counts[d.fromUnit((Double(i) + 0.5) / Double(count)), default: 0] += 1 }
        return counts
    }

    @Test("floats: linear, and linear in log space on a log scale")
    func floats() {
        let linear = Distribution.float(low: -1, high: 3)
        #expect(linear.fromUnit(0) == -1 && linear.fromUnit(0.25) == 0 && linear.fromUnit(0.5) == 1)
        #expect(linear.toUnit(2) == 0.75)
        let log = Distribution.float(low: 1e-4, high: 1, log: true)
        #expect(abs(log.fromUnit(0.5) - 1e-2) < 1e-15)
        #expect(abs(log.fromUnit(0.25) - 1e-3) < 1e-16)
        #expect(abs(log.toUnit(1e-3) - 0.25) < 1e-12)
        // A decade per quarter.
        let s = shares(log, 1000)
        #expect(s.filter { $0.key < 1e-3 }.values.reduce(0, +) == 250)
        #expect(s.filter { $0.key >= 1e-1 }.values.reduce(0, +) == 250)
        #expect(Distribution.float(low: 2, high: 2).fromUnit(0.7) == 2 && Distribution.float(low: 2, high: 2).toUnit(2) == 0.5)
    }

    @Test("grids: stepped floats, integers and categoricals get equal shares")
    func grids() {
        #expect(shares(.float(low: 0, high: 1, step: 0.25)) == [0: 2000, 0.25: 2000, 0.5: 2000, 0.75: 2000, 1: 2000])
        #expect(shares(.int(low: 2, high: 10, step: 2)) == [2: 2000, 4: 2000, 6: 2000, 8: 2000, 10: 2000])
        #expect(shares(.int(low: -3, high: 4)) == Dictionary(uniqueKeysWithValues: (-3...4).map { (Double($0), 1250) }))
        #expect(shares(.categorical(["a", "b", "c", "d"])) == [0: 2500, 1: 2500, 2: 2500, 3: 2500])
        #expect(Distribution.categorical(["a", "b", "c"]).fromUnit(0.34) == 1)
        #expect(Distribution.categorical(["a", "b", "c"]).fromUnit(1) == 2)  // clamped
    }

    @Test("log-scale integers: each gets its interval's share of log space")
    func logIntegers() {
        let d = Distribution.int(low: 1, high: 8, log: true)
        let s = shares(d, 100_000)
        let total = Double.log(8.5 / 0.5)
        for i in 1...8 {
            let expected = Double.log((Double(i) + 0.5) / (Double(i) - 0.5)) / total * 100_000
            #expect(abs(Double(s[Double(i)] ?? 0) - expected) <= 1, "value \(i)")
        }
    }

    @Test("toUnit is the inverse of fromUnit on the grid, and stays in [0, 1]")
    func roundTrip() {
        let distributions: [Distribution] = [
            .float(low: 0, high: 1, step: 0.1), .int(low: 0, high: 20, step: 5), .int(low: 1, high: 1000, log: true),
            .int(low: 7, high: 7), .categorical([true, false]),
        ]
        for d in distributions {
            let values = Set((0..<1000).map { d.fromUnit(Double($0) / 1000) })
            for x in values {
                let u = d.toUnit(x)
                #expect(u >= 0 && u <= 1)
                #expect(d.fromUnit(u) == x, "\(d) at \(x)")
            }
        }
        let continuous = Distribution.float(low: 1e-3, high: 10, log: true)
        for u in stride(from: 0.0, to: 1, by: 0.05) {
            #expect(abs(continuous.toUnit(continuous.fromUnit(u)) - u) < 1e-12)
        }
        // Out-of-range inputs are clamped.
        #expect(Distribution.int(low: 0, high: 9).fromUnit(-0.5) == 0 && Distribution.int(low: 0, high: 9).fromUnit(.nan) == 0)
        #expect(Distribution.float(low: 0, high: 1).toUnit(5) == 1)
    }
}
