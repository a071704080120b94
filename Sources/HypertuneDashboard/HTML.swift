import Foundation
import Hypertune
import HypertuneCharts

/// Text made safe for HTML, and study names made safe for URLs.
enum HTML {
    /// `&`, `<`, `>`, `"` and `'` as character references: safe in element content and in
    /// quoted attribute values alike. Control characters other than tab and newlines become
    /// U+FFFD. (The charts' escaping, which is written for both.)
    /// - Complexity: O(length); a string with nothing to escape is returned as is.
    static func escape(_ s: String) -> String { SVGDocument.escape(s) }

    /// A path segment: every byte of the UTF-8 text but the unreserved characters of RFC 3986
    /// (`A–Z a–z 0–9 - . _ ~`) percent-encoded, so `/`, `?`, `#`, `%` and spaces in a study name
    /// stay inside its segment.
    static func pathSegment(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                out += "%"
                out += String(b >> 4, radix: 16, uppercase: true)
                out += String(b & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// The path of a study's page.
    static func studyPath(_ name: String) -> String { "/studies/" + pathSegment(name) }

    /// A value with up to six significant digits (`0.0012346`, `1.2346e+05`), as the tables show it.
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "NaN" : x > 0 ? "∞" : "−∞" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.6g", x)
    }

    /// `2 min ago`, `3 h ago`, or the date, for a last-activity column; the exact time is the
    /// element's title.
    static func relative(_ date: Date, now: Date = Date()) -> String {
        let s = now.timeIntervalSince(date)
        if s < 0 { return "just now" }
        if s < 60 { return "\(Int(s)) s ago" }
        if s < 3600 { return "\(Int(s / 60)) min ago" }
        if s < 86400 { return "\(Int(s / 3600)) h ago" }
        return "\(Int(s / 86400)) d ago"
    }
}
