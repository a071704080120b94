import Foundation
import Hypertune

/// The objective over two numeric parameters: values interpolated linearly on the Delaunay
/// triangulation of the trials (``TriangulatedGrid``, as Optuna does through scipy's
/// `griddata`), drawn as filled bands between round levels with iso-lines at the levels, the
/// trials on top and the best one ringed.
///
/// The triangulation is made in the plot's coordinates — log₁₀ of a log-scale parameter —
/// normalised to the unit square, so the interpolant is linear in what the eye sees and does
/// not depend on the parameters' units. Nothing is extrapolated: outside the trials' convex
/// hull the plot stays grey.
enum ContourChart {
    static func render(_ context: ChartContext) throws(ChartError) -> SVGDocument {
        let options = context.options
        let (objective, complete) = try context.objectiveAndCompleteTrials()
        let allTrials = complete.map(\.trial)
        let known = ParameterAxis.names(in: allTrials)
        // Axes from a subsample (the whole study when it is within maxPoints).
        let sample = Subsample.trials(complete, limit: options.maxPoints, objective: objective).map(\.trial)
        let (xAxisInfo, yAxisInfo) = try pair(context, known: known, trials: sample)
        let (xName, yName) = (xAxisInfo.name, yAxisInfo.name)

        // Trials that have both parameters.
        let placed = complete.compactMap { t -> (trial: ScoredTrial, x: Double, y: Double)? in
            guard let a = t.trial.parameters[xName].flatMap(xAxisInfo.coordinate), let b = t.trial.parameters[yName].flatMap(yAxisInfo.coordinate)
            else { return nil }
            return (t, a, b)
        }
        guard !placed.isEmpty else {
            throw ChartError(.noCompleteTrials, "no complete trial has both '\(xName)' and '\(yName)' (conditional parameters of different branches?)")
        }
        let scored = placed.map(\.trial)
        let keep = Set(Subsample.trials(scored, limit: options.maxPoints, objective: objective).map(\.number))
        let shown = placed.filter { keep.contains($0.trial.number) }

        // Plot coordinates: log10 for log axes.
        func u(_ v: Double, _ axis: ParameterAxis) -> Double { axis.isLog ? log10(v) : v }
        let xKind = xAxisInfo.kind.padded(0.02), yKind = yAxisInfo.kind.padded(0.02)
        func plotRange(_ kind: AxisKind) -> ClosedRange<Double> {
            switch kind {
            case let .linear(d): d
            case let .log(d): log10(d.lowerBound)...log10(d.upperBound)
            case .categorical: 0...1
            }
        }
        let xRange = plotRange(xKind), yRange = plotRange(yKind)

        var svg = SVGDocument(width: options.width, height: options.height)
        let frame = Frame(x: 84, y: Layout.top + 6, width: options.width - 84 - ColorBar.reserved - 26, height: options.height - Layout.top - 6 - 58)
        let columns = max(8, min(160, Int(frame.width / 4))), rows = max(8, min(160, Int(frame.height / 4)))
        let grid = TriangulatedGrid(x: shown.map { u($0.x, xAxisInfo) }, y: shown.map { u($0.y, yAxisInfo) }, z: shown.map(\.trial.value),
                                    columns: columns, rows: rows, xRange: xRange, yRange: yRange)
        let interpolated = grid.values.compactMap { $0 }
        let zValues = interpolated + shown.map(\.trial.value)
        let zKind = AxisKind.fitted(zValues, log: options.logY, padding: 0)
        let coloring = ValueColoring(kind: zKind, bestIsHigh: objective.bestIsHigh)
        let levels = levels(zKind)

        var subtitle = "\(objective.caption) · \(shown.count) trials with both parameters" + Layout.showing(shown.count, of: placed.count)
        subtitle += interpolated.isEmpty ? " · too few distinct points to interpolate" : " · linear interpolation on a Delaunay triangulation · grey: outside the trials"
        Layout.drawHeader(&svg, title: context.title("contour of \(yName) vs \(xName)"), subtitle: subtitle)

        // Background for the region that is not interpolated.
        svg.element("rect", ["x": SVGDocument.number(frame.x), "y": SVGDocument.number(frame.y), "width": SVGDocument.number(frame.width),
                             "height": SVGDocument.number(frame.height), "fill": "#eef0f3"])
        let cellWidth = frame.width / Double(columns), cellHeight = frame.height / Double(rows)
        func band(_ v: Double) -> Int { levels.partitioningIndex { $0 > v } }
        let bandColors = (0...levels.count).map { k -> String in
            let low = k == 0 ? zDomain(zKind).lowerBound : levels[k - 1]
            let high = k == levels.count ? zDomain(zKind).upperBound : levels[k]
            return coloring.color(zKind.isLog ? (low * high).squareRoot() : (low + high) / 2)
        }
        // The cells are drawn one cell beyond the interpolated ones and clipped to the hull of
        // the trials, so the coloured region's edge is the hull's, not a staircase of cells.
        let xAxis = AxisScale(xKind, from: frame.x, to: frame.right), yAxis = AxisScale(yKind, from: frame.bottom, to: frame.y)
        let hull = convexHull(shown.map { (xAxis($0.x), yAxis($0.y)) })
        let filled = dilated(grid)
        var clip: [String: String] = [:]
        if hull.count >= 3 {
            let polygon = hull.map { "\(SVGDocument.number($0.0)),\(SVGDocument.number($0.1))" }.joined(separator: " ")
            let id = "hull-\(fnv1a(polygon + context.studyName))"
            svg.raw("<defs><clipPath id=\"\(id)\"><polygon points=\"\(polygon)\"/></clipPath></defs>")
            clip["clip-path"] = "url(#\(id))"
        }
        // Filled bands: one rectangle per run of cells of the same band in a row.
        svg.open("g", ["class": "heatmap", "shape-rendering": "crispEdges", "clip-path": clip["clip-path"] ?? "none"])
        for row in 0..<rows {
            var column = 0
            while column < columns {
                guard let v = filled[row * columns + column] else {
                    column += 1
                    continue
                }
                let k = band(v)
                var end = column + 1
                while end < columns, let w = filled[row * columns + end], band(w) == k { end += 1 }
                let y = frame.bottom - Double(row + 1) * cellHeight
                svg.element("rect", ["x": SVGDocument.number(frame.x + Double(column) * cellWidth), "y": SVGDocument.number(y),
                                     "width": SVGDocument.number(Double(end - column) * cellWidth + 0.4),
                                     "height": SVGDocument.number(cellHeight + 0.4), "fill": bandColors[k]])
                column = end
            }
        }
        svg.close("g")
        // Iso-lines at the levels (marching squares between cell centres).
        svg.open("g", ["class": "iso-lines", "fill": "none", "stroke": "white", "stroke-opacity": "0.6", "stroke-width": "0.9",
                       "clip-path": clip["clip-path"] ?? "none"])
        for level in levels {
            let d = isoLine(filled, columns: columns, rows: rows, level: level) { c, r in
                (frame.x + (c + 0.5) * cellWidth, frame.bottom - (r + 0.5) * cellHeight)
            }
            if !d.isEmpty { svg.element("path", ["d": d, "data-level": TickLabel.format(level)]) }
        }
        svg.close("g")

        frame.drawAxes(&svg, x: xAxis, y: yAxis, xTitle: xName + (xAxisInfo.isLog ? " (log)" : ""), yTitle: yName + (yAxisInfo.isLog ? " (log)" : ""),
                       grid: false)
        // Trials: white dots (or coloured by value when nothing is interpolated), best ringed.
        let best = shown.map(\.trial).bestFirst(objective).first.map { shown[$0] }
        svg.open("g", ["class": "trials", "stroke": Style.ink, "stroke-width": "0.8", "fill-opacity": "0.9"])
        let radius = shown.count > 1000 ? 2.0 : 3.0
        for t in shown {
            svg.element("circle", ["class": "trial-point", "data-trial": String(t.trial.number), "cx": SVGDocument.number(xAxis(t.x)),
                                   "cy": SVGDocument.number(yAxis(t.y)), "r": SVGDocument.number(radius),
                                   "fill": interpolated.isEmpty ? coloring.color(t.trial.value) : "white"],
                        title: Tooltip.text(t.trial.trial, valueLabel: objective.name, value: t.trial.value))
        }
        svg.close("g")
        if let best {
            svg.element("circle", ["class": "best-trial", "data-trial": String(best.trial.number), "cx": SVGDocument.number(xAxis(best.x)),
                                   "cy": SVGDocument.number(yAxis(best.y)), "r": SVGDocument.number(radius + 3.5), "fill": "none",
                                   "stroke": Style.best, "stroke-width": "2.2"],
                        title: "Best: " + Tooltip.text(best.trial.trial, valueLabel: objective.name, value: best.trial.value))
        }
        drawBandedBar(&svg, frame: ColorBar.frame(documentWidth: options.width, top: frame.y, height: frame.height),
                      kind: zKind, levels: levels, colors: bandColors, title: objective.name)
        return svg
    }

