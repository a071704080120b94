import Foundation
import Hypertune

/// A gradient-based run recorded by ``HypergradientRecording``, as small multiples: the outer
/// loss by hyper-iteration (a line per run, a point per recorded trial), the hypergradient norm,
/// then one panel per hyperparameter λ — a scalar as a line, a tensor as its mean with a band
/// from its minimum to its maximum.
enum HypergradientChart {
    /// One run's iterations, in iteration order, with the trials that recorded them.
    struct Run {
        let label: String
        var iterations: [(iteration: HypergradientRecording.Iteration, trial: FrozenTrial)]
    }

    /// The recorded runs, in the order their first trial was recorded.
    /// - Complexity: O(n log n).
    static func runs(_ history: StudyHistory) -> [Run] {
        var runs: [Run] = []
        var index: [String: Int] = [:]
        for t in history.trials {
            guard let it = HypergradientRecording.iteration(of: t), it.outerLoss.isFinite else { continue }
            let label = it.run ?? ""
            if let i = index[label] {
                runs[i].iterations.append((it, t))
            } else {
                index[label] = runs.count
                runs.append(Run(label: label, iterations: [(it, t)]))
            }
        }
        for i in runs.indices {
            runs[i].iterations.sort { $0.iteration.iteration < $1.iteration.iteration || ($0.iteration.iteration == $1.iteration.iteration && $0.trial.number < $1.trial.number) }
        }
        return runs
    }

    static let panelHeight = 200.0

