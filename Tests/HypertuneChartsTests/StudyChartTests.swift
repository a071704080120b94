import Foundation
import Hypertune
@testable import HypertuneCharts
import Testing

@Suite("Study charts")
struct StudyChartTests {
    // MARK: History

    @Test("best so far matches a hand-computed sequence, minimising and maximising")
    func bestSoFar() {
        let values = [5.0, 7, 3, 3, 4, 1, 2, 8]
        #expect(HistoryChart.bestSoFar(values, bestIsHigh: false) == [5, 5, 3, 3, 3, 1, 1, 1])
        #expect(HistoryChart.bestSoFar(values, bestIsHigh: true) == [5, 7, 7, 7, 7, 7, 7, 8])
    }

    @Test("the history draws a point per complete trial and a monotone best-so-far line", arguments: [StudyDirection.minimize, .maximize])
    func history(direction: StudyDirection) throws {
        let values = [5.0, 7, 3, 3, 4, 1, 2, 8]
        var trials = values.enumerated().map { Fixture.trial($0.offset, [$0.element]) }
        trials.append(Fixture.trial(8, nil, state: .failed))
        trials.append(Fixture.trial(9, nil, state: .pruned, intermediate: [1: 6, 2: 5.5]))
        let (_, svg) = try renderParsed(.history, StudyHistory(directions: [direction], trials: trials))
        #expect(svg.wellFormed)
        let complete = svg.withClass("trial-point").filter { $0.classes.contains("complete") }
        #expect(complete.count == values.count)
        #expect(Set(complete.compactMap { $0.attributes["data-trial"] }) == Set((0..<8).map(String.init)))
        #expect(svg.withClass("pruned").filter { $0.classes.contains("trial-point") }.count == 1)
        #expect(complete.allSatisfy { $0.title.hasPrefix("Trial ") })
        // The step line's corners: one per record, monotone in the better direction (screen y
        // grows downwards: minimising, lower values are further down).
        let d = try #require(svg.withClass("best-line").first?.attributes["d"])
        // "Mx yHxVyHxVy…Hx": the first y after M, then each y after V.
        let pieces = d.split(separator: "V")
        let first = try #require(pieces.first?.dropFirst().split(separator: "H").first?.split(separator: " ").last.flatMap { Double($0) })
        let ys = [first] + pieces.dropFirst().compactMap { $0.split(separator: "H").first.flatMap { Double($0) } }
        #expect(ys.count == 3, "one corner per record (5, 3, 1 minimising; 5, 7, 8 maximising): \(d)")
        for i in ys.indices.dropFirst() {
            #expect(direction == .minimize ? ys[i] > ys[i - 1] : ys[i] < ys[i - 1], "best-so-far not monotone: \(ys)")
        }
        let legend = svg.texts.first { $0.hasPrefix("best so far") }
        #expect(legend == (direction == .minimize ? "best so far: 1 (trial 5)" : "best so far: 8 (trial 7)"))
    }

    @Test("a multi-objective study charts the objective asked for, in its direction")
    func multiObjective() throws {
        let trials = (0..<6).map { Fixture.trial($0, [Double($0), Double(($0 * 5) % 6)]) }  // second: 0, 5, 4, 3, 2, 1
        let history = StudyHistory(directions: [.minimize, .maximize], trials: trials)
        let (_, first) = try renderParsed(.history, history)
        #expect(first.texts.contains("best so far: 0 (trial 0)"))
        let (_, second) = try renderParsed(.history, history, options: StudyChartOptions(objectiveIndex: 1, objectiveName: "accuracy"))
        #expect(second.texts.contains("best so far: 5 (trial 1)"))
        #expect(second.texts.contains { $0.hasPrefix("accuracy, objective 2 of 2 (maximize)") })
    }

    @Test("records are the trials that improve on every earlier one")
    func records() throws {
        let history = StudyHistory(directions: [.minimize], trials: [5.0, 7, 3, 3, 4, 1, 2].enumerated().map { Fixture.trial($0.offset, [$0.element]) })
        let context = ChartContext(history: history, studyName: "s", options: .init())
        let objective = try context.objective()
        #expect(HistoryChart.records(context.completeTrials(objective), objective: objective) == [0, 2, 5])
    }

