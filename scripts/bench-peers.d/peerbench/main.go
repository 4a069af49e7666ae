// peerbench: the load clients of scripts/bench-peers, one compiled program for every system (Herald over
// HTTP with net/http, Redis Streams with redigo, NATS JetStream with nats.go), plus the small helpers the
// script needs (free ports, waiting for servers, parsing the outputs of redis-benchmark, wrk and pgbench,
// and writing the JSON lines and the markdown table).
//
// Built by scripts/bench-peers in GOPATH mode from Debian's packages (GO111MODULE=off,
// GOPATH=...:/usr/share/gocode). Each load subcommand prints one JSON object (Result) on stdout; every load
// loop stops at a deadline and at a maximum count.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Result is what a load subcommand prints.
type Result struct {
	Events     int64    `json:"events"`
	Seconds    float64  `json:"seconds"`
	EventsPerS float64  `json:"events_per_s"`
	P50        *float64 `json:"p50_us"`
	P99        *float64 `json:"p99_us"`
	Errors     int64    `json:"errors"`
	Detail     string   `json:"detail,omitempty"`
}

var commands = map[string]func([]string) error{
	"herald-publish": heraldPublish,
	"herald-consume": heraldConsume,
	"herald-latency": heraldLatency,
	"herald-stream":  heraldStream,
	"redis-consume":  redisConsume,
	"redis-latency":  redisLatency,
	"nats-publish":   natsPublish,
	"nats-consume":   natsConsume,
	"nats-latency":   natsLatency,
	"freeport":       freePort,
	"wait":           waitFor,
	"parse-redis":    parseRedisBenchmark,
	"parse-wrk":      parseWrk,
	"parse-pgbench":  parsePgbench,
	"emit":           emit,
	"table":          table,
}

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		names := make([]string, 0, len(commands))
		for name := range commands {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: peerbench COMMAND [flags]; commands: %s\n", strings.Join(names, ", "))
		os.Exit(2)
	}
	if err := commands[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "peerbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func newFlags(name string) *flag.FlagSet { return flag.NewFlagSet(name, flag.ExitOnError) }

func printResult(r Result) error {
	if r.Seconds > 0 {
		r.EventsPerS = math.Round(float64(r.Events) / r.Seconds)
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// payload returns a 256-byte ASCII payload starting with prefix.
func payload(prefix string) string {
	if len(prefix) >= 256 {
		return prefix[:256]
	}
	return prefix + strings.Repeat("x", 256-len(prefix))
}

// stampPayload is the latency cases' payload: the event's index in the schedule, then padding to 256 bytes.
func stampPayload(index int) string { return payload("i" + strconv.Itoa(index) + ";") }

// stampIndex reads the index back from a payload made by stampPayload; -1 when there is none.
func stampIndex(p string) int {
	if len(p) < 2 || p[0] != 'i' {
		return -1
	}
	end := strings.IndexByte(p, ';')
	if end < 0 {
		return -1
	}
	n, err := strconv.Atoi(p[1:end])
	if err != nil {
		return -1
	}
	return n
}

// Latencies collects durations from many goroutines.
type Latencies struct {
	mu     sync.Mutex
	values []time.Duration
}

func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.values = append(l.values, d)
	l.mu.Unlock()
}

func (l *Latencies) AddAll(ds []time.Duration) {
	l.mu.Lock()
	l.values = append(l.values, ds...)
	l.mu.Unlock()
}

// Percentiles returns p50 and p99 in microseconds, nil when empty.
func (l *Latencies) Percentiles() (*float64, *float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return percentiles(l.values)
}

func percentiles(values []time.Duration) (*float64, *float64) {
	if len(values) == 0 {
		return nil, nil
	}
	sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
	at := func(q float64) *float64 {
		i := int(math.Ceil(q*float64(len(values)))) - 1
		if i < 0 {
			i = 0
		}
		if values[i] == time.Duration(math.MaxInt64) {
			return nil
		}
		v := math.Round(float64(values[i])/float64(time.Microsecond)*10) / 10
		return &v
	}
	return at(0.50), at(0.99)
}

// firstError keeps the first error message of many goroutines and counts them all.
type firstError struct {
	mu    sync.Mutex
	count int64
	first string
}

func (e *firstError) Add(format string, args ...any) {
	e.mu.Lock()
	e.count++
	if e.first == "" {
		e.first = fmt.Sprintf(format, args...)
	}
	e.mu.Unlock()
}

func (e *firstError) Detail() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.count == 0 {
		return ""
	}
	return fmt.Sprintf("%d errors, first: %s", e.count, e.first)
}

// schedule is the open-loop publisher of the latency cases: it releases event i at start + i/rate to the
// channel it returns (which holds every event, so a slow publisher never slows the schedule), for count
// events, and closes it.
func schedule(start time.Time, rate, count int) <-chan int {
	ch := make(chan int, count)
	go func() {
		defer close(ch)
		for i := 0; i < count; i++ {
			due := start.Add(time.Duration(float64(i) / float64(rate) * float64(time.Second)))
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
			}
			ch <- i
		}
	}()
	return ch
}

// latencyTracker records, for the latency cases, when each scheduled event reached the consumer.
type latencyTracker struct {
	start    time.Time
	rate     int
	mu       sync.Mutex
	received []time.Duration // 0: not yet
	count    int
	dups     int64
	done     chan struct{}
}

