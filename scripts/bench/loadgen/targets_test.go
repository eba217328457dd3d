package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTargets(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "targets.json")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWhenTargetsAreReadThenEachDistinctLineIsSerializedOnceWithTheDefaultHeaders(t *testing.T) {
	get := `{"method":"GET","url":"http://127.0.0.1:8080/api/products/1?x=1"}`
	post := `{"method":"POST","url":"http://127.0.0.1:8080/api/orders","header":{"Idempotency-Key":["k1"],"Accept":["text/plain"]},"body":"eyJuIjoxfQ=="}`
	defaults, _ := parseHeaderFlags([]string{"Accept-Encoding: br, gzip", "Accept: application/json"})
	p, err := readTargets(writeTargets(t, get, post, get), defaults, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.addr != "127.0.0.1:8080" || len(p.requests) != 2 || len(p.order) != 3 || p.order[2] != 0 {
		t.Fatalf("plan: addr %s, %d requests, order %v", p.addr, len(p.requests), p.order)
	}
	wantGet := "GET /api/products/1?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: shop-loadgen\r\nAccept-Encoding: br, gzip\r\nAccept: application/json\r\n\r\n"
	if got := string(p.requests[0].raw); got != wantGet {
		t.Fatalf("GET:\n%q\nwant\n%q", got, wantGet)
	}
	// The target's own Accept replaces the default; the body is the base64 decoded.
	wantPost := "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: shop-loadgen\r\nAccept-Encoding: br, gzip\r\nAccept: text/plain\r\nIdempotency-Key: k1\r\nContent-Length: 7\r\n\r\n{\"n\":1}"
	if got := string(p.requests[1].raw); got != wantPost {
		t.Fatalf("POST:\n%q\nwant\n%q", got, wantPost)
	}
}

func TestWhenTargetsAreFewerThanTheScheduleOrGoElsewhereThenReadingFails(t *testing.T) {
	a := `{"method":"GET","url":"http://127.0.0.1:8080/a"}`
	if _, err := readTargets(writeTargets(t, a), nil, 2); err == nil || !strings.Contains(err.Error(), "the schedule sends 2") {
		t.Fatalf("too few: %v", err)
	}
	if _, err := readTargets(writeTargets(t, a, `{"method":"GET","url":"http://127.0.0.1:9090/a"}`), nil, 2); err == nil {
		t.Fatal("two addresses were accepted")
	}
	for _, bad := range []string{`{"method":"get","url":"http://h:1/"}`, `{"method":"GET","url":"https://h:1/"}`, `{"method":"GET","url":"http://h:1/","header":{"X":["a\r\nB: c"]}}`, `not json`} {
		if _, err := readTargets(writeTargets(t, bad), nil, 1); err == nil {
			t.Fatalf("%s was accepted", bad)
		}
	}
}

func TestWhenATargetNamesHostUserAgentOrContentLengthThenEachIsWrittenOnceAndTheLengthIsTheBodys(t *testing.T) {
	line := `{"method":"POST","url":"http://127.0.0.1:8080/o","header":{"Host":["shop.example"],"Content-Length":["999"],"Idempotency-Key":["k"]},"body":"e30="}`
	defaults, _ := parseHeaderFlags([]string{"User-Agent: bench", "Content-Length: 5"})
	p, err := readTargets(writeTargets(t, line), defaults, 1)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(p.requests[0].raw)
	for _, name := range []string{"Host: ", "User-Agent: ", "Content-Length: "} {
		if strings.Count(raw, name) != 1 {
			t.Fatalf("%q appears %d times in\n%q", name, strings.Count(raw, name), raw)
		}
	}
	if !strings.Contains(raw, "Host: shop.example\r\n") || !strings.Contains(raw, "User-Agent: bench\r\n") || !strings.Contains(raw, "Content-Length: 2\r\n") {
		t.Fatalf("%q", raw)
	}
	if !p.requests[0].replayable {
		t.Fatal("a POST with an Idempotency-Key is replayable")
	}
}

func TestWhenARequestIsAPostWithoutKeyThenItIsNotReplayable(t *testing.T) {
	p, err := readTargets(writeTargets(t, `{"method":"POST","url":"http://127.0.0.1:8080/o"}`, `{"method":"GET","url":"http://127.0.0.1:8080/o"}`), nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.requests[0].replayable || !p.requests[1].replayable {
		t.Fatalf("POST replayable %v, GET replayable %v", p.requests[0].replayable, p.requests[1].replayable)
	}
}
