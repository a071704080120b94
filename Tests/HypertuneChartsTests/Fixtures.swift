import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Hypertune
import HypertuneCharts

/// An SVG document parsed back with Foundation's `XMLParser`: whether it is well-formed XML, and
/// its elements (name, attributes, and the text of a `<title>` child) in document order.
final class ParsedSVG: NSObject, XMLParserDelegate {
    struct Element {
        let name: String
        let attributes: [String: String]
        var title: String = ""
        var text: String = ""
        var classes: Set<String> { Set((attributes["class"] ?? "").split(separator: " ").map(String.init)) }
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []
    private(set) var wellFormed = false
    private(set) var parseError: String?

    init(_ markup: String) {
        super.init()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = self
        wellFormed = parser.parse()
        parseError = parser.parserError.map { "\($0)" }
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributes))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard let current = open.last else { return }
        if elements[current].name == "title", open.count >= 2 {
            elements[open[open.count - 2]].title += string
        } else {
            elements[current].text += string
        }
    }

    /// The elements whose `class` contains `name`.
    func withClass(_ name: String) -> [Element] { elements.filter { $0.classes.contains(name) } }

    /// All visible text (text elements' contents).
    var texts: [String] { elements.filter { $0.name == "text" }.map(\.text) }
}

/// Trials built directly, without a study.
enum Fixture {
    /// A complete trial.
    static func trial(_ number: Int, _ values: [Double]?, state: TrialState = .complete, parameters: [String: ParameterValue] = [:],
                      distributions: [String: Distribution] = [:], intermediate: [Int: Double] = [:],
                      userAttributes: [String: JSONValue] = [:]) -> FrozenTrial {
        FrozenTrial(id: number, studyID: 1, number: number, state: state, parameters: parameters, distributions: distributions,
                    values: state == .complete ? values : nil, intermediateValues: intermediate, userAttributes: userAttributes)
    }

    /// A two-parameter study: x ∈ [0, 10] linear, lr ∈ [1e-4, 1] log; value from `f`.
    static func twoParameters(count: Int, direction: StudyDirection = .minimize, seed: UInt64 = 1,
                              f: (Double, Double) -> Double = { x, lr in (x - 3) * (x - 3) + log10(lr) * log10(lr) }) -> StudyHistory {
        var g = SplitMix(seed: seed)
        let trials = (0..<count).map { n -> FrozenTrial in
            let x = 10 * g.unit(), lr = pow(10, -4 * g.unit())
            return trial(n, [f(x, lr)], parameters: ["x": .double(x), "lr": .double(lr)],
                         distributions: ["x": .float(low: 0, high: 10), "lr": .float(low: 1e-4, high: 1, log: true)])
        }
        return StudyHistory(directions: [direction], trials: trials)
    }
}

/// Renders, parses and checks well-formedness in one step.
func renderParsed(_ chart: StudyChart, _ history: StudyHistory, name: String = "study",
                  options: StudyChartOptions = .init()) throws -> (svg: String, parsed: ParsedSVG) {
    let svg = try StudyCharts.render(chart, history: history, studyName: name, options: options)
    return (svg, ParsedSVG(svg))
}
