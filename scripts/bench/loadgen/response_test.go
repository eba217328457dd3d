package main

import (
	"errors"
	"testing"
)

func parse(wire string, eof, head bool) (int, response, bool, error) {
	return parseResponse([]byte(wire), eof, head, []byte("x-cache"), interner{})
}

func TestWhenAnswerHasContentLengthThenItTakesExactlyItsBytesAndWaitsForTheRest(t *testing.T) {
	first := "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Cache: HIT\r\n\r\nhello"
	wire := first + "HTTP/1.1 404 Not Found\r\n"
	used, res, complete, err := parse(wire, false, false)
	if err != nil || !complete || used != len(first) || res.code != 200 || res.bodyBytes != 5 || res.recorded != "HIT" || res.close {
		t.Fatalf("%d %+v %v %v", used, res, complete, err)
	}
	for cut := 0; cut < len(first); cut++ {
		if _, _, complete, err := parse(first[:cut], false, false); complete || err != nil {
			t.Fatalf("complete or failed after %d of %d bytes: %v", cut, len(first), err)
		}
	}
}

func TestWhenAnswerIsChunkedThenOnlyTheDataBytesCountAndTrailersAreTaken(t *testing.T) {
	answer := "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\nB\r\npedia in ch\r\n0\r\nTrailer: x\r\n\r\n"
	used, res, complete, err := parse(answer+"HTTP/1.1 204", false, false)
	if err != nil || !complete || used != len(answer) || res.bodyBytes != 4+11 {
		t.Fatalf("%d %+v %v %v", used, res, complete, err)
	}
	for cut := len(answer) - 30; cut < len(answer); cut++ {
		if _, _, complete, err := parse(answer[:cut], false, false); complete || err != nil {
			t.Fatalf("complete or failed after %d of %d bytes: %v", cut, len(answer), err)
		}
	}
}

func TestWhenTheRequestWasHeadOrTheAnswerIs304ThenNoBodyIsExpectedWhateverItsLength(t *testing.T) {
	for _, c := range []struct {
		wire string
		head bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n", true},
		{"HTTP/1.1 304 Not Modified\r\nContent-Length: 900\r\n\r\n", false},
	} {
		used, res, complete, err := parse(c.wire, false, c.head)
		if err != nil || !complete || used != len(c.wire) || res.bodyBytes != 0 {
			t.Fatalf("%q: %d %+v %v %v", c.wire, used, res, complete, err)
		}
	}
}

func TestWhenTheServerSaysCloseOrGivesNoLengthThenTheConnectionIsNotReused(t *testing.T) {
	_, res, complete, err := parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, false)
	if err != nil || !complete || !res.close {
		t.Fatalf("Connection: close: %+v %v %v", res, complete, err)
	}
	noLength := "HTTP/1.1 200 OK\r\n\r\nto the end"
	if _, _, complete, err := parse(noLength, false, false); complete || err != nil {
		t.Fatalf("no length, connection open: complete %v, %v", complete, err)
	}
	_, res, complete, err = parse(noLength, true, false)
	if err != nil || !complete || !res.close || res.bodyBytes != 10 {
		t.Fatalf("no length, connection ended: %+v %v %v", res, complete, err)
	}
}

func TestWhenTheConnectionEndsBeforeAnyByteThenItIsNoAnswerAndMidAnswerAnError(t *testing.T) {
	if _, _, _, err := parse("", true, false); !errors.Is(err, errNoAnswer) {
		t.Fatalf("empty: %v", err)
	}
	for _, wire := range []string{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "HTTP/1.1 200 OK\r\nContent-", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWi"} {
		if _, _, _, err := parse(wire, true, false); !errors.Is(err, errCutShort) {
			t.Fatalf("%q: %v", wire, err)
		}
	}
}

func TestWhenTheAnswerIsMalformedThenItIsAnError(t *testing.T) {
	for _, wire := range []string{"SSH-2.0-x\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"} {
		if _, _, _, err := parse(wire, false, false); err == nil {
			t.Fatalf("%q was accepted", wire)
		}
	}
}

func TestWhenTheRecordedHeaderRepeatsThenItsFirstValueIsKeptAndValuesAreInterned(t *testing.T) {
	values := interner{}
	wire := []byte("HTTP/1.1 200 OK\r\nx-cache:  MISS \r\nX-Cache: HIT\r\nContent-Length: 0\r\n\r\n")
	_, a, _, _ := parseResponse(wire, false, false, []byte("x-cache"), values)
	_, b, _, _ := parseResponse(wire, false, false, []byte("x-cache"), values)
	if a.recorded != "MISS" || b.recorded != "MISS" || len(values) != 1 {
		t.Fatalf("recorded %q and %q, %d interned", a.recorded, b.recorded, len(values))
	}
}

func TestWhenInterimAnswersComeFirstThenTheyAreSkippedAndTheFinalOneCounts(t *testing.T) {
	wire := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"
	used, res, complete, err := parse(wire, false, false)
	if err != nil || !complete || used != len(wire) || res.code != 201 || res.bodyBytes != 2 {
		t.Fatalf("%d %+v %v %v", used, res, complete, err)
	}
	if _, _, complete, err := parse("HTTP/1.1 100 Continue\r\n\r\n", false, false); complete || err != nil {
		t.Fatalf("an interim answer alone: complete %v, %v", complete, err)
	}
	if _, _, _, err := parse("HTTP/1.1 100 Continue\r\n\r\n", true, false); !errors.Is(err, errCutShort) {
		t.Fatalf("the connection ended after an interim answer: %v", err)
	}
}
