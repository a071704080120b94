import Foundation

/// The plotting area of one chart within a document.
public struct Frame: Sendable {
    public let x: Double, y: Double, width: Double, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    var right: Double { x + width }
    var bottom: Double { y + height }

    /// Draws axes with ticks and labels for the scales, a title and axis titles.
    public func drawAxes(_ svg: inout SVGDocument, xScale: LinearScale, yScale: LinearScale, title: String, xLabel: String, yLabel: String) {
        svg.element("text", ["x": SVGDocument.number(x + width / 2), "y": SVGDocument.number(y - 8), "text-anchor": "middle",
                             "font-size": "12", "font-weight": "bold", "fill": Style.ink], text: title)
        drawAxes(&svg, x: .linear(xScale), y: .linear(yScale), xTitle: xLabel, yTitle: yLabel)
    }

    /// Draws gridlines, both axes with non-overlapping tick labels, and the axis titles.
    /// - Parameters:
    ///   - showYLabels: false for a panel that shares the y axis of its left neighbour.
    ///   - integerX: whether only integers are x ticks (trial numbers, steps).
    ///   - drawY: false for no y ticks, gridlines or title at all (bar charts).
    ///   - grid: false for no gridlines (over a heatmap).
    func drawAxes(_ svg: inout SVGDocument, x xAxis: AxisScale, y yAxis: AxisScale, xTitle: String, yTitle: String,
                  fontSize: Double = 11, showYLabels: Bool = true, integerX: Bool = false, drawY: Bool = true, grid: Bool = true) {
        let font = SVGDocument.number(fontSize)
        let xTicks = xAxis.ticks(extent: { TextMetrics.width($0, fontSize: fontSize) }, gap: 8, integers: integerX)
        let yTicks = drawY ? yAxis.ticks(extent: { _ in fontSize }, gap: 8) : []
        svg.open("g", ["class": "axes"])
        // Gridlines first, under everything.
        svg.open("g", ["stroke": Style.grid, "stroke-width": "1"])
        if case .categories = xAxis {} else if grid {
            for t in xTicks {
                let px = SVGDocument.number(xAxis(t.value))
                svg.element("line", ["x1": px, "y1": SVGDocument.number(y), "x2": px, "y2": SVGDocument.number(bottom)])
            }
        }
        for t in yTicks where grid {
            let py = SVGDocument.number(yAxis(t.value))
            svg.element("line", ["x1": SVGDocument.number(x), "y1": py, "x2": SVGDocument.number(right), "y2": py])
        }
        svg.close("g")
        svg.element("rect", ["x": SVGDocument.number(x), "y": SVGDocument.number(y), "width": SVGDocument.number(width),
                             "height": SVGDocument.number(height), "fill": "none", "stroke": Style.axis, "stroke-width": "1"])
        // x ticks and labels.
        svg.open("g", ["class": "x-axis", "fill": Style.muted, "font-size": font, "text-anchor": "middle"])
        for t in xTicks {
            let px = SVGDocument.number(xAxis(t.value))
            svg.element("line", ["x1": px, "y1": SVGDocument.number(bottom), "x2": px, "y2": SVGDocument.number(bottom + 4), "stroke": Style.axis])
            svg.element("text", ["x": px, "y": SVGDocument.number(bottom + 6 + fontSize)], text: t.label)
        }
        svg.close("g")
        // y ticks and labels.
        var widest = 0.0
        svg.open("g", ["class": "y-axis", "fill": Style.muted, "font-size": font, "text-anchor": "end"])
        for t in yTicks {
            let py = yAxis(t.value)
            svg.element("line", ["x1": SVGDocument.number(x - 4), "y1": SVGDocument.number(py), "x2": SVGDocument.number(x), "y2": SVGDocument.number(py), "stroke": Style.axis])
            if showYLabels {
                widest = max(widest, TextMetrics.width(t.label, fontSize: fontSize))
                svg.element("text", ["x": SVGDocument.number(x - 6), "y": SVGDocument.number(py + fontSize * 0.35)], text: t.label)
            }
        }
        svg.close("g")
        // Axis titles.
        let titleSize = fontSize + 1
        svg.open("g", ["class": "axis-titles", "fill": Style.ink, "font-size": SVGDocument.number(titleSize), "text-anchor": "middle"])
        if !xTitle.isEmpty {
            svg.element("text", ["x": SVGDocument.number(x + width / 2), "y": SVGDocument.number(bottom + 10 + fontSize + titleSize + 4)],
                        text: TextMetrics.truncated(xTitle, toWidth: width, fontSize: titleSize))
        }
        if !yTitle.isEmpty && showYLabels {
            let tx = x - widest - 14, ty = y + height / 2
            svg.element("text", ["x": SVGDocument.number(tx), "y": SVGDocument.number(ty),
                                 "transform": "rotate(-90 \(SVGDocument.number(tx)) \(SVGDocument.number(ty)))"],
                        text: TextMetrics.truncated(yTitle, toWidth: height, fontSize: titleSize))
        }
        svg.close("g")
        svg.close("g")
    }

