package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// freePort prints a TCP port free on 127.0.0.1 (the kernel's choice).
func freePort(args []string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println(l.Addr().(*net.TCPAddr).Port)
	return nil
}

// waitFor waits until host:port accepts connections (and, with -http, until GET path answers 200).
func waitFor(args []string) error {
	fs := newFlags("wait")
	addr := fs.String("addr", "", "host:port")
	path := fs.String("http", "", "a path that must answer 200")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	pid := fs.Int("pid", 0, "the server's process: give up when it has exited")
	fs.Parse(args)
	deadline := time.Now().Add(*timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		if *pid > 0 && !running(*pid) {
			return fmt.Errorf("the server (process %d) exited before %s answered", *pid, *addr)
		}
		conn, err := net.DialTimeout("tcp", *addr, time.Second)
		if err == nil {
			conn.Close()
			if *path == "" {
				return nil
			}
			resp, err := client.Get("http://" + *addr + *path)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s%s not ready after %v", *addr, *path, *timeout)
}

// running: whether the process exists and is not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	fields := strings.Fields(rest)
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

func ptr(v float64) *float64 { return &v }

// parseRedisBenchmark reads redis-benchmark --csv output.
func parseRedisBenchmark(args []string) error {
	fs := newFlags("parse-redis")
	file := fs.String("file", "", "redis-benchmark --csv output")
	requests := fs.Int64("n", 0, "the run's -n, if known")
	fs.Parse(args)
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	if len(rows) < 2 {
		return fmt.Errorf("%s: no result row", *file)
	}
	header, row := rows[0], rows[len(rows)-1]
	value := func(name string) float64 {
		for i, h := range header {
			if h == name && i < len(row) {
				v, _ := strconv.ParseFloat(row[i], 64)
				return v
			}
		}
		return math.NaN()
	}
	r := Result{EventsPerS: math.Round(value("rps"))}
	if *requests > 0 && r.EventsPerS > 0 {
		r.Events, r.Seconds = *requests, float64(*requests)/value("rps")
	}
	if v := value("p50_latency_ms"); !math.IsNaN(v) {
		r.P50 = ptr(v * 1000)
	}
	if v := value("p99_latency_ms"); !math.IsNaN(v) {
		r.P99 = ptr(v * 1000)
	}
	return printResult(r)
}

var wrkDuration = regexp.MustCompile(`^([0-9.]+)(us|ms|s|m)$`)

func wrkMicroseconds(s string) *float64 {
	m := wrkDuration.FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	switch m[2] {
	case "ms":
		v *= 1000
	case "s":
		v *= 1e6
	case "m":
		v *= 60e6
	}
	return ptr(math.Round(v*10) / 10)
}

// parseWrk reads wrk --latency output.
func parseWrk(args []string) error {
	fs := newFlags("parse-wrk")
	file := fs.String("file", "", "wrk --latency output")
	fs.Parse(args)
	text, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var r Result
	var details []string
	for _, line := range strings.Split(string(text), "\n") {
		fields := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Requests/sec:") && len(fields) == 2:
			v, _ := strconv.ParseFloat(fields[1], 64)
			r.EventsPerS = math.Round(v)
		case len(fields) == 2 && fields[0] == "50%":
			r.P50 = wrkMicroseconds(fields[1])
		case len(fields) == 2 && fields[0] == "99%":
			r.P99 = wrkMicroseconds(fields[1])
		case strings.Contains(line, "Non-2xx") || strings.Contains(line, "Socket errors"):
			details = append(details, strings.TrimSpace(line))
			r.Errors++
		}
	}
	r.Detail = strings.Join(details, "; ")
	return printResult(r)
}

// parsePgbench reads pgbench's report and its per-transaction logs (-l): events per second are the rows
// the case inserted or deleted (counted in the table, given as -events) over pgbench's measured time
// (transactions / tps); p50 and p99 are of the transactions' latencies.
func parsePgbench(args []string) error {
	fs := newFlags("parse-pgbench")
	file := fs.String("file", "", "pgbench's report")
	logs := fs.String("logs", "", "glob of pgbench's transaction logs")
	events := fs.Int64("events", 0, "rows inserted or deleted by the run")
	fs.Parse(args)
	text, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var transactions, tps float64
	var details []string
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "number of transactions actually processed:") {
			f := strings.Fields(strings.TrimPrefix(line, "number of transactions actually processed:"))
			if len(f) > 0 {
				transactions, _ = strconv.ParseFloat(strings.Split(f[0], "/")[0], 64)
			}
		}
		if strings.HasPrefix(line, "tps = ") {
			f := strings.Fields(line)
			if len(f) >= 3 {
				tps, _ = strconv.ParseFloat(f[2], 64)
			}
		}
		if strings.HasPrefix(line, "number of failed transactions:") && !strings.Contains(line, ": 0 ") {
			details = append(details, strings.TrimSpace(line))
		}
		if strings.Contains(line, "aborted") || strings.HasPrefix(line, "pgbench: error") {
			details = append(details, strings.TrimSpace(line))
		}
	}
	if transactions <= 0 {
		return fmt.Errorf("pgbench completed no transaction (%s)", strings.Join(details, "; "))
	}
	if tps <= 0 {
		return fmt.Errorf("%s: no tps in pgbench's report", *file)
	}
	r := Result{Events: *events, Seconds: transactions / tps, Errors: int64(len(details)), Detail: strings.Join(details, "; ")}
	var lat []time.Duration
	paths, _ := filepath.Glob(*logs)
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			// client_id transaction_no time script_no time_epoch time_us [schedule_lag]
			f := strings.Fields(s.Text())
			if len(f) >= 3 {
				if us, err := strconv.ParseInt(f[2], 10, 64); err == nil {
					lat = append(lat, time.Duration(us)*time.Microsecond)
				}
			}
		}
		f.Close()
	}
	r.P50, r.P99 = percentiles(lat)
	return printResult(r)
}

