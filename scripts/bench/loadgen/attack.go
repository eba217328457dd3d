package main

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// result is what one request measured.
type result struct {
	// sent: when the request went out (or began to, when it needed a new connection), ns since
	// the Unix epoch (vegeta's timestamp).
	sent int64
	// latency: from sent to the answer's last byte, ns; a connection made for the request is
	// part of it, as in vegeta.
	latency  int64
	bodySize int64
	// code: the answer's status, 0 when there was none (a connection error, a timeout).
	code     int32
	recorded string
}

type attackOptions struct {
	rate  float64
	total int
	// workers: connections opened before the schedule starts; maxWorkers: how many it may have.
	workers, maxWorkers int
	timeout             time.Duration
	recordHeader        string
}

type attackRun struct {
	// start: when request 0 was due; request i is due at start + i/rate.
	start        time.Time
	results      []result
	workersUsed  int
	errors       int
	cpuSeconds   float64
	errorSamples []string
	// pacerLate: requests sent more than 1 ms after they were due while a connection was free
	// (the loop itself was not running: the machine's cores were busy elsewhere).
	pacerLate delays
	// workerWait: requests due when every one of maxWorkers connections was busy, and how late
	// they went out (the server was slower than the rate for a while).
	workerWait delays
}

// delays counts waits and keeps their total and longest.
type delays struct {
	count        int
	total, worst time.Duration
}

func (d *delays) add(wait time.Duration) {
	d.count++
	d.total += wait
	d.worst = max(d.worst, wait)
}

func (d delays) String() string {
	if d.count == 0 {
		return "none"
	}
	return fmt.Sprintf("%d (mean %.2f ms, longest %.2f ms)", d.count, float64(d.total)/float64(d.count)/1e6, float64(d.worst)/1e6)
}

var errTimeout = errors.New("no answer within the timeout")

// conn is one connection and the request it carries (seq < 0: none).
type conn struct {
	fd        int
	connected bool
	// used: it has carried an answer, so the server may close it while idle.
	used    bool
	closed  bool
	seq     int
	req     *request
	began   time.Time
	written int
	buf     []byte
}

// loop is the attack's state. Everything runs on one OS thread, in one event loop: it sleeps in
// epoll_pwait2 (nanosecond timeouts) until the next request is due or an answer comes, sends what
// is due on an idle connection (or a new one, up to maxWorkers), and reads answers as they come.
// A goroutine per connection, as Go's net/http and vegeta have it (and this generator's first
// version), hands every request and answer through Go's scheduler: on a machine whose two cores
// the server shares, a request then waited for a core and then for a P, and the generator fell
// 8–50 ms behind its schedule whenever the server's processes took both cores for a few ms
// (a V8 garbage collection's helper threads, say). One thread that the kernel wakes directly
// stays within a few ms of it there (decision 0013).
type loop struct {
	o          attackOptions
	p          *plan
	run        *attackRun
	epfd       int
	sa         syscall.Sockaddr
	family     int
	conns      []*conn
	idle       []*conn
	open       int
	inFlight   int
	completed  int
	recordName []byte
	values     interner
}

// attack sends request i of the plan at start + i/rate. When every connection is busy at a due
// time it opens another, up to maxWorkers; beyond that the request waits for one, and the wait
// shows in its send time (the lag the bench reports), never as a skipped request.
func attack(p *plan, o attackOptions) (attackRun, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	run := attackRun{results: make([]result, o.total)}
	l := &loop{o: o, p: p, run: &run, values: interner{}}
	if o.recordHeader != "" {
		l.recordName = []byte(strings.ToLower(o.recordHeader))
	}
	var err error
	if l.sa, l.family, err = sockaddr(p.addr); err != nil {
		return run, err
	}
	if l.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return run, err
	}
	defer syscall.Close(l.epfd)
	// The kernel may defer a sleeping thread's wakeup by its timer slack, 50 µs by default.
	setTimerSlack(time.Microsecond)
	before := cpuSeconds()
	l.warm()
	run.start = time.Now()
	l.schedule()
	for _, c := range l.conns {
		if c != nil {
			l.close(c)
		}
	}
	run.cpuSeconds = cpuSeconds() - before
	return run, nil
}

