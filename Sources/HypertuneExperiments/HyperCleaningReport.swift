import Foundation
import HypertuneCharts

/// The paper-style table and the SVG chart of a hyper-cleaning run.
public enum HyperCleaningReport {
    /// Test accuracy (%), F1, precision and recall of flagging, and hyper-optimization time per row.
    public static func table(_ r: HyperCleaningResult) -> String {
        var lines = [
            "                 test accuracy     F1   precision  recall   flagged  seconds",
            row("Oracle", r.oracle.accuracy), row("Baseline", r.baseline.accuracy),
        ]
        for b in r.dh {
            lines.append(row("DH-\(b.R)", b.accuracy) + String(format: "   %.4f   %.4f   %.4f   %6d  %7.1f", b.f1, b.precision, b.recall, b.flagged, b.seconds))
        }
        let gap = r.oracle.accuracy - r.baseline.accuracy
        if let best = r.dh.map(\.accuracy).max(), gap > 0 {
            lines.append(String(format: "Best DH-R closes %.0f%% of the Baseline→Oracle gap (%.2f points).", 100 * (best - r.baseline.accuracy) / gap, 100 * gap))
        }
        lines.append(String(format: "Total %.1f s.", r.seconds))
        return lines.joined(separator: "\n")
    }

    static func row(_ name: String, _ accuracy: Double) -> String {
        name.padding(toLength: 17, withPad: " ", startingAt: 0) + String(format: "%8.2f", 100 * accuracy)
    }

    /// Top row: λ's distribution for clean and corrupted examples under each budget. Bottom: F1 of
    /// flagging over the hyper-iterations.
    public static func chart(_ r: HyperCleaningResult) -> String {
        let panelWidth = 250.0, panelHeight = 180.0, margin = 60.0
        let columns = max(1, r.dh.count)
        var svg = SVGDocument(width: margin + Double(columns) * (panelWidth + margin), height: 2 * panelHeight + 3 * margin + 40)
        for (i, b) in r.dh.enumerated() {
            let clean = zip(b.weights, r.corrupted).filter { !$0.1 }.map { Double($0.0) }
            let corrupted = zip(b.weights, r.corrupted).filter { $0.1 }.map { Double($0.0) }
            Histogram(title: "λ at R = \(b.R)", xLabel: "λᵢ", samples: [("clean", clean), ("corrupted", corrupted)], range: 0...1, bins: 20)
                .draw(in: &svg, frame: Frame(x: margin + Double(i) * (panelWidth + margin), y: margin / 2 + 10, width: panelWidth, height: panelHeight))
        }
        let series = r.dh.map { b in LineChart.Series(label: "R = \(b.R)", points: b.history.map { (Double($0.iteration), $0.f1) }) }
        LineChart(title: "F1 of flagging corrupted examples (λᵢ < \(r.configuration.flagThreshold))", xLabel: "hyper-iteration", yLabel: "F1", series: series, yRange: 0...1, legend: .bottomRight)
            .draw(in: &svg, frame: Frame(x: margin, y: panelHeight + 2 * margin + 20, width: Double(columns) * (panelWidth + margin) - margin, height: panelHeight))
        return svg.markup
    }
}
