package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
)

// request is one distinct request, serialized once: the bytes written to the connection.
type request struct {
	raw []byte
	// head: the answer has no body whatever its headers say.
	head bool
	// replayable: it may be sent again when a kept-alive connection closed before any answer,
	// by the rule of Go's net/http (vegeta's client): a GET, HEAD, OPTIONS or TRACE, or a request
	// with an Idempotency-Key.
	replayable bool
}

// plan is what the attack sends: the address every request goes to, and request order[i] as the
// i-th of the schedule. Identical target lines share one request.
type plan struct {
	addr     string
	requests []*request
	order    []int32
}

// header is one request header in the order it is written.
type header struct{ name, value string }

// target is one line of vegeta's JSON target format.
type target struct {
	Method string              `json:"method"`
	URL    string              `json:"url"`
	Header map[string][]string `json:"header"`
	Body   []byte              `json:"body"`
}

func parseHeaderFlags(flags []string) ([]header, error) {
	out := make([]header, 0, len(flags))
	for _, f := range flags {
		name, value, ok := strings.Cut(f, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("-header %q: expected 'Name: value'", f)
		}
		out = append(out, header{strings.TrimSpace(name), strings.TrimSpace(value)})
	}
	return out, nil
}

// readTargets reads the first `total` targets of the file; fewer is an error, since the schedule
// would run out before its duration.
func readTargets(path string, defaults []header, total int) (*plan, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	p := &plan{order: make([]int32, 0, total)}
	seen := map[string]int32{}
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for len(p.order) < total && scanner.Scan() {
		line := scanner.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if index, ok := seen[line]; ok {
			p.order = append(p.order, index)
			continue
		}
		req, addr, err := serialize(line, defaults)
		if err != nil {
			return nil, fmt.Errorf("%s, target %d: %w", path, len(p.order)+1, err)
		}
		if p.addr == "" {
			p.addr = addr
		} else if addr != p.addr {
			return nil, fmt.Errorf("%s, target %d: every target must go to %s, this one goes to %s", path, len(p.order)+1, p.addr, addr)
		}
		index := int32(len(p.requests))
		p.requests = append(p.requests, req)
		seen[line] = index
		p.order = append(p.order, index)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if len(p.order) < total {
		return nil, fmt.Errorf("%s has %d targets, the schedule sends %d", path, len(p.order), total)
	}
	return p, nil
}

// serialize turns one JSON target into the bytes of an HTTP/1.1 request.
func serialize(line string, defaults []header) (*request, string, error) {
	var t target
	if err := json.Unmarshal([]byte(line), &t); err != nil {
		return nil, "", err
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, "", err
	}
	if u.Scheme != "http" {
		return nil, "", fmt.Errorf("url %q: only http is supported", t.URL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr += ":80"
	}
	method := t.Method
	if method == "" {
		method = "GET"
	}
	for _, c := range method {
		if c < 'A' || c > 'Z' {
			return nil, "", fmt.Errorf("method %q is not a token of capitals", method)
		}
	}
	// Host and User-Agent unless the target or a default names its own; Content-Length always
	// from the body.
	headers := make([]header, 0, len(defaults)+len(t.Header)+3)
	for _, fixed := range []header{{"Host", u.Host}, {"User-Agent", "shop-loadgen"}} {
		if _, own := lookup(t.Header, fixed.name); !own && !named(defaults, fixed.name) {
			headers = append(headers, fixed)
		}
	}
	for _, d := range defaults {
		if _, own := lookup(t.Header, d.name); !own && !strings.EqualFold(d.name, "Content-Length") {
			headers = append(headers, d)
		}
	}
	names := make([]string, 0, len(t.Header))
	for name := range t.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.EqualFold(name, "Content-Length") {
			continue
		}
		for _, v := range t.Header[name] {
			headers = append(headers, header{name, v})
		}
	}
	if len(t.Body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		headers = append(headers, header{"Content-Length", strconv.Itoa(len(t.Body))})
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(u.RequestURI())
	b.WriteString(" HTTP/1.1\r\n")
	for _, h := range headers {
		if strings.ContainsAny(h.name, "\r\n: ") || strings.ContainsAny(h.value, "\r\n") {
			return nil, "", fmt.Errorf("header %q: not a valid name and value", h.name)
		}
		b.WriteString(h.name)
		b.WriteString(": ")
		b.WriteString(h.value)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(t.Body)
	_, keyed := lookup(t.Header, "Idempotency-Key")
	replayable := keyed || named(defaults, "Idempotency-Key") || method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE"
	return &request{raw: []byte(b.String()), head: method == "HEAD", replayable: replayable}, addr, nil
}

// named reports whether a header of that name is in the list, whatever its case.
func named(list []header, name string) bool {
	for _, h := range list {
		if strings.EqualFold(h.name, name) {
			return true
		}
	}
	return false
}

// lookup finds a header by name whatever its case.
func lookup(h map[string][]string, name string) ([]string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}
