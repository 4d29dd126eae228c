// Command jsoniter prints the table crates/gocompat/tests/data/jsoniter_string.txt: how
// github.com/json-iterator/go v1.1.12's ConfigCompatibleWithStandardLibrary (what Alloy's
// loki.source.journal marshals journal entries with for format_as_json) writes strings holding any
// bytes, and maps of them. It differs from encoding/json in Go 1.22+: \b and \f are written \u0008 and
// \u000c. Run it from this directory with network access to the Go module proxy:
//
//	go run . > ../../tests/data/jsoniter_string.txt
//
// Each line after the header is an input in hex after an "x" (an empty input is a lone "x"), a tab,
// and the JSON text; "map" lines marshal a map[string]string of the pairs listed in hex.
package main

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"

	jsoniter "github.com/json-iterator/go"
)

var json = jsoniter.ConfigCompatibleWithStandardLibrary

func x(b []byte) string { return "x" + hex.EncodeToString(b) }

func line(w *strings.Builder, b []byte) {
	out, err := json.Marshal(string(b))
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(w, "%s\t%s\n", x(b), out)
}

func main() {
	var w strings.Builder
	fmt.Fprintf(&w, "# jsoniter_string: input, jsoniter.ConfigCompatibleWithStandardLibrary.Marshal(string(input)); json-iterator/go v1.1.12, %s\n", runtime.Version())
	line(&w, nil)
	for b := 0; b < 256; b++ {
		line(&w, []byte{byte(b)})
	}
	fixed := []string{
		"plain text", "a\"b\\c", "<script>&amp;</script>", "\u2028\u2029", "\ufffd", "\U0010ffff",
		"\xed\xa0\x80", "\xc0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\xe2\x82\xac", "ünïcödé ✓",
		"tab\there\nnew\rline\b\f\x00\x1f\x7f", "\xff\xfe\x00MESSAGE", "\xf0\x9f\x98\x80", "\xf0\x9f\x98",
	}
	for _, s := range fixed {
		line(&w, []byte(s))
	}
	alphabet := []byte("aZ09 \"\\<>&\x00\x01\x08\x0c\n\r\t\x1f\x7f\x80\xbf\xc2\xa0\xe2\x80\xa8\xa9\xed\xf0\x9f\xff")
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 600; i++ {
		n := r.IntN(24)
		b := make([]byte, n)
		for j := range b {
			b[j] = alphabet[r.IntN(len(alphabet))]
		}
		line(&w, b)
	}
	maps := [][]string{
		{"MESSAGE", "hello", "PRIORITY", "6", "_BOOT_ID", "0123", "A", "<&>"},
		{"Z", "\xff", "B", "\u2028", "_A", "x\ny"},
		{},
	}
	for _, pairs := range maps {
		m := map[string]string{}
		var hexes []string
		for i := 0; i+1 < len(pairs); i += 2 {
			m[pairs[i]] = pairs[i+1]
			hexes = append(hexes, x([]byte(pairs[i])), x([]byte(pairs[i+1])))
		}
		out, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(&w, "map %s\t%s\n", strings.Join(hexes, " "), out)
	}
	os.Stdout.WriteString(w.String())
}