    static func render(_ context: ChartContext) throws(ChartError) -> SVGDocument {
        let options = context.options
        let runs = runs(context.history)
        guard !runs.isEmpty else {
            throw ChartError(.noHypergradientTrials,
                             "no hypergradient trials: no complete trial records a hyper-iteration ('\(HypergradientRecording.iterationParameter)' and '\(HypergradientRecording.lambdaKey)'; see HypergradientRecording)")
        }
        var lambdaNames = Set<String>()
        var hasNorm = false
        for run in runs {
            for (it, _) in run.iterations {
                lambdaNames.formUnion(it.lambda.keys)
                if let n = it.hypergradientNorm, n.isFinite { hasNorm = true }
            }
        }
        let lambdas = lambdaNames.sorted()
        let total = runs.reduce(0) { $0 + $1.iterations.count }
        let direction = context.history.directions.first ?? .minimize

        // Panels: outer loss, hypergradient norm, then one per λ.
        enum Panel { case loss, norm, lambda(String) }
        let panels: [Panel] = [.loss] + (hasNorm ? [.norm] : []) + lambdas.map { .lambda($0) }
        let left = 74.0, right = 24.0, gapX = 64.0, gapY = 84.0
        let usable = options.width - left - right
        let columns = max(1, min(panels.count, Int((usable + gapX) / (260 + gapX))))
        let rows = (panels.count + columns - 1) / columns
        let panelWidth = (usable - Double(columns - 1) * gapX) / Double(columns)
        let named = runs.count > 1 || runs[0].label != ""
        let top = Layout.top + (named ? 34 : 12)
        let height = top + Double(rows) * (panelHeight + gapY) - gapY + 52
        var svg = SVGDocument(width: options.width, height: max(options.height, height))
        let lambdaSummary = lambdas.isEmpty ? "no λ recorded" : "λ: " + lambdas.joined(separator: ", ")
        Layout.drawHeader(&svg, title: context.title("hypergradient run" + (runs.count > 1 ? "s" : "")),
                          subtitle: "\(runs.count) run\(runs.count > 1 ? "s" : ""), \(total) hyper-iterations · outer loss (\(direction.rawValue)) · \(lambdaSummary)"
                            + (total > options.maxPoints ? " · points for \(options.maxPoints) of \(total) iterations" : ""))
        if named {
            // The runs' legend, in one row under the header.
            var x = 18.0
            svg.open("g", ["class": "legend runs", "font-size": "12"])
            for (r, run) in runs.enumerated() {
                let label = run.label.isEmpty ? "(unnamed run)" : run.label
                svg.element("line", ["x1": SVGDocument.number(x), "y1": "71", "x2": SVGDocument.number(x + 20), "y2": "71",
                                     "stroke": Palette.color(r), "stroke-width": "2.5"])
                let shown = TextMetrics.truncated(label, toWidth: 200, fontSize: 12)
                svg.element("text", ["x": SVGDocument.number(x + 26), "y": "75", "fill": Style.ink], text: shown)
                x += 26 + TextMetrics.width(shown, fontSize: 12) + 22
                if x > options.width - 120 { break }
            }
            svg.close("g")
        }
        // Points (one per recorded trial) on the loss panel, at most maxPoints of them.
        let pointBudget = Subsample.indices(count: total, limit: options.maxPoints, keep: [])
        var keepPoint = Set<Int>()
        var flat: [Int] = []
        for run in runs { for (_, t) in run.iterations { flat.append(t.number) } }
        for i in pointBudget { keepPoint.insert(flat[i]) }
        let maxVertices = max(16, Int(2 * panelWidth))

        func decimated<T>(_ items: [T]) -> [T] {
            guard items.count > maxVertices else { return items }
            let stride = Double(items.count - 1) / Double(maxVertices - 1)
            return (0..<maxVertices).map { items[Int((Double($0) * stride).rounded())] }
        }

        for (p, panel) in panels.enumerated() {
            let column = p % columns, row = p / columns
            let frame = Frame(x: left + Double(column) * (panelWidth + gapX), y: top + Double(row) * (panelHeight + gapY),
                              width: panelWidth, height: panelHeight)
            // Each run's series: (iteration, value, low, high).
            let series: [[(x: Double, y: Double, low: Double?, high: Double?)]] = runs.map { run in
                run.iterations.compactMap { it, _ in
                    let x = Double(it.iteration)
                    switch panel {
                    case .loss: return (x, it.outerLoss, nil, nil)
                    case .norm: return it.hypergradientNorm.flatMap { $0.isFinite ? (x, $0, nil, nil) : nil }
                    case let .lambda(name):
                        switch it.lambda[name] {
                        case let .scalar(v)?: return v.isFinite ? (x, v, nil, nil) : nil
                        case let .summary(mean, low, high)?: return mean.isFinite ? (x, mean, low.isFinite ? low : nil, high.isFinite ? high : nil) : nil
                        case nil: return nil
                        }
                    }
                }
            }
            let isTensor = series.contains { $0.contains { $0.low != nil } }
            let (title, yTitle, className): (String, String, String) = switch panel {
            case .loss: ("outer loss", "outer loss", "loss")
            case .norm: ("hypergradient norm ‖∇λ‖", "norm", "norm")
            case let .lambda(name): ("λ: \(name)" + (isTensor ? " (mean; band: min to max)" : ""), name, "lambda")
            }
            var yValues: [Double] = []
            var xValues: [Double] = []
            for s in series {
                for point in s {
                    yValues.append(point.y)
                    xValues.append(point.x)
                    if let l = point.low { yValues.append(l) }
                    if let h = point.high { yValues.append(h) }
                }
            }
            let logOption: Bool? = switch panel {
            case .loss: options.logY
            default: nil
            }
            if logOption == true { yValues = yValues.filter { $0 > 0 } }
            let yKind = AxisKind.fitted(yValues, log: logOption == true && yValues.isEmpty ? false : logOption)
            let xKind = AxisKind.linear(AxisKind.paddedLinear((xValues.min() ?? 0)...(xValues.max() ?? 1), padding: 0.02))
            let xAxis = AxisScale(xKind, from: frame.x, to: frame.right), yAxis = AxisScale(yKind, from: frame.bottom, to: frame.y)
            svg.open("g", ["class": "panel \(className)", "data-panel": title])
            svg.element("text", ["x": SVGDocument.number(frame.x), "y": SVGDocument.number(frame.y - 8), "font-size": "12", "font-weight": "bold",
                                 "fill": Style.ink], text: TextMetrics.truncated(title, toWidth: panelWidth, fontSize: 12))
            frame.drawAxes(&svg, x: xAxis, y: yAxis, xTitle: "hyper-iteration", yTitle: yTitle, fontSize: 10, integerX: true)
            func px(_ x: Double) -> String { SVGDocument.number(xAxis(x)) }
            func py(_ y: Double) -> String { SVGDocument.number(yAxis(yAxis.isLog ? max(y, .leastNormalMagnitude) : y)) }
            for (r, s) in series.enumerated() where !s.isEmpty {
                let color = Palette.color(r)
                let points = decimated(s)
                // The band from min to max of a tensor λ, under its mean.
                let banded = points.filter { $0.low != nil && $0.high != nil }
                if banded.count == points.count && !banded.isEmpty {
                    var d = "M" + banded.map { "\(px($0.x)) \(py($0.high!))" }.joined(separator: "L")
                    d += "L" + banded.reversed().map { "\(px($0.x)) \(py($0.low!))" }.joined(separator: "L") + "Z"
                    svg.element("path", ["class": "lambda-band", "data-run": runs[r].label, "d": d, "fill": color, "fill-opacity": "0.18", "stroke": "none"])
                }
                let line = points.map { "\(px($0.x)),\(py($0.y))" }.joined(separator: " ")
                svg.element("polyline", ["class": "\(className)-line run-line", "data-run": runs[r].label, "points": line, "fill": "none",
                                         "stroke": color, "stroke-width": "1.8", "stroke-linejoin": "round"])
            }
            if case .loss = panel {
                let count = pointBudget.count
                svg.open("g", ["class": "trials", "fill-opacity": count > 400 ? "0.5" : "0.9"])
                for (r, run) in runs.enumerated() {
                    for (it, t) in run.iterations where keepPoint.contains(t.number) && (!yAxis.isLog || it.outerLoss > 0) {
                        var extra = ["hyper-iteration \(it.iteration)" + (it.run.map { " of run \($0)" } ?? "")]
                        if let n = it.hypergradientNorm { extra.append("hypergradient norm: \(Tooltip.number(n))") }
                        for name in it.lambda.keys.sorted().prefix(8) {
                            switch it.lambda[name]! {
                            case let .scalar(v): extra.append("λ \(name) = \(Tooltip.number(v))")
                            case let .summary(mean, low, high):
                                extra.append("λ \(name): mean \(Tooltip.number(mean)), min \(Tooltip.number(low)), max \(Tooltip.number(high))")
                            }
                        }
                        svg.element("circle", ["class": "trial-point", "data-trial": String(t.number), "cx": px(Double(it.iteration)),
                                               "cy": py(it.outerLoss), "r": count > 400 ? "1.6" : "2.6", "fill": Palette.color(r)],
                                    title: "Trial \(t.number) · outer loss \(Tooltip.number(it.outerLoss))\n" + extra.joined(separator: "\n"))
                    }
                }
                svg.close("g")
            }
            svg.close("g")
        }
        return svg
    }
}
