import Foundation
import Hypertune

/// Parameter importance: a horizontal bar per parameter, most important on top, of its
/// PED-ANOVA share (``ParameterImportance/pedAnova(_:quantile:bootstrap:seed:)``), with the
/// 90% bootstrap interval as a whisker and the share written at the bar's end.
enum ImportanceChart {
    /// The most trials the importance is computed from: PED-ANOVA's Parzen estimates cost
    /// O(trials · grid) per parameter and bootstrap round, so a big study is evenly subsampled
    /// (every k-th trial: the subsample keeps the study's distribution, unlike the best-first
    /// subsample of the point charts, which would bias "the top 10%").
    static let trialLimit = 600
    static let bootstrapRounds = 40

    static func render(_ context: ChartContext) throws(ChartError) -> SVGDocument {
        let options = context.options
        let (objective, complete) = try context.objectiveAndCompleteTrials()
        let known = ParameterAxis.names(in: complete.map(\.trial))
        let selected = try context.selectedParameters(known: known)
        guard complete.count >= 2 else {
            throw ChartError(.notEnoughForImportance, "parameter importance needs at least 2 complete trials, the study has \(complete.count)")
        }
        let limit = min(options.maxPoints, trialLimit)
        let used = Subsample.indices(count: complete.count, limit: limit, keep: []).map { complete[$0] }
        // One objective, as PED-ANOVA reads it: the selected value as the only one.
        let trials = used.map { t -> FrozenTrial in
            guard objective.count > 1 else { return t.trial }
            var copy = t.trial
            copy.values = [t.value]
            return copy
        }
        let shares = ParameterImportance.pedAnova(StudyHistory(directions: [objective.direction], trials: trials), bootstrap: bootstrapRounds)
            .filter { options.parameters == nil || selected.contains($0.name) }
        guard !shares.isEmpty else {
            throw ChartError(.notEnoughForImportance,
                             "no parameter to rank: importance needs parameters that every complete trial has, with more than one value (conditional parameters are left out)")
        }
        let sorted = shares.sorted { $0.share > $1.share || ($0.share == $1.share && $0.name < $1.name) }

        // Layout: names on the left, bars to the right.
        // As tall as the bars need (the options' height is not used).
        let rowHeight = sorted.count > 30 ? 22.0 : 34.0
        let height = Layout.top + 10 + rowHeight * Double(sorted.count) + 58 + (sorted.count < selected.count ? 20 : 0)
        var svg = SVGDocument(width: options.width, height: height)
        let nameWidth = min(options.width * 0.3, (sorted.map { TextMetrics.width($0.name, fontSize: 12) }.max() ?? 40) + 16)
        let frame = Frame(x: 18 + nameWidth, y: Layout.top + 10, width: options.width - 18 - nameWidth - 60, height: rowHeight * Double(sorted.count))
        let top = min(1, (sorted.map { max($0.high, $0.share) }.max() ?? 1) * 1.08)
        let xAxis = AxisScale(.linear(0...(100 * max(top, 0.01))), from: frame.x, to: frame.right)
        let ranked = Set(shares.map(\.name))
        let unranked = selected.filter { !ranked.contains($0) }
        var subtitle = "PED-ANOVA: the best 10% against all of "
        subtitle += used.count < complete.count ? "\(used.count) of \(complete.count) complete trials" : "\(complete.count) complete trials"
        subtitle += " · \(objective.caption) · whiskers: 90% bootstrap interval"
        Layout.drawHeader(&svg, title: context.title("parameter importance"), subtitle: subtitle)
        frame.drawAxes(&svg, x: xAxis, y: .linear(LinearScale(domain: 0...1, from: frame.bottom, to: frame.y)), xTitle: "share of importance (%)",
                       yTitle: "", drawY: false)

        svg.open("g", ["class": "bars"])
        for (i, s) in sorted.enumerated() {
            let cy = frame.y + (Double(i) + 0.5) * rowHeight
            let barHeight = rowHeight * 0.62
            let x1 = xAxis(100 * s.share)
            let detail = "\(s.name): \(percent(s.share)) of the importance (90% interval \(percent(s.low))–\(percent(s.high)))"
            svg.open("g", ["class": "importance-bar", "data-parameter": s.name])
            svg.element("text", ["x": SVGDocument.number(frame.x - 8), "y": SVGDocument.number(cy + 4), "text-anchor": "end", "font-size": "12",
                                 "fill": Style.ink], text: TextMetrics.truncated(s.name, toWidth: nameWidth - 12, fontSize: 12), title: s.name)
            svg.element("rect", ["class": "bar", "x": SVGDocument.number(frame.x), "y": SVGDocument.number(cy - barHeight / 2),
                                 "width": SVGDocument.number(max(0.5, x1 - frame.x)), "height": SVGDocument.number(barHeight),
                                 "fill": i == 0 ? "#005a8c" : Style.complete, "fill-opacity": "0.85", "data-share": String(s.share)],
                        title: detail)
            // Whisker: the interval, with caps.
            let (xl, xh) = (xAxis(100 * s.low), xAxis(100 * s.high))
            if xh - xl > 0.5 {
                let cap = barHeight * 0.3
                svg.element("path", ["class": "whisker", "d": "M\(SVGDocument.number(xl)) \(SVGDocument.number(cy))H\(SVGDocument.number(xh))"
                        + "M\(SVGDocument.number(xl)) \(SVGDocument.number(cy - cap))V\(SVGDocument.number(cy + cap))"
                        + "M\(SVGDocument.number(xh)) \(SVGDocument.number(cy - cap))V\(SVGDocument.number(cy + cap))",
                    "stroke": Style.ink, "stroke-width": "1.2", "fill": "none"])
            }
            svg.element("text", ["x": SVGDocument.number(max(x1, xh) + 6), "y": SVGDocument.number(cy + 4), "font-size": "11", "fill": Style.muted],
                        text: percent(s.share))
            svg.close("g")
        }
        svg.close("g")
        if !unranked.isEmpty {
            // Parameters PED-ANOVA leaves out: those some trials lack (conditional) or with one value.
            let note = "Not ranked (absent from some trials, or a single value): " + unranked.joined(separator: ", ")
            svg.element("text", ["class": "footnote", "x": "18", "y": SVGDocument.number(height - 10), "font-size": "11", "fill": Style.muted],
                        text: TextMetrics.truncated(note, toWidth: options.width - 36, fontSize: 11))
        }
        return svg
    }

    /// A share as a percentage with one decimal below 10% ("4.2%", "37%").
    static func percent(_ share: Double) -> String {
        let p = 100 * share
        return p < 9.95 ? String(format: "%.1f%%", p) : String(format: "%.0f%%", p)
    }
}
