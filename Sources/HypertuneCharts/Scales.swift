import Foundation

/// A linear scale from a data interval to a pixel interval (which may run backwards, as y
/// does on screen), with "nice" ticks (1, 2 or 5 × 10ᵏ).
public struct LinearScale: Sendable {
    public let domain: ClosedRange<Double>
    /// Pixel positions of the domain's lower and upper bounds.
    public let start: Double, end: Double

    public init(domain: ClosedRange<Double>, from start: Double, to end: Double) {
        // A zero-width domain is widened so that points map to the middle instead of dividing by 0.
        self.domain = domain.lowerBound == domain.upperBound
            ? (domain.lowerBound - 0.5)...(domain.upperBound + 0.5) : domain
        self.start = start
        self.end = end
    }

    /// The pixel position of `v`.
    public func callAsFunction(_ v: Double) -> Double {
        start + (v - domain.lowerBound) / (domain.upperBound - domain.lowerBound) * (end - start)
    }

    /// About `count` round tick values inside the domain: the multiples of the step
    /// `s ∈ {1, 2, 5, 10} × 10ᵏ` nearest to `span / count` on a log scale (the thresholds are
    /// √2, √10 and √50, as in d3-array's `tickIncrement`), so between about 0.7 and 1.4 ×
    /// `count` ticks.
    /// - Complexity: O(count).
    public func ticks(_ count: Int = 5) -> [Double] {
        Self.niceTicks(domain, count: count)
    }

    /// ``ticks(_:)`` for any interval.
    static func niceTicks(_ domain: ClosedRange<Double>, count: Int) -> [Double] {
        let span = domain.upperBound - domain.lowerBound
        guard span > 0, span.isFinite else { return [domain.lowerBound] }
        let raw = span / Double(max(1, count))
        let magnitude = pow(10, floor(log10(raw)))
        let error = raw / magnitude
        let step = magnitude * (error >= 50.0.squareRoot() ? 10 : error >= 10.0.squareRoot() ? 5 : error >= 2.0.squareRoot() ? 2 : 1)
        // Multiples k·step (not a running sum, which accumulates rounding errors).
        let first = (domain.lowerBound / step - 1e-9).rounded(.up)
        let last = (domain.upperBound / step + 1e-9).rounded(.down)
        guard first <= last, last - first < 10_000 else { return [domain.lowerBound] }
        // Round to the step's decimals so 0.1·6 prints and compares as 0.6.
        let decimals = pow(10, max(0, -floor(log10(step)) + 1))
        return stride(from: first, through: last, by: 1).map { k in
            let t = k * step
            return decimals < 1e15 ? (t * decimals).rounded() / decimals : t
        }
    }

    /// A label for a tick value, in the charts' one scheme (see ``TickLabel``).
    public static func label(_ v: Double) -> String { TickLabel.format(v) }
}

/// A base-10 logarithmic scale from a positive data interval to a pixel interval.
public struct LogScale: Sendable {
    public let domain: ClosedRange<Double>
    public let start: Double, end: Double
    let logLow: Double, logHigh: Double

    /// A scale over `domain`; non-positive bounds are replaced by the smallest positive double
    /// and a zero-width domain is widened by a factor of √10 each way.
    public init(domain: ClosedRange<Double>, from start: Double, to end: Double) {
        var low = max(domain.lowerBound, .leastNormalMagnitude), high = max(domain.upperBound, low)
        if low == high { (low, high) = (low / 10.0.squareRoot(), high * 10.0.squareRoot()) }
        self.domain = low...high
        self.start = start
        self.end = end
        logLow = log10(low)
        logHigh = log10(high)
    }

    /// The pixel position of `v` (non-positive values map to the lower end).
    public func callAsFunction(_ v: Double) -> Double {
        let x = v > 0 ? log10(v) : logLow
        return start + (x - logLow) / (logHigh - logLow) * (end - start)
    }

