import Foundation
import Hypertune

/// Learning curves: each trial's intermediate values against the step, one line per trial,
/// coloured by state (complete blue, pruned orange with an × where it stopped, failed pink,
/// running grey), the best complete trial drawn bold on top.
enum IntermediateChart {
    /// The states in drawing order (the complete ones last, on top) with their colours.
    static let states: [(state: TrialState, color: String, label: String)] = [
        (.pruned, Style.pruned, "pruned"), (.failed, Style.failed, "failed"), (.running, Style.running, "running"),
        (.complete, Style.complete, "complete"),
    ]

    static func render(_ context: ChartContext) throws(ChartError) -> SVGDocument {
        let options = context.options
        let objective = try context.objective()
        let withCurves = context.history.trials.filter { !$0.intermediateValues.isEmpty }
        guard !withCurves.isEmpty else {
            throw ChartError(.noIntermediateValues, "no trial has reported intermediate values yet (\(Layout.stateCounts(context.history)))")
        }
        // Keep the best complete trials and an even spread of the others.
        let scoredComplete = withCurves.indices.compactMap { i -> (Int, Double)? in
            guard withCurves[i].state == .complete, let v = objective.value(of: withCurves[i]) else { return nil }
            return (i, v)
        }
        let bestFirst = scoredComplete.sorted { objective.isBetter($0.1, than: $1.1) || ($0.1 == $1.1 && $0.0 < $1.0) }.map(\.0)
        // At most maxPoints lines, and about 20 · maxPoints vertices in all.
        let meanLength = Double(withCurves.reduce(0) { $0 + $1.intermediateValues.count }) / Double(withCurves.count)
        let lineLimit = max(1, min(options.maxPoints, Int(20 * Double(options.maxPoints) / max(meanLength, 1))))
        let keep = Array(bestFirst.prefix(max(1, lineLimit / 10)))
        let shown = Subsample.indices(count: withCurves.count, limit: lineLimit, keep: keep).map { withCurves[$0] }
        let bestNumber = bestFirst.first.map { withCurves[$0].number }

        // Each trial's curve, in step order, decimated to about 2 points per pixel column.
        var svg = SVGDocument(width: options.width, height: options.height)
        let frame = Frame(x: 78, y: Layout.top, width: options.width - 78 - 24, height: options.height - Layout.top - 56)
        let maxVertices = max(16, Int(2 * frame.width))
        let curves: [[(step: Int, value: Double)]] = shown.map { t in
            let points = t.intermediateValues.filter { $0.value.isFinite }.sorted { $0.key < $1.key }.map { (step: $0.key, value: $0.value) }
            guard points.count > maxVertices else { return points }
            let stride = Double(points.count - 1) / Double(maxVertices - 1)
            return (0..<maxVertices).map { points[Int((Double($0) * stride).rounded())] }
        }
        var yValues = curves.flatMap { $0.map(\.value) }
        if options.logY == true { yValues = yValues.filter { $0 > 0 } }
        let yKind = AxisKind.fitted(yValues, log: options.logY == true && yValues.isEmpty ? false : options.logY)
        let steps = curves.flatMap { $0.map { Double($0.step) } }
        let xKind = AxisKind.linear(AxisKind.paddedLinear((steps.min() ?? 0)...(steps.max() ?? 1), padding: 0.02))
        var counts: [TrialState: Int] = [:]
        for t in shown { counts[t.state, default: 0] += 1 }

        let subtitle = "intermediate values by step · \(Layout.stateCounts(context.history))" + Layout.showing(shown.count, of: withCurves.count)
            + (bestNumber.map { " · bold: best complete trial (\($0))" } ?? "")
        Layout.drawHeader(&svg, title: context.title("intermediate values"), subtitle: subtitle)
        let xAxis = AxisScale(xKind, from: frame.x, to: frame.right), yAxis = AxisScale(yKind, from: frame.bottom, to: frame.y)
        frame.drawAxes(&svg, x: xAxis, y: yAxis, xTitle: "step", yTitle: "intermediate value", integerX: true)

        let opacity = shown.count <= 20 ? 0.85 : max(0.18, 0.85 * (20 / Double(shown.count)).squareRoot())
        var marks = ""
        for (state, color, label) in states {
            let members = shown.indices.filter { shown[$0].state == state }
            guard !members.isEmpty else { continue }
            svg.open("g", ["class": "trials \(label)", "fill": "none", "stroke": color, "stroke-width": shown.count > 300 ? "1" : "1.4",
                           "stroke-opacity": SVGDocument.number(opacity), "stroke-linejoin": "round"])
            for i in members {
                let t = shown[i]
                let visible = curves[i].filter { !yAxis.isLog || $0.value > 0 }
                guard !visible.isEmpty else { continue }
                let points = visible.map { SVGDocument.number(xAxis(Double($0.step))) + "," + SVGDocument.number(yAxis($0.value)) }
                    .joined(separator: " ")
                let last = t.lastIntermediate!
                let value = objective.value(of: t)
                svg.element("polyline", ["class": "trial-line \(label)", "data-trial": String(t.number), "points": points],
                            title: Tooltip.text(t, valueLabel: objective.name, value: value,
                                                extra: ["last intermediate value: \(Tooltip.number(last.value)) at step \(last.step)"]))
                if state == .pruned, let end = visible.last {
                    marks += Marker.cross(x: xAxis(Double(end.step)), y: yAxis(end.value), size: 3.5)
                }
            }
            svg.close("g")
        }
        if !marks.isEmpty {
            svg.element("path", ["class": "prune-marks", "d": marks, "stroke": "#b35900", "stroke-width": "1.4", "fill": "none"])
        }
        if let bestNumber, let i = shown.firstIndex(where: { $0.number == bestNumber }) {
            let points = curves[i].filter { !yAxis.isLog || $0.value > 0 }
                .map { SVGDocument.number(xAxis(Double($0.step))) + "," + SVGDocument.number(yAxis($0.value)) }.joined(separator: " ")
            svg.element("polyline", ["class": "best-line", "data-trial": String(bestNumber), "points": points, "fill": "none",
                                     "stroke": "#003f63", "stroke-width": "2.6"])
        }
        let legend = states.reversed().compactMap { state, color, label in
            counts[state].map { LegendEntry(label: "\(label) (\($0))" + (state == .pruned ? " · × where stopped" : ""), color: color,
                                            symbol: .line(dashed: false, width: 2)) }
        }
        frame.drawLegend(&svg, legend, at: .topRight)
        return svg
    }
}
