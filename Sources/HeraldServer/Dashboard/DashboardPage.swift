extension DashboardAsset {
    /// `index.html`, served at `GET /`: the skeleton that `dashboard.js` fills. It holds no inline script or
    /// style, so that the Content-Security-Policy can forbid both.
    static let page = DashboardAsset(
        contentType: "text/html; charset=utf-8",
        text: #"""
            <!doctype html>
            <html lang="en" data-feed="connecting">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Herald dashboard</title>
              <link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">
              <link rel="stylesheet" href="/dashboard/dashboard.css">
              <script type="module" src="/dashboard/dashboard.js"></script>
            </head>
            <body>
              <header class="top">
                <h1><img src="/dashboard/favicon.svg" alt="" width="22" height="22"> Herald</h1>
                <p id="feed-status" class="status status-connecting" role="status">connecting…</p>
                <form id="key-form" class="key" autocomplete="off">
                  <label for="api-key">API key</label>
                  <input id="api-key" type="password" placeholder="only for servers with keys" autocomplete="off"
                    spellcheck="false">
                  <button type="submit">Use</button>
                  <button type="button" id="key-forget">Forget</button>
                </form>
              </header>
              <noscript><p class="note">The dashboard needs JavaScript to show live events.</p></noscript>
              <main class="grid">
                <section class="panel events" aria-labelledby="events-title">
                  <h2 id="events-title">Events <span id="event-count" class="muted"></span></h2>
                  <div class="table-wrap">
                    <table id="events">
                      <thead>
                        <tr><th>Seq</th><th>Time</th><th>Type</th><th>Source</th><th>Subject</th><th>Data</th></tr>
                      </thead>
                      <tbody id="event-rows"></tbody>
                    </table>
                    <p id="events-note" class="note">No events yet. Publish one with the form.</p>
                  </div>
                  <h3>Selected event</h3>
                  <pre id="event-detail" class="detail">Click an event to see all of it.</pre>
                </section>
                <section class="panel rates" aria-labelledby="rates-title">
                  <h2 id="rates-title">Rate per type <span class="muted">events/s, last 60 s</span></h2>
                  <canvas id="rate-chart" width="420" height="160" aria-label="events per second by type"></canvas>
                  <ul id="rate-legend" class="legend"></ul>
                  <p id="rates-note" class="note" hidden></p>
                </section>
                <section class="panel groups" aria-labelledby="groups-title">
                  <h2 id="groups-title">Consumer groups</h2>
                  <table id="groups" hidden>
                    <thead>
                      <tr><th>Name</th><th>Topic</th><th>Lag</th><th>In flight</th><th>Dead letters</th></tr>
                    </thead>
                    <tbody id="group-rows"></tbody>
                  </table>
                  <p id="groups-note" class="note">Loading…</p>
                </section>
                <section class="panel schedules" aria-labelledby="schedules-title">
                  <h2 id="schedules-title">Schedules</h2>
                  <table id="schedules" hidden>
                    <thead>
                      <tr><th>Name</th><th>Trigger</th><th>Next firing</th><th>Paused</th></tr>
                    </thead>
                    <tbody id="schedule-rows"></tbody>
                  </table>
                  <p id="schedules-note" class="note">Loading…</p>
                </section>
                <section class="panel publish" aria-labelledby="publish-title">
                  <h2 id="publish-title">Publish an event</h2>
                  <form id="publish-form" autocomplete="off">
                    <label for="publish-type">Type</label>
                    <input id="publish-type" name="type" required value="demo.greeting" spellcheck="false">
                    <label for="publish-source">Source</label>
                    <input id="publish-source" name="source" required value="/dashboard" spellcheck="false">
                    <label for="publish-subject">Subject</label>
                    <input id="publish-subject" name="subject" placeholder="optional" spellcheck="false">
                    <label for="publish-data">Data (JSON)</label>
                    <textarea id="publish-data" name="data" rows="4" spellcheck="false">{"hello": "world"}</textarea>
                    <button id="publish-button" type="submit">Publish</button>
                  </form>
                  <div id="publish-result" class="result" role="status" hidden></div>
                </section>
              </main>
            </body>
            </html>

            """#)
}
