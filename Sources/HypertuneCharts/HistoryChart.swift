import Hypertune

/// The optimization history: each complete trial's objective value by trial number, the best
/// value so far as a step line, and (optionally) pruned trials as faint ticks along the bottom
/// (a rug: when the pruner acted; the tooltip gives the last intermediate value, which is not
/// comparable with final values and would squash the axis if plotted as a point).
enum HistoryChart {
    /// The best value so far after each of `values` (in trial order): a running minimum, or
    /// maximum when `bestIsHigh`.
    /// - Complexity: O(n).
    static func bestSoFar(_ values: [Double], bestIsHigh: Bool) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(values.count)
        var best = Double.nan
        for v in values {
            if best.isNaN || (bestIsHigh ? v > best : v < best) { best = v }
            out.append(best)
        }
        return out
    }

    /// The trials that set a new best value (the corners of the best-so-far line), as indices.
    static func records(_ trials: [ScoredTrial], objective: Objective) -> [Int] {
        var out: [Int] = []
        for (i, t) in trials.enumerated() where out.isEmpty || objective.isBetter(t.value, than: trials[out.last!].value) {
            out.append(i)
        }
        return out
    }

    static func render(_ context: ChartContext) throws(ChartError) -> SVGDocument {
        let options = context.options
        let (objective, complete) = try context.objectiveAndCompleteTrials()
        // Pruned trials, with their last intermediate value for the tooltip (NaN: none).
        var pruned: [ScoredTrial] = []
        if options.showPruned {
            for t in context.history.trials where t.state == .pruned {
                pruned.append(ScoredTrial(trial: t, value: t.lastIntermediate?.value ?? .nan))
            }
            pruned = pruned.sortedByNumber()
        }
        let recordIndices = records(complete, objective: objective)
        // The budget of points, shared in proportion between complete and pruned trials.
        let total = complete.count + pruned.count
        let completeBudget = total <= options.maxPoints ? complete.count
            : max(1, Int((Double(options.maxPoints) * Double(complete.count) / Double(total)).rounded()))
        let prunedBudget = max(0, min(pruned.count, options.maxPoints - completeBudget))
        let shownComplete = Subsample.trials(complete, limit: completeBudget, objective: objective, alsoKeep: recordIndices)
        let shownPruned = Subsample.indices(count: pruned.count, limit: prunedBudget, keep: []).map { pruned[$0] }

        // The best-so-far line: one corner per record, over all complete trials.
        let corners = recordIndices.map { complete[$0] }
        let lastNumber = max(complete.last!.number, pruned.last?.number ?? 0)

        // Axes: trial numbers, and the objective (log when asked or when it spans decades).
        var yValues = shownComplete.map(\.value) + corners.map(\.value)
        var hiddenNonPositive = 0
        if options.logY == true {
            hiddenNonPositive = shownComplete.count(where: { $0.value <= 0 })
            yValues = yValues.filter { $0 > 0 }
        }
        let yKind = AxisKind.fitted(yValues, log: options.logY == true && yValues.isEmpty ? false : options.logY)
        let firstNumber = min(complete.first!.number, pruned.first?.number ?? Int.max)
        let xKind = AxisKind.linear(AxisKind.paddedLinear(Double(firstNumber)...Double(max(lastNumber, firstNumber)), padding: 0.02))

        var svg = SVGDocument(width: options.width, height: options.height)
        let best = corners.last!
        var subtitle = "\(objective.caption) · \(Layout.stateCounts(context.history))"
        subtitle += Layout.showing(shownComplete.count + shownPruned.count, of: total)
        if hiddenNonPositive > 0 { subtitle += " · \(hiddenNonPositive) value\(hiddenNonPositive == 1 ? "" : "s") ≤ 0 not shown on the log axis" }
        Layout.drawHeader(&svg, title: context.title("optimization history"), subtitle: subtitle)
        let frame = Frame(x: 78, y: Layout.top, width: options.width - 78 - 24, height: options.height - Layout.top - 56)
        let xAxis = AxisScale(xKind, from: frame.x, to: frame.right)
        let yAxis = AxisScale(yKind, from: frame.bottom, to: frame.y)
        frame.drawAxes(&svg, x: xAxis, y: yAxis, xTitle: "trial number", yTitle: objective.name, integerX: true)

        func visible(_ v: Double) -> Bool { !yAxis.isLog || v > 0 }
        let radius = shownComplete.count > 2000 ? 2.0 : shownComplete.count > 300 ? 2.6 : 3.2
        if !shownPruned.isEmpty {
            svg.open("g", ["class": "trials pruned", "stroke": Style.pruned, "stroke-opacity": "0.7", "stroke-width": "1.5", "fill": "none"])
            for t in shownPruned {
                let x = SVGDocument.number(xAxis(Double(t.number)))
                svg.element("path", ["class": "trial-point pruned", "data-trial": String(t.number),
                                     "d": "M\(x) \(SVGDocument.number(frame.bottom - 1))V\(SVGDocument.number(frame.bottom - 9))"],
                            title: Tooltip.text(t.trial, valueLabel: "last intermediate value", value: t.value.isFinite ? t.value : nil))
            }
            svg.close("g")
        }
        svg.open("g", ["class": "trials complete", "fill": Style.complete, "fill-opacity": shownComplete.count > 1000 ? "0.45" : "0.7"])
        for t in shownComplete where visible(t.value) {
            svg.element("circle", ["class": "trial-point complete", "data-trial": String(t.number),
                                   "cx": SVGDocument.number(xAxis(Double(t.number))), "cy": SVGDocument.number(yAxis(t.value)),
                                   "r": SVGDocument.number(radius)],
                        title: Tooltip.text(t.trial, valueLabel: objective.name, value: t.value))
        }
        svg.close("g")
        // Best so far: horizontal to each record's trial number, then vertical to its value.
        var d = ""
        for (i, c) in corners.enumerated() where visible(c.value) {
            let px = SVGDocument.number(xAxis(Double(c.number))), py = SVGDocument.number(yAxis(c.value))
            d += i == 0 || d.isEmpty ? "M\(px) \(py)" : "H\(px)V\(py)"
        }
        if !d.isEmpty { d += "H" + SVGDocument.number(xAxis(Double(lastNumber))) }
        svg.element("path", ["class": "best-line", "d": d, "fill": "none", "stroke": Style.best, "stroke-width": "2",
                             "stroke-linejoin": "round"])
        if visible(best.value) {
            svg.element("circle", ["class": "best-trial", "data-trial": String(best.number), "cx": SVGDocument.number(xAxis(Double(best.number))),
                                   "cy": SVGDocument.number(yAxis(best.value)), "r": SVGDocument.number(radius + 2.5), "fill": "none",
                                   "stroke": Style.best, "stroke-width": "2"],
                        title: "Best: " + Tooltip.text(best.trial, valueLabel: objective.name, value: best.value))
        }
        var legend = [LegendEntry(label: "complete trial", color: Style.complete, symbol: .point(opacity: 0.7))]
        if !shownPruned.isEmpty { legend.append(LegendEntry(label: "pruned trial", color: Style.pruned, symbol: .tick)) }
        legend.append(LegendEntry(label: "best so far: \(Tooltip.number(best.value)) (trial \(best.number))", color: Style.best,
                                  symbol: .line(dashed: false, width: 2)))
        // Minimising, the best values are low and the line hugs the bottom: legend on top.
        frame.drawLegend(&svg, legend, at: objective.bestIsHigh ? .bottomRight : .topRight)
        return svg
    }
}