    /// The x and y parameters: the options' pair, else the first two numeric parameters the
    /// options list, else the two numeric parameters most trials have (ties by name).
    static func pair(_ context: ChartContext, known: [String], trials: [FrozenTrial]) throws(ChartError) -> (ParameterAxis, ParameterAxis) {
        let knownSet = Set(known)
        if let (x, y) = context.options.contourParameters {
            for name in [x, y] where !knownSet.contains(name) { throw ChartError.unknownParameter(name, known: known) }
            guard x != y else {
                throw ChartError(.contourNeedsTwoNumericParameters, "a contour needs two different numeric parameters, got '\(x)' twice")
            }
            let axes = (ParameterAxis(name: x, trials: trials), ParameterAxis(name: y, trials: trials))
            for axis in [axes.0, axes.1] where axis.isCategorical {
                throw ChartError(.contourNeedsTwoNumericParameters, "a contour needs two numeric parameters; '\(axis.name)' is categorical")
            }
            return axes
        }
        let candidates = try context.selectedParameters(known: known)
        var counts: [String: Int] = [:]
        for t in trials { for name in t.parameters.keys { counts[name, default: 0] += 1 } }
        let axes = Dictionary(uniqueKeysWithValues: candidates.map { ($0, ParameterAxis(name: $0, trials: trials)) })
        let numeric = candidates.filter { !axes[$0]!.isCategorical }
        let ordered = context.options.parameters != nil ? numeric
            : numeric.sorted { counts[$0, default: 0] > counts[$1, default: 0] || (counts[$0, default: 0] == counts[$1, default: 0] && $0 < $1) }
        guard ordered.count >= 2 else {
            let which = ordered.isEmpty ? "none is" : "only '\(ordered[0])' is"
            throw ChartError(.contourNeedsTwoNumericParameters,
                             "a contour needs two numeric parameters; of \(candidates.map { "'\($0)'" }.joined(separator: ", ")), \(which) numeric")
        }
        return (axes[ordered[0]]!, axes[ordered[1]]!)
    }

