package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// httpClient: one pooled client for all goroutines, keeping one idle connection per goroutine.
func httpClient(conns int) *http.Client {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		MaxConnsPerHost:     conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: transport, Timeout: 60 * time.Second}
}

// post sends body and returns the status and the answer.
func post(client *http.Client, url, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	return resp.StatusCode, answer, err
}

// appendEvent writes one CloudEvent in JSON with a 256-byte string as data.
func appendEvent(b *bytes.Buffer, id, source, typ, data string) {
	b.WriteString(`{"specversion":"1.0","id":"`)
	b.WriteString(id)
	b.WriteString(`","source":"`)
	b.WriteString(source)
	b.WriteString(`","type":"`)
	b.WriteString(typ)
	b.WriteString(`","datacontenttype":"text/plain","data":"`)
	b.WriteString(data)
	b.WriteString(`"}`)
}

func eventsBody(b *bytes.Buffer, prefix string, first int64, n int, source, typ, data string) (string, []byte) {
	b.Reset()
	if n == 1 {
		appendEvent(b, prefix+strconv.FormatInt(first, 10), source, typ, data)
		return "application/cloudevents+json", b.Bytes()
	}
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		appendEvent(b, prefix+strconv.FormatInt(first+int64(i), 10), source, typ, data)
	}
	b.WriteByte(']')
	return "application/cloudevents-batch+json", b.Bytes()
}

// heraldPublish: conns goroutines, each POSTing one event or a batch at a time and waiting for the 201,
// until the deadline or count events.
func heraldPublish(args []string) error {
	fs := newFlags("herald-publish")
	url := fs.String("url", "", "Herald's base URL")
	conns := fs.Int("conns", 64, "connections (one request in flight on each)")
	batch := fs.Int("batch", 1, "events per POST: 1 (structured mode) or more (batch mode)")
	seconds := fs.Float64("seconds", 5, "stop after this long")
	count := fs.Int64("count", 50_000_000, "stop after this many events")
	typ := fs.String("type", "bench.publish", "the events' type")
	prefix := fs.String("id-prefix", fmt.Sprintf("p%d-", time.Now().UnixNano()), "prefix of the event ids")
	fs.Parse(args)
	client := httpClient(*conns)
	endpoint := *url + "/v1/events"
	data := payload("")
	load := newPublishLoad(*seconds)
	load.run(*conns, func() {
		var b bytes.Buffer
		local := make([]time.Duration, 0, 1024)
		for time.Now().Before(load.deadline) {
			first := load.claimed.Add(int64(*batch)) - int64(*batch)
			if first >= *count {
				break
			}
			n := *batch
			if rest := *count - first; rest < int64(n) {
				n = int(rest)
			}
			contentType, body := eventsBody(&b, *prefix, first, n, "/bench", *typ, data)
			t0 := time.Now()
			status, answer, err := post(client, endpoint, contentType, body)
			if err != nil {
				load.errs.Add("%v", err)
				continue
			}
			if status != http.StatusCreated {
				load.errs.Add("status %d: %.200s", status, answer)
				continue
			}
			local = append(local, time.Since(t0))
			load.stored.Add(int64(n))
		}
		load.lat.AddAll(local)
	})
	return load.result()
}

// publishLoad is what the workers of a publishing case share: the next event index to claim, the events
// stored, the first errors, the latencies, and when to stop.
type publishLoad struct {
	claimed, stored atomic.Int64
	errs            firstError
	lat             Latencies
	start, deadline time.Time
}

func newPublishLoad(seconds float64) *publishLoad {
	start := time.Now()
	return &publishLoad{start: start, deadline: start.Add(time.Duration(seconds * float64(time.Second)))}
}

// run runs work on n goroutines and waits for all of them.
func (l *publishLoad) run(n int, work func()) {
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait()
}

// result prints the case's result: events stored over the time since the start.
func (l *publishLoad) result() error {
	p50, p99 := l.lat.Percentiles()
	return printResult(Result{Events: l.stored.Load(), Seconds: time.Since(l.start).Seconds(), P50: p50, P99: p99, Errors: l.errs.count, Detail: l.errs.Detail()})
}

// createGroup makes the consumer group (PUT /v1/groups/{name}).
func createGroup(client *http.Client, url, group, topic, start string) error {
	body, _ := json.Marshal(map[string]any{"topic": topic, "start": start})
	req, err := http.NewRequest(http.MethodPut, url+"/v1/groups/"+group, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT /v1/groups/%s: status %d: %s", group, resp.StatusCode, answer)
	}
	return nil
}

type pollAnswer struct {
	Acks       *ackAnswer `json:"acks"`
	Deliveries []struct {
		DeliveryID string `json:"delivery_id"`
		Event      struct {
			Data json.RawMessage `json:"data"`
		} `json:"event"`
	} `json:"deliveries"`
}

type ackAnswer struct {
	Settled int64 `json:"settled"`
	Unknown int64 `json:"unknown"`
}

