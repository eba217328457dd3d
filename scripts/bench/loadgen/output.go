package main

import (
	"bufio"
	"os"
	"strconv"
	"time"
)

// writeResults writes one JSON line per request, in seq order, in the shape of
// `vegeta encode --to json`: seq, code, timestamp (RFC 3339, ns), latency (ns), bytes_in and the
// recorded header as headers (null when it was absent or none was recorded).
func writeResults(path string, results []result, recordHeader string) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(file, 1<<20)
	headerKey := appendJSONString(nil, recordHeader)
	line := make([]byte, 0, 256)
	for seq := range results {
		r := &results[seq]
		line = append(line[:0], `{"seq":`...)
		line = strconv.AppendInt(line, int64(seq), 10)
		line = append(line, `,"code":`...)
		line = strconv.AppendInt(line, int64(r.code), 10)
		line = append(line, `,"timestamp":"`...)
		line = time.Unix(0, r.sent).UTC().AppendFormat(line, time.RFC3339Nano)
		line = append(line, `","latency":`...)
		line = strconv.AppendInt(line, r.latency, 10)
		line = append(line, `,"bytes_in":`...)
		line = strconv.AppendInt(line, r.bodySize, 10)
		if r.recorded == "" {
			line = append(line, `,"headers":null}`...)
		} else {
			line = append(line, `,"headers":{`...)
			line = append(line, headerKey...)
			line = append(line, ':', '[')
			line = appendJSONString(line, r.recorded)
			line = append(line, ']', '}', '}')
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			file.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters escaped,
// every other byte as it is.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c == 0x7f:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
