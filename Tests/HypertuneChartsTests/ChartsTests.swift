import Foundation
import HypertuneCharts
import Testing

@Suite("SVG charts")
struct ChartsTests {
    @Test("scales map the domain onto the pixel range, backwards too")
    func scales() {
        let s = LinearScale(domain: 0...10, from: 100, to: 0)
        #expect(s(0) == 100 && s(10) == 0 && s(2.5) == 75)
        #expect(LinearScale(domain: 0...1, from: 0, to: 1).ticks() == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(LinearScale(domain: 3...97, from: 0, to: 1).ticks() == [20, 40, 60, 80])
        #expect(LinearScale(domain: 5...5, from: 0, to: 10)(5) == 5)
        #expect(LinearScale.label(0.25) == "0.25" && LinearScale.label(3) == "3")
    }

    @Test("text and attributes are escaped")
    func escaping() {
        var svg = SVGDocument(width: 10, height: 10)
        svg.element("text", ["x": "1\"<"], text: "a < b & c")
        #expect(svg.markup.contains("x=\"1&quot;&lt;\""))
        #expect(svg.markup.contains("a &lt; b &amp; c"))
    }

    @Test("histogram counts put every finite value in a bin")
    func histogram() {
        let h = Histogram(title: "t", xLabel: "x", samples: [("a", [0, 0.05, 0.5, 1, 2, -1, .nan])], range: 0...1, bins: 10)
        let counts = h.counts[0]
        #expect(counts.reduce(0, +) == 6)
        #expect(counts[0] == 3 && counts[5] == 1 && counts[9] == 2)
    }
}