    @Test("over maxPoints, a deterministic subsample keeps the best trials and says so")
    func subsample() throws {
        let history = Fixture.twoParameters(count: 3000)
        let options = StudyChartOptions(maxPoints: 200)
        let (first, svg) = try renderParsed(.history, history, options: options)
        let (second, _) = try renderParsed(.history, history, options: options)
        #expect(first == second, "the subsample is not deterministic")
        let points = svg.withClass("trial-point")
        #expect(points.count == 200)
        let drawn = Set(points.compactMap { $0.attributes["data-trial"].flatMap(Int.init) })
        let best = history.trials.sorted { $0.value! < $1.value! }.prefix(20).map(\.number)
        #expect(best.allSatisfy(drawn.contains), "the 20 best trials must be drawn")
        #expect(svg.texts.contains { $0.contains("showing 200 of 3000 trials") })
        for chart in [StudyChart.parallelCoordinates, .slice, .contour] {
            let (_, parsed) = try renderParsed(chart, history, options: options)
            let perPanel = chart == .slice ? 2 : 1
            let elements = parsed.withClass(chart == .parallelCoordinates ? "trial-line" : "trial-point")
            #expect(elements.count == 200 * perPanel, "\(chart)")
            let numbers = Set(elements.compactMap { $0.attributes["data-trial"].flatMap(Int.init) })
            #expect(best.allSatisfy(numbers.contains), "\(chart) lost a best trial")
        }
    }

    @Test("the log y axis is chosen when positive values span more than two decades, and can be forced")
    func logY() throws {
        let wide = StudyHistory(directions: [.minimize], trials: [1e-4, 0.3, 2, 50].enumerated().map { Fixture.trial($0.offset, [$0.element]) })
        let (_, parsed) = try renderParsed(.history, wide)
        #expect(parsed.texts.contains("0.001") && parsed.texts.contains("1"), "decade labels expected: \(parsed.texts)")
        let narrow = StudyHistory(directions: [.minimize], trials: [1.0, 2, 3].enumerated().map { Fixture.trial($0.offset, [$0.element]) })
        let (_, forced) = try renderParsed(.history, narrow, options: StudyChartOptions(logY: true))
        #expect(forced.wellFormed)
        let mixed = StudyHistory(directions: [.minimize], trials: [-1.0, 2, 300].enumerated().map { Fixture.trial($0.offset, [$0.element]) })
        let (_, hidden) = try renderParsed(.history, mixed, options: StudyChartOptions(logY: true))
        #expect(hidden.texts.contains { $0.contains("1 value ≤ 0 not shown") })
    }

    // MARK: Parallel coordinates and slices

    @Test("parallel coordinates: a line per complete trial; a missing parameter skips its axis")
    func parallelCoordinates() throws {
        let trials = [
            Fixture.trial(0, [1], parameters: ["model": "svm", "C": 0.1], distributions: ["model": .categorical(["svm", "forest"]), "C": .float(low: 1e-3, high: 1e3, log: true)]),
            Fixture.trial(1, [2], parameters: ["model": "forest", "depth": 4], distributions: ["model": .categorical(["svm", "forest"]), "depth": .int(low: 2, high: 32)]),
            Fixture.trial(2, [0.5], parameters: ["model": "svm", "C": 10], distributions: ["model": .categorical(["svm", "forest"]), "C": .float(low: 1e-3, high: 1e3, log: true)]),
            Fixture.trial(3, nil, state: .failed, parameters: ["model": "svm"]),
        ]
        let (_, svg) = try renderParsed(.parallelCoordinates, StudyHistory(directions: [.minimize], trials: trials))
        #expect(svg.wellFormed)
        let lines = svg.withClass("trial-line")
        #expect(lines.count == 3)
        // Axes: objective, C, depth, model → 4; each line has 1 + its parameters' points.
        let pointCounts = Dictionary(uniqueKeysWithValues: lines.map { ($0.attributes["data-trial"]!, $0.attributes["points"]!.split(separator: " ").count) })
        #expect(pointCounts == ["0": 3, "1": 3, "2": 3])
        #expect(svg.withClass("axis-name").map(\.text) == ["objective value", "C", "depth", "model"])
        #expect(svg.texts.contains("absent in 1") && svg.texts.contains("svm") && svg.texts.contains("forest"))
        // The best trial (2, value 0.5) is drawn last, on top.
        #expect(lines.last?.attributes["data-trial"] == "2")
    }