    /// The grid's values with each empty cell next to interpolated ones (8-neighbourhood) given
    /// their mean: drawn under the hull's clip path, they fill the cells the hull cuts.
    /// - Complexity: O(columns · rows).
    static func dilated(_ grid: TriangulatedGrid) -> [Double?] {
        var out = grid.values
        for r in 0..<grid.rows {
            for c in 0..<grid.columns where grid.values[r * grid.columns + c] == nil {
                var sum = 0.0, count = 0
                for dr in -1...1 {
                    for dc in -1...1 {
                        let (rr, cc) = (r + dr, c + dc)
                        guard rr >= 0, rr < grid.rows, cc >= 0, cc < grid.columns, let v = grid.values[rr * grid.columns + cc] else { continue }
                        sum += v
                        count += 1
                    }
                }
                if count > 0 { out[r * grid.columns + c] = sum / Double(count) }
            }
        }
        return out
    }

    /// The convex hull of `points`, counter-clockwise (Andrew's monotone chain).
    /// - Complexity: O(n log n).
    static func convexHull(_ points: [(Double, Double)]) -> [(Double, Double)] {
        let sorted = points.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        guard sorted.count >= 3 else { return sorted }
        func cross(_ o: (Double, Double), _ a: (Double, Double), _ b: (Double, Double)) -> Double {
            (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
        }
        var hull: [(Double, Double)] = []
        for pass in 0..<2 {
            let start = hull.count
            for p in pass == 0 ? sorted : sorted.reversed() {
                while hull.count >= start + 2 && cross(hull[hull.count - 2], hull[hull.count - 1], p) <= 0 { hull.removeLast() }
                hull.append(p)
            }
            hull.removeLast()
        }
        return hull
    }

    /// A 32-bit FNV-1a hash in hex: a deterministic id for the document's clip path, distinct
    /// between charts placed on one page.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return String(hash, radix: 16)
    }

    static func zDomain(_ kind: AxisKind) -> ClosedRange<Double> {
        switch kind {
        case let .linear(d), let .log(d): d
        case .categorical: 0...1
        }
    }

    /// Round levels strictly inside the value domain (about 8), the band boundaries.
    static func levels(_ kind: AxisKind) -> [Double] {
        let d = zDomain(kind)
        let ticks: [Double] = switch kind {
        case .log: LogScale(domain: d, from: 0, to: 1).ticks(7)
        default: LinearScale(domain: d, from: 0, to: 1).ticks(8)
        }
        return ticks.filter { $0 > d.lowerBound && $0 < d.upperBound }
    }

