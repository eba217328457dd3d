package main

import (
	"bytes"
	"errors"
	"fmt"
)

// response is what the attack keeps of one answer.
type response struct {
	code int
	// bodyBytes: body bytes as they came on the wire (after de-chunking; compressed if compressed).
	bodyBytes int64
	// recorded: the first value of the recorded header, "" when absent or none is recorded.
	recorded string
	// close: the connection cannot carry another request.
	close bool
}

var (
	errStatusLine = errors.New("malformed status line")
	errHeaderLine = errors.New("malformed header line")
	errChunk      = errors.New("malformed chunk size")
	// errNoAnswer: the connection ended before the first byte of an answer (a kept-alive
	// connection the server closed as the request went out); the request may be sent again.
	errNoAnswer = errors.New("connection closed before an answer")
	errCutShort = errors.New("connection closed in the middle of an answer")
)

var (
	nameContentLength    = []byte("content-length")
	nameTransferEncoding = []byte("transfer-encoding")
	nameConnection       = []byte("connection")
	crlf                 = []byte("\r\n")
)

// parseResponse reads one HTTP/1.1 answer from the start of buf, the bytes received so far on a
// connection: interim answers (100–199 but 101) are skipped, and the final one is returned with
// the bytes it and they took, and true once it is complete; (0, false) while more bytes are
// needed. eof: the connection has ended, so an answer without a length ends here. recordName
// (lower case) is the header whose first value it keeps, through values.
func parseResponse(buf []byte, eof, head bool, recordName []byte, values interner) (int, response, bool, error) {
	skipped := 0
	for {
		used, res, complete, err := parseOne(buf[skipped:], eof, head, recordName, values)
		if err != nil || !complete {
			if skipped > 0 && errors.Is(err, errNoAnswer) {
				err = errCutShort
			}
			return 0, res, false, err
		}
		if res.code >= 200 || res.code == 101 {
			return skipped + used, res, true, nil
		}
		skipped += used
	}
}

// parseOne reads one answer, interim or final, from the start of buf (parseResponse).
func parseOne(buf []byte, eof, head bool, recordName []byte, values interner) (int, response, bool, error) {
	var res response
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if eof {
			if len(buf) == 0 {
				return 0, res, false, errNoAnswer
			}
			return 0, res, false, errCutShort
		}
		return 0, res, false, nil
	}
	lines := buf[:end]
	bodyStart := end + 4
	statusEnd := bytes.Index(lines, crlf)
	if statusEnd < 0 {
		statusEnd = len(lines)
	}
	status := lines[:statusEnd]
	// "HTTP/1.1 200 OK"
	if len(status) < 12 || !bytes.HasPrefix(status, []byte("HTTP/1.")) || status[8] != ' ' || (len(status) > 12 && status[12] != ' ') {
		return 0, res, false, fmt.Errorf("%w: %q", errStatusLine, status)
	}
	code, ok := digits(status[9:12], 10)
	if !ok || code < 100 {
		return 0, res, false, fmt.Errorf("%w: %q", errStatusLine, status)
	}
	res.code = int(code)
	res.close = status[7] == '0' // HTTP/1.0 closes unless it says keep-alive; the bench never sees one
	contentLength := int64(-1)
	chunked, recorded := false, false
	for rest := lines[statusEnd:]; len(rest) > 0; {
		rest = bytes.TrimPrefix(rest, crlf)
		line := rest
		if next := bytes.Index(rest, crlf); next >= 0 {
			line, rest = rest[:next], rest[next:]
		} else {
			rest = nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, res, false, fmt.Errorf("%w: %q", errHeaderLine, line)
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, nameContentLength):
			n, ok := digits(value, 10)
			if !ok {
				return 0, res, false, fmt.Errorf("%w: %q", errHeaderLine, line)
			}
			contentLength = n
		case bytes.EqualFold(name, nameTransferEncoding):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, nameConnection):
			if bytes.EqualFold(value, []byte("close")) {
				res.close = true
			}
		case recordName != nil && !recorded && bytes.EqualFold(name, recordName):
			res.recorded = values.get(value)
			recorded = true
		}
	}
	switch {
	case head || code == 204 || code == 304 || code < 200:
		return bodyStart, res, true, nil
	case chunked:
		used, size, complete, err := chunkedBody(buf[bodyStart:])
		if err != nil || (!complete && eof) {
			return 0, res, false, firstError(err, errCutShort)
		}
		res.bodyBytes = size
		return bodyStart + used, res, complete, nil
	case contentLength >= 0:
		if int64(len(buf)-bodyStart) < contentLength {
			if eof {
				return 0, res, false, errCutShort
			}
			return 0, res, false, nil
		}
		res.bodyBytes = contentLength
		return bodyStart + int(contentLength), res, true, nil
	default:
		// Neither length nor chunks: the body runs to the end of the connection.
		if !eof {
			return 0, res, false, nil
		}
		res.bodyBytes = int64(len(buf) - bodyStart)
		res.close = true
		return len(buf), res, true, nil
	}
}

// chunkedBody walks a chunked body at the start of buf: the bytes it takes (trailers included)
// and its data bytes once complete.
func chunkedBody(buf []byte) (used int, size int64, complete bool, err error) {
	at := 0
	for {
		lineEnd := bytes.Index(buf[at:], crlf)
		if lineEnd < 0 {
			return 0, 0, false, nil
		}
		line := buf[at : at+lineEnd]
		if semi := bytes.IndexByte(line, ';'); semi >= 0 {
			line = line[:semi]
		}
		n, ok := digits(bytes.TrimSpace(line), 16)
		if !ok {
			return 0, 0, false, fmt.Errorf("%w: %q", errChunk, line)
		}
		at += lineEnd + 2
		if n == 0 {
			// Trailers, then an empty line.
			for {
				trailerEnd := bytes.Index(buf[at:], crlf)
				if trailerEnd < 0 {
					return 0, 0, false, nil
				}
				at += trailerEnd + 2
				if trailerEnd == 0 {
					return at, size, true, nil
				}
			}
		}
		if int64(len(buf)-at) < n+2 {
			return 0, 0, false, nil
		}
		at += int(n) + 2
		size += n
	}
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// digits reads a non-negative number in base 10 or 16 without allocating; false when b is empty,
// holds anything else, or overflows 2^62.
func digits(b []byte, base int64) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = int64(c-'A') + 10
		default:
			return 0, false
		}
		if n > (1<<62)/base {
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}

// interner hands out one string per distinct value, so a header value costs no allocation after
// its first time.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}