// warm opens the first `workers` connections before the schedule starts (at most a second).
func (l *loop) warm() {
	for i := 0; i < l.o.workers; i++ {
		if _, err := l.dial(); err != nil {
			break
		}
	}
	events := make([]syscall.EpollEvent, 256)
	deadline := time.Now().Add(time.Second)
	for l.connecting() > 0 && time.Now().Before(deadline) {
		n, err := epollWait(l.epfd, events, time.Until(deadline))
		if err != nil && err != syscall.EINTR {
			panic(err)
		}
		for _, ev := range events[:n] {
			l.event(ev, time.Now())
		}
	}
}

func (l *loop) connecting() int {
	n := 0
	for _, c := range l.conns {
		if c != nil && !c.connected {
			n++
		}
	}
	return n
}

func (l *loop) schedule() {
	events := make([]syscall.EpollEvent, 256)
	interval := float64(time.Second) / l.o.rate
	due := func(seq int) time.Time { return l.run.start.Add(time.Duration(float64(seq) * interval)) }
	// waiting: a due request found every connection busy; the requests due behind it, sent as
	// connections free up, are late for the same reason until the loop has caught up.
	next, waiting := 0, false
	nextTimeoutCheck := time.Now()
	for l.completed < l.o.total {
		now := time.Now()
		if !now.Before(nextTimeoutCheck) {
			l.expire(now)
			nextTimeoutCheck = now.Add(10 * time.Millisecond)
		}
		for next < l.o.total {
			dueAt := due(next)
			if now.Before(dueAt) {
				waiting = false
				break
			}
			c, err := l.take()
			if err != nil {
				// No socket for it (out of descriptors, say): an error, not a wait.
				l.run.results[next].sent = now.UnixNano()
				l.completed++
				next++
				continue
			}
			if c == nil {
				waiting = true
				break
			}
			late := now.Sub(dueAt)
			if waiting {
				l.run.workerWait.add(late)
			} else if late > time.Millisecond {
				l.run.pacerLate.add(late)
			}
			l.send(c, next, now)
			next++
			now = time.Now()
		}
		if l.completed == l.o.total {
			break // the last answers were timeouts
		}
		wait := time.Duration(-1)
		if next < l.o.total && (len(l.idle) > 0 || l.open < l.o.maxWorkers) {
			wait = max(time.Until(due(next)), 0)
		}
		if l.inFlight > 0 && (wait < 0 || wait > 10*time.Millisecond) {
			wait = 10 * time.Millisecond // to notice a timeout
		}
		n, err := epollWait(l.epfd, events, wait)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			panic(err)
		}
		now = time.Now()
		for _, ev := range events[:n] {
			l.event(ev, now)
		}
	}
}

// take returns an idle connection, or a new one when there is room, or nil when there is none;
// an error when a new one could not be made.
func (l *loop) take() (*conn, error) {
	for len(l.idle) > 0 {
		c := l.idle[len(l.idle)-1]
		l.idle = l.idle[:len(l.idle)-1]
		if !c.closed {
			return c, nil
		}
	}
	if l.open < l.o.maxWorkers {
		return l.dial()
	}
	return nil, nil
}

// dial opens a connection (its connect completes in the loop); the error, counted, when the
// socket cannot be made.
func (l *loop) dial() (*conn, error) {
	fd, err := dial(l.sa, l.family)
	if err != nil {
		l.note(err)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | -syscall.EPOLLET, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		syscall.Close(fd)
		l.note(err)
		return nil, err
	}
	c := &conn{fd: fd, seq: -1, buf: make([]byte, 0, 16<<10)}
	for len(l.conns) <= fd {
		l.conns = append(l.conns, nil)
	}
	l.conns[fd] = c
	l.open++
	l.run.workersUsed = max(l.run.workersUsed, l.open)
	return c, nil
}

// send gives request seq to c, which writes it now or once connected.
func (l *loop) send(c *conn, seq int, began time.Time) {
	c.seq, c.req, c.began, c.written = seq, l.p.requests[l.p.order[seq]], began, 0
	l.run.results[seq].sent = began.UnixNano()
	l.inFlight++
	if c.connected {
		l.write(c)
	}
}

func (l *loop) write(c *conn) {
	for c.written < len(c.req.raw) {
		n, err := syscall.Write(c.fd, c.req.raw[c.written:])
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return // the rest when the socket says it is writable
		}
		if err != nil {
			if c.used && c.req.replayable && (err == syscall.EPIPE || err == syscall.ECONNRESET) {
				l.retry(c)
			} else {
				l.fail(c, err, time.Now())
			}
			return
		}
		c.written += n
	}
}