    @Test("slice plots: a panel per parameter, a point per trial that has it")
    func slices() throws {
        let trials = (0..<12).map { n in
            Fixture.trial(n, [Double(n % 5)], parameters: n % 3 == 0 ? ["flag": .bool(n % 2 == 0), "k": .int(n)] : ["flag": .bool(true)],
                          distributions: n % 3 == 0 ? ["flag": .categorical([true, false]), "k": .int(low: 0, high: 20)] : ["flag": .categorical([true, false])])
        }
        let (_, svg) = try renderParsed(.slice, StudyHistory(directions: [.maximize], trials: trials))
        let panels = svg.withClass("panel")
        #expect(panels.map { $0.attributes["data-parameter"] } == ["flag", "k"])
        #expect(svg.withClass("trial-point").count == 12 + 4)
        #expect(svg.texts.contains("true") && svg.texts.contains("false"))
    }

    // MARK: Contour

    @Test("the contour chart draws a heatmap inside the hull, iso-lines, the trials and log axes")
    func contour() throws {
        let history = Fixture.twoParameters(count: 80)
        let (_, svg) = try renderParsed(.contour, history, options: StudyChartOptions(contourParameters: ("x", "lr")))
        #expect(svg.wellFormed)
        #expect(svg.withClass("trial-point").count == 80)
        #expect(svg.withClass("best-trial").count == 1)
        let heat = svg.elements.filter { $0.name == "rect" }.count
        #expect(heat > 50)
        #expect(svg.withClass("iso-lines").count == 1)
        #expect(svg.texts.contains("lr (log)") && svg.texts.contains("0.001"))
        // Two trials only: no interpolation, and the chart says so.
        let few = StudyHistory(directions: [.minimize], trials: Array(history.trials.prefix(2)))
        let (_, small) = try renderParsed(.contour, few)
        #expect(small.texts.contains { $0.contains("too few distinct points to interpolate") })
    }

    // MARK: Importance, intermediate values, hypergradient runs

    @Test("importance bars are sorted by share, with intervals around them")
    func importance() throws {
        var g = SplitMix(seed: 5)
        let trials = (0..<120).map { n -> FrozenTrial in
            let a = g.unit(), b = g.unit(), c = g.unit()
            return Fixture.trial(n, [10 * (a - 0.3) * (a - 0.3) + 0.5 * b + 0.01 * c], parameters: ["a": .double(a), "b": .double(b), "c": .double(c)],
                                 distributions: ["a": .float(low: 0, high: 1), "b": .float(low: 0, high: 1), "c": .float(low: 0, high: 1)])
        }
        let (_, svg) = try renderParsed(.importance, StudyHistory(directions: [.minimize], trials: trials))
        let bars = svg.withClass("bar")
        let shares = bars.compactMap { $0.attributes["data-share"].flatMap(Double.init) }
        #expect(shares.count == 3)
        #expect(shares == shares.sorted(by: >), "\(shares)")
        #expect(svg.withClass("importance-bar").first?.attributes["data-parameter"] == "a")
        #expect(abs(shares.reduce(0, +) - 1) < 1e-9)
        #expect(!svg.withClass("whisker").isEmpty)
    }

