// alloc.go — an allocation-heavy Go program for the Go3s course notebook
// "Go runtime GC trace analysis" (catalogue/course/10-go-gctrace-analysis.ipynb).
//
// It imitates a small service: a long-lived cache (the live heap) that is
// slowly refreshed, and many short-lived request objects (garbage). The amount
// of work is fixed, so wall time compares throughput between GOGC settings.
//
// Run: GOGC=100 GODEBUG=gctrace=1 go run alloc.go 2> trace.txt > summary.json
// (capture.sh beside this file runs every GOGC setting of the notebook).
// Licence: CC BY-NC-SA 4.0 (Go3s community course material).
package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	cacheEntries = 100_000 // live set: 100k records; the live heap settles near 40–55 MB
	requests     = 2_000_000
	refreshEvery = 4 // one in four requests replaces a cache entry
)

type record struct {
	key     string
	payload []byte
	tags    []string
}

// response is what a handler hands to the (simulated) network layer.
type response struct {
	id     int
	fields map[string]string
	body   []byte
}

// inFlight holds the last few responses, as a write queue would; storing
// them here makes every response escape to the heap, so it is real garbage
// once the ring wraps around.
var inFlight [256]*response

// handle builds a short-lived response the way a real handler would:
// a few strings, a map and a body buffer of 0.5–2 KB.
func handle(r *rand.Rand, cache []*record, i int) int {
	rec := cache[r.Intn(len(cache))]
	var b strings.Builder
	b.WriteString(rec.key)
	for _, t := range rec.tags {
		b.WriteByte(',')
		b.WriteString(t)
	}
	resp := &response{id: i, fields: make(map[string]string, 4)}
	resp.fields["id"] = strconv.Itoa(i)
	resp.fields["key"] = b.String()
	resp.fields["size"] = strconv.Itoa(len(rec.payload))
	resp.body = make([]byte, 0, 512+r.Intn(1536))
	for k, v := range resp.fields {
		resp.body = append(resp.body, k...)
		resp.body = append(resp.body, '=')
		resp.body = append(resp.body, v...)
		resp.body = append(resp.body, ';')
	}
	resp.body = append(resp.body, rec.payload...)
	inFlight[i%len(inFlight)] = resp
	return len(resp.body)
}

func newRecord(r *rand.Rand, i int) *record {
	n := 64 + r.Intn(256)
	p := make([]byte, n)
	r.Read(p)
	return &record{
		key:     "patient-" + strconv.Itoa(i),
		payload: p,
		tags:    []string{"ward-" + strconv.Itoa(i%17), "class-" + strconv.Itoa(i%5)},
	}
}

func main() {
	r := rand.New(rand.NewSource(42))
	start := time.Now()
	cache := make([]*record, cacheEntries)
	for i := range cache {
		cache[i] = newRecord(r, i)
	}
	total := 0
	for i := 0; i < requests; i++ {
		total += handle(r, cache, i)
		if i%refreshEvery == 0 {
			cache[r.Intn(len(cache))] = newRecord(r, i)
		}
	}
	elapsed := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // Maxrss is in KiB on Linux
	summary := map[string]any{
		"go_version":      runtime.Version(),
		"gomaxprocs":      runtime.GOMAXPROCS(0),
		"gogc_env":        os.Getenv("GOGC"),
		"elapsed_s":       elapsed.Seconds(),
		"requests":        requests,
		"bytes_out":       total,
		"num_gc":          ms.NumGC,
		"pause_total_ms":  float64(ms.PauseTotalNs) / 1e6,
		"gc_cpu_fraction": ms.GCCPUFraction,
		"total_alloc_mb":  float64(ms.TotalAlloc) / (1 << 20),
		"heap_sys_mb":     float64(ms.HeapSys) / (1 << 20),
		"sys_mb":          float64(ms.Sys) / (1 << 20),
		"max_rss_mb":      float64(ru.Maxrss) / 1024,
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(summary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