func (l *loop) event(ev syscall.EpollEvent, now time.Time) {
	c := l.conns[ev.Fd]
	if c == nil || c.closed {
		return
	}
	if !c.connected {
		if ev.Events&(syscall.EPOLLOUT|syscall.EPOLLERR|syscall.EPOLLHUP) == 0 {
			return
		}
		if code, err := syscall.GetsockoptInt(c.fd, syscall.SOL_SOCKET, syscall.SO_ERROR); err != nil || code != 0 {
			if err == nil {
				err = syscall.Errno(code)
			}
			if c.seq >= 0 {
				l.fail(c, err, now)
			} else {
				l.note(err)
				l.close(c)
			}
			return
		}
		c.connected = true
		if c.seq >= 0 {
			l.write(c)
		} else {
			l.idle = append(l.idle, c)
		}
	} else if ev.Events&syscall.EPOLLOUT != 0 && c.seq >= 0 && c.written < len(c.req.raw) {
		l.write(c)
	}
	if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 && !c.closed {
		l.read(c, now)
	}
}

// read takes what the socket has and completes the answer when it is all there.
func (l *loop) read(c *conn, now time.Time) {
	eof := false
	var readErr error
	for {
		if len(c.buf) == cap(c.buf) {
			c.buf = append(c.buf, 0)[:len(c.buf)]
		}
		n, err := syscall.Read(c.fd, c.buf[len(c.buf):cap(c.buf)])
		if n > 0 {
			c.buf = c.buf[:len(c.buf)+n]
			continue
		}
		if err == syscall.EINTR {
			continue
		}
		if err == nil {
			eof = true
		} else if err != syscall.EAGAIN {
			readErr, eof = err, true
		}
		break
	}
	if c.seq < 0 {
		// Idle: the server closed it (or sent what nobody asked for).
		if eof || len(c.buf) > 0 {
			l.close(c)
		}
		return
	}
	used, res, complete, err := parseResponse(c.buf, eof, c.req.head, l.recordName, l.values)
	switch {
	case errors.Is(err, errNoAnswer) && c.used && c.req.replayable:
		l.retry(c)
	case err != nil:
		l.fail(c, firstError(readErr, err), now)
	case complete:
		r := &l.run.results[c.seq]
		r.code, r.bodySize, r.recorded, r.latency = int32(res.code), res.bodyBytes, res.recorded, now.Sub(c.began).Nanoseconds()
		l.completed++
		l.inFlight--
		// An answer before the whole request was written, or bytes after it that nobody asked
		// for: the connection's stream cannot carry another request.
		unusable := c.written < len(c.req.raw) || len(c.buf) > used
		c.seq, c.req, c.used = -1, nil, true
		c.buf = c.buf[:0]
		if res.close || eof || unusable {
			l.close(c)
		} else {
			l.idle = append(l.idle, c)
		}
	}
}

// retry sends c's request again on a new connection, keeping its send time: the server closed a
// kept-alive connection as the request went out, and Go's net/http (vegeta's client) does the
// same for a request it may repeat (request.replayable).
func (l *loop) retry(c *conn) {
	seq, began := c.seq, c.began
	l.inFlight--
	l.close(c)
	fresh, err := l.dial()
	if err != nil {
		l.run.results[seq].latency = time.Since(began).Nanoseconds()
		l.completed++
		return
	}
	l.send(fresh, seq, began)
}

func (l *loop) fail(c *conn, err error, now time.Time) {
	l.run.results[c.seq].latency = now.Sub(c.began).Nanoseconds()
	l.completed++
	l.inFlight--
	l.note(err)
	l.close(c)
}

func (l *loop) expire(now time.Time) {
	for _, c := range l.conns {
		if c != nil && !c.closed && c.seq >= 0 && now.Sub(c.began) > l.o.timeout {
			l.fail(c, errTimeout, now)
		}
	}
}

func (l *loop) close(c *conn) {
	if c.closed {
		return
	}
	c.closed = true
	syscall.Close(c.fd)
	l.conns[c.fd] = nil
	l.open--
}

func (l *loop) note(err error) {
	l.run.errors++
	text := err.Error()
	for _, seen := range l.run.errorSamples {
		if seen == text {
			return
		}
	}
	if len(l.run.errorSamples) < 5 {
		l.run.errorSamples = append(l.run.errorSamples, text)
	}
}

// cpuSeconds is the user and system CPU this process has used.
func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}