    @Test("intermediate values: a line per trial with values, complete and pruned apart")
    func intermediate() throws {
        let trials = [
            Fixture.trial(0, [0.2], intermediate: [1: 0.9, 2: 0.5, 3: 0.2]),
            Fixture.trial(1, nil, state: .pruned, intermediate: [1: 1.2, 2: 1.1]),
            Fixture.trial(2, [0.3], intermediate: [1: 0.8, 2: 0.4, 3: 0.3]),
            Fixture.trial(3, [0.4]),
            Fixture.trial(4, nil, state: .failed, intermediate: [1: .nan, 2: 0.7]),
        ]
        let (_, svg) = try renderParsed(.intermediate, StudyHistory(directions: [.minimize], trials: trials))
        let lines = svg.withClass("trial-line")
        #expect(lines.count == 4)
        #expect(lines.filter { $0.classes.contains("pruned") }.map { $0.attributes["data-trial"] } == ["1"])
        #expect(lines.filter { $0.classes.contains("complete") }.count == 2)
        #expect(svg.withClass("prune-marks").count == 1)
        #expect(svg.texts.contains("complete (2)") && svg.texts.contains { $0.hasPrefix("pruned (1)") })
        #expect(svg.withClass("best-line").first?.attributes["data-trial"] == "0")
    }

    @Test("a hypergradient run recorded in a study: outer loss per run, λ lines and tensor bands")
    func hypergradient() async throws {
        let study = try await Study.create(name: "hg", direction: .minimize)
        for run in ["R=10", "R=50"] {
            for i in 0..<15 {
                let loss = 1 / Double(i + 1) + (run == "R=10" ? 0.1 : 0)
                try await HypergradientRecording.record(
                    iteration: i, run: run, outerLoss: loss, hypergradientNorm: pow(0.7, Double(i)),
                    lambda: ["lr": .scalar(0.1 * Double(i + 1)), "weights": .init(summarising: [0.2, 0.5, Double(i) / 15])], in: study)
            }
        }
        // A trial that is not a hyper-iteration is ignored.
        let other = try await study.ask()
        _ = try await study.tell(other, 3)
        let history = try await study.history()
        let (_, svg) = try renderParsed(.hypergradient, history, name: "hg")
        #expect(svg.wellFormed)
        #expect(svg.withClass("trial-point").count == 30)
        #expect(svg.withClass("loss-line").count == 2)
        #expect(svg.withClass("norm-line").count == 2)
        #expect(svg.withClass("lambda-line").count == 4)
        #expect(svg.withClass("lambda-band").count == 2)
        #expect(svg.withClass("panel").compactMap { $0.attributes["data-panel"] } == ["outer loss", "hypergradient norm ‖∇λ‖", "λ: lr", "λ: weights (mean; band: min to max)"])
        #expect(svg.texts.contains("R=10") && svg.texts.contains("R=50"))
    }

    // MARK: Safety

    @Test("hostile names are escaped and the output is well-formed XML", arguments: StudyChart.allCases)
    func hostile(chart: StudyChart) async throws {
        let evil = "<script>alert(1)</script>"
        let study = try await Study.create(name: evil, direction: .minimize)
        try await HypergradientRecording.record(iteration: 0, run: "a&b \"q\" 'r'", outerLoss: 1, hypergradientNorm: 1,
                                                lambda: [evil: .scalar(1)], in: study)
        let quoted = "&\"'"
        let choices: [ParameterValue] = ["<b>", "x&y\u{1}"]
        let distributions: [String: Distribution] = [evil: .float(low: 0, high: 20), quoted: .categorical(choices), "ok": .float(low: 0, high: 10)]
        let trials = (0..<20).map { (n: Int) -> FrozenTrial in
            let parameters: [String: ParameterValue] = [evil: .double(Double(n)), quoted: choices[n % 2], "ok": .double(Double(n * n % 11))]
            let value = Double(n % 7) + 0.5
            return Fixture.trial(n, [value], parameters: parameters, distributions: distributions,
                                 intermediate: [1: Double(n), 2: Double(n) / 2], userAttributes: ["note": .string(evil)])
        }
        let history = chart == .hypergradient ? try await study.history() : StudyHistory(directions: [.minimize], trials: trials)
        let options = StudyChartOptions(objectiveName: "loss <&>", contourParameters: chart == .contour ? (evil, "ok") : nil)
        let svg = try StudyCharts.render(chart, history: history, studyName: evil, options: options)
        #expect(!svg.contains("<script"), "raw <script> in \(chart)")
        #expect(!svg.contains("<b>"))
        let parsed = ParsedSVG(svg)
        #expect(parsed.wellFormed, "\(chart): \(parsed.parseError ?? "")")
        #expect(parsed.texts.contains { $0.contains(evil) }, "the name should be shown, escaped")
    }

