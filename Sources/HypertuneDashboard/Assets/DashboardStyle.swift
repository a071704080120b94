extension Assets {
    /// The pages' style sheet.
    static let style = #"""
:root {
  --bg: #f4f6fa; --card: #ffffff; --text: #1d2433; --muted: #667085; --line: #e4e7ec; --line-strong: #d0d5dd;
  --accent: #2563eb; --accent-soft: #e8f0fe; --top: #101828;
  --complete: #12915a; --complete-bg: #e5f6ee; --pruned: #b76e00; --pruned-bg: #fdf1dc;
  --failed: #c9302c; --failed-bg: #fdeaea; --running: #2563eb; --running-bg: #e8f0fe; --waiting: #667085; --waiting-bg: #eef0f3;
  --radius: 10px; --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 1px 3px rgba(16, 24, 40, .08);
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre { font-family: var(--mono); font-size: 12.5px; }
h1, h2, h3 { margin: 0; font-weight: 650; letter-spacing: -.01em; }
h1 { font-size: 22px; }
h2 { font-size: 16px; }
h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 18px 0 8px; }
.muted { color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
[hidden] { display: none !important; }

/* top bar */
.topbar { position: sticky; top: 0; z-index: 20; display: flex; align-items: center; justify-content: space-between; gap: 16px;
  height: 48px; padding: 0 24px; background: var(--top); color: #e4e7ec; }
.topbar a { color: #e4e7ec; }
.crumbs { display: flex; align-items: center; gap: 10px; min-width: 0; white-space: nowrap; overflow: hidden; }
.crumbs .here { color: #fff; font-weight: 600; overflow: hidden; text-overflow: ellipsis; }
.crumbs .sep { color: #667085; }
.brand { display: inline-flex; align-items: center; gap: 8px; font-weight: 700; letter-spacing: .01em; color: #fff !important; }
.topbar-right { display: flex; align-items: center; gap: 14px; font-size: 12px; }
.store { color: #98a2b3; font-family: var(--mono); max-width: 40vw; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.live { display: inline-flex; align-items: center; gap: 7px; border: 1px solid #344054; background: transparent; color: #d0d5dd;
  border-radius: 999px; padding: 3px 10px; font: inherit; cursor: pointer; }
.live .dot { width: 8px; height: 8px; border-radius: 50%; background: #98a2b3; }
.live.ok .dot { background: #32d583; box-shadow: 0 0 0 3px rgba(50, 213, 131, .18); }
.live.error .dot { background: #f97066; }
.live.paused .dot { background: #fdb022; }

main { max-width: 1680px; margin: 0 auto; padding: 20px 24px 48px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); }
.page-head { display: flex; align-items: baseline; gap: 12px; margin: 4px 0 16px; }
.page-head p { margin: 0; }
.empty { padding: 28px; text-align: center; color: var(--muted); }

/* chips and tags */
.chip { display: inline-flex; align-items: center; gap: 4px; padding: 1px 8px; border-radius: 999px; font-size: 12px; line-height: 20px;
  white-space: nowrap; background: var(--waiting-bg); color: var(--waiting); }
.chip b { font-weight: 650; font-variant-numeric: tabular-nums; }
.chip.complete { background: var(--complete-bg); color: var(--complete); }
.chip.pruned { background: var(--pruned-bg); color: var(--pruned); }
.chip.failed { background: var(--failed-bg); color: var(--failed); }
.chip.running { background: var(--running-bg); color: var(--running); }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.tag { display: inline-block; padding: 2px 9px; border: 1px solid var(--line-strong); border-radius: 6px; font-size: 12px; color: #344054; background: #f9fafb; }
.tag.hg { border-color: #c7d7fe; background: var(--accent-soft); color: var(--accent); }
.statebar { display: block; width: 100%; max-width: 220px; height: 6px; border-radius: 3px; background: #eef0f3; overflow: hidden; }
.statebar .complete { fill: var(--complete); } .statebar .pruned { fill: #f5a524; } .statebar .failed { fill: var(--failed); }
.statebar .running { fill: var(--running); } .statebar .waiting { fill: #98a2b3; }

/* tables */
.table-card { overflow: hidden; }
.table-scroll { overflow: auto; max-height: 70vh; }
table.grid { width: 100%; border-collapse: separate; border-spacing: 0; font-variant-numeric: tabular-nums; }
table.grid th, table.grid td { padding: 8px 12px; text-align: left; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.grid th { position: sticky; top: 0; z-index: 1; background: #f9fafb; color: #475467; font-size: 12px; font-weight: 600; }
table.grid th.num, table.grid td.num { text-align: right; }
table.grid tbody tr:hover { background: #f5f8ff; }
table.grid tbody tr:last-child td { border-bottom: 0; }
table.studies td.name a { font-weight: 600; }
table.studies td.states { width: 34%; min-width: 260px; }
.states-cell { display: flex; flex-direction: column; gap: 6px; }
.states-cell .statebar { max-width: 320px; }
.states-cell .chips { gap: 4px 6px; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable:hover { color: var(--text); }
th.sorted { color: var(--accent); }
th .arrow { display: inline-block; width: 1em; margin-left: 3px; font-size: 10px; }
th.param { font-family: var(--mono); font-weight: 500; }
.trial-table tbody tr { cursor: pointer; }
.trial-table tbody tr.sel { background: var(--accent-soft); box-shadow: inset 3px 0 0 var(--accent); }
.trial-table tbody tr.hl { background: #f0f5ff; }
.trial-table td.muted { color: #98a2b3; }

/* study header */
.study-head { padding: 18px 22px; margin-bottom: 18px; }
.study-title { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 14px; margin-bottom: 16px; }
.study-title h1 { word-break: break-word; }
.tags { display: flex; flex-wrap: wrap; gap: 6px; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 14px; }
.stat { padding: 12px 14px; border: 1px solid var(--line); border-radius: 8px; background: #fcfcfd; min-width: 0; }
.stat .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; margin-bottom: 4px; }
.stat .big { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.stat .big.small { font-size: 18px; line-height: 34px; }
.stat .sub { font-size: 12px; color: var(--muted); margin-top: 4px; }
.stat .sub .statebar { margin-top: 8px; max-width: none; }
.states-stat .chips { margin-top: 6px; }
.objective { display: inline-flex; gap: 8px; align-items: center; margin-top: 14px; color: var(--muted); }

/* charts */
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 620px), 1fr)); gap: 18px; margin-bottom: 18px; }
.chart { margin: 0; padding: 12px 14px 10px; min-width: 0; }
.chart.wide { grid-column: 1 / -1; }
.chart figcaption { display: flex; align-items: center; justify-content: space-between; gap: 12px; margin-bottom: 6px; min-height: 28px; }
.chart-title { font-weight: 650; }
.chart-controls { display: flex; gap: 10px; font-size: 12px; color: var(--muted); }
.chart-body svg { display: block; width: 100%; height: auto; }
.chart.wide .chart-body svg { max-height: 720px; }
.chart-body .placeholder { height: 260px; display: grid; place-items: center; color: var(--muted); background: repeating-linear-gradient(-45deg, #fafbfc, #fafbfc 10px, #f4f6f8 10px, #f4f6f8 20px); border-radius: 6px; }
.chart-message { min-height: 200px; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 6px; color: var(--muted); text-align: center; padding: 20px; }
.chart-message p { margin: 0; max-width: 46ch; }
.chart-message-icon { width: 34px; height: 34px; border-radius: 50%; display: grid; place-items: center; background: #f2f4f7; font-size: 18px; }
.chart-body .trial-point, .chart-body .trial-line { cursor: pointer; }
.chart-body .trial-point.hl { stroke: #101828; stroke-width: 2px; stroke-opacity: 1; }
.chart-body .trial-line.hl { stroke-width: 3px; stroke-opacity: 1; }
.chart-body .trial-point.sel { stroke: #f04438; stroke-width: 2.5px; stroke-opacity: 1; }
.chart-body .trial-line.sel { stroke: #f04438; stroke-width: 3px; stroke-opacity: 1; }
select { font: inherit; font-size: 12px; padding: 3px 6px; border: 1px solid var(--line-strong); border-radius: 6px; background: #fff; color: var(--text); max-width: 160px; }

/* trials */
.trials { overflow: hidden; }
.toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 18px; padding: 12px 16px; border-bottom: 1px solid var(--line); }
.filters { display: flex; flex-wrap: wrap; gap: 6px; }
.filters label { cursor: pointer; }
.filters input { margin: 0 2px 0 0; }
.filters .complete input { accent-color: var(--complete); } .filters .pruned input { accent-color: var(--pruned); }
.filters .failed input { accent-color: var(--failed); } .filters .running input { accent-color: var(--running); }
.filters .waiting input { accent-color: var(--waiting); }
.pager { margin-left: auto; display: flex; align-items: center; gap: 8px; font-size: 13px; color: #475467; }
.pager button { font: inherit; font-size: 17px; line-height: 1; width: 30px; height: 28px; border: 1px solid var(--line-strong); border-radius: 6px; background: #fff; color: #344054; cursor: pointer; }
.pager button:hover:not(:disabled) { background: #f2f4f7; }
.pager button:disabled { opacity: .4; cursor: default; }

/* detail */
.detail { position: fixed; top: 48px; right: 0; bottom: 0; width: min(540px, 100vw); z-index: 30; background: #fff; border-left: 1px solid var(--line);
  box-shadow: -12px 0 32px rgba(16, 24, 40, .12); display: flex; flex-direction: column; }
.detail-head { display: flex; align-items: center; justify-content: space-between; padding: 14px 20px; border-bottom: 1px solid var(--line); }
.detail-head button { font-size: 22px; line-height: 1; width: 32px; height: 32px; border: 0; border-radius: 6px; background: transparent; cursor: pointer; color: var(--muted); }
.detail-head button:hover { background: #f2f4f7; }
.detail-body { padding: 6px 20px 28px; overflow: auto; }
.detail-summary { display: flex; align-items: center; gap: 14px; margin: 12px 0; }
.detail-value { display: inline-flex; align-items: baseline; gap: 8px; }
.detail-value b { font-size: 22px; font-variant-numeric: tabular-nums; }
.detail-value .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
table.kv { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.kv th, table.kv td { text-align: left; padding: 5px 0; border-bottom: 1px solid #f2f4f7; vertical-align: top; word-break: break-word; }
table.kv th { width: 38%; padding-right: 12px; font-weight: 500; color: #475467; font-family: var(--mono); font-size: 12.5px; }
.dist { display: block; font-size: 12px; }
.steps { max-height: 220px; overflow: auto; }
pre.stderr, pre.fail-reason { margin: 0; padding: 10px 12px; border-radius: 8px; white-space: pre-wrap; word-break: break-word; max-height: 320px; overflow: auto; }
pre.stderr { background: #101828; color: #e4e7ec; }
pre.fail-reason { background: var(--failed-bg); color: #912018; }
.sparkline { display: block; width: 100%; height: 90px; background: #fafbfc; border: 1px solid var(--line); border-radius: 6px; margin-bottom: 8px; }
.error-text { color: var(--failed); }
.error-card { max-width: 640px; margin: 60px auto; padding: 28px 32px; }
.error-card p { color: var(--muted); }

.tooltip { position: fixed; left: 0; top: 0; z-index: 50; pointer-events: none; max-width: 360px; padding: 8px 10px; border-radius: 8px;
  background: rgba(16, 24, 40, .94); color: #fff; font-size: 12px; line-height: 1.45; white-space: pre-line; box-shadow: 0 6px 18px rgba(16, 24, 40, .25); }

@media (max-width: 720px) {
  main { padding: 14px 12px 40px; }
  .topbar { padding: 0 12px; }
  .store { display: none; }
  .pager { margin-left: 0; }
}
"""#
}
