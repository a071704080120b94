import Foundation
@testable import HypertuneCharts
import Testing

@Suite("Axis scales, ticks and labels")
struct ScaleTests {
    /// Whether `v` is 1, 2 or 5 × 10ᵏ times an integer: a multiple of a nice step.
    static func isMultiple(_ v: Double, of step: Double) -> Bool {
        let k = v / step
        return abs(k - k.rounded()) < 1e-6
    }

    @Test("linear ticks are multiples of one 1/2/5 × 10ᵏ step and cover the domain", arguments: [
        (0.0, 1.0), (3.0, 97.0), (-0.013, 0.0042), (1e-7, 3.2e-7), (12_000.0, 12_345.0), (-5e6, 2.5e7), (0.999, 1.001),
    ])
    func linearTicks(low: Double, high: Double) {
        let ticks = LinearScale(domain: low...high, from: 0, to: 500).ticks(6)
        #expect(ticks.count >= 2 && ticks.count <= 13, "\(ticks)")
        let step = ticks[1] - ticks[0]
        let magnitude = pow(10, floor(log10(step)))
        #expect([1.0, 2, 5, 10].contains { abs(step / magnitude - $0) < 1e-6 }, "step \(step) is not 1, 2 or 5 × 10^k")
        for t in ticks {
            #expect(t >= low - 1e-9 * abs(step) && t <= high + 1e-9 * abs(step), "tick \(t) outside \(low)…\(high)")
            #expect(Self.isMultiple(t, of: step), "tick \(t) is not a multiple of \(step)")
        }
        // Covering: no more than one step of the domain is left without a tick at either end.
        #expect(ticks.first! - low <= step * (1 + 1e-9) && high - ticks.last! <= step * (1 + 1e-9))
    }

    @Test("log ticks over many decades are powers of ten; over few decades 2 and 5 join them")
    func logTicks() {
        let wide = LogScale(domain: 1e-6...1e2, from: 0, to: 400).ticks(5)
        #expect(!wide.isEmpty)
        for t in wide {
            let e = log10(t)
            #expect(abs(e - e.rounded()) < 1e-12, "\(t) is not a power of ten")
        }
        #expect(wide.contains(1) && wide.count <= 8, "\(wide)")
        let narrow = LogScale(domain: 0.01...1, from: 0, to: 400).ticks(5)
        #expect(narrow == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], "\(narrow)")
        // Less than a decade with no power of ten inside: still at least two ticks.
        let inside = LogScale(domain: 2...8, from: 0, to: 400).ticks(5)
        #expect(inside.count >= 2 && inside.allSatisfy { $0 >= 2 && $0 <= 8 }, "\(inside)")
        #expect(LogScale(domain: 1e-3...1e3, from: 0, to: 600)(1) == 300)
    }

    @Test("labels follow one scheme: plain decimals from 0.001 to 99999, exponents outside")
    func labels() {
        #expect(TickLabel.format(0.001) == "0.001")
        #expect(TickLabel.format(1e-5) == "1e-5")
        #expect(TickLabel.format(2.5e-7) == "2.5e-7")
        #expect(TickLabel.format(12000) == "12000")
        #expect(TickLabel.format(1e5) == "1e5")
        #expect(TickLabel.format(-3e6) == "-3e6")
        #expect(TickLabel.format(0.1 + 0.2) == "0.3")
        #expect(TickLabel.format(0) == "0")
        #expect(TickLabel.format(0.25) == "0.25" && LinearScale.label(3) == "3")
        #expect(TickLabel.approximate(0.123456) == "0.1235")
    }

    @Test("tick labels are unique and never overlap their neighbours", arguments: [120.0, 300.0, 800.0])
    func noOverlap(length: Double) {
        var g = SplitMix(seed: 7)
        for _ in 0..<300 {
            let a = (g.unit() - 0.5) * pow(10, 12 * g.unit() - 6), span = pow(10, 10 * g.unit() - 5)
            let log = g.unit() < 0.3
            let kind: AxisKind = log ? .log(abs(a) + 1e-9...(abs(a) + 1e-9) * pow(10, 6 * g.unit() + 0.1)) : .linear(a...(a + span))
            let axis = AxisScale(kind, from: 0, to: length)
            let extent = { (s: String) in TextMetrics.width(s, fontSize: 11) }
            let ticks = axis.ticks(extent: extent, gap: 8)
            #expect(!ticks.isEmpty, "no ticks for \(kind)")
            #expect(Set(ticks.map(\.label)).count == ticks.count, "repeated labels \(ticks.map(\.label)) for \(kind)")
            for i in ticks.indices.dropFirst() {
                let distance = abs(axis(ticks[i].value) - axis(ticks[i - 1].value))
                let needed = (extent(ticks[i].label) + extent(ticks[i - 1].label)) / 2
                #expect(distance >= needed, "labels \(ticks[i - 1].label) and \(ticks[i].label) overlap on \(kind) over \(length) px")
            }
        }
    }

    @Test("categorical axes label every k-th choice when the choices do not fit")
    func categories() {
        let labels = (0..<40).map { "choice-\($0)" }
        let axis = AxisScale(.categorical(labels), from: 0, to: 300)
        let ticks = axis.ticks(extent: { TextMetrics.width($0, fontSize: 11) }, gap: 6)
        #expect(ticks.count < 40 && ticks.count >= 2)
        #expect(ticks.first?.label == "choice-0")
    }

    @Test("constant and degenerate domains still give a scale and a tick")
    func degenerate() {
        if case let .linear(d) = AxisKind.fitted([4, 4, 4], log: nil) {
            #expect(d.lowerBound < 4 && d.upperBound > 4)
        } else {
            Issue.record("expected a linear axis")
        }
        if case let .log(d) = AxisKind.fitted([0.001, 10], log: nil) {
            #expect(d.lowerBound < 0.001 && d.upperBound > 10)
        } else {
            Issue.record("four decades of positive values should give a log axis")
        }
        #expect(AxisKind.fitted([0.5, 20], log: nil) == AxisKind.fitted([0.5, 20], log: false), "less than two decades stays linear")
        #expect(AxisKind.fitted([Double.nan, .infinity], log: nil) == .linear(0...1))
        let ticks = AxisScale(.linear(1...(1 + 1e-15)), from: 0, to: 300).ticks(extent: { _ in 20 })
        #expect(!ticks.isEmpty)
    }
}