    @Test("bad requests fail with clear one-line messages")
    func errors() throws {
        let empty = StudyHistory(directions: [.minimize], trials: [])
        let failed = StudyHistory(directions: [.minimize], trials: [Fixture.trial(0, nil, state: .failed), Fixture.trial(1, nil, state: .running)])
        let history = Fixture.twoParameters(count: 10)
        func error(_ chart: StudyChart, _ h: StudyHistory, _ options: StudyChartOptions = .init()) -> ChartError? {
            do {
                _ = try StudyCharts.render(chart, history: h, studyName: "s", options: options)
                return nil
            } catch {
                return error
            }
        }
        #expect(error(.history, empty)?.description == "no complete trials yet (no trials)")
        #expect(error(.slice, failed)?.description == "no complete trials yet (1 running, 1 failed)")
        #expect(error(.history, failed)?.code == .noCompleteTrials)
        #expect(error(.slice, history, StudyChartOptions(parameters: ["x", "nope"]))?.description
            == "unknown parameter 'nope' (known parameters: 'lr', 'x')")
        #expect(error(.contour, history, StudyChartOptions(contourParameters: ("x", "x")))?.code == .contourNeedsTwoNumericParameters)
        let categorical = StudyHistory(directions: [.minimize], trials: (0..<5).map {
            Fixture.trial($0, [1], parameters: ["x": .double(Double($0)), "k": "a"], distributions: ["x": .float(low: 0, high: 5), "k": .categorical(["a", "b"])])
        })
        #expect(error(.contour, categorical)?.description == "a contour needs two numeric parameters; of 'k', 'x', only 'x' is numeric")
        #expect(error(.contour, categorical, StudyChartOptions(contourParameters: ("x", "k")))?.description
            == "a contour needs two numeric parameters; 'k' is categorical")
        #expect(error(.hypergradient, history)?.code == .noHypergradientTrials)
        #expect(error(.history, history, StudyChartOptions(objectiveIndex: 1))?.description
            == "objective index 1 is out of range: the study has 1 objective (index 0)")
        #expect(error(.intermediate, history)?.code == .noIntermediateValues)
        #expect(error(.history, history, StudyChartOptions(width: 10))?.code == .invalidOption)
        #expect(error(.history, history, StudyChartOptions(maxPoints: 0))?.code == .invalidOption)
        for chart in StudyChart.allCases {
            if let e = error(chart, failed) { #expect(!e.description.contains("\n")) }
        }
    }

    @Test("no chart crashes on awkward studies", arguments: StudyChart.allCases)
    func awkward(chart: StudyChart) throws {
        let studies: [String: StudyHistory] = [
            "empty": StudyHistory(directions: [.minimize], trials: []),
            "only failed": StudyHistory(directions: [.minimize], trials: [Fixture.trial(0, nil, state: .failed)]),
            "single": StudyHistory(directions: [.maximize], trials: [Fixture.trial(0, [2], parameters: ["x": 1.5], distributions: ["x": .float(low: 1, high: 2)], intermediate: [0: 1])]),
            "non-finite": StudyHistory(directions: [.minimize], trials: [.nan, .infinity, 1, -.infinity, 2, 3].enumerated().map {
                Fixture.trial($0.offset, [$0.element], parameters: ["x": .double(Double($0.offset))], distributions: ["x": .float(low: 0, high: 9)],
                              intermediate: [0: $0.element, 1: 1])
            }),
            "constant": StudyHistory(directions: [.minimize], trials: (0..<6).map {
                Fixture.trial($0, [4], parameters: ["x": .double(Double($0)), "y": .double(Double($0 * $0 % 5))],
                              distributions: ["x": .float(low: 0, high: 9), "y": .float(low: 0, high: 9)], intermediate: [0: 4])
            }),
            "one value": StudyHistory(directions: [.minimize], trials: (0..<6).map {
                Fixture.trial($0, [Double($0)], parameters: ["x": 3, "y": 0.5, "c": "only"],
                              distributions: ["x": .int(low: 3, high: 3), "y": .float(low: 0.5, high: 0.5), "c": .categorical(["only"])])
            }),
            "odd choices": StudyHistory(directions: [.minimize], trials: (0..<8).map {
                let choices: [ParameterValue] = [1, 2.5, true, "s"]
                return Fixture.trial($0, [Double($0 % 3)], parameters: ["c": choices[$0 % 4], "n": .int($0), "m": .double(Double($0) / 3)],
                                     distributions: ["c": .categorical(choices), "n": .int(low: 0, high: 10, log: false), "m": .float(low: 0, high: 3)])
            }),
            "conditional": StudyHistory(directions: [.minimize], trials: (0..<10).map { n in
                n % 2 == 0
                    ? Fixture.trial(n, [Double(n)], parameters: ["m": "a", "p": .double(Double(n))], distributions: ["m": .categorical(["a", "b"]), "p": .float(low: 0, high: 10)])
                    : Fixture.trial(n, [Double(n)], parameters: ["m": "b", "q": .double(Double(n))], distributions: ["m": .categorical(["a", "b"]), "q": .float(low: 0, high: 10)])
            }),
            "multi-objective": StudyHistory(directions: [.minimize, .maximize], trials: (0..<10).map {
                Fixture.trial($0, [Double($0), Double(10 - $0)], parameters: ["x": .double(Double($0)), "y": .double(Double($0 % 3))],
                              distributions: ["x": .float(low: 0, high: 10), "y": .float(low: 0, high: 10)])
            }),
            "non-positive log": StudyHistory(directions: [.minimize], trials: (0..<6).map {
                Fixture.trial($0, [Double($0) - 2], parameters: ["lr": .double(pow(10, -Double($0))), "x": .double(Double($0))],
                              distributions: ["lr": .float(low: 1e-6, high: 1, log: true), "x": .float(low: 0, high: 6)])
            }),
        ]
        for (name, history) in studies.sorted(by: { $0.key < $1.key }) {
            for options in [StudyChartOptions(), StudyChartOptions(objectiveIndex: history.directions.count - 1, logY: true, maxPoints: 3)] {
                do {
                    let svg = try StudyCharts.render(chart, history: history, studyName: name, options: options)
                    let parsed = ParsedSVG(svg)
                    #expect(parsed.wellFormed, "\(chart) on '\(name)': \(parsed.parseError ?? "")")
                    #expect(!svg.contains("NaN") && !svg.contains("inf"), "\(chart) on '\(name)' printed a non-finite number")
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
        }
    }

    @Test("a 50,000-trial study renders within maxPoints")
    func big() throws {
        let history = Fixture.twoParameters(count: 50_000)
        for chart in [StudyChart.history, .parallelCoordinates, .slice, .contour, .importance] {
            let clock = ContinuousClock()
            var svg = ""
            let elapsed = try clock.measure { svg = try StudyCharts.render(chart, history: history, studyName: "big") }
            let parsed = ParsedSVG(svg)
            #expect(parsed.wellFormed)
            let drawn = parsed.withClass(chart == .parallelCoordinates ? "trial-line" : "trial-point").count
            #expect(drawn <= 5000 * (chart == .slice ? 2 : 1), "\(chart) drew \(drawn)")
            print("\(chart.rawValue): \(elapsed), \(svg.utf8.count / 1024) KiB")
        }
    }
}
