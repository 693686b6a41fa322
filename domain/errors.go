package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error Decide returns matches exactly one of them
// with errors.Is, and the CLI maps each to one exit code.
var (
	// ErrRefused: a rule of the process forbids the command (exit 4).
	ErrRefused = errors.New("refused")
	// ErrNotFound: the incident, event or request named does not exist (exit 3).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a field of the command is missing or malformed (exit 2).
	ErrInvalid = errors.New("invalid")
)

// RuleError is a refusal: which rule forbids the command, why, and what to do
// instead. It matches ErrRefused.
type RuleError struct {
	Rule   string // stable rule identifier, e.g. "declare-role" (listed in the README)
	Reason string // what is wrong, in a sentence
	Hint   string // what to do instead
}

func (e *RuleError) Error() string {
	msg := fmt.Sprintf("refused by rule %s: %s", e.Rule, e.Reason)
	if e.Hint != "" {
		msg += "; instead: " + e.Hint
	}
	return msg
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RuleError) Is(target error) bool { return target == ErrRefused }

func refuse(rule, hint, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Reason: fmt.Sprintf(format, args...), Hint: hint}
}

// NotFoundError names what was not found. It matches ErrNotFound.
type NotFoundError struct {
	What string // "incident", "event", "request"
	ID   string
	Hint string
}

func (e *NotFoundError) Error() string {
	id := e.ID
	if len(id) > 80 { // an ID that long is bad input: do not echo it whole
		id = fmt.Sprintf("%.60s… (%d bytes)", id, len(id))
	}
	msg := fmt.Sprintf("%s %q not found", e.What, id)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// FieldError is one bad field of a command or event. It matches ErrInvalid.
type FieldError struct {
	Field   string
	Value   string
	Problem string   // "required", "unknown value", "must not be negative"...
	Allowed []string // for enumerations: every allowed value
}

func (e *FieldError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	fmt.Fprintf(&b, ": %s", e.Problem)
	if len(e.Allowed) > 0 {
		fmt.Fprintf(&b, " (allowed: %s)", strings.Join(e.Allowed, ", "))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// ValidationError gathers every bad field of one command, so a responder
// sees them all at once. It matches ErrInvalid and unwraps to the fields.
type ValidationError struct {
	Fields []*FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	if len(parts) == 1 {
		return "invalid " + parts[0]
	}
	return fmt.Sprintf("%d invalid fields: %s", len(parts), strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the field errors.
func (e *ValidationError) Unwrap() []error {
	out := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f
	}
	return out
}

// fields collects field errors; err returns nil when there are none.
type fields []*FieldError

func (fs *fields) add(fe *FieldError) {
	if fe != nil {
		*fs = append(*fs, fe)
	}
}

func (fs *fields) require(field, value string) {
	if strings.TrimSpace(value) == "" {
		fs.add(&FieldError{Field: field, Problem: "required"})
	}
}

func (fs *fields) problem(field, value, format string, args ...any) {
	fs.add(&FieldError{Field: field, Value: value, Problem: fmt.Sprintf(format, args...)})
}

func (fs fields) err() error {
	if len(fs) == 0 {
		return nil
	}
	return &ValidationError{Fields: fs}
}