func newLatencyTracker(start time.Time, rate, count int) *latencyTracker {
	return &latencyTracker{start: start, rate: rate, received: make([]time.Duration, count), done: make(chan struct{})}
}

func (t *latencyTracker) due(i int) time.Time {
	return t.start.Add(time.Duration(float64(i) / float64(t.rate) * float64(time.Second)))
}

func (t *latencyTracker) Receive(i int, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if i < 0 || i >= len(t.received) {
		t.dups++
		return
	}
	if t.received[i] != 0 {
		t.dups++
		return
	}
	d := at.Sub(t.due(i))
	if d <= 0 {
		d = 1
	}
	t.received[i] = d
	t.count++
	if t.count == len(t.received) {
		close(t.done)
	}
}

// Result: events received per second of schedule, and percentiles over every scheduled event, those never
// received counting as infinitely late (so a p99 among them is reported as null).
func (t *latencyTracker) Result(seconds float64, publishErrors *firstError) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	values := make([]time.Duration, len(t.received))
	for i, d := range t.received {
		if d == 0 {
			d = time.Duration(math.MaxInt64)
		}
		values[i] = d
	}
	p50, p99 := percentiles(values)
	r := Result{Events: int64(t.count), Seconds: seconds, P50: p50, P99: p99, Errors: publishErrors.count}
	var details []string
	if missing := len(t.received) - t.count; missing > 0 {
		details = append(details, fmt.Sprintf("%d of %d scheduled events not received by the end of the grace period", missing, len(t.received)))
	}
	if t.dups > 0 {
		details = append(details, fmt.Sprintf("%d duplicate deliveries", t.dups))
	}
	if d := publishErrors.Detail(); d != "" {
		details = append(details, "publish: "+d)
	}
	r.Detail = strings.Join(details, "; ")
	return r
}

// latencyCase is the frame every system's latency case shares: the flags, the open-loop schedule, the
// tracker, and the publishers' and the consumer's errors.
type latencyCase struct {
	seconds          float64
	conns            int
	stop             time.Time
	tracker          *latencyTracker
	jobs             <-chan int
	pubErrs, conErrs firstError
}

// latencyFlags declares the flags every latency case takes and returns a function that starts the case
// (after fs.Parse) with its schedule beginning `lead` from now.
func latencyFlags(fs *flag.FlagSet) func(lead time.Duration) *latencyCase {
	rate := fs.Int("rate", 1000, "events per second")
	seconds := fs.Float64("seconds", 5, "how long to publish")
	grace := fs.Float64("grace", 5, "how long the consumer waits for stragglers after the schedule ends")
	conns := fs.Int("conns", 64, "publishing connections")
	return func(lead time.Duration) *latencyCase {
		count := int(float64(*rate) * *seconds)
		start := time.Now().Add(lead)
		return &latencyCase{
			seconds: *seconds,
			conns:   *conns,
			stop:    start.Add(time.Duration((*seconds + *grace) * float64(time.Second))),
			tracker: newLatencyTracker(start, *rate, count),
			jobs:    schedule(start, *rate, count),
		}
	}
}

// publish runs the case's publishers and returns when the schedule is done: each connects with `connect`,
// which gives it a function that publishes scheduled event i, and publishes its share of the schedule
// (events due after the deadline are drained without publishing).
func (c *latencyCase) publish(connect func() (publish func(i int) error, close func(), err error)) {
	var publishers sync.WaitGroup
	for w := 0; w < c.conns; w++ {
		publishers.Add(1)
		go func() {
			defer publishers.Done()
			publish, closeConnection, err := connect()
			if err != nil {
				c.pubErrs.Add("%v", err)
				return
			}
			defer closeConnection()
			for i := range c.jobs {
				if time.Now().After(c.stop) {
					continue
				}
				if err := publish(i); err != nil {
					c.pubErrs.Add("%v", err)
				}
			}
		}()
	}
	publishers.Wait()
}

// consume calls `read` in a loop on its own goroutine until every event arrived or the deadline passed, and
// returns a function that waits for that goroutine; a failed read is counted and retried after 10 ms.
func (c *latencyCase) consume(read func() error) (wait func()) {
	var consumer sync.WaitGroup
	consumer.Add(1)
	go func() {
		defer consumer.Done()
		for time.Now().Before(c.stop) {
			select {
			case <-c.tracker.done:
				return
			default:
			}
			if err := read(); err != nil {
				c.conErrs.Add("%v", err)
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	return consumer.Wait
}

// finish prints the case's result, the consumer's errors included.
func (c *latencyCase) finish() error {
	r := c.tracker.Result(c.seconds, &c.pubErrs)
	if d := c.conErrs.Detail(); d != "" {
		r.Detail += "; consumer: " + d
		r.Errors += c.conErrs.count
	}
	return printResult(r)
}

// consumeResult prints a consume case's result: `acked` events since `start`, with the warm-up's remark and
// the number of reads that came back empty.
func consumeResult(start time.Time, acked int64, errs *firstError, warmup string, empty int64, emptyReads string) error {
	detail := strings.TrimSpace(errs.Detail() + " " + warmup)
	if empty > 0 {
		detail += fmt.Sprintf("; %d %s", empty, emptyReads)
	}
	return printResult(Result{Events: acked, Seconds: time.Since(start).Seconds(), Errors: errs.count, Detail: detail})
}