    /// Where a legend goes inside the frame.
    public enum LegendPosition: Sendable { case topRight, bottomRight }

    /// A legend of coloured swatches in a corner of the frame.
    public func drawLegend(_ svg: inout SVGDocument, _ entries: [(label: String, color: String)], at position: LegendPosition = .topRight) {
        drawLegend(&svg, entries.map { LegendEntry(label: $0.label, color: $0.color, symbol: .swatch) }, at: position)
    }

    /// A legend with a white backing in a corner of the frame; nothing for no entries.
    func drawLegend(_ svg: inout SVGDocument, _ entries: [LegendEntry], at position: LegendPosition = .topRight) {
        guard !entries.isEmpty else { return }
        let rowHeight = 16.0, fontSize = 11.0
        let textWidth = entries.map { TextMetrics.width($0.label, fontSize: fontSize) }.max() ?? 0
        let boxWidth = min(width - 12, 34 + textWidth + 8), boxHeight = Double(entries.count) * rowHeight + 8
        let left = right - boxWidth - 6
        let top = position == .topRight ? y + 6 : bottom - boxHeight - 6
        svg.open("g", ["class": "legend", "font-size": SVGDocument.number(fontSize)])
        svg.element("rect", ["x": SVGDocument.number(left), "y": SVGDocument.number(top), "width": SVGDocument.number(boxWidth),
                             "height": SVGDocument.number(boxHeight), "rx": "3", "fill": "white", "fill-opacity": "0.88", "stroke": Style.grid])
        for (i, entry) in entries.enumerated() {
            let cy = top + 4 + (Double(i) + 0.5) * rowHeight
            let sx = left + 8
            switch entry.symbol {
            case .swatch:
                svg.element("rect", ["x": SVGDocument.number(sx + 3), "y": SVGDocument.number(cy - 5), "width": "10", "height": "10", "fill": entry.color])
            case let .line(dashed, width):
                svg.element("line", ["x1": SVGDocument.number(sx), "y1": SVGDocument.number(cy), "x2": SVGDocument.number(sx + 18), "y2": SVGDocument.number(cy),
                                     "stroke": entry.color, "stroke-width": SVGDocument.number(width), "stroke-dasharray": dashed ? "4 3" : "none"])
            case let .point(opacity):
                svg.element("circle", ["cx": SVGDocument.number(sx + 8), "cy": SVGDocument.number(cy), "r": "3.5", "fill": entry.color,
                                       "fill-opacity": SVGDocument.number(opacity)])
            case .tick:
                svg.element("path", ["d": "M\(SVGDocument.number(sx + 8)) \(SVGDocument.number(cy + 4))V\(SVGDocument.number(cy - 4))",
                                     "stroke": entry.color, "stroke-width": "1.5"])
            case .cross:
                svg.element("path", ["d": Marker.cross(x: sx + 8, y: cy, size: 3.5), "stroke": entry.color, "stroke-width": "1.5", "fill": "none"])
            case .band:
                svg.element("rect", ["x": SVGDocument.number(sx), "y": SVGDocument.number(cy - 5), "width": "18", "height": "10", "fill": entry.color, "fill-opacity": "0.2"])
                svg.element("line", ["x1": SVGDocument.number(sx), "y1": SVGDocument.number(cy), "x2": SVGDocument.number(sx + 18), "y2": SVGDocument.number(cy),
                                     "stroke": entry.color, "stroke-width": "1.8"])
            }
            svg.element("text", ["x": SVGDocument.number(sx + 26), "y": SVGDocument.number(cy + 4), "fill": Style.ink],
                        text: TextMetrics.truncated(entry.label, toWidth: boxWidth - 34, fontSize: fontSize))
        }
        svg.close("g")
    }
}

