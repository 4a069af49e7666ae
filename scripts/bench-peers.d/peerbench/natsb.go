package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

func natsConnect(url string) (*nats.Conn, error) {
	return nats.Connect(url, nats.Timeout(5*time.Second), nats.MaxReconnects(0))
}

// ensureStream creates a file-storage stream with one subject pattern, if missing.
func ensureStream(js nats.JetStreamContext, name, subject string) error {
	if _, err := js.StreamInfo(name); err == nil {
		return nil
	}
	_, err := js.AddStream(&nats.StreamConfig{
		Name:      name,
		Subjects:  []string{subject},
		Storage:   nats.FileStorage,
		Retention: nats.LimitsPolicy,
		Replicas:  1,
	})
	return err
}

// natsPublish: sync (each publish waits for its acknowledgement) or async (up to window unacknowledged
// publishes per connection), from conns connections, until the deadline or count events.
func natsPublish(args []string) error {
	fs := newFlags("nats-publish")
	url := fs.String("url", "nats://127.0.0.1:4222", "server URL")
	stream := fs.String("stream", "BENCH", "the stream (file storage), created if missing")
	subject := fs.String("subject", "bench.e", "the subject to publish to")
	conns := fs.Int("conns", 64, "connections")
	mode := fs.String("mode", "sync", "sync or async")
	window := fs.Int("window", 1000, "async: most unacknowledged publishes per connection")
	seconds := fs.Float64("seconds", 5, "stop after this long")
	count := fs.Int64("count", 50_000_000, "stop after this many events")
	fs.Parse(args)
	{
		nc, err := natsConnect(*url)
		if err != nil {
			return err
		}
		js, err := nc.JetStream()
		if err != nil {
			return err
		}
		if err := ensureStream(js, *stream, strings.SplitN(*subject, ".", 2)[0]+".>"); err != nil {
			return err
		}
		nc.Close()
	}
	data := []byte(payload(""))
	var claimed, acked atomic.Int64
	var errs firstError
	var lat Latencies
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for w := 0; w < *conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := natsConnect(*url)
			if err != nil {
				errs.Add("%v", err)
				return
			}
			defer nc.Close()
			if *mode == "sync" {
				js, err := nc.JetStream()
				if err != nil {
					errs.Add("%v", err)
					return
				}
				local := make([]time.Duration, 0, 1024)
				for time.Now().Before(deadline) && claimed.Add(1) <= *count {
					t0 := time.Now()
					if _, err := js.Publish(*subject, data); err != nil {
						errs.Add("%v", err)
						continue
					}
					local = append(local, time.Since(t0))
					acked.Add(1)
				}
				lat.AddAll(local)
				return
			}
			var failed atomic.Int64
			js, err := nc.JetStream(nats.PublishAsyncMaxPending(*window),
				nats.PublishAsyncErrHandler(func(_ nats.JetStream, _ *nats.Msg, err error) {
					failed.Add(1)
					errs.Add("async ack: %v", err)
				}))
			if err != nil {
				errs.Add("%v", err)
				return
			}
			var sent int64
			for time.Now().Before(deadline) && claimed.Add(1) <= *count {
				if _, err := js.PublishAsync(*subject, data, nats.StallWait(10*time.Second)); err != nil {
					errs.Add("%v", err)
					continue
				}
				sent++
			}
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(30 * time.Second):
				errs.Add("acknowledgements still missing 30 s after the last publish")
			}
			acked.Add(sent - failed.Load() - int64(js.PublishAsyncPending()))
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	p50, p99 := lat.Percentiles()
	return printResult(Result{Events: acked.Load(), Seconds: elapsed, P50: p50, P99: p99, Errors: errs.count, Detail: errs.Detail()})
}

