// Command loadgen is the bench's open-loop generator (decision 0013, "The open-loop generator"):
// it sends a list of HTTP/1.1 requests at a constant rate and writes, after the run, one JSON line
// per request in the shape of `vegeta encode --to json`, so the bench reads its results and vegeta's
// with the same code.
//
// It exists because vegeta needed ~24 µs of CPU per request at 40k requests a second, most of a
// core beside nginx on the bench's two cores, and fell behind its schedule in bursts. Here each
// distinct request is serialized once before the run, one thread runs every connection in an
// event loop (attack.go), answers are parsed only for the status line and the headers it needs,
// and results go to a preallocated array written out after the last answer. Standard library
// only, so it builds without a network.
//
//	loadgen -targets FILE -output FILE -rate R -duration D [-workers N] [-max-workers M]
//	        [-timeout T] [-header 'Name: value']... [-record-header Name]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// headerFlags collects repeated -header flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	var headers headerFlags
	targetsPath := flag.String("targets", "", "vegeta JSON targets, one a line (method, url, header, body in base64)")
	outputPath := flag.String("output", "", "where the results go, one JSON line a request (vegeta encode --to json's shape)")
	rate := flag.Float64("rate", 0, "requests a second")
	duration := flag.Duration("duration", 0, "how long the schedule runs; it sends ceil(rate × duration) requests")
	workers := flag.Int("workers", 32, "connections opened before the schedule starts (vegeta's workers)")
	maxWorkers := flag.Int("max-workers", 64, "connections it may open when every one is busy at a request's due time")
	timeout := flag.Duration("timeout", 15*time.Second, "an answer later than this is an error (code 0)")
	record := flag.String("record-header", "", "a response header whose first value each result keeps")
	flag.Var(&headers, "header", "'Name: value' sent with every request (a target's own header of the same name wins)")
	flag.Parse()

	if *targetsPath == "" || *outputPath == "" || *rate <= 0 || *duration <= 0 || *workers < 1 || *maxWorkers < *workers {
		fmt.Fprintln(os.Stderr, "loadgen: -targets, -output, a positive -rate and -duration, and 1 ≤ -workers ≤ -max-workers are required")
		flag.Usage()
		os.Exit(2)
	}
	defaults, err := parseHeaderFlags(headers)
	if err != nil {
		fail(err)
	}
	total := int(ceil(*rate * duration.Seconds()))
	plan, err := readTargets(*targetsPath, defaults, total)
	if err != nil {
		fail(err)
	}
	run, err := attack(plan, attackOptions{
		rate:         *rate,
		total:        total,
		workers:      *workers,
		maxWorkers:   *maxWorkers,
		timeout:      *timeout,
		recordHeader: *record,
	})
	if err != nil {
		fail(err)
	}
	if err := writeResults(*outputPath, run.results, *record); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "loadgen: %d requests at %g/s over %d connections (at most %d), %d errors, %.2f s of CPU (%.1f µs a request)\n",
		total, *rate, run.workersUsed, *maxWorkers, run.errors, run.cpuSeconds, run.cpuSeconds*1e6/float64(max(total, 1)))
	fmt.Fprintf(os.Stderr, "loadgen: sent over 1 ms late with a connection free: %v; late waiting for a connection: %v\n", run.pacerLate, run.workerWait)
	for _, line := range run.errorSamples {
		fmt.Fprintln(os.Stderr, "loadgen: error:", line)
	}
}

func ceil(x float64) float64 {
	n := float64(int64(x))
	if n < x {
		return n + 1
	}
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}
