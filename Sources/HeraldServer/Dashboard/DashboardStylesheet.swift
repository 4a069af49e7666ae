extension DashboardAsset {
    /// `dashboard.css`: the look of the dashboard, light or dark after the reader's system setting.
    static let stylesheet = DashboardAsset(
        contentType: "text/css; charset=utf-8",
        text: #"""
            :root {
              color-scheme: light dark;
              --bg: #f4f5f7; --panel: #ffffff; --text: #1d2330; --muted: #687083; --line: #dde1e8;
              --accent: #2f6fde; --ok: #1f8a4c; --warn: #b76e00; --bad: #c23434; --row: #f0f4ff;
              font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
              font-size: 14px;
            }
            @media (prefers-color-scheme: dark) {
              :root {
                --bg: #12151c; --panel: #1b2029; --text: #e4e7ee; --muted: #98a0b3; --line: #2d3441;
                --accent: #6b9cff; --ok: #4cc27e; --warn: #f0a83a; --bad: #ff6b6b; --row: #232a38;
              }
            }
            * { box-sizing: border-box; }
            body { margin: 0; background: var(--bg); color: var(--text); }
            code, pre, td.mono, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }

            .top {
              display: flex; align-items: center; gap: 16px; flex-wrap: wrap;
              padding: 10px 20px; background: var(--panel); border-bottom: 1px solid var(--line);
            }
            .top h1 { display: flex; align-items: center; gap: 8px; margin: 0; font-size: 20px; }
            .status { margin: 0; padding: 3px 10px; border-radius: 999px; font-weight: 600; font-size: 12px; }
            .status::before { content: "●"; margin-right: 6px; }
            .status-stream { color: var(--ok); background: color-mix(in srgb, var(--ok) 14%, transparent); }
            .status-polling { color: var(--warn); background: color-mix(in srgb, var(--warn) 14%, transparent); }
            .status-connecting, .status-retrying, .status-unauthorized, .status-offline {
              color: var(--bad); background: color-mix(in srgb, var(--bad) 12%, transparent);
            }
            .key { margin-left: auto; display: flex; align-items: center; gap: 6px; }
            .key input { width: 200px; }

            .grid {
              display: grid; gap: 16px; padding: 16px 20px;
              grid-template-columns: minmax(0, 1fr) 440px;
              grid-template-areas: "events rates" "events groups" "events schedules" "events publish";
              align-items: start;
            }
            @media (max-width: 1000px) {
              .grid { grid-template-columns: minmax(0, 1fr); grid-template-areas: "events" "rates" "groups" "schedules" "publish"; }
            }
            .events { grid-area: events; }
            .rates { grid-area: rates; }
            .groups { grid-area: groups; }
            .schedules { grid-area: schedules; }
            .publish { grid-area: publish; }
            .panel {
              background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
              min-width: 0;
            }
            .panel h2 { margin: 0 0 10px; font-size: 15px; }
            .panel h3 { margin: 14px 0 6px; font-size: 13px; color: var(--muted); }
            .muted { color: var(--muted); font-weight: 400; font-size: 12px; }
            .note { color: var(--muted); margin: 8px 0 0; }

            table { width: 100%; border-collapse: collapse; }
            th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
            th { font-size: 12px; color: var(--muted); font-weight: 600; position: sticky; top: 0; background: var(--panel); }
            td { overflow-wrap: break-word; }
            td.data { overflow-wrap: anywhere; }
            .table-wrap { max-height: 60vh; overflow: auto; }
            #event-rows tr { cursor: pointer; }
            #event-rows tr:hover, #event-rows tr.selected { background: var(--row); }
            #event-rows tr.fresh { animation: arrive 1.2s ease-out; }
            @keyframes arrive { from { background: color-mix(in srgb, var(--accent) 28%, transparent); } }
            td.seq, td.time { white-space: nowrap; color: var(--muted); }
            td.type { font-weight: 600; }
            td.data { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; max-width: 360px; }
            td.number { text-align: right; font-variant-numeric: tabular-nums; }
            td.alert { color: var(--bad); font-weight: 700; }
            .detail {
              margin: 0; padding: 10px; max-height: 240px; overflow: auto; background: var(--bg);
              border-radius: 6px; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere;
            }

            #rate-chart { width: 100%; height: 160px; display: block; }
            .legend { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 3px; }
            .legend li { display: flex; align-items: center; gap: 8px; }
            .legend .swatch { width: 10px; height: 10px; border-radius: 2px; flex: none; background: var(--line); }
            .legend .name { font-weight: 600; overflow-wrap: anywhere; }
            .legend .figures { margin-left: auto; color: var(--muted); white-space: nowrap; }

            form#publish-form { display: grid; grid-template-columns: 110px 1fr; gap: 6px 10px; align-items: center; }
            form#publish-form textarea { grid-column: 2; resize: vertical; }
            form#publish-form label[for="publish-data"] { align-self: start; padding-top: 4px; }
            form#publish-form button { grid-column: 2; justify-self: start; }
            input, textarea, button {
              font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
              border-radius: 5px; padding: 5px 8px;
            }
            textarea { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
            button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
            button[type="button"] { background: transparent; color: var(--text); border-color: var(--line); }
            button:disabled { opacity: .6; cursor: progress; }
            .result { margin-top: 10px; padding: 8px 10px; border-radius: 6px; border: 1px solid var(--line); }
            .result.ok { border-color: var(--ok); }
            .result.error { border-color: var(--bad); }
            .result strong { display: block; }
            .result.ok strong { color: var(--ok); }
            .result.error strong { color: var(--bad); }
            .result ul { margin: 6px 0 0; padding-left: 18px; }

            """#)
}
