package main

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

// heraldStream: conns WebSockets to /v1/ws, each sending one event per message without waiting for the
// answers, with up to window messages unanswered, until the deadline or count events. An event counts when
// its answer says it was stored; p50/p99 are from sending a message to reading its answer (answers come in
// the order sent).
func heraldStream(args []string) error {
	fs := newFlags("herald-stream")
	url := fs.String("url", "", "Herald's base URL (http://...)")
	conns := fs.Int("conns", 64, "WebSocket connections")
	window := fs.Int("window", 256, "messages sent and not yet answered, per connection")
	seconds := fs.Float64("seconds", 5, "stop sending after this long")
	count := fs.Int64("count", 50_000_000, "stop after this many events")
	typ := fs.String("type", "bench.stream", "the events' type")
	prefix := fs.String("id-prefix", fmt.Sprintf("s%d-", time.Now().UnixNano()), "prefix of the event ids")
	fs.Parse(args)
	// A topic nothing published matches, so that the socket carries only answers back.
	endpoint := strings.Replace(*url, "http", "ws", 1) + "/v1/ws?topic=bench.nothing"
	data := payload("")
	load := newPublishLoad(*seconds)
	load.run(*conns, func() {
		ws, err := websocket.Dial(endpoint, "", *url)
		if err != nil {
			load.errs.Add("dial: %v", err)
			return
		}
		defer ws.Close()
		sent := make(chan time.Time, *window)
		done := make(chan struct{})
		go func() {
			defer close(done)
			local := make([]time.Duration, 0, 4096)
			defer func() { load.lat.AddAll(local) }()
			for t0 := range sent {
				ws.SetReadDeadline(time.Now().Add(30 * time.Second))
				var answer string
				if err := websocket.Message.Receive(ws, &answer); err != nil {
					load.errs.Add("receive: %v", err)
					return
				}
				if !strings.Contains(answer, `"events"`) {
					load.errs.Add("answer: %.200s", answer)
					continue
				}
				local = append(local, time.Since(t0))
				load.stored.Add(1)
			}
		}()
		var b bytes.Buffer
		for time.Now().Before(load.deadline) {
			index := load.claimed.Add(1) - 1
			if index >= *count {
				break
			}
			_, body := eventsBody(&b, *prefix, index, 1, "/bench", *typ, data)
			select {
			case sent <- time.Now():
			case <-done:
				return
			}
			if err := websocket.Message.Send(ws, string(body)); err != nil {
				load.errs.Add("send: %v", err)
				break
			}
		}
		close(sent)
		<-done
	})
	return load.result()
}
