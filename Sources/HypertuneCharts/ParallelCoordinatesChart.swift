import Foundation
import Hypertune

/// Parallel coordinates: the objective's axis, then one vertical axis per parameter (linear or
/// log as its distribution says, or one labelled position per choice); each complete trial is a
/// polyline through its values, coloured by objective value (best dark, drawn on top). A trial
/// without a parameter (an inactive conditional branch) skips that axis: its line goes straight
/// from the axis before to the axis after.
enum ParallelCoordinatesChart {
    static func render(_ context: ChartContext) throws(ChartError) -> SVGDocument {
        let options = context.options
        let (objective, complete) = try context.objectiveAndCompleteTrials()
        let allTrials = complete.map(\.trial)
        let names = try context.selectedParameters(known: ParameterAxis.names(in: allTrials))
        let shown = Subsample.trials(complete, limit: options.maxPoints, objective: objective)
        // Axes from the trials drawn: the same as from all of them but in a big study (and then
        // they still cover every line drawn), at a fraction of the cost.
        let shownTrials = shown.map(\.trial)
        let parameterAxes = names.map { ParameterAxis(name: $0, trials: shownTrials) }

        let objectiveKind = AxisKind.fitted(shown.map(\.value), log: options.logY, padding: 0.02)
        let coloring = ValueColoring(kind: objectiveKind, bestIsHigh: objective.bestIsHigh)
        var svg = SVGDocument(width: options.width, height: options.height)
        let subtitle = "\(objective.caption) · \(Layout.stateCounts(context.history))" + Layout.showing(shown.count, of: complete.count)
            + " · colour: \(objective.name), darkest = best"
        Layout.drawHeader(&svg, title: context.title("parallel coordinates"), subtitle: subtitle)

        // Axes: the objective first, then the parameters, evenly spaced.
        let top = Layout.top + 34, bottom = options.height - 24
        let left = 74.0, right = options.width - ColorBar.reserved - 44
        let axisCount = 1 + parameterAxes.count
        let spacing = axisCount > 1 ? (right - left) / Double(axisCount - 1) : 0
        func axisX(_ i: Int) -> Double { axisCount > 1 ? left + Double(i) * spacing : (left + right) / 2 }
        var axes: [AxisScale] = [AxisScale(objectiveKind, from: bottom, to: top)]
        axes += parameterAxes.map { AxisScale($0.kind, from: bottom, to: top) }

        // Lines, worst first so the best end on top.
        let order = shown.indices.sorted { a, b in
            let (x, y) = (shown[a].value, shown[b].value)
            return objective.isBetter(y, than: x) || (x == y && shown[a].number > shown[b].number)
        }
        let opacity = shown.count <= 40 ? 0.85 : max(0.12, 0.85 * (40 / Double(shown.count)).squareRoot())
        svg.open("g", ["class": "trials", "fill": "none", "stroke-width": shown.count > 500 ? "1" : "1.4",
                       "stroke-opacity": SVGDocument.number(opacity), "stroke-linejoin": "round"])
        var absent = [Int](repeating: 0, count: parameterAxes.count)
        for i in order {
            let t = shown[i]
            var points = SVGDocument.number(axisX(0)) + "," + SVGDocument.number(axes[0](t.value))
            for (k, axis) in parameterAxes.enumerated() {
                guard let value = t.trial.parameters[axis.name], let c = axis.coordinate(value) else {
                    absent[k] += 1
                    continue
                }
                points += " " + SVGDocument.number(axisX(k + 1)) + "," + SVGDocument.number(axes[k + 1](c))
            }
            svg.element("polyline", ["class": "trial-line", "data-trial": String(t.number), "points": points, "stroke": coloring.color(t.value)],
                        title: Tooltip.text(t.trial, valueLabel: objective.name, value: t.value))
        }
        svg.close("g")

        // Axes over the lines: a line, ticks with haloed labels, and the name on top.
        let nameWidth = axisCount > 1 ? spacing - 8 : 160
        for (i, axis) in axes.enumerated() {
            let x = axisX(i)
            let name = i == 0 ? objective.name : parameterAxes[i - 1].name
            svg.open("g", ["class": i == 0 ? "axis objective-axis" : "axis parameter-axis"])
            svg.element("line", ["x1": SVGDocument.number(x), "y1": SVGDocument.number(top), "x2": SVGDocument.number(x),
                                 "y2": SVGDocument.number(bottom), "stroke": Style.ink, "stroke-width": "1.2"])
            let ticks = axis.ticks(extent: { _ in 10 }, gap: 6)
            svg.open("g", ["font-size": "10", "fill": Style.ink, "text-anchor": "end", "stroke": "white", "stroke-width": "3",
                           "stroke-linejoin": "round", "paint-order": "stroke"])
            for tick in ticks {
                let y = axis(tick.value)
                svg.element("line", ["x1": SVGDocument.number(x - 3), "y1": SVGDocument.number(y), "x2": SVGDocument.number(x),
                                     "y2": SVGDocument.number(y), "stroke": Style.ink, "stroke-width": "1"])
                let label = TextMetrics.truncated(tick.label, toWidth: max(30, min(110, spacing - 12)), fontSize: 10)
                svg.element("text", ["x": SVGDocument.number(x - 5), "y": SVGDocument.number(y + 3.5)], text: label)
            }
            svg.close("g")
            svg.element("text", ["class": "axis-name", "x": SVGDocument.number(x), "y": SVGDocument.number(top - 16), "text-anchor": "middle",
                                 "font-size": "12", "font-weight": i == 0 ? "bold" : "normal", "fill": Style.ink],
                        text: TextMetrics.truncated(name, toWidth: nameWidth, fontSize: 12), title: name)
            if i > 0, absent[i - 1] > 0 {
                svg.element("text", ["x": SVGDocument.number(x), "y": SVGDocument.number(top - 4), "text-anchor": "middle", "font-size": "10",
                                     "fill": Style.muted], text: "absent in \(absent[i - 1])")
            }
            svg.close("g")
        }
        coloring.drawBar(&svg, frame: ColorBar.frame(documentWidth: options.width, top: top, height: bottom - top), title: objective.name)
        return svg
    }
}
