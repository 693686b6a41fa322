package domain

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

var timeType = reflect.TypeOf(time.Time{})

// applyChanges returns a copy of e with each field change applied, and the
// JSON names of the fields whose value changed. Fields are named as in the
// event's JSON payload; values are written as on the command line (times in
// RFC 3339, lists comma-separated, an empty value clears a field).
func applyChanges(e Event, changes []FieldChange) (Event, []string, error) {
	orig := reflect.ValueOf(e)
	p := reflect.New(orig.Type())
	p.Elem().Set(orig)
	v := p.Elem()
	index := jsonFields(v.Type())
	var fs fields
	changed := map[string]bool{}
	for _, ch := range changes {
		i, ok := index[ch.Field]
		if !ok {
			allowed := make([]string, 0, len(index))
			for name := range index {
				allowed = append(allowed, name)
			}
			sort.Strings(allowed)
			fs.add(&FieldError{Field: "set", Value: ch.Field, Problem: "no such field in " + TypeOf(e), Allowed: allowed})
			continue
		}
		f := v.Field(i)
		if err := setFromString(f, ch.Value); err != nil {
			fs.problem(ch.Field, ch.Value, "%v", err)
			continue
		}
		changed[ch.Field] = !reflect.DeepEqual(f.Interface(), orig.Field(i).Interface())
	}
	if err := fs.err(); err != nil {
		return nil, nil, err
	}
	var names []string
	for name, diff := range changed {
		if diff {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return v.Interface().(Event), names, nil
}

func jsonFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if name != "" && name != "-" && t.Field(i).IsExported() {
			m[name] = i
		}
	}
	return m
}

func setFromString(f reflect.Value, s string) error {
	switch {
	case f.Type() == timeType:
		if s == "" {
			f.Set(reflect.ValueOf(time.Time{}))
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errString("not an RFC 3339 time (e.g. 2025-03-07T22:15:00Z)")
		}
		f.Set(reflect.ValueOf(t.UTC()))
	case f.Kind() == reflect.String:
		f.SetString(s)
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errString("not true or false")
		}
		f.SetBool(b)
	case f.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errString("not a whole number")
		}
		f.SetInt(n)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		var parts []string
		for _, x := range strings.Split(s, ",") {
			if x = strings.TrimSpace(x); x != "" {
				parts = append(parts, x)
			}
		}
		out := reflect.MakeSlice(f.Type(), len(parts), len(parts))
		for i, x := range parts {
			out.Index(i).SetString(x)
		}
		if len(parts) == 0 {
			out = reflect.Zero(f.Type())
		}
		f.Set(out)
	default:
		return errString("this field cannot be set")
	}
	return nil
}

// formatField writes a field's value as setFromString reads it (the
// inverse: CommandOf gives a correction's changes back as typed).
func formatField(f reflect.Value) (string, error) {
	switch {
	case f.Type() == timeType:
		t := f.Interface().(time.Time)
		if t.IsZero() {
			return "", nil
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	case f.Kind() == reflect.String:
		return f.String(), nil
	case f.Kind() == reflect.Bool:
		return strconv.FormatBool(f.Bool()), nil
	case f.Kind() == reflect.Int64:
		return strconv.FormatInt(f.Int(), 10), nil
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		parts := make([]string, f.Len())
		for i := range parts {
			parts[i] = f.Index(i).String()
		}
		return strings.Join(parts, ","), nil
	}
	return "", errString("this field cannot be set")
}

type errString string

func (e errString) Error() string { return string(e) }
