import Hypertune

/// The charts of a study (`hypertune plot STUDY --kind …`, and the dashboard's pages).
public enum StudyChart: String, CaseIterable, Sendable {
    /// Objective value per trial, with the best value so far.
    case history
    /// One vertical axis per parameter and one for the objective; a line per trial.
    case parallelCoordinates = "parallel-coordinates"
    /// A panel per parameter: the objective against the parameter's value.
    case slice
    /// The objective interpolated over two numeric parameters.
    case contour
    /// PED-ANOVA importance of each parameter, with bootstrap intervals.
    case importance
    /// Each trial's intermediate values by step, complete and pruned trials apart.
    case intermediate
    /// Outer loss and λ trajectories of gradient-based runs (``HypergradientRecording``).
    case hypergradient

    /// One line saying what the chart shows (for `--help` and menus).
    public var summary: String {
        switch self {
        case .history: "objective value per trial, with the best value so far"
        case .parallelCoordinates: "every trial as a line across one axis per parameter and the objective"
        case .slice: "the objective against each parameter, one panel per parameter"
        case .contour: "the objective interpolated over two numeric parameters"
        case .importance: "how much each parameter matters (PED-ANOVA), with bootstrap intervals"
        case .intermediate: "intermediate values by step; complete and pruned trials apart"
        case .hypergradient: "outer loss and hyperparameter trajectories of gradient-based runs"
        }
    }
}

/// What to draw and how big.
public struct StudyChartOptions: Sendable {
    /// The objective drawn, for a study with several (0 for a single objective).
    public var objectiveIndex: Int
    /// The objective's name on axes and colour bars; nil: "objective value" (or "objective k").
    public var objectiveName: String?
    /// The parameters drawn (parallel coordinates, slice, importance, contour when
    /// ``contourParameters`` is nil), in this order; nil: all of them, by name.
    public var parameters: [String]?
    /// The contour's x and y parameters; nil: the two numeric parameters most trials have.
    public var contourParameters: (x: String, y: String)?
    /// The document's width, and the height of the single-panel charts (history, parallel
    /// coordinates, contour, intermediate). Slice and hypergradient charts are at least this tall
    /// and grow with their rows of panels; the importance chart is as tall as its bars.
    public var width: Double
    public var height: Double
    /// Whether the objective axis is logarithmic; nil: when every value drawn is positive and
    /// they span more than two decades.
    public var logY: Bool?
    /// The most trials drawn (points, or lines); beyond it a deterministic subsample that keeps
    /// the best trials, which the subtitle announces. The intermediate-values chart also keeps
    /// its lines to about 20 × maxPoints vertices in all; the importance is computed from at
    /// most min(maxPoints, 600) evenly spaced trials.
    public var maxPoints: Int
    /// Whether the history shows pruned trials (faint, at their last intermediate value).
    public var showPruned: Bool

    public init(objectiveIndex: Int = 0, objectiveName: String? = nil, parameters: [String]? = nil,
                contourParameters: (x: String, y: String)? = nil, width: Double = 860, height: Double = 500,
                logY: Bool? = nil, maxPoints: Int = 5000, showPruned: Bool = true) {
        self.objectiveIndex = objectiveIndex
        self.objectiveName = objectiveName
        self.parameters = parameters
        self.contourParameters = contourParameters
        self.width = width
        self.height = height
        self.logY = logY
        self.maxPoints = maxPoints
        self.showPruned = showPruned
    }
}

/// Why a chart cannot be drawn, in one line a user can act on.
///
/// A struct with an open set of ``Code``s (not an enum), so new reasons can be added without
/// breaking callers that switch over them.
public struct ChartError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, for callers that react differently (a dashboard shows an empty state
    /// for ``noCompleteTrials`` and a 400 for ``unknownParameter``).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        public static let noCompleteTrials = Code(description: "noCompleteTrials")
        public static let noIntermediateValues = Code(description: "noIntermediateValues")
        public static let noHypergradientTrials = Code(description: "noHypergradientTrials")
        public static let unknownParameter = Code(description: "unknownParameter")
        public static let contourNeedsTwoNumericParameters = Code(description: "contourNeedsTwoNumericParameters")
        public static let objectiveIndexOutOfRange = Code(description: "objectiveIndexOutOfRange")
        public static let notEnoughForImportance = Code(description: "notEnoughForImportance")
        public static let noParameters = Code(description: "noParameters")
        public static let invalidOption = Code(description: "invalidOption")
    }

    public let code: Code
    /// The message, one line.
    public let description: String

    init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    static func noCompleteTrials(_ history: StudyHistory, objective: Objective) -> ChartError {
        var counts: [TrialState: Int] = [:]
        for t in history.trials { counts[t.state, default: 0] += 1 }
        let states = TrialState.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue.lowercased())" } }
        let what = history.trials.isEmpty ? "no trials" : states.joined(separator: ", ")
        let objectivePart = history.directions.count > 1 ? " with a finite value for objective \(objective.index)" : ""
        return ChartError(.noCompleteTrials, "no complete trials\(objectivePart) yet (\(what))")
    }

    static func unknownParameter(_ name: String, known: [String]) -> ChartError {
        let list = known.isEmpty ? "the trials have no parameters" : "known parameters: " + known.map { "'\($0)'" }.joined(separator: ", ")
        return ChartError(.unknownParameter, "unknown parameter '\(name)' (\(list))")
    }
}

/// Renders the charts of a study as SVG.
public enum StudyCharts {
    /// The SVG document of `chart` for the trials of `history`.
    ///
    /// Every trial drawn is its own element with the class `trial-point` or `trial-line`, a
    /// `data-trial` attribute holding its number and a `<title>` (the tooltip: number, state,
    /// value, parameters), so a page can add interaction with a few lines of script. Every
    /// string from the study is escaped.
    /// - Complexity: O(n log n) in the number of trials (sorting for the subsample and the
    ///   triangulation); the output holds at most ``StudyChartOptions/maxPoints`` trials.
    public static func render(_ chart: StudyChart, history: StudyHistory, studyName: String,
                              options: StudyChartOptions = .init()) throws(ChartError) -> String {
        guard options.width.isFinite, options.width >= 240, options.height.isFinite, options.height >= 180 else {
            throw ChartError(.invalidOption, "the chart must be at least 240 × 180 pixels, got \(options.width) × \(options.height)")
        }
        guard options.maxPoints >= 1 else {
            throw ChartError(.invalidOption, "maxPoints must be at least 1, got \(options.maxPoints)")
        }
        let context = ChartContext(history: history, studyName: studyName, options: options)
        var svg: SVGDocument
        switch chart {
        case .history: svg = try HistoryChart.render(context)
        case .parallelCoordinates: svg = try ParallelCoordinatesChart.render(context)
        case .slice: svg = try SliceChart.render(context)
        case .contour: svg = try ContourChart.render(context)
        case .importance: svg = try ImportanceChart.render(context)
        case .intermediate: svg = try IntermediateChart.render(context)
        case .hypergradient: svg = try HypergradientChart.render(context)
        }
        svg.setRootAttribute("class", "hypertune-chart")
        svg.setRootAttribute("data-chart", chart.rawValue)
        return svg.markup
    }
}
