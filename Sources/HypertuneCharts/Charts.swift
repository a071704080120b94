/// A line chart of several series over a shared x axis.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var label: String
        public var points: [(x: Double, y: Double)]
        public init(label: String, points: [(x: Double, y: Double)]) {
            self.label = label
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// A fixed y range, or nil to fit the data.
    public var yRange: ClosedRange<Double>?
    public var legend: Frame.LegendPosition

    public init(title: String, xLabel: String, yLabel: String, series: [Series], yRange: ClosedRange<Double>? = nil, legend: Frame.LegendPosition = .topRight) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
        self.legend = legend
    }

    /// Draws the chart into `frame` of `svg`.
    public func draw(in svg: inout SVGDocument, frame: Frame) {
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let xScale = LinearScale(domain: (xs.min() ?? 0)...(xs.max() ?? 1), from: frame.x, to: frame.x + frame.width)
        let yScale = LinearScale(domain: yRange ?? ((ys.min() ?? 0)...(ys.max() ?? 1)), from: frame.y + frame.height, to: frame.y)
        frame.drawAxes(&svg, xScale: xScale, yScale: yScale, title: title, xLabel: xLabel, yLabel: yLabel)
        for (i, s) in series.enumerated() {
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
                .map { "\(SVGDocument.number(xScale($0.x))),\(SVGDocument.number(yScale($0.y)))" }
            guard !points.isEmpty else { continue }
            svg.element("polyline", ["points": points.joined(separator: " "), "fill": "none", "stroke": Palette.color(i), "stroke-width": "1.8"])
        }
        frame.drawLegend(&svg, series.enumerated().map { ($0.element.label, Palette.color($0.offset)) }, at: legend)
    }
}

/// Overlaid histograms of several samples over shared bins.
public struct Histogram: Sendable {
    public var title: String
    public var xLabel: String
    public var samples: [(label: String, values: [Double])]
    public var range: ClosedRange<Double>
    public var bins: Int

    public init(title: String, xLabel: String, samples: [(label: String, values: [Double])], range: ClosedRange<Double>, bins: Int = 20) {
        precondition(bins > 0 && range.upperBound > range.lowerBound, "Histogram: needs bins and a non-empty range")
        self.title = title
        self.xLabel = xLabel
        self.samples = samples
        self.range = range
        self.bins = bins
    }

    /// Counts per bin for each sample (values outside the range go to the end bins).
    public var counts: [[Int]] {
        samples.map { sample in
            var c = [Int](repeating: 0, count: bins)
            let width = (range.upperBound - range.lowerBound) / Double(bins)
            for v in sample.values where v.isFinite {
                c[min(bins - 1, max(0, Int((v - range.lowerBound) / width)))] += 1
            }
            return c
        }
    }

    public func draw(in svg: inout SVGDocument, frame: Frame) {
        let counts = self.counts
        let top = Double(counts.flatMap { $0 }.max() ?? 1)
        let xScale = LinearScale(domain: range, from: frame.x, to: frame.x + frame.width)
        let yScale = LinearScale(domain: 0...max(1, top), from: frame.y + frame.height, to: frame.y)
        frame.drawAxes(&svg, xScale: xScale, yScale: yScale, title: title, xLabel: xLabel, yLabel: "count")
        let width = (range.upperBound - range.lowerBound) / Double(bins)
        for (i, c) in counts.enumerated() {
            for (b, n) in c.enumerated() where n > 0 {
                let x0 = xScale(range.lowerBound + Double(b) * width), x1 = xScale(range.lowerBound + Double(b + 1) * width)
                svg.element("rect", [
                    "x": SVGDocument.number(x0), "y": SVGDocument.number(yScale(Double(n))),
                    "width": SVGDocument.number(max(0.5, x1 - x0 - 1)), "height": SVGDocument.number(yScale(0) - yScale(Double(n))),
                    "fill": Palette.color(i), "fill-opacity": "0.55",
                ])
            }
        }
        frame.drawLegend(&svg, samples.enumerated().map { ($0.element.label, Palette.color($0.offset)) })
    }
}
