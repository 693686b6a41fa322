package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
)

// inputs reads a command's flags and arguments and gathers every problem,
// so a responder sees all of them at once (go-multierror).
type inputs struct {
	c       *cli.Context
	now     time.Time
	errs    *multierror.Error
	used    int             // positional arguments consumed
	missing map[string]bool // positional arguments reported missing, by name
	// signerKey is the public key (authorized_keys form) the command is
	// signed with, "" when unsigned: init registers it as the first admin's.
	signerKey string
	// given holds each named positional argument as typed; resolved, the
	// full IDs that typed prefixes stand for (eventprefix.go), which arg
	// returns in their place once the ledger is open.
	given    map[string]string
	resolved map[string]string
}

func newInputs(c *cli.Context, now time.Time) *inputs { return &inputs{c: c, now: now} }

func (in *inputs) fail(err error) { in.errs = multierror.Append(in.errs, err) }

func (in *inputs) failf(format string, args ...any) { in.fail(fmt.Errorf(format, args...)) }

// err returns every problem as one usage error, or nil.
func (in *inputs) err() error {
	if in.used < in.c.NArg() {
		in.failf("unexpected argument %q", in.c.Args().Get(in.used))
	}
	if in.errs.ErrorOrNil() == nil {
		return nil
	}
	in.errs.ErrorFormat = func(es []error) string {
		parts := make([]string, len(es))
		for i, e := range es {
			parts[i] = e.Error()
		}
		return strings.Join(parts, "; ")
	}
	return usageError{in.errs}
}

// noArgs refuses arguments to a command that takes none, before it opens
// the ledger.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unexpected argument %q: this command takes no arguments", c.Args().First())
	}
	return nil
}

// arg returns the next positional argument, or records that it is missing.
func (in *inputs) arg(name string) string {
	if in.used >= in.c.NArg() {
		in.failf("missing argument %s", name)
		if in.missing == nil {
			in.missing = map[string]bool{}
		}
		in.missing[name] = true
		in.used++
		return ""
	}
	v := in.c.Args().Get(in.used)
	in.used++
	if in.given == nil {
		in.given = map[string]string{}
	}
	in.given[name] = v
	if full, ok := in.resolved[name]; ok {
		return full
	}
	return v
}

// rest returns the remaining positional arguments joined by spaces.
func (in *inputs) rest() string {
	var parts []string
	for in.used < in.c.NArg() {
		parts = append(parts, in.c.Args().Get(in.used))
		in.used++
	}
	return strings.Join(parts, " ")
}

// incident returns the INCIDENT argument, or $BREACHLEDGER_INCIDENT when
// the argument is left out: an ID or a prefix of one (prefix.go), which
// the command resolves once the ledger is open.
func (in *inputs) incident() string {
	if in.c.NArg() == 0 {
		if id := os.Getenv("BREACHLEDGER_INCIDENT"); id != "" {
			in.incidentArg("$BREACHLEDGER_INCIDENT", id)
			return id
		}
	}
	return in.incidentArg("INCIDENT", in.arg("INCIDENT"))
}

// incidentArg records a problem when id is too short a prefix (prefix.go).
func (in *inputs) incidentArg(what, id string) string {
	if err := checkIncidentArg(what, id); err != nil {
		in.fail(err)
	}
	return id
}

// required returns a flag's value, recording a problem when it is empty.
func (in *inputs) required(flag string) string {
	v := in.c.String(flag)
	if strings.TrimSpace(v) == "" {
		in.failf("--%s is required", flag)
	}
	return v
}

// list returns a repeatable flag's values, trimmed, without empties.
func (in *inputs) list(flag string) []string {
	var out []string
	for _, v := range in.c.StringSlice(flag) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// time parses a time flag ("" gives the zero time).
func (in *inputs) time(flag string) time.Time {
	v := in.c.String(flag)
	if v == "" {
		return time.Time{}
	}
	t, err := parseTime(v, in.now)
	if err != nil {
		in.failf("--%s: %v", flag, err)
	}
	return t
}

// at is the business time of a writer's fact: --at, or now (to the second).
func (in *inputs) at() time.Time {
	if t := in.time("at"); !t.IsZero() {
		return t
	}
	return in.now.Truncate(time.Second)
}

// count parses an optional non-negative count flag.
func (in *inputs) count(flag string) *int64 {
	if !in.c.IsSet(flag) {
		return nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(in.c.String(flag), "_", ""), 10, 64)
	if err != nil || n < 0 {
		in.failf("--%s: %q is not a whole number of zero or more", flag, in.c.String(flag))
		return nil
	}
	return &n
}

// enum parses a flag (or argument value) with a domain parser; empty values
// are left zero unless required.
func enum[T ~string](in *inputs, value string, required bool, flag string, parse func(string) (T, error)) T {
	if value == "" {
		if required && !in.missing[flag] { // a missing argument is reported once
			in.failf("%s is required", flag)
		}
		return ""
	}
	v, err := parse(value)
	if err != nil {
		in.fail(asFlag(err, flag))
	}
	return v
}

// asFlag names a domain field error after the flag or argument it came from.
func asFlag(err error, flag string) error {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		named := *fe
		named.Field = flag
		return &named
	}
	return fmt.Errorf("%s: %w", flag, err)
}

// enums parses a list of values with a domain parser.
func enums[T ~string](in *inputs, values []string, flag string, parse func(string) (T, error)) []T {
	var out []T
	for _, v := range values {
		if x, err := parse(v); err != nil {
			in.fail(asFlag(err, flag))
		} else {
			out = append(out, x)
		}
	}
	return out
}

// digest returns the SHA-256 of --file (and its size), or --sha256 as given.
func (in *inputs) digest() (sum string, size int64, location string) {
	file, given := in.c.String("file"), strings.ToLower(strings.TrimSpace(in.c.String("sha256")))
	switch {
	case file != "" && given != "":
		in.failf("give --file or --sha256, not both")
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			in.failf("--file: %v", err)
			return "", 0, ""
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			in.failf("--file: read %s: %v", file, err)
			return "", 0, ""
		}
		return hex.EncodeToString(h.Sum(nil)), n, file
	case given != "":
		return given, 0, ""
	default:
		in.failf("--file or --sha256 is required")
	}
	return "", 0, ""
}

// timeLayouts are the forms a time may be written in; every form needs a
// zone ("Z" or an offset), so no time is ever read in a guessed zone.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00"}

// parseTime reads "now" or an RFC 3339 time, and returns it in UTC.
func parseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now.UTC(), nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return time.Time{}, fmt.Errorf("%q has no time zone: add Z for UTC or an offset such as +01:00", s)
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2025-03-07T22:15:00Z) or \"now\"", s)
}

func parseDuration(s string) (time.Duration, error) { return domain.ParseDuration(s) }