    /// The iso-line of `level` through the grid as path data: marching squares over the cells
    /// between four cell centres that all have values, the crossing on each edge placed by
    /// linear interpolation, saddles resolved by the mean of the four corners.
    /// - Complexity: O(columns · rows).
    static func isoLine(_ values: [Double?], columns: Int, rows: Int, level: Double, point: (Double, Double) -> (Double, Double)) -> String {
        var d = ""
        guard columns > 1, rows > 1 else { return d }
        func value(_ c: Int, _ r: Int) -> Double? { values[r * columns + c] }
        func add(_ a: (Double, Double), _ b: (Double, Double)) {
            let p = point(a.0, a.1), q = point(b.0, b.1)
            d += "M\(SVGDocument.number(p.0)) \(SVGDocument.number(p.1))L\(SVGDocument.number(q.0)) \(SVGDocument.number(q.1))"
        }
        for r in 0..<(rows - 1) {
            for c in 0..<(columns - 1) {
                guard let v00 = value(c, r), let v10 = value(c + 1, r), let v11 = value(c + 1, r + 1), let v01 = value(c, r + 1) else { continue }
                let index = (v00 > level ? 1 : 0) | (v10 > level ? 2 : 0) | (v11 > level ? 4 : 0) | (v01 > level ? 8 : 0)
                if index == 0 || index == 15 { continue }
                func t(_ a: Double, _ b: Double) -> Double { a == b ? 0.5 : (level - a) / (b - a) }
                let x = Double(c), y = Double(r)
                let bottom = (x + t(v00, v10), y), right = (x + 1, y + t(v10, v11))
                let top = (x + t(v01, v11), y + 1), left = (x, y + t(v00, v01))
                let centreAbove = (v00 + v10 + v11 + v01) / 4 > level
                switch index {
                case 1, 14: add(left, bottom)
                case 2, 13: add(bottom, right)
                case 3, 12: add(left, right)
                case 4, 11: add(right, top)
                case 6, 9: add(bottom, top)
                case 7, 8: add(left, top)
                case 5:
                    if centreAbove { add(bottom, right); add(left, top) } else { add(left, bottom); add(right, top) }
                case 10:
                    if centreAbove { add(left, bottom); add(right, top) } else { add(bottom, right); add(left, top) }
                default: break
                }
            }
        }
        return d
    }

    /// A colour bar of the bands, labelled at the levels.
    static func drawBandedBar(_ svg: inout SVGDocument, frame: Frame, kind: AxisKind, levels: [Double], colors: [String], title: String) {
        let axis = AxisScale(kind, from: frame.bottom, to: frame.y)
        let d = zDomain(kind)
        let bounds = [d.lowerBound] + levels + [d.upperBound]
        svg.open("g", ["class": "color-bar", "shape-rendering": "crispEdges"])
        for k in 0..<(bounds.count - 1) {
            let y0 = axis(bounds[k]), y1 = axis(bounds[k + 1])
            svg.element("rect", ["x": SVGDocument.number(frame.x), "y": SVGDocument.number(y1), "width": SVGDocument.number(frame.width),
                                 "height": SVGDocument.number(max(0, y0 - y1)), "fill": colors[k]])
        }
        svg.close("g")
        svg.element("rect", ["x": SVGDocument.number(frame.x), "y": SVGDocument.number(frame.y), "width": SVGDocument.number(frame.width),
                             "height": SVGDocument.number(frame.height), "fill": "none", "stroke": Style.axis])
        // Label the levels, thinned so the labels do not overlap.
        var lastY = Double.infinity
        svg.open("g", ["fill": Style.muted, "font-size": "10"])
        for level in levels {
            let y = axis(level)
            guard lastY - y >= 13 else { continue }
            lastY = y
            svg.element("line", ["x1": SVGDocument.number(frame.right), "y1": SVGDocument.number(y), "x2": SVGDocument.number(frame.right + 3),
                                 "y2": SVGDocument.number(y), "stroke": Style.axis])
            svg.element("text", ["x": SVGDocument.number(frame.right + 5), "y": SVGDocument.number(y + 3.5)], text: TickLabel.format(level))
        }
        svg.close("g")
        ColorBar.drawTitle(&svg, frame: frame, title: title)
    }
}

extension AxisKind {
    var isLog: Bool { if case .log = self { true } else { false } }
}

extension [Double] {
    /// The first index whose element satisfies `belongs` (a predicate false then true over the
    /// sorted array), or `count`.
    /// - Complexity: O(log n).
    func partitioningIndex(where belongs: (Double) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
