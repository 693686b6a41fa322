// Package safetext makes untrusted text safe to print for a person.
//
// Everything read back from a ledger (summaries, notes, reasons, actor
// names, event types, stream names, leaf copies) may have been written by
// someone who wants to mislead the reader: an escape sequence can erase or
// repaint lines on a terminal, a bidi override can reverse what is shown,
// a zero-width character can make two different names look alike, and a
// newline inside a table cell can forge a row. This package is the one
// place that decides how such text is printed: forbidden runes are never
// written raw but escaped visibly (\x1b, \u202e), so the reader sees that
// they are there.
//
// Three forms, one per context:
//
//   - [Quote] for a value inside a message: in double quotes, like Go's %q,
//     but ordinary non-ASCII letters stay readable.
//   - [Line] for a table cell or any single-line field: a newline prints
//     as ⏎, every other forbidden rune is escaped.
//   - [Text] for multi-line prose: a newline stays a line break, every
//     other forbidden rune is escaped.
//
// Line and Text return their argument unchanged, without allocating, when
// it holds nothing forbidden. JSON output goes through [JSON]:
// encoding/json escapes the C0 controls and invalid UTF-8, but leaves DEL,
// the C1 controls and the bidi and zero-width characters raw.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Newline is how Line shows a line break inside a single-line field.
const Newline = "⏎"

// Forbidden reports whether r must never reach output raw: the C0 controls
// (U+0000–U+001F, ESC among them), DEL, the C1 controls (U+0080–U+009F),
// the line and paragraph separators (U+2028, U+2029) and every invisible
// format character (Unicode category Cf: the bidi embeddings, overrides and
// isolates U+202A–U+202E and U+2066–U+2069, the zero-width characters and
// marks U+200B–U+200F, the byte order mark U+FEFF, tag characters...).
// utf8.RuneError stands for invalid UTF-8 and is forbidden too.
func Forbidden(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r <= 0x9f:
		return true
	case r == utf8.RuneError, r == '\u2028', r == '\u2029':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// cleanUntil returns the index of the first byte of s that Line
// (keepNewline false) or Text (keepNewline true) must change, or len(s).
func cleanUntil(s string, keepNewline bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(keepNewline && c == '\n') {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if Forbidden(r) { // RuneError with n == 1 is invalid UTF-8; a real U+FFFD is harmless but rare enough to escape too
			return i
		}
		i += n
	}
	return len(s)
}

// Line returns s for a table cell or a single-line field: a newline is
// shown as ⏎ (a CR LF pair as one ⏎), every other forbidden rune and every
// byte of invalid UTF-8 is escaped visibly. Clean text is returned as is.
func Line(s string) string { return escape(s, false) }

// Text returns s for multi-line prose: a newline stays a line break, every
// other forbidden rune (a carriage return and a tab included) and every
// byte of invalid UTF-8 is escaped visibly. Clean text is returned as is.
func Text(s string) string { return escape(s, true) }

func escape(s string, keepNewline bool) string {
	i := cleanUntil(s, keepNewline)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' && keepNewline:
			b.WriteByte('\n')
		case r == '\n':
			b.WriteString(Newline)
		case r == '\r' && !keepNewline && strings.HasPrefix(s[i+1:], "\n"):
			b.WriteString(Newline)
			n = 2
		case r == utf8.RuneError && n == 1:
			writeByteEscape(&b, s[i])
		case Forbidden(r):
			writeRuneEscape(&b, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Quote returns s in double quotes for a value inside a message: a quote
// and a backslash are escaped with a backslash, forbidden runes and other
// runes that print as nothing (unicode.IsGraphic false, a space other than
// U+0020 among them) are escaped visibly, invalid UTF-8 is escaped byte by
// byte; letters of every script stay as they are. For printable ASCII it
// gives the same as Go's %q.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			writeByteEscape(&b, s[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case Forbidden(r), r != ' ' && !unicode.IsGraphic(r), r > 0x7f && unicode.IsSpace(r):
			writeRuneEscape(&b, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}

const hexDigits = "0123456789abcdef"

// writeRuneEscape writes r as \t, \n, \r, \xNN (other ASCII controls) or
// \uNNNN / \UNNNNNNNN.
func writeRuneEscape(b *strings.Builder, r rune) {
	switch {
	case r == '\t':
		b.WriteString(`\t`)
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\r':
		b.WriteString(`\r`)
	case r < utf8.RuneSelf:
		writeByteEscape(b, byte(r))
	case r <= 0xffff:
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hexDigits[r>>uint(shift)&0xf])
		}
	default:
		b.WriteString(`\U`)
		for shift := 28; shift >= 0; shift -= 4 {
			b.WriteByte(hexDigits[r>>uint(shift)&0xf])
		}
	}
}

// writeByteEscape writes c as \xNN.
func writeByteEscape(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

// JSON returns b, the output of encoding/json, with every forbidden rune
// that encoding/json leaves raw (DEL, the C1 controls, the bidi, zero-width
// and other invisible format characters) written as a \uXXXX escape instead
// (a surrogate pair beyond U+FFFF), so JSON printed to a terminal cannot
// act on it. The result decodes to the same value: encoding/json already
// escapes the C0 controls and invalid UTF-8, and forbidden runes can only
// occur inside strings. Clean input is returned as is.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) {
		if b[i] < utf8.RuneSelf && b[i] != 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if Forbidden(r) {
			break
		}
		i += n
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r < utf8.RuneSelf && r != 0x7f, !Forbidden(r):
			out = append(out, b[i:i+n]...)
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...) // not from encoding/json, but never raw
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			out = appendU(appendU(out, r1), r2)
		default:
			out = appendU(out, r)
		}
		i += n
	}
	return out
}

func appendU(out []byte, r rune) []byte {
	return append(out, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// CSVCell returns s made safe to open in a spreadsheet: a cell whose first
// character (after any spaces) is one a spreadsheet reads as the start of
// a formula or a command (=, +, -, @, tab, carriage return: OWASP's CSV
// injection rule) gets a leading apostrophe, so that Excel, LibreOffice
// and Google Sheets show it as text and run nothing. Everything else is
// returned as it is, and so is a lone "-" (a placeholder, text in every
// spreadsheet).
func CSVCell(s string) string {
	if t := strings.TrimLeft(s, " "); t != "" && t != "-" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return "'" + s
	}
	return s
}
