import Foundation
import Hummingbird
import Hypertune
import HypertuneCharts

/// The HTML pages: a shell rendered on the server with what the first screen shows (so the
/// page is useful at once and escaping is done in one place), brought to life by
/// `dashboard.js`, which reads its configuration from `data-` attributes (no inline script:
/// the Content-Security-Policy allows only the dashboard's own files).
///
/// Every string from the store goes through ``HTML/escape(_:)``; study names in URLs through
/// ``HTML/pathSegment(_:)``.
enum Pages {
    static let states: [TrialState] = [.complete, .pruned, .failed, .running, .waiting]

    static func layout(title: String, body: String, attributes: [(String, String)], crumbs: [(String, String?)], storageLabel: String?) -> String {
        let attrs = attributes.map { " \($0.0)=\"\(HTML.escape($0.1))\"" }.joined()
        var crumbMarkup = ""
        for (text, href) in crumbs {
            crumbMarkup += "<span class=\"sep\">/</span>"
            if let href { crumbMarkup += "<a href=\"\(HTML.escape(href))\">\(HTML.escape(text))</a>" } else { crumbMarkup += "<span class=\"here\">\(HTML.escape(text))</span>" }
        }
        let store = storageLabel.map { "<span class=\"store\" title=\"study store\">\(HTML.escape($0))</span>" } ?? ""
        return """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(HTML.escape(title))</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/static/dashboard.css?v=\(Assets.version)">
        <script src="/static/dashboard.js?v=\(Assets.version)" defer></script>
        </head>
        <body\(attrs)>
        <header class="topbar">
        <nav class="crumbs"><a class="brand" href="/"><svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true"><path d="M10 1 19 10 10 19 1 10Z" fill="#6ea8fe"/><path d="M10 5 15 10 10 15 5 10Z" fill="#fff"/></svg>Hypertune</a>\(crumbMarkup)</nav>
        <div class="topbar-right">\(store)<button type="button" id="live" class="live" title="Live updates: click to pause"><span class="dot"></span><span class="live-text">live</span></button></div>
        </header>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    // MARK: Study list

    static func studyList(_ snapshots: [StudySnapshot], configuration: DashboardConfiguration) -> String {
        var rows = ""
        for s in snapshots { rows += studyRow(s) }
        let empty = snapshots.isEmpty ? "<p class=\"empty\" id=\"no-studies\">No studies in this store yet. Start one with <code>hypertune run study.yaml</code>; it appears here as soon as it has a trial.</p>" : ""
        let body = """
        <div class="page-head"><h1>Studies</h1><p class="muted" id="study-count">\(snapshots.count) stud\(snapshots.count == 1 ? "y" : "ies")</p></div>
        <div class="card table-card">
        <table class="grid studies" id="study-table">
        <thead><tr><th>Study</th><th>Direction</th><th>Sampler</th><th class="num">Trials</th><th>States</th><th class="num">Best</th><th>Last activity</th></tr></thead>
        <tbody>
        \(rows)</tbody>
        </table>
        \(empty)
        </div>
        """
        return layout(title: "Studies · Hypertune", body: body,
                      attributes: [("data-page", "studies"), ("data-refresh-ms", refreshMilliseconds(configuration))],
                      crumbs: [("Studies", nil)], storageLabel: configuration.storageLabel)
    }

    static func refreshMilliseconds(_ c: DashboardConfiguration) -> String { String(max(250, Int(c.refreshInterval * 1000))) }

    /// One row of the study list (the script rebuilds rows the same way from `/api/studies`).
    static func studyRow(_ s: StudySnapshot) -> String {
        let summary = s.summary
        let name = HTML.escape(summary.name)
        var counts = ""
        for state in states {
            let n = summary.counts[state] ?? 0
            guard n > 0 else { continue }
            counts += "<span class=\"chip \(state.rawValue.lowercased())\" title=\"\(state.rawValue.lowercased())\">\(n) \(state.rawValue.lowercased())</span>"
        }
        return """
        <tr data-study="\(name)"><td class="name"><a href="\(HTML.escape(HTML.studyPath(summary.name)))">\(name)</a></td>\
        <td>\(HTML.escape(summary.directions.map(\.rawValue).joined(separator: ", ")))</td>\
        <td>\(HTML.escape(summary.sampler ?? "—"))</td>\
        <td class="num">\(summary.total)</td>\
        <td class="states"><div class="states-cell">\(stateBar(summary))<div class="chips">\(counts)</div></div></td>\
        <td class="num">\(bestText(summary))</td>\
        <td>\(lastActivity(summary))</td></tr>

        """
    }

    /// A thin stacked bar of the trials by state (SVG rects: no inline style, which the
    /// Content-Security-Policy forbids).
    static func stateBar(_ summary: StudySummary) -> String {
        let total = max(1, summary.total)
        var x = 0.0, rects = ""
        for state in states {
            let n = summary.counts[state] ?? 0
            guard n > 0 else { continue }
            let w = Double(n) / Double(total) * 100
            rects += "<rect class=\"\(state.rawValue.lowercased())\" x=\"\(SVGDocument.number(x))\" width=\"\(SVGDocument.number(w))\" height=\"6\"/>"
            x += w
        }
        return "<svg class=\"statebar\" viewBox=\"0 0 100 6\" preserveAspectRatio=\"none\" aria-hidden=\"true\">\(rects)</svg>"
    }

    static func bestText(_ summary: StudySummary) -> String {
        if let best = summary.best { return "\(HTML.number(best.value)) <span class=\"muted\">#\(best.number)</span>" }
        if let front = summary.paretoFrontSize { return "\(front) on the Pareto front" }
        return "<span class=\"muted\">—</span>"
    }

    static func lastActivity(_ summary: StudySummary) -> String {
        guard let last = summary.lastActivity else { return "<span class=\"muted\">—</span>" }
        return "<time datetime=\"\(TrialTable.timestamp(last))\" title=\"\(TrialTable.timestamp(last))\">\(HTML.relative(last))</time>"
    }

    // MARK: Study page

    static func chartTitle(_ kind: StudyChart) -> String {
        switch kind {
        case .history: "Optimization history"
        case .parallelCoordinates: "Parallel coordinates"
        case .slice: "Slice plots"
        case .contour: "Contour"
        case .importance: "Parameter importance"
        case .intermediate: "Intermediate values"
        case .hypergradient: "Hypergradient run: outer loss and λ"
        }
    }

    static func studyPage(_ s: StudySnapshot, charts: [StudyChart], configuration: DashboardConfiguration) -> String {
        let summary = s.summary
        let name = HTML.escape(summary.name)
        var tags = summary.directions.map { "<span class=\"tag\">\(HTML.escape($0.rawValue))</span>" }.joined()
        if let sampler = summary.sampler { tags += "<span class=\"tag\" title=\"sampler\">\(HTML.escape(sampler))</span>" }
        if let pruner = summary.pruner { tags += "<span class=\"tag\" title=\"pruner\">\(HTML.escape(pruner))</span>" }
        if s.isHypergradient { tags += "<span class=\"tag hg\">hypergradient run</span>" }
        var stateStats = ""
        for state in states {
            let n = summary.counts[state] ?? 0
            stateStats += "<span class=\"chip \(state.rawValue.lowercased())\" data-state=\"\(state.rawValue)\"><b>\(n)</b> \(state.rawValue.lowercased())</span>"
        }
        let bestBlock: String
        if let best = summary.best {
            bestBlock = "<div class=\"big\" id=\"stat-best\">\(HTML.number(best.value))</div><div class=\"sub\"><a href=\"#trial=\(best.number)\" data-trial-link=\"\(best.number)\">trial #\(best.number)</a></div>"
        } else if let front = summary.paretoFrontSize {
            bestBlock = "<div class=\"big\" id=\"stat-best\">\(front)</div><div class=\"sub\">trials on the Pareto front</div>"
        } else {
            bestBlock = "<div class=\"big muted\" id=\"stat-best\">—</div><div class=\"sub\">no complete trial yet</div>"
        }
        var cards = ""
        for kind in charts {
            var controls = ""
            if kind == .contour {
                controls = """
                <div class="chart-controls"><label>x <select data-axis="x"><option value="">auto</option></select></label>\
                <label>y <select data-axis="y"><option value="">auto</option></select></label></div>
                """
            }
            let wide = kind == .slice || kind == .parallelCoordinates || kind == .hypergradient ? " wide" : ""
            cards += """
            <figure class="card chart\(wide)" data-chart="\(kind.rawValue)"><figcaption><span class="chart-title">\(chartTitle(kind))</span>\(controls)</figcaption>\
            <div class="chart-body"><div class="placeholder">loading…</div></div></figure>

            """
        }
        var objectiveControl = ""
        if summary.directions.count > 1 {
            let options = summary.directions.indices.map { "<option value=\"\($0)\">objective \($0) (\(summary.directions[$0].rawValue))</option>" }.joined()
            objectiveControl = "<label class=\"objective\">Charts show <select id=\"objective\">\(options)</select></label>"
        }
        let body = """
        <section class="study-head card">
        <div class="study-title"><h1 id="study-name">\(name)</h1><div class="tags">\(tags)</div></div>
        <div class="stats">
        <div class="stat"><div class="label">Best value</div>\(bestBlock)</div>
        <div class="stat"><div class="label">Trials</div><div class="big" id="stat-total">\(summary.total)</div><div class="sub">\(stateBar(summary))</div></div>
        <div class="stat states-stat"><div class="label">By state</div><div class="chips" id="stat-states">\(stateStats)</div></div>
        <div class="stat"><div class="label">Last activity</div><div class="big small" id="stat-last">\(lastActivity(summary))</div><div class="sub" id="stat-created">created \(HTML.escape(TrialTable.timestamp(summary.createdAt).prefix(10).description))</div></div>
        </div>
        \(objectiveControl)
        </section>
        <section class="charts" id="charts">
        \(cards)</section>
        <section class="card trials" id="trials">
        <div class="toolbar">
        <h2>Trials</h2>
        <div class="filters" id="state-filter" role="group" aria-label="Filter by state">\(states.map { "<label class=\"chip \($0.rawValue.lowercased())\"><input type=\"checkbox\" value=\"\($0.rawValue)\" checked> \($0.rawValue.lowercased())</label>" }.joined())</div>
        <div class="pager"><button type="button" id="prev" aria-label="Previous page">‹</button><span id="page-info">…</span><button type="button" id="next" aria-label="Next page">›</button>\
        <select id="page-size" aria-label="Rows per page"><option>25</option><option selected>50</option><option>100</option><option>250</option></select></div>
        </div>
        <div class="table-scroll"><table class="grid trial-table" id="trial-table"><thead><tr></tr></thead><tbody></tbody></table></div>
        </section>
        <aside class="detail" id="detail" hidden aria-live="polite"><div class="detail-head"><h2 id="detail-title">Trial</h2><button type="button" id="detail-close" aria-label="Close">×</button></div><div class="detail-body" id="detail-body"></div></aside>
        <div class="tooltip" id="tooltip" hidden></div>
        """
        return layout(title: "\(summary.name) · Hypertune", body: body,
                      attributes: [("data-page", "study"), ("data-study", summary.name), ("data-api", "/api/studies/" + HTML.pathSegment(summary.name)),
                                   ("data-refresh-ms", refreshMilliseconds(configuration)), ("data-version", s.version),
                                   ("data-objectives", String(summary.directions.count))],
                      crumbs: [("Studies", "/"), (summary.name, nil)], storageLabel: configuration.storageLabel)
    }

    static func errorPage(status: HTTPResponse.Status, message: String) -> String {
        let body = """
        <div class="card error-card"><h1>\(status.code) \(HTML.escape(status.reasonPhrase))</h1><p>\(HTML.escape(message))</p><p><a href="/">All studies</a></p></div>
        """
        return layout(title: "\(status.code) · Hypertune", body: body, attributes: [("data-page", "error")], crumbs: [], storageLabel: nil)
    }
}
