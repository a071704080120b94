import Foundation

/// A linear scale from a data interval to a pixel interval (which may run backwards, as y
/// does on screen), with "nice" ticks (1, 2 or 5 × 10ᵏ).
public struct LinearScale: Sendable {
    public let domain: ClosedRange<Double>
    /// Pixel positions of the domain's lower and upper bounds.
    public let start: Double, end: Double

    public init(domain: ClosedRange<Double>, from start: Double, to end: Double) {
        // A zero-width domain is widened so that points map to the middle instead of dividing by 0.
        self.domain = domain.lowerBound == domain.upperBound
            ? (domain.lowerBound - 0.5)...(domain.upperBound + 0.5) : domain
        self.start = start
        self.end = end
    }

    /// The pixel position of `v`.
    public func callAsFunction(_ v: Double) -> Double {
        start + (v - domain.lowerBound) / (domain.upperBound - domain.lowerBound) * (end - start)
    }

    /// About `count` round tick values inside the domain.
    public func ticks(_ count: Int = 5) -> [Double] {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0, span.isFinite else { return [domain.lowerBound] }
        let raw = span / Double(max(1, count))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        // Multiples k·step (not a running sum, which accumulates rounding errors).
        let first = Int((domain.lowerBound / step).rounded(.up))
        let last = Int((domain.upperBound / step + 1e-9).rounded(.down))
        guard first <= last else { return [domain.lowerBound] }
        return (first...last).map { k in
            let t = Double(k) * step
            // Round to the step's decimals so 0.1·6 prints and compares as 0.6.
            let decimals = pow(10, max(0, -floor(log10(step)) + 1))
            return (t * decimals).rounded() / decimals
        }
    }

    /// A label for a tick value, without trailing zeros.
    public static func label(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

/// The plotting area of one chart within a document.
public struct Frame: Sendable {
    public let x: Double, y: Double, width: Double, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Draws axes with ticks and labels for the scales, a title and axis titles.
    public func drawAxes(_ svg: inout SVGDocument, xScale: LinearScale, yScale: LinearScale, title: String, xLabel: String, yLabel: String) {
        svg.element("text", ["x": SVGDocument.number(x + width / 2), "y": SVGDocument.number(y - 8), "text-anchor": "middle", "font-size": "12", "font-weight": "bold"], text: title)
        svg.element("line", ["x1": SVGDocument.number(x), "y1": SVGDocument.number(y + height), "x2": SVGDocument.number(x + width), "y2": SVGDocument.number(y + height), "stroke": "#333"])
        svg.element("line", ["x1": SVGDocument.number(x), "y1": SVGDocument.number(y), "x2": SVGDocument.number(x), "y2": SVGDocument.number(y + height), "stroke": "#333"])
        for t in xScale.ticks() {
            let px = xScale(t)
            svg.element("line", ["x1": SVGDocument.number(px), "y1": SVGDocument.number(y + height), "x2": SVGDocument.number(px), "y2": SVGDocument.number(y + height + 4), "stroke": "#333"])
            svg.element("text", ["x": SVGDocument.number(px), "y": SVGDocument.number(y + height + 15), "text-anchor": "middle"], text: LinearScale.label(t))
        }
        for t in yScale.ticks() {
            let py = yScale(t)
            svg.element("line", ["x1": SVGDocument.number(x - 4), "y1": SVGDocument.number(py), "x2": SVGDocument.number(x), "y2": SVGDocument.number(py), "stroke": "#333"])
            svg.element("line", ["x1": SVGDocument.number(x), "y1": SVGDocument.number(py), "x2": SVGDocument.number(x + width), "y2": SVGDocument.number(py), "stroke": "#eee"])
            svg.element("text", ["x": SVGDocument.number(x - 6), "y": SVGDocument.number(py + 4), "text-anchor": "end"], text: LinearScale.label(t))
        }
        svg.element("text", ["x": SVGDocument.number(x + width / 2), "y": SVGDocument.number(y + height + 32), "text-anchor": "middle"], text: xLabel)
        svg.element("text", ["x": SVGDocument.number(x - 38), "y": SVGDocument.number(y + height / 2), "text-anchor": "middle", "transform": "rotate(-90 \(SVGDocument.number(x - 38)) \(SVGDocument.number(y + height / 2)))"], text: yLabel)
    }

    /// Where a legend goes inside the frame.
    public enum LegendPosition: Sendable { case topRight, bottomRight }

    /// A legend of coloured swatches in a corner of the frame.
    public func drawLegend(_ svg: inout SVGDocument, _ entries: [(label: String, color: String)], at position: LegendPosition = .topRight) {
        let top = position == .topRight ? y + 6 : y + height - 6 - Double(entries.count) * 15
        for (i, entry) in entries.enumerated() {
            let ly = top + Double(i) * 15
            svg.element("rect", ["x": SVGDocument.number(x + width - 120), "y": SVGDocument.number(ly), "width": "10", "height": "10", "fill": entry.color])
            svg.element("text", ["x": SVGDocument.number(x + width - 106), "y": SVGDocument.number(ly + 9)], text: entry.label)
        }
    }
}
