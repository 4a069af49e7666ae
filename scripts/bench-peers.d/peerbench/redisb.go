package main

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomodule/redigo/redis"
)

func redisDial(addr string) (redis.Conn, error) {
	return redis.Dial("tcp", addr,
		redis.DialConnectTimeout(5*time.Second),
		redis.DialReadTimeout(30*time.Second),
		redis.DialWriteTimeout(30*time.Second))
}

// createRedisGroup makes the group on the stream from start ("0" or "$"), creating the stream if needed.
func createRedisGroup(addr, stream, group, start string) error {
	conn, err := redisDial(addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Do("XGROUP", "CREATE", stream, group, start, "MKSTREAM")
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return err
	}
	return nil
}

type streamEntry struct {
	id     string
	fields []string
}

// readGroup: XREADGROUP GROUP group consumer COUNT count [BLOCK ms] STREAMS stream >.
func readGroup(conn redis.Conn, stream, group, consumer string, count, blockMs int) ([]streamEntry, error) {
	args := []any{"GROUP", group, consumer, "COUNT", count}
	if blockMs >= 0 {
		args = append(args, "BLOCK", blockMs)
	}
	args = append(args, "STREAMS", stream, ">")
	reply, err := redis.Values(conn.Do("XREADGROUP", args...))
	if err == redis.ErrNil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []streamEntry
	for _, s := range reply {
		pair, err := redis.Values(s, nil)
		if err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("unexpected XREADGROUP reply")
		}
		items, err := redis.Values(pair[1], nil)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			kv, err := redis.Values(item, nil)
			if err != nil || len(kv) != 2 {
				return nil, fmt.Errorf("unexpected XREADGROUP entry")
			}
			id, _ := redis.String(kv[0], nil)
			fields, _ := redis.Strings(kv[1], nil)
			entries = append(entries, streamEntry{id: id, fields: fields})
		}
	}
	return entries, nil
}

func xack(conn redis.Conn, stream, group string, entries []streamEntry) (int64, error) {
	args := make([]any, 0, len(entries)+2)
	args = append(args, stream, group)
	for _, e := range entries {
		args = append(args, e.id)
	}
	return redis.Int64(conn.Do("XACK", args...))
}

// redisConsume: consumers connections of one group, each XREADGROUP COUNT 100 then XACK of those ids.
func redisConsume(args []string) error {
	fs := newFlags("redis-consume")
	addr := fs.String("addr", "127.0.0.1:6379", "host:port")
	stream := fs.String("stream", "backlog", "the stream")
	group := fs.String("group", "bench", "the group (created at the stream's start)")
	consumers := fs.Int("consumers", 1, "consumers, each on its own connection")
	batch := fs.Int("batch", 100, "XREADGROUP COUNT")
	seconds := fs.Float64("seconds", 5, "stop after this long")
	count := fs.Int64("count", 50_000_000, "stop after this many events")
	fs.Parse(args)
	if err := createRedisGroup(*addr, *stream, *group, "0"); err != nil {
		return err
	}
	// Warm-up, not timed, as for Herald: the group's first read (COUNT 1) and ack.
	var warmup string
	{
		conn, err := redisDial(*addr)
		if err != nil {
			return err
		}
		t0 := time.Now()
		entries, err := readGroup(conn, *stream, *group, "warmup", 1, -1)
		if err != nil {
			return fmt.Errorf("warm-up read: %v", err)
		}
		if _, err := xack(conn, *stream, *group, entries); err != nil {
			return fmt.Errorf("warm-up ack: %v", err)
		}
		warmup = fmt.Sprintf("untimed warm-up: the group's first read (COUNT 1) and ack took %v", time.Since(t0).Round(time.Microsecond))
		conn.Close()
	}
	var acked, empty atomic.Int64
	var errs firstError
	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	var wg sync.WaitGroup
	for w := 0; w < *consumers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			conn, err := redisDial(*addr)
			if err != nil {
				errs.Add("%v", err)
				return
			}
			defer conn.Close()
			name := fmt.Sprintf("c%d", w)
			for time.Now().Before(deadline) && acked.Load() < *count {
				entries, err := readGroup(conn, *stream, *group, name, *batch, -1)
				if err != nil {
					errs.Add("%v", err)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if len(entries) == 0 {
					empty.Add(1)
					time.Sleep(time.Millisecond)
					continue
				}
				n, err := xack(conn, *stream, *group, entries)
				if err != nil {
					errs.Add("%v", err)
				}
				acked.Add(n)
			}
		}(w)
	}
	wg.Wait()
	return consumeResult(start, acked.Load(), &errs, warmup, empty.Load(), "empty reads")
}

// redisLatency: XADD on a steady schedule from conns connections while one consumer of a new group
// (at "$") does XREADGROUP BLOCK COUNT 100 and XACK.
func redisLatency(args []string) error {
	fs := newFlags("redis-latency")
	addr := fs.String("addr", "127.0.0.1:6379", "host:port")
	stream := fs.String("stream", "lat", "the stream")
	group := fs.String("group", "lat", "the group")
	begin := latencyFlags(fs)
	fs.Parse(args)
	if err := createRedisGroup(*addr, *stream, *group, "$"); err != nil {
		return err
	}
	c := begin(200 * time.Millisecond)

	conn, err := redisDial(*addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	wait := c.consume(func() error {
		entries, err := readGroup(conn, *stream, *group, "c0", 100, 200)
		if err != nil {
			return err
		}
		now := time.Now()
		for _, e := range entries {
			if len(e.fields) == 2 {
				c.tracker.Receive(stampIndex(e.fields[1]), now)
			}
		}
		if len(entries) > 0 {
			_, err = xack(conn, *stream, *group, entries)
		}
		return err
	})

	c.publish(func() (func(int) error, func(), error) {
		pconn, err := redisDial(*addr)
		if err != nil {
			return nil, nil, err
		}
		publish := func(i int) error {
			_, err := pconn.Do("XADD", *stream, "*", "p", stampPayload(i))
			return err
		}
		return publish, func() { pconn.Close() }, nil
	})
	wait()
	return c.finish()
}