    /// Round ticks inside the domain, at most about `1.5 · count` of them: every decade (or
    /// every k-th when there are many), with 2 and 5 × 10ᵏ added when the domain spans at most
    /// three decades, and 1…9 × 10ᵏ when it spans one; if even those give fewer than two
    /// ticks (a domain like [2, 8]), linear nice ticks.
    /// - Complexity: O(decades + count).
    public func ticks(_ count: Int = 5) -> [Double] {
        let limit = max(2, Int((1.5 * Double(max(count, 1))).rounded()))
        let firstDecade = Int(floor(logLow - 1e-9)), lastDecade = Int(ceil(logHigh + 1e-9))
        func inside(_ v: Double) -> Bool {
            v >= domain.lowerBound * (1 - 1e-9) && v <= domain.upperBound * (1 + 1e-9)
        }
        func candidates(_ mantissas: [Double], every k: Int = 1) -> [Double] {
            var out: [Double] = []
            for e in firstDecade...lastDecade where e % k == 0 {
                for m in mantissas {
                    let v = Double("\(Int(m))e\(e)")!  // exact decimal, not m · pow(10, e)
                    if inside(v) { out.append(v) }
                }
            }
            return out
        }
        let decades = logHigh - logLow
        // From the sparsest to the densest, keep the densest that stays within the limit.
        var best = candidates([1])
        if best.count > limit {
            let k = Int((Double(lastDecade - firstDecade) / Double(limit)).rounded(.up))
            // Decades that are multiples of k (0 included, so 1 is a tick whenever it is inside).
            best = candidates([1], every: max(k, 1))
        } else if decades <= 3 + 1e-9 {
            // Few decades: 2 and 5 too, and 1…9 within a single decade.
            for mantissas in decades <= 1 + 1e-9 ? [[1.0, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]] : [[1.0, 2, 5]] {
                let denser = candidates(mantissas)
                if denser.count <= limit { best = denser } else { break }
            }
        }
        if best.count >= 2 { return best }
        // Less than a decade without two round ticks: nice linear ticks in it.
        return LinearScale.niceTicks(domain, count: count).filter { $0 > 0 }
    }
}

/// The charts' one labelling scheme for numbers: plain decimals for 0.001 ≤ |v| < 100 000
/// (`0.001`, `0.25`, `12000`), `1e-5`, `2.5e7` otherwise, with the shortest digits that give
/// the value back to 12 significant digits (so `0.1 + 0.2` prints as `0.3`).
public enum TickLabel {
    /// The label for `v` (12 significant digits at most, trailing zeros dropped).
    /// - Complexity: O(1); no Foundation formatting (a chart formats thousands of numbers).
    public static func format(_ v: Double) -> String { format(v, significantDigits: 12) }

    /// A label for a value that is not a tick (a bar's value, a legend): 4 significant digits in
    /// the same scheme.
    public static func approximate(_ v: Double) -> String { format(v, significantDigits: 4) }