// Line is one case's JSON line.
type Line struct {
	System     string   `json:"system"`
	Case       string   `json:"case"`
	Durability string   `json:"durability"`
	EventsPerS *float64 `json:"events_per_s"`
	P50        *float64 `json:"p50_us"`
	P99        *float64 `json:"p99_us"`
	Notes      string   `json:"notes"`
	Detail     string   `json:"detail,omitempty"`
	Events     int64    `json:"events,omitempty"`
	Seconds    float64  `json:"seconds,omitempty"`
	Errors     int64    `json:"errors"`
}

// emit appends a case's JSON line to -out from a Result file (or a failure), and prints a progress line.
func emit(args []string) error {
	fs := newFlags("emit")
	out := fs.String("out", "", "the JSON lines file to append to")
	system := fs.String("system", "", "")
	caseName := fs.String("case", "", "")
	durability := fs.String("durability", "", "")
	notes := fs.String("notes", "", "")
	resultFile := fs.String("result", "", "a Result as JSON; missing or empty: the case failed")
	failure := fs.String("failure", "", "why the case failed, when it did")
	fs.Parse(args)
	line := Line{System: *system, Case: *caseName, Durability: *durability, Notes: *notes}
	var r Result
	text, err := os.ReadFile(*resultFile)
	if err == nil && len(strings.TrimSpace(string(text))) > 0 && json.Unmarshal(text, &r) == nil && *failure == "" {
		line.EventsPerS = ptr(r.EventsPerS)
		line.P50, line.P99 = r.P50, r.P99
		line.Events, line.Seconds, line.Errors = r.Events, math.Round(r.Seconds*1000)/1000, r.Errors
		line.Detail = strings.TrimSpace(r.Detail)
		if line.Detail != "" {
			line.Notes = line.Detail + ". " + line.Notes
		}
	} else {
		why := *failure
		if why == "" {
			why = "no result"
		}
		line.Errors = 1
		line.Detail = "FAILED: " + why
		line.Notes = line.Detail + ". " + line.Notes
	}
	f, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	encoder := json.NewEncoder(f)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(line); err != nil {
		return err
	}
	fmt.Printf("    %-20s %-18s %12s ev/s  p50 %10s us  p99 %10s us%s\n", line.System, line.Case,
		number(line.EventsPerS), micro(line.P50), micro(line.P99), errorMark(line))
	return nil
}

func errorMark(l Line) string {
	if l.Errors == 0 {
		return ""
	}
	n := l.Detail
	if len(n) > 160 {
		n = n[:160] + "..."
	}
	return "  !! " + n
}

func number(v *float64) string {
	if v == nil {
		return "–"
	}
	s := strconv.FormatInt(int64(math.Round(*v)), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func micro(v *float64) string {
	if v == nil {
		return "–"
	}
	if *v >= 100 {
		return number(v)
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// table prints the markdown table of a JSON lines file.
func table(args []string) error {
	fs := newFlags("table")
	in := fs.String("in", "", "the JSON lines file")
	title := fs.String("title", "", "a line printed above the table")
	fs.Parse(args)
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	var lines []Line
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		var l Line
		if json.Unmarshal(s.Bytes(), &l) == nil {
			lines = append(lines, l)
		}
	}
	if *title != "" {
		fmt.Println(*title)
		fmt.Println()
	}
	fmt.Println("| system | case | events/s | p50 µs | p99 µs | remarks |")
	fmt.Println("|---|---|---:|---:|---:|---|")
	var systems []string
	durability := map[string]string{}
	for _, l := range lines {
		remark := strings.ReplaceAll(l.Detail, "|", "/")
		remark = strings.Replace(remark, "untimed warm-up: the group's first poll (max 1) and ack took", "first poll of the new group (untimed):", 1)
		remark = strings.Replace(remark, "untimed warm-up: the group's first read (COUNT 1) and ack took", "first read (untimed):", 1)
		remark = strings.Replace(remark, "untimed warm-up: the consumer's first fetch (1) and ack took", "first fetch (untimed):", 1)
		if len(remark) > 140 {
			remark = remark[:140] + "..."
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", l.System, l.Case, number(l.EventsPerS), micro(l.P50), micro(l.P99), remark)
		if _, seen := durability[l.System]; !seen {
			systems = append(systems, l.System)
			durability[l.System] = l.Durability
		}
	}
	fmt.Println()
	fmt.Println("Durability:")
	fmt.Println()
	for _, system := range systems {
		fmt.Printf("- **%s**: %s\n", system, durability[system])
	}
	return nil
}