// pollAcking acknowledges ack (the consumer's last batch) and leases up to max deliveries in one request,
// calling each with the event's data; it returns the new deliveries' ids (to acknowledge with the next
// poll) and how many of ack were settled.
func pollAcking(client *http.Client, url, group string, max, waitMs int, ack []string, each func(data json.RawMessage)) ([]string, int64, error) {
	request := map[string]any{"max": max, "wait_ms": waitMs}
	if len(ack) > 0 {
		request["ack"] = ack
	}
	body, _ := json.Marshal(request)
	status, answer, err := post(client, url+"/v1/groups/"+group+"/poll", "application/json", body)
	if err != nil {
		return nil, 0, err
	}
	if status != http.StatusOK {
		return nil, 0, fmt.Errorf("poll: status %d: %.200s", status, answer)
	}
	var polled pollAnswer
	if err := json.Unmarshal(answer, &polled); err != nil {
		return nil, 0, fmt.Errorf("poll: %v", err)
	}
	var settled int64
	if len(ack) > 0 {
		if polled.Acks == nil {
			return nil, 0, fmt.Errorf("poll: no acks in the answer to a poll that acknowledged %d", len(ack))
		}
		settled = polled.Acks.Settled
		if polled.Acks.Unknown > 0 {
			err = fmt.Errorf("poll: %d of %d acknowledged delivery ids unknown", polled.Acks.Unknown, len(ack))
		}
	}
	ids := make([]string, len(polled.Deliveries))
	for i, d := range polled.Deliveries {
		ids[i] = d.DeliveryID
		if each != nil {
			each(d.Event.Data)
		}
	}
	return ids, settled, err
}

// ackAll acknowledges a consumer's last batch on its own; it returns how many were settled.
func ackAll(client *http.Client, url, group string, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	body, _ := json.Marshal(map[string]any{"delivery_ids": ids})
	status, answer, err := post(client, url+"/v1/groups/"+group+"/ack", "application/json", body)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("ack: status %d: %.200s", status, answer)
	}
	var acked ackAnswer
	if err := json.Unmarshal(answer, &acked); err != nil {
		return 0, fmt.Errorf("ack: %v", err)
	}
	if acked.Unknown > 0 {
		return acked.Settled, fmt.Errorf("ack: %d of %d delivery ids unknown", acked.Unknown, len(ids))
	}
	return acked.Settled, nil
}

// heraldConsume: consumers goroutines of one group, each polling 100 and acknowledging them with its next
// poll, until the deadline or count events.
func heraldConsume(args []string) error {
	fs := newFlags("herald-consume")
	url := fs.String("url", "", "Herald's base URL")
	group := fs.String("group", "bench", "the consumer group (created from the earliest event)")
	topic := fs.String("topic", "backlog.>", "the group's topic")
	consumers := fs.Int("consumers", 1, "consumers, each on its own connection")
	batch := fs.Int("batch", 100, "poll max")
	seconds := fs.Float64("seconds", 5, "stop after this long")
	count := fs.Int64("count", 50_000_000, "stop after this many events")
	fs.Parse(args)
	client := httpClient(*consumers)
	if err := createGroup(client, *url, *group, *topic, "earliest"); err != nil {
		return err
	}
	// Warm-up, not timed: the group's first poll and ack; its time is reported in the detail.
	t0 := time.Now()
	first, _, err := pollAcking(client, *url, *group, 1, 1000, nil, nil)
	if err != nil {
		return fmt.Errorf("warm-up poll: %v", err)
	}
	warm, err := ackAll(client, *url, *group, first)
	if err != nil {
		return fmt.Errorf("warm-up ack: %v", err)
	}
	warmup := fmt.Sprintf("untimed warm-up: the group's first poll (max 1) and ack took %v", time.Since(t0).Round(time.Millisecond))
	var acked atomic.Int64
	var errs firstError
	var emptyPolls atomic.Int64
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for w := 0; w < *consumers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each poll acknowledges the batch before it: one request and one durable commit per batch.
			var last []string
			for time.Now().Before(deadline) && acked.Load() < *count {
				ids, n, err := pollAcking(client, *url, *group, *batch, 1000, last, nil)
				acked.Add(n)
				last = ids
				if err != nil {
					errs.Add("%v", err)
					time.Sleep(10 * time.Millisecond)
				} else if len(ids) == 0 {
					emptyPolls.Add(1)
				}
			}
			n, err := ackAll(client, *url, *group, last)
			acked.Add(n)
			if err != nil {
				errs.Add("%v", err)
			}
		}()
	}
	wg.Wait()
	if warm != 1 {
		warmup += fmt.Sprintf("; the warm-up acked %d events, not 1", warm)
	}
	return consumeResult(start, acked.Load(), &errs, warmup, emptyPolls.Load(), "empty polls")
}

// heraldLatency: single events POSTed on a steady schedule from conns connections while one consumer of a
// new group (start "latest") long-polls 100, acknowledging with the next poll; latency from each event's
// scheduled publish time to the consumer reading it from the poll's answer.
func heraldLatency(args []string) error {
	fs := newFlags("herald-latency")
	url := fs.String("url", "", "Herald's base URL")
	typ := fs.String("type", "lat.e", "the events' type")
	group := fs.String("group", "lat", "the consumer group")
	topic := fs.String("topic", "lat.>", "the group's topic")
	begin := latencyFlags(fs)
	fs.Parse(args)
	if err := createGroup(httpClient(1), *url, *group, *topic, "latest"); err != nil {
		return err
	}
	c := begin(200 * time.Millisecond)
	client := httpClient(c.conns + 1)
	prefix := fmt.Sprintf("l%d-", time.Now().UnixNano())

	var last []string
	wait := c.consume(func() error {
		ids, _, err := pollAcking(client, *url, *group, 100, 200, last, func(data json.RawMessage) {
			var s string
			if json.Unmarshal(data, &s) == nil {
				c.tracker.Receive(stampIndex(s), time.Now())
			}
		})
		last = ids
		return err
	})

	c.publish(func() (func(int) error, func(), error) {
		var b bytes.Buffer
		publish := func(i int) error {
			contentType, body := eventsBody(&b, prefix, int64(i), 1, "/bench", *typ, stampPayload(i))
			status, answer, err := post(client, *url+"/v1/events", contentType, body)
			if err == nil && status != http.StatusCreated {
				err = fmt.Errorf("status %d: %.200s", status, answer)
			}
			return err
		}
		return publish, func() {}, nil
	})
	wait()
	return c.finish()
}
