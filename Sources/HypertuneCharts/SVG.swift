/// A minimal SVG writer: elements with escaped attributes and text, assembled into a document.
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    var body: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Appends an element; attribute values and text are escaped.
    public mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String>, text: String? = nil) {
        let attrs = attributes.map { " \($0.key)=\"\(Self.escape($0.value))\"" }.joined()
        if let text {
            body.append("<\(name)\(attrs)>\(Self.escape(text))</\(name)>")
        } else {
            body.append("<\(name)\(attrs)/>")
        }
    }

    /// Appends raw, already well-formed markup (a group of elements).
    public mutating func raw(_ markup: String) { body.append(markup) }

    /// The complete document.
    public var markup: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(height))" viewBox="0 0 \(Self.number(width)) \(Self.number(height))" font-family="Helvetica, Arial, sans-serif" font-size="11">
        <rect x="0" y="0" width="\(Self.number(width))" height="\(Self.number(height))" fill="white"/>
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    /// `&`, `<`, `>`, `"` and `'` as entities.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A compact decimal rendering for coordinates (at most 2 decimals, no exponent).
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let rounded = (v * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(rounded)
    }
}

/// Categorical colours that stay distinguishable for colour-blind readers (Okabe & Ito 2008).
public enum Palette {
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    public static func color(_ i: Int) -> String { colors[((i % colors.count) + colors.count) % colors.count] }
}