/// One legend row: a symbol in a colour, and a label.
struct LegendEntry {
    enum Symbol { case swatch, line(dashed: Bool, width: Double), point(opacity: Double), cross, band, tick }
    var label: String
    var color: String
    var symbol: Symbol
}

/// The charts' neutral colours and type sizes.
enum Style {
    static let ink = "#1f2328"
    static let muted = "#57606a"
    static let axis = "#8c959f"
    static let grid = "#eaeef2"
    static let faint = "#afb8c1"
    static let best = "#D55E00"
    static let complete = "#0072B2"
    static let pruned = "#E69F00"
    static let failed = "#CC79A7"
    static let running = "#6e7781"
}

/// Marker shapes as path data.
enum Marker {
    /// A triangle of half-size `size` centred at (x, y), pointing up or down.
    static func triangle(x: Double, y: Double, size: Double, up: Bool) -> String {
        let tip = up ? y - size : y + size, base = up ? y + size : y - size
        return "M\(SVGDocument.number(x)) \(SVGDocument.number(tip))L\(SVGDocument.number(x + size)) \(SVGDocument.number(base))"
            + "L\(SVGDocument.number(x - size)) \(SVGDocument.number(base))Z"
    }

    /// An × of half-size `size` centred at (x, y).
    static func cross(x: Double, y: Double, size: Double) -> String {
        let a = SVGDocument.number(x - size), b = SVGDocument.number(x + size)
        let c = SVGDocument.number(y - size), d = SVGDocument.number(y + size)
        return "M\(a) \(c)L\(b) \(d)M\(a) \(d)L\(b) \(c)"
    }
}

/// Text extents estimated from character classes of Helvetica/Arial (no font is available to
/// measure on a server): digits and most lower-case letters are about 0.55 em wide; a margin
/// covers wider fallback fonts.
enum TextMetrics {
    /// The estimated width in pixels of `text` at `fontSize`.
    /// - Complexity: O(length).
    static func width(_ text: String, fontSize: Double) -> Double {
        var em = 0.0
        for c in text.unicodeScalars {
            switch c {
            case "i", "j", "l", ".", ",", ":", ";", "'", "|", "!", " ", "I", "f", "t", "r": em += 0.3
            case "m", "w", "M", "W", "@", "%": em += 0.85
            case "A"..."Z": em += 0.68
            case "-", "−", "(", ")", "[", "]": em += 0.36
            default: em += c.value > 0x2E80 ? 1.0 : 0.56
            }
        }
        // 8% for fallback fonts wider than Helvetica (DejaVu Sans on a bare Linux).
        return 1.08 * em * fontSize
    }

    /// `text`, cut with an ellipsis so that it is at most `maxWidth` pixels wide.
    static func truncated(_ text: String, toWidth maxWidth: Double, fontSize: Double) -> String {
        guard width(text, fontSize: fontSize) > maxWidth else { return text }
        var out = "", used = 0.0
        let budget = maxWidth - width("…", fontSize: fontSize)
        for c in text {
            let w = width(String(c), fontSize: fontSize)
            if used + w > budget { break }
            used += w
            out.append(c)
        }
        return out + "…"
    }
}