    /// `v` rounded to `digits` significant digits in the scheme: `v ≈ ±m · 10ᵖ` with `m` an
    /// integer without trailing zeros, written out in plain decimals when 10⁻³ ≤ |v| < 10⁵,
    /// else as `m₁.m₂…e<exponent>`.
    static func format(_ v: Double, significantDigits digits: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "∞" : "−∞") }
        if v == 0 { return "0" }
        let magnitude = abs(v)
        var exponent = Int(floor(log10(magnitude)))
        // The significant digits as an integer: |v| · 10^(digits − 1 − exponent), rounded.
        var m = scaled(magnitude, byPowerOfTen: digits - 1 - exponent).rounded()
        if m >= scaled(1, byPowerOfTen: digits) {  // rounding carried into a new digit (9.99… → 10)
            m = (m / 10).rounded()
            exponent += 1
        }
        var significand = Int64(m), place = exponent - (digits - 1)
        while significand != 0 && significand % 10 == 0 {
            significand /= 10
            place += 1
        }
        let sign = v < 0 ? "-" : "", text = String(significand)
        guard exponent >= -3 && exponent <= 4 else {
            let mantissa = text.count > 1 ? "\(text.first!).\(text.dropFirst())" : text
            return "\(sign)\(mantissa)e\(exponent)"
        }
        if place >= 0 { return sign + text + String(repeating: "0", count: place) }
        let decimals = -place
        if text.count > decimals { return "\(sign)\(text.dropLast(decimals)).\(text.suffix(decimals))" }
        return sign + "0." + String(repeating: "0", count: decimals - text.count) + text
    }

    /// `x · 10ᵏ`, dividing by an exact power of ten for negative `k` (so that an integer
    /// over 10ᵏ is the double nearest the decimal), in two steps beyond 10³⁰⁰.
    static func scaled(_ x: Double, byPowerOfTen k: Int) -> Double {
        if k > 300 { return x * 1e300 * pow(10, Double(k - 300)) }
        if k < -300 { return x / 1e300 / pow(10, Double(-k - 300)) }
        return k >= 0 ? x * pow(10, Double(k)) : x / pow(10, Double(-k))
    }
}

/// The scale of one chart axis: linear, logarithmic, or one evenly spaced position per category.
enum AxisScale: Sendable {
    case linear(LinearScale)
    case log(LogScale)
    /// Category `i` at `scale(i)`; the domain runs from −0.5 to count − 0.5.
    case categories([String], LinearScale)

    /// A scale for `kind` over `domain` (ignored for categories) onto `start…end`.
    init(_ kind: AxisKind, from start: Double, to end: Double) {
        switch kind {
        case let .linear(domain): self = .linear(LinearScale(domain: domain, from: start, to: end))
        case let .log(domain): self = .log(LogScale(domain: domain, from: start, to: end))
        case let .categorical(labels):
            self = .categories(labels, LinearScale(domain: -0.5...(Double(max(labels.count, 1)) - 0.5), from: start, to: end))
        }
    }

    /// The pixel position of `v` (a category's index for categories).
    func callAsFunction(_ v: Double) -> Double {
        switch self {
        case let .linear(s): s(v)
        case let .log(s): s(v)
        case let .categories(_, s): s(v)
        }
    }

    var start: Double {
        switch self {
        case let .linear(s): s.start
        case let .log(s): s.start
        case let .categories(_, s): s.start
        }
    }

    var end: Double {
        switch self {
        case let .linear(s): s.end
        case let .log(s): s.end
        case let .categories(_, s): s.end
        }
    }

    var isLog: Bool { if case .log = self { true } else { false } }

