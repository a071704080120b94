/// A minimal SVG writer: elements with escaped attributes and text, assembled into a document.
///
/// The markup is appended to one growing string, so a document of `n` elements is built in
/// O(total length) — no quadratic concatenation, whatever the number of trials drawn.
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    var body: String = ""
    /// Extra attributes of the root `<svg>` element (`class`, `data-chart`).
    var rootAttributes: [(name: String, value: String)] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Appends an element; attribute values and text are escaped.
    /// - Complexity: O(length of the markup appended).
    public mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String>, text: String? = nil) {
        body += "<"
        body += name
        appendAttributes(attributes)
        if let text {
            body += ">"
            body += Self.escape(text)
            body += "</\(name)>\n"
        } else {
            body += "/>\n"
        }
    }

    /// Appends an element with a `<title>` child — the tooltip a browser shows on hover, and the
    /// text a dashboard's script reads — and then `text` (a truncated label whose tooltip is the
    /// whole text).
    /// - Complexity: O(length of the markup appended).
    public mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String>, text: String = "", title: String) {
        body += "<"
        body += name
        appendAttributes(attributes)
        body += "><title>"
        body += Self.escape(title)
        body += "</title>"
        body += Self.escape(text)
        body += "</\(name)>\n"
    }

    /// Opens a group (or any container element); close it with ``close(_:)``.
    public mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        body += "<"
        body += name
        appendAttributes(attributes)
        body += ">\n"
    }

    /// Closes the element opened last by ``open(_:_:)``.
    public mutating func close(_ name: String) {
        body += "</\(name)>\n"
    }

    /// Appends raw, already well-formed markup (a group of elements).
    public mutating func raw(_ markup: String) {
        body += markup
        body += "\n"
    }

    /// Sets an attribute of the root `<svg>` element (escaped), such as `class` or `data-chart`.
    public mutating func setRootAttribute(_ name: String, _ value: String) {
        rootAttributes.removeAll { $0.name == name }
        rootAttributes.append((name, value))
    }

    private mutating func appendAttributes(_ attributes: KeyValuePairs<String, String>) {
        for (key, value) in attributes {
            body += " "
            body += key
            body += "=\""
            body += Self.escape(value)
            body += "\""
        }
    }

    /// The complete document.
    public var markup: String {
        let root = rootAttributes.map { " \($0.name)=\"\(Self.escape($0.value))\"" }.joined()
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(height))" viewBox="0 0 \(Self.number(width)) \(Self.number(height))" font-family="Helvetica, Arial, sans-serif" font-size="11"\(root)>
        <rect x="0" y="0" width="\(Self.number(width))" height="\(Self.number(height))" fill="white"/>
        \(body)</svg>

        """
    }

    /// `&`, `<`, `>`, `"` and `'` as character references (`'` as `&#39;`, which HTML knows
    /// too, so the dashboard's pages use this as well); control characters that XML 1.0 forbids
    /// (all below U+0020 but tab, line feed and carriage return) and DEL become U+FFFD, so any
    /// user-supplied string keeps the document well-formed.
    /// - Complexity: O(length); a string with nothing to escape is returned as is.
    public static func escape(_ s: String) -> String {
        let needsWork = s.utf8.contains { b in
            b == UInt8(ascii: "&") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: "\"")
                || b == UInt8(ascii: "'") || (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F
        }
        guard needsWork else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(c)
            default: out.unicodeScalars.append(c.value < 0x20 || c.value == 0x7F ? "\u{FFFD}" : c)
            }
        }
        return out
    }

    /// A compact decimal rendering for coordinates (at most 2 decimals, no exponent).
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let rounded = (v * 100).rounded() / 100
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
        return String(rounded)
    }
}

/// Categorical colours that stay distinguishable for colour-blind readers (Okabe & Ito 2008).
public enum Palette {
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
    public static func color(_ i: Int) -> String { colors[((i % colors.count) + colors.count) % colors.count] }
}
