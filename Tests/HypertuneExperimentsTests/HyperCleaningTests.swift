import Autograd
import Datasets
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Hypertune
@testable import HypertuneExperiments
import Testing

@Suite("Data hyper-cleaning")
struct HyperCleaningTests {
    /// A learnable synthetic problem: 4 classes from a linear teacher in 20 dimensions; 300
    /// training examples of which 100 have their label replaced by another class.
    static func syntheticData() -> HyperCleaningData {
        var g = SeededGenerator(seed: 11)
        let teacher = Tensor<Float>(randomNormal: [20, 4], generator: &g)
        func make(_ n: Int) -> ImageClassificationData {
            let x = Tensor<Float>(randomNormal: [n, 20], generator: &g)
            let scores = matmul(x, teacher).scalars
            let y = (0..<n).map { i in (0..<4).max { scores[i * 4 + $0] < scores[i * 4 + $1] }! }
            return ImageClassificationData(images: x, labels: y, classes: 4)
        }
        let train = make(300)
        let (noisy, mask) = train.corruptingLabels(count: 100, seed: 3)
        var corruptedTrain = train
        corruptedTrain.labels = noisy
        return HyperCleaningData(train: corruptedTrain, corrupted: mask, validation: make(150), test: make(400), description: "synthetic")
    }

    @Test("flagging scores count corrupted examples as positives")
    func scores() {
        // λ: flagged, flagged, kept, kept, flagged; corrupted: yes, no, yes, no, yes.
        let s = FlaggingScore(weights: [0, 0.0005, 0.5, 1, 0], corrupted: [true, false, true, false, true], threshold: 1e-3)
        #expect(s.flagged == 3 && s.flaggedCorrupted == 2 && s.keptCorrupted == 1)
        #expect(abs(s.precision - 2.0 / 3) < 1e-12 && abs(s.recall - 2.0 / 3) < 1e-12 && abs(s.f1 - 2.0 / 3) < 1e-12)
        #expect(FlaggingScore(weights: [1, 1], corrupted: [false, true], threshold: 1e-3).f1 == 0)
    }

    @Test("the run is recorded as a study: one trial per hyper-iteration")
    func recordedAsStudy() async throws {
        var c = HyperCleaningConfiguration()
        c.budgets = [120, 200]
        c.innerSteps = 10
        c.hyperIterations = 4
        c.finalSteps = 20
        var events: [(Int, HyperCleaningResult.Iteration)] = []
        let result = try HyperCleaningExperiment(configuration: c).run(Self.syntheticData()) { event in
            if case let .hyperIteration(budget, total, record, _) = event {
                #expect(total == 4)
                events.append((budget, record))
            }
        }
        let study = try await HyperIterationStudy.create(name: "hc")
        for (budget, record) in events { try await HyperIterationStudy.record(record, budget: budget, in: study) }

        let trials = try await study.trials()
        #expect(trials.count == 8 && trials.allSatisfy { $0.state == .complete })
        let expected = result.dh.flatMap { b in b.history.map { (b.R, $0) } }
        for (trial, (R, record)) in zip(trials, expected) {
            #expect(trial.parameters == ["run": .string("R=\(R)"), "hyper_iteration": .int(record.iteration)])
            let recorded = try #require(HypergradientRecording.iteration(of: trial))
            #expect(recorded.run == "R=\(R)" && recorded.iteration == record.iteration && recorded.outerLoss == record.validation_loss)
            #expect(recorded.lambda == ["example_weights": .summary(mean: record.lambda_mean, min: record.lambda_min, max: record.lambda_max)])
            #expect(trial.value == record.validation_loss)
            #expect(trial.userAttributes["hypergradient_norm"] == .number(record.hypergradient_norm))
            #expect(trial.userAttributes["f1"] == .number(record.f1))
            // λ stays feasible: in [0, 1] with mean at most R/n.
            #expect(record.lambda_min >= 0 && record.lambda_max <= 1 && record.lambda_mean <= Double(R) / 300 * (1 + 1e-5))
        }
        // The last iteration's summary is that of the final λ.
        for b in result.dh {
            let last = try #require(b.history.last)
            #expect(abs(last.lambda_mean - Double(b.weights.reduce(0, +)) / Double(b.weights.count)) < 1e-6)
            #expect(last.lambda_max == Double(b.weights.max()!) && last.lambda_min == Double(b.weights.min()!))
        }
        let table = try await study.table()
        #expect(table.rows.count == 8)
        #expect(["run", "hyper_iteration", "user.f1", "user.hypergradient_norm", "user.lambda"].allSatisfy(table.columns.contains))
    }

    @Test("the experiment finds corrupted labels and improves on the baseline")
    func endToEnd() throws {
        var c = HyperCleaningConfiguration()
        c.budgets = [120, 200]
        c.innerSteps = 40
        c.hyperIterations = 60
        c.finalSteps = 200
        let data = Self.syntheticData()
        var events = 0
        let result = try HyperCleaningExperiment(configuration: c).run(data) { event in
            if case .hyperIteration = event { events += 1 }
        }
        #expect(events == 120)
        #expect(result.dh.map(\.R) == [120, 200])
        for b in result.dh {
            #expect(b.history.count == 60)
            #expect(b.weights.count == 300)
            // Every projected λ is feasible.
            #expect(b.weights.allSatisfy { $0 >= 0 && $0 <= 1 })
            #expect(b.weights.reduce(0, +) <= Float(b.R) * (1 + 1e-5))
            // Flagging the same number of examples at random would score about 1/3 (the corrupted
            // fraction); the hypergradient finds most of them.
            #expect(b.f1 > 0.6, "R = \(b.R): F1 \(b.f1)")
            #expect(b.accuracy >= result.baseline.accuracy, "R = \(b.R): \(b.accuracy) below the baseline \(result.baseline.accuracy)")
        }
        #expect(result.oracle.accuracy > result.baseline.accuracy)
        // The JSON has the fields of the benchmark schema.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as! [String: Any]
        #expect(json["benchmark"] as? String == "hyper-cleaning")
        #expect((json["oracle"] as? [String: Any])?["accuracy"] is Double)
        let dh = json["dh"] as! [[String: Any]]
        #expect(Set(["R", "accuracy", "f1", "precision", "recall", "seconds"]).isSubset(of: Set(dh[0].keys)))

        // The report: the table lists every row; the chart is well-formed SVG with one F1 line per
        // budget and the histogram bars.
        let table = HyperCleaningReport.table(result)
        for name in ["Oracle", "Baseline", "DH-120", "DH-200"] { #expect(table.contains(name)) }
        let svg = HyperCleaningReport.chart(result)
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = counter
        #expect(parser.parse(), "the chart is not well-formed XML")
        #expect(counter.counts["polyline"] == 2)
        #expect((counter.counts["rect"] ?? 0) > 10)
    }
}

final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
    }
}
