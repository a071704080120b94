import Foundation

/// A sequential colour map: colours at evenly spaced stops of [0, 1], interpolated linearly in
/// sRGB between them.
public struct ColorMap: Sendable {
    let stops: [(red: Double, green: Double, blue: Double)]

    /// A map through the colours `hex` (`"#rrggbb"`), evenly spaced from 0 to 1.
    public init(hex: [String]) {
        precondition(hex.count >= 2, "ColorMap: needs at least two colours")
        stops = hex.map { h in
            let digits = h.hasPrefix("#") ? String(h.dropFirst()) : h
            let v = Int(digits, radix: 16) ?? 0
            return (Double((v >> 16) & 0xFF), Double((v >> 8) & 0xFF), Double(v & 0xFF))
        }
    }

    /// Matplotlib's viridis (van der Walt & Smith 2015) at 11 stops: perceptually uniform,
    /// monotone in lightness (dark purple → yellow), readable by colour-blind readers and in grey.
    public static let viridis = ColorMap(hex: ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
                                               "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"])

    /// ColorBrewer's Blues from its third class on (light blue → navy), for order (trial number).
    public static let blues = ColorMap(hex: ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"])

    /// The colour at `t` (clamped to [0, 1]; NaN gives the start) as `#rrggbb`.
    /// - Complexity: O(1).
    public func color(at t: Double) -> String {
        let clamped = t.isNaN ? 0 : min(max(t, 0), 1)
        let position = clamped * Double(stops.count - 1)
        let i = min(Int(position), stops.count - 2)
        let f = position - Double(i)
        let a = stops[i], b = stops[i + 1]
        return Self.hex(a.red + (b.red - a.red) * f, a.green + (b.green - a.green) * f, a.blue + (b.blue - a.blue) * f)
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        let digits = Array("0123456789abcdef")
        var out = "#"
        for c in [r, g, b] {
            let v = Int(c.rounded()).clamped(0, 255)
            out.append(digits[v >> 4])
            out.append(digits[v & 15])
        }
        return out
    }
}

extension Int {
    func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}

/// Colours for values on a linear or log axis: `t` is the value's position in the axis's domain
/// (in log space for a log axis), reversed when `bestIsHigh` so that the best values are always
/// the dark end of the map — drawn on top, they stand out on white and the worst fade.
struct ValueColoring: Sendable {
    let kind: AxisKind
    let map: ColorMap
    /// Whether the largest values are the best (a maximised objective).
    let bestIsHigh: Bool
    /// The part of the map used: its brightest yellow is too faint on white for thin lines.
    let range: ClosedRange<Double>

    init(kind: AxisKind, map: ColorMap = .viridis, bestIsHigh: Bool, range: ClosedRange<Double> = 0...0.93) {
        self.kind = kind
        self.map = map
        self.bestIsHigh = bestIsHigh
        self.range = range
    }

    /// The value's position in [0, 1] before reversal.
    func position(_ v: Double) -> Double {
        switch kind {
        case let .linear(d):
            let span = d.upperBound - d.lowerBound
            return span > 0 ? (v - d.lowerBound) / span : 0.5
        case let .log(d):
            let (a, b) = (log10(d.lowerBound), log10(d.upperBound))
            return b > a && v > 0 ? (log10(v) - a) / (b - a) : 0
        case .categorical:
            return 0.5
        }
    }

    /// The colour of `v`.
    func color(_ v: Double) -> String {
        let p = min(max(position(v), 0), 1)
        let t = bestIsHigh ? 1 - p : p
        return map.color(at: range.lowerBound + t * (range.upperBound - range.lowerBound))
    }

    /// A vertical colour bar in `frame` with its axis's ticks on the right and `title` above.
    func drawBar(_ svg: inout SVGDocument, frame: Frame, title: String) {
        let axis = AxisScale(kind, from: frame.bottom, to: frame.y)
        let steps = 64
        svg.open("g", ["class": "color-bar", "shape-rendering": "crispEdges"])
        for i in 0..<steps {
            // Sample the colour at the middle of each step in pixel space.
            let y0 = frame.bottom - Double(i) * frame.height / Double(steps)
            let y1 = frame.bottom - Double(i + 1) * frame.height / Double(steps)
            let p = (Double(i) + 0.5) / Double(steps)
            let t = bestIsHigh ? 1 - p : p
            svg.element("rect", ["x": SVGDocument.number(frame.x), "y": SVGDocument.number(y1), "width": SVGDocument.number(frame.width),
                                 "height": SVGDocument.number(y0 - y1 + 0.6),
                                 "fill": map.color(at: range.lowerBound + t * (range.upperBound - range.lowerBound))])
        }
        svg.close("g")
        svg.element("rect", ["x": SVGDocument.number(frame.x), "y": SVGDocument.number(frame.y), "width": SVGDocument.number(frame.width),
                             "height": SVGDocument.number(frame.height), "fill": "none", "stroke": Style.axis])
        svg.open("g", ["fill": Style.muted, "font-size": "10"])
        for tick in axis.ticks(extent: { _ in 10 }, gap: 6) {
            let py = axis(tick.value)
            svg.element("line", ["x1": SVGDocument.number(frame.right), "y1": SVGDocument.number(py), "x2": SVGDocument.number(frame.right + 3),
                                 "y2": SVGDocument.number(py), "stroke": Style.axis])
            svg.element("text", ["x": SVGDocument.number(frame.right + 5), "y": SVGDocument.number(py + 3.5)], text: tick.label)
        }
        svg.close("g")
        ColorBar.drawTitle(&svg, frame: frame, title: title)
    }
}

/// Where colour bars go: a 14-pixel bar in the document's right 84 pixels, tick labels to its
/// right, and the title written upwards along the document's edge.
enum ColorBar {
    /// The room a colour bar takes at the right of a document.
    static let reserved = 84.0

    /// The bar's frame for a document `width` wide, from `top` down `height` pixels.
    static func frame(documentWidth width: Double, top: Double, height: Double) -> Frame {
        Frame(x: width - reserved + 4, y: top, width: 14, height: height)
    }

    /// The title, rotated, centred along the bar at the document's right edge.
    static func drawTitle(_ svg: inout SVGDocument, frame: Frame, title: String) {
        let x = frame.right + 58, y = frame.y + frame.height / 2
        svg.element("text", ["class": "color-bar-title", "x": SVGDocument.number(x), "y": SVGDocument.number(y), "text-anchor": "middle",
                             "font-size": "11", "fill": Style.ink, "transform": "rotate(-90 \(SVGDocument.number(x)) \(SVGDocument.number(y)))"],
                    text: TextMetrics.truncated(title, toWidth: frame.height, fontSize: 11))
    }
}
