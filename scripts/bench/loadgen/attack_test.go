package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func mustAttack(t *testing.T, p *plan, o attackOptions) attackRun {
	t.Helper()
	run, err := attack(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func planFor(t *testing.T, url string, n int) *plan {
	t.Helper()
	p, err := readTargets(writeTargets(t, `{"method":"GET","url":"`+url+`/x"}`), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	p.order = make([]int32, n)
	return p
}

func TestWhenEveryThirdAnswerSaysConnectionCloseThenEveryRequestIsStillAnsweredOnTime(t *testing.T) {
	var served atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1)%3 == 0 {
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("X-Cache", "HIT")
		w.Write([]byte("body"))
	}))
	defer server.Close()
	run := mustAttack(t, planFor(t, server.URL, 300), attackOptions{rate: 1000, total: 300, workers: 2, maxWorkers: 4, timeout: 5 * time.Second, recordHeader: "X-Cache"})
	if run.errors != 0 || served.Load() != 300 {
		t.Fatalf("%d errors (%v), %d served", run.errors, run.errorSamples, served.Load())
	}
	start := run.start.UnixNano()
	for seq, r := range run.results {
		if r.code != 200 || r.bodySize != 4 || r.recorded != "HIT" || r.latency <= 0 {
			t.Fatalf("result %d: %+v", seq, r)
		}
		// Never sent before its place in the schedule (1 ms apart).
		if lag := r.sent - start - int64(seq)*int64(time.Millisecond); lag < 0 {
			t.Fatalf("result %d went out %d ns early", seq, -lag)
		}
	}
}

// answerOnce is a server that answers the first request of each connection ("ok"), then calls
// then(c, buf) and closes the connection without a word.
func answerOnce(t *testing.T, then func(c net.Conn, buf []byte)) (string, *atomic.Int64) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func(c net.Conn) {
				defer c.Close()
				buf := make([]byte, 4096)
				if _, err := c.Read(buf); err != nil {
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
				then(c, buf)
			}(conn)
		}
	}()
	return listener.Addr().String(), &accepted
}

func TestWhenAKeptAliveConnectionIsClosedWhileIdleThenTheNextRequestGoesOnANewOne(t *testing.T) {
	// Closed 5 ms after its answer, as by a server whose keep-alive timeout ran out.
	addr, accepted := answerOnce(t, func(net.Conn, []byte) { time.Sleep(5 * time.Millisecond) })
	run := mustAttack(t, planFor(t, "http://"+addr, 20), attackOptions{rate: 50, total: 20, workers: 1, maxWorkers: 1, timeout: 5 * time.Second})
	if run.errors != 0 {
		t.Fatalf("%d errors: %v", run.errors, run.errorSamples)
	}
	if accepted.Load() != 20 {
		t.Fatalf("%d connections for 20 requests", accepted.Load())
	}
}

func TestWhenNothingListensOrTheServerIsTooSlowThenTheResultIsAnErrorWithCodeZero(t *testing.T) {
	listener, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := listener.Addr().String()
	listener.Close()
	run := mustAttack(t, planFor(t, "http://"+addr, 3), attackOptions{rate: 100, total: 3, workers: 1, maxWorkers: 1, timeout: time.Second})
	// The connections opened before the start are refused too (one error), then each request's.
	if run.errors < 3 || run.results[0].code != 0 || run.results[2].code != 0 {
		t.Fatalf("refused: %d errors, %+v", run.errors, run.results)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) }))
	defer slow.Close()
	run = mustAttack(t, planFor(t, slow.URL, 2), attackOptions{rate: 100, total: 2, workers: 2, maxWorkers: 2, timeout: 100 * time.Millisecond})
	if run.errors != 2 || run.results[1].code != 0 || run.results[1].latency < int64(100*time.Millisecond) {
		t.Fatalf("timeout: %d errors, %+v", run.errors, run.results[1])
	}
}

func TestWhenEveryConnectionIsBusyThenItOpensUpToMaxWorkersAndTheRestWait(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte(strconv.Itoa(1)))
	}))
	defer server.Close()
	run := mustAttack(t, planFor(t, server.URL, 100), attackOptions{rate: 500, total: 100, workers: 1, maxWorkers: 6, timeout: 5 * time.Second})
	if run.workersUsed != 6 || run.errors != 0 {
		t.Fatalf("%d connections, %d errors", run.workersUsed, run.errors)
	}
	if run.workerWait.count == 0 {
		t.Fatal("no request counted as waiting for a connection")
	}
	// Six at a time for 50 ms each: the last of 100 goes out about 800 ms after the first, not 200.
	if span := time.Duration(run.results[99].sent - run.results[0].sent); span < 700*time.Millisecond {
		t.Fatalf("the 100th request went out %v after the first: it did not wait for a worker", span)
	}
}

// closingOnSecondRequest closes each connection on reading its second request, unanswered, as a
// server whose keep-alive limit ran out as the request arrived.
func closingOnSecondRequest(t *testing.T) (string, *atomic.Int64) {
	return answerOnce(t, func(c net.Conn, buf []byte) { c.Read(buf) })
}

func TestWhenTheServerClosesAsTheNextRequestArrivesThenAGetIsSentAgainAndAPostWithoutKeyIsAnError(t *testing.T) {
	addr, accepted := closingOnSecondRequest(t)
	run := mustAttack(t, planFor(t, "http://"+addr, 10), attackOptions{rate: 100, total: 10, workers: 1, maxWorkers: 1, timeout: 5 * time.Second})
	if run.errors != 0 {
		t.Fatalf("GET: %d errors: %v", run.errors, run.errorSamples)
	}
	for seq, r := range run.results {
		if r.code != 200 {
			t.Fatalf("GET %d: %+v", seq, r)
		}
	}
	// Every request after the first went out on a used connection, was dropped, and was sent again.
	if accepted.Load() < 10 {
		t.Fatalf("%d connections for 10 requests: the retries did not happen", accepted.Load())
	}

	addr, _ = closingOnSecondRequest(t)
	post, err := readTargets(writeTargets(t, `{"method":"POST","url":"http://`+addr+`/orders","body":"e30="}`), nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	post.order = make([]int32, 4)
	run = mustAttack(t, post, attackOptions{rate: 100, total: 4, workers: 1, maxWorkers: 1, timeout: 5 * time.Second})
	if run.results[0].code != 200 || run.results[1].code != 0 {
		t.Fatalf("POST without Idempotency-Key: %+v", run.results)
	}
}