// natsConsume: consumers connections sharing one durable pull consumer (created at the stream's start,
// explicit acks), each fetching 100 and acknowledging each message.
func natsConsume(args []string) error {
	fs := newFlags("nats-consume")
	url := fs.String("url", "nats://127.0.0.1:4222", "server URL")
	stream := fs.String("stream", "BACKLOG", "the stream")
	durable := fs.String("durable", "bench", "the durable consumer")
	consumers := fs.Int("consumers", 1, "consumers, each on its own connection")
	batch := fs.Int("batch", 100, "fetch size")
	seconds := fs.Float64("seconds", 5, "stop after this long")
	count := fs.Int64("count", 50_000_000, "stop after this many events")
	fs.Parse(args)
	{
		nc, err := natsConnect(*url)
		if err != nil {
			return err
		}
		js, err := nc.JetStream()
		if err != nil {
			return err
		}
		_, err = js.AddConsumer(*stream, &nats.ConsumerConfig{
			Durable:       *durable,
			AckPolicy:     nats.AckExplicitPolicy,
			DeliverPolicy: nats.DeliverAllPolicy,
			AckWait:       30 * time.Second,
			MaxAckPending: 1000 * *consumers,
		})
		if err != nil {
			return err
		}
		nc.Close()
	}
	// Warm-up, not timed, as for Herald: the consumer's first fetch (1 message) and ack.
	var warmup string
	{
		nc, err := natsConnect(*url)
		if err != nil {
			return err
		}
		js, err := nc.JetStream()
		if err != nil {
			return err
		}
		sub, err := js.PullSubscribe("", *durable, nats.Bind(*stream, *durable))
		if err != nil {
			return err
		}
		t0 := time.Now()
		msgs, err := sub.Fetch(1, nats.MaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("warm-up fetch: %v", err)
		}
		for _, m := range msgs {
			if err := m.AckSync(); err != nil {
				return fmt.Errorf("warm-up ack: %v", err)
			}
		}
		warmup = fmt.Sprintf("untimed warm-up: the consumer's first fetch (1) and ack took %v", time.Since(t0).Round(time.Microsecond))
		nc.Close()
	}
	var acked, empty atomic.Int64
	var errs firstError
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for w := 0; w < *consumers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := natsConnect(*url)
			if err != nil {
				errs.Add("%v", err)
				return
			}
			defer nc.Close()
			js, err := nc.JetStream()
			if err != nil {
				errs.Add("%v", err)
				return
			}
			sub, err := js.PullSubscribe("", *durable, nats.Bind(*stream, *durable))
			if err != nil {
				errs.Add("%v", err)
				return
			}
			for time.Now().Before(deadline) && acked.Load() < *count {
				msgs, err := sub.Fetch(*batch, nats.MaxWait(time.Second))
				if err != nil {
					if errors.Is(err, nats.ErrTimeout) {
						empty.Add(1)
						continue
					}
					errs.Add("%v", err)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				var n int64
				for _, m := range msgs {
					if err := m.Ack(); err != nil {
						errs.Add("%v", err)
						continue
					}
					n++
				}
				acked.Add(n)
			}
			// The acks are sent without waiting for an answer: a flush (a round trip) makes sure the
			// server has read them all before the time is taken.
			if err := nc.FlushTimeout(10 * time.Second); err != nil {
				errs.Add("flush: %v", err)
			}
		}()
	}
	wg.Wait()
	return consumeResult(start, acked.Load(), &errs, warmup, empty.Load(), "empty fetches")
}

// natsLatency: synchronous publishes on a steady schedule from conns connections while a durable push
// consumer (new messages only, explicit acks) acknowledges each message as it arrives.
func natsLatency(args []string) error {
	fs := newFlags("nats-latency")
	url := fs.String("url", "nats://127.0.0.1:4222", "server URL")
	stream := fs.String("stream", "LAT", "the stream (file storage), created if missing")
	subject := fs.String("subject", "lat.e", "the subject")
	begin := latencyFlags(fs)
	fs.Parse(args)
	c := begin(300 * time.Millisecond)

	nc, err := natsConnect(*url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		return err
	}
	if err := ensureStream(js, *stream, strings.SplitN(*subject, ".", 2)[0]+".>"); err != nil {
		return err
	}
	sub, err := js.Subscribe(*subject, func(m *nats.Msg) {
		c.tracker.Receive(stampIndex(string(m.Data)), time.Now())
		if err := m.Ack(); err != nil {
			c.conErrs.Add("%v", err)
		}
	}, nats.Durable("lat"), nats.ManualAck(), nats.AckExplicit(), nats.DeliverNew(), nats.MaxAckPending(20000))
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()

	c.publish(func() (func(int) error, func(), error) {
		pc, err := natsConnect(*url)
		if err != nil {
			return nil, nil, err
		}
		pjs, err := pc.JetStream()
		if err != nil {
			pc.Close()
			return nil, nil, err
		}
		publish := func(i int) error {
			_, err := pjs.Publish(*subject, []byte(stampPayload(i)))
			return err
		}
		return publish, pc.Close, nil
	})
	select {
	case <-c.tracker.done:
	case <-time.After(time.Until(c.stop)):
	}
	return c.finish()
}