    /// Tick positions and labels that do not overlap along an axis of this length: each label's
    /// extent (`extent(label)` pixels along the axis) plus `gap` must fit between its
    /// neighbours' centres. Linear and log axes ask for fewer ticks until they fit; categories
    /// label every k-th choice.
    /// - Complexity: O(ticks · attempts), attempts ≤ 8.
    func ticks(extent: (String) -> Double, gap: Double = 6, integers: Bool = false) -> [(value: Double, label: String)] {
        let length = abs(end - start)
        // About one tick per 75 px along x (labels are wide), one per 45 px along y.
        let spacing = end < start ? 45.0 : 75.0
        func fits(_ ticks: [(value: Double, label: String)]) -> Bool {
            guard ticks.count > 1 else { return true }
            for i in 1..<ticks.count {
                let distance = abs(self(ticks[i].value) - self(ticks[i - 1].value))
                if distance < (extent(ticks[i].label) + extent(ticks[i - 1].label)) / 2 + gap { return false }
            }
            return true
        }
        // The last resort: drop each label that would overlap the last one kept.
        func thinned(_ ticks: [(value: Double, label: String)]) -> [(value: Double, label: String)] {
            var kept: [(value: Double, label: String)] = []
            for t in ticks {
                if let previous = kept.last,
                   abs(self(t.value) - self(previous.value)) < (extent(t.label) + extent(previous.label)) / 2 + gap { continue }
                kept.append(t)
            }
            return kept
        }
        func labelled(_ values: [Double]) -> [(value: Double, label: String)] {
            var seen = Set<String>()
            return values.compactMap { v in
                if integers && v != v.rounded() { return nil }
                let label = TickLabel.format(v)
                return seen.insert(label).inserted ? (v, label) : nil
            }
        }
        switch self {
        case let .categories(labels, _):
            guard !labels.isEmpty else { return [] }
            var every = 1
            while true {
                let ticks = stride(from: 0, to: labels.count, by: every).map { (Double($0), labels[$0]) }
                if fits(ticks) || every >= labels.count { return thinned(ticks) }
                every += 1
            }
        case let .linear(s):
            var count = max(2, Int(length / spacing))
            while true {
                let ticks = labelled(s.ticks(count))
                if fits(ticks) || count <= 1 { return thinned(ticks) }
                count = count > 4 ? count * 2 / 3 : count - 1
            }
        case let .log(s):
            var count = max(2, Int(length / spacing))
            while true {
                let ticks = labelled(s.ticks(count))
                if fits(ticks) || count <= 1 { return thinned(ticks) }
                count = count > 4 ? count * 2 / 3 : count - 1
            }
        }
    }
}

/// What an axis shows: numbers on a linear or log scale, or categories.
enum AxisKind: Sendable, Equatable {
    case linear(ClosedRange<Double>)
    case log(ClosedRange<Double>)
    case categorical([String])

    /// The domain widened by `fraction` of its span each side (in log space for log axes), so
    /// that points on the bounds are not drawn on the frame; categories are unchanged.
    func padded(_ fraction: Double) -> AxisKind {
        switch self {
        case let .linear(d):
            let pad = (d.upperBound - d.lowerBound) * fraction
            return .linear((d.lowerBound - pad)...(d.upperBound + pad))
        case let .log(d):
            let factor = pow(d.upperBound / d.lowerBound, fraction)
            return .log((d.lowerBound / factor)...(d.upperBound * factor))
        case .categorical:
            return self
        }
    }

    /// A numeric axis fitted to `values` (non-finite ones ignored), log when asked (`log ==
    /// true`) or, when `log == nil`, when every value is positive and they span more than two
    /// decades; padded by `padding` of the span on each side (in log space for log axes), and
    /// widened when every value is the same.
    static func fitted(_ values: some Sequence<Double>, log: Bool?, padding: Double = 0.04) -> AxisKind {
        var low = Double.infinity, high = -Double.infinity
        for v in values where v.isFinite {
            low = min(low, v)
            high = max(high, v)
        }
        guard low <= high else { return .linear(0...1) }
        let useLog = log ?? (low > 0 && high / low > 100)
        if useLog && low > 0 {
            var (a, b) = (log10(low), log10(high))
            if b - a < 1e-9 { (a, b) = (a - 0.5, b + 0.5) }
            let pad = (b - a) * padding
            return .log(pow(10, a - pad)...pow(10, b + pad))
        }
        return .linear(paddedLinear(low...high, padding: padding))
    }

    /// `range` padded by `padding` of its span each side; a (nearly) zero-width range is
    /// widened to ±5% of its magnitude (±0.5 around 0) so a constant still gets readable ticks.
    static func paddedLinear(_ range: ClosedRange<Double>, padding: Double) -> ClosedRange<Double> {
        let (low, high) = (range.lowerBound, range.upperBound)
        let span = high - low
        if span <= 1e-9 * max(abs(low), abs(high)) || span == 0 {
            let half = abs(low) > 1e-12 ? abs(low) * 0.05 : 0.5
            return (low - half)...(high + half)
        }
        return (low - span * padding)...(high + span * padding)
    }
}
