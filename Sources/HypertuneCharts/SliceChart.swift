import Foundation
import Hypertune

/// Slice plots: a small panel per parameter with the objective against the parameter's value
/// (log x for log-scale parameters; one position per choice, with a little deterministic
/// jitter, for categorical ones), every panel on the same objective axis, points coloured by
/// trial number (light: early, dark: late) so the sampler's convergence shows.
enum SliceChart {
    /// Columns of panels and each panel's plot height.
    static let panelHeight = 190.0

    /// A jitter in [−0.5, 0.5) that depends only on the trial number (a hash, so neighbours in
    /// number do not line up).
    static func jitter(_ number: Int) -> Double {
        var z = UInt64(bitPattern: Int64(number)) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53) - 0.5
    }

    static func render(_ context: ChartContext) throws(ChartError) -> SVGDocument {
        let options = context.options
        let (objective, complete) = try context.objectiveAndCompleteTrials()
        let allTrials = complete.map(\.trial)
        let names = try context.selectedParameters(known: ParameterAxis.names(in: allTrials))
        guard !names.isEmpty else { throw ChartError(.noParameters, "the complete trials have no parameters to plot") }
        let shown = Subsample.trials(complete, limit: options.maxPoints, objective: objective)
        let shownTrials = shown.map(\.trial)
        let parameterAxes = names.map { ParameterAxis(name: $0, trials: shownTrials) }

        // Layout: a grid of panels, a colour bar for trial numbers on the right.
        let left = 70.0, rightMargin = ColorBar.reserved + 20, gapX = 56.0, gapY = 78.0
        let usable = options.width - left - rightMargin
        let columns = max(1, min(names.count, Int((usable + gapX) / (200 + gapX))))
        let rows = (names.count + columns - 1) / columns
        let panelWidth = (usable - Double(columns - 1) * gapX) / Double(columns)
        let top = Layout.top + 22
        let height = top + Double(rows) * (panelHeight + gapY) - gapY + 50
        var svg = SVGDocument(width: options.width, height: max(options.height, height))

        let yKind = AxisKind.fitted(shown.map(\.value), log: options.logY)
        let numbers = shown.map { Double($0.number) }
        let numberDomain = (numbers.min() ?? 0)...(numbers.max() ?? 1)
        let coloring = ValueColoring(kind: .linear(numberDomain.lowerBound == numberDomain.upperBound
                                                    ? (numberDomain.lowerBound - 1)...(numberDomain.upperBound + 1) : numberDomain),
                                     map: .blues, bestIsHigh: false, range: 0...1)
        let subtitle = "\(objective.caption) · \(Layout.stateCounts(context.history))" + Layout.showing(shown.count, of: complete.count)
            + " · colour: trial number"
        Layout.drawHeader(&svg, title: context.title("slice plots"), subtitle: subtitle)

        let radius = shown.count > 2000 ? 2.0 : shown.count > 300 ? 2.6 : 3.2
        // One tooltip per trial, shared by its points in every panel.
        let tooltips = shown.map { Tooltip.text($0.trial, valueLabel: objective.name, value: $0.value) }
        for (p, axis) in parameterAxes.enumerated() {
            let column = p % columns, row = p / columns
            let frame = Frame(x: left + Double(column) * (panelWidth + gapX), y: top + Double(row) * (panelHeight + gapY),
                              width: panelWidth, height: panelHeight)
            let xAxis = AxisScale(axis.isCategorical ? axis.kind : axis.kind.padded(0.04), from: frame.x, to: frame.right)
            let yAxis = AxisScale(yKind, from: frame.bottom, to: frame.y)
            svg.open("g", ["class": "panel", "data-parameter": axis.name])
            frame.drawAxes(&svg, x: xAxis, y: yAxis, xTitle: axis.name + (axis.isLog ? " (log)" : ""),
                           yTitle: column == 0 ? objective.name : "", fontSize: 10)
            svg.open("g", ["class": "trials", "fill-opacity": shown.count > 1000 ? "0.6" : "0.85", "stroke": "white", "stroke-width": "0.5"])
            // Oldest first, so the latest trials (where the sampler concentrates) are on top.
            for (i, t) in shown.enumerated() {
                guard let value = t.trial.parameters[axis.name], var x = axis.coordinate(value) else { continue }
                if yAxis.isLog && t.value <= 0 { continue }
                if axis.isCategorical { x += 0.5 * jitter(t.number) }
                svg.element("circle", ["class": "trial-point", "data-trial": String(t.number), "cx": SVGDocument.number(xAxis(x)),
                                       "cy": SVGDocument.number(yAxis(t.value)), "r": SVGDocument.number(radius),
                                       "fill": coloring.color(Double(t.number))],
                            title: tooltips[i])
            }
            svg.close("g")
            svg.close("g")
        }
        coloring.drawBar(&svg, frame: ColorBar.frame(documentWidth: options.width, top: top, height: panelHeight), title: "trial number")
        return svg
    }
}
