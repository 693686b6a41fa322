package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/domain"
	"github.com/breachledger/breachledger/eventstore"
	"github.com/breachledger/breachledger/safetext"
)

// calendarCommand is "breachledger calendar": the user calendar (extra
// closing days) is a fact on the ledger, recorded by an admin with
// "calendar set FILE" and read by every reader from there, never from a
// local file; the public holidays come from the frozen calendar version
// each incident pins.
func (e *env) calendarCommand() *cli.Command {
	set := e.writer(writerSpec{
		name: "set", usage: "record the user calendar (admin): the closing days in FILE, lines \"JURISDICTION YYYY-MM-DD what\" (* for every jurisdiction); it replaces the one recorded before and counts for clocks that start from now on",
		argsUsage: "FILE",
		example:   `breachledger calendar set closures.txt --reason "office closed 24-31 December"`,
		flags:     []cli.Flag{str("reason", "why")},
		build: func(in *inputs, by domain.By) domain.Command {
			path := in.arg("FILE")
			var text string
			if path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					in.failf("read calendar file: %v", err)
				} else if _, err := domain.ParseClosures(string(b)); err != nil {
					in.failf("%s: %v", path, err)
				}
				text = string(b)
			}
			return domain.SetCalendar{By: by, Text: text, Reason: in.c.String("reason")}
		},
	})
	show := &cli.Command{
		Name: "show", Usage: "print the frozen calendar versions and the user calendar recorded on the ledger",
		Description: "Example:\n  breachledger calendar show --json",
		Flags:       []cli.Flag{boolean("json", "print JSON")},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return e.withReader(c, func(st eventstore.Store) error {
				l, err := readLedger(c, st)
				if err != nil {
					return err
				}
				return e.printCalendar(c.Bool("json"), l.Settings)
			})
		},
	}
	return &cli.Command{
		Name:  "calendar",
		Usage: "the calendars clocks count on: frozen public holidays, and the user calendar recorded on the ledger",
		Description: `Public holidays come from frozen calendar versions (data generated once
from rickar/cal, never changed); each incident pins the version current
when it was detected. Extra closing days are recorded on the ledger by an
admin ("calendar set FILE") and apply to clocks whose anchor is at or after
the moment they were recorded. No reader reads a local calendar file.`,
		Subcommands: []*cli.Command{set, show},
	}
}

// calendarView is "calendar show --json".
type calendarView struct {
	Versions []calendarVersionView `json:"versions"`
	Current  string                `json:"current"` // the version new incidents pin
	Default  string                `json:"default"` // the version of incidents that pin none
	User     *domain.UserCalendar  `json:"user"`    // the user calendar in force now, or null
	History  []domain.UserCalendar `json:"history"` // every recorded user calendar, in ledger order
}

type calendarVersionView struct {
	Name      string `json:"name"`
	Source    string `json:"source"`
	FirstYear int    `json:"first_year"`
	LastYear  int    `json:"last_year"`
}

func (e *env) printCalendar(asJSON bool, s domain.Settings) error {
	v := calendarView{Current: domain.CurrentCalendarVersion(), Default: domain.DefaultCalendarVersion(), History: s.UserCalendars()}
	for _, k := range domain.CalendarVersions() {
		v.Versions = append(v.Versions, calendarVersionView{Name: k.Name, Source: k.Source, FirstYear: k.FirstYear, LastYear: k.LastYear})
	}
	if v.History == nil {
		v.History = []domain.UserCalendar{}
	}
	if n := len(v.History); n > 0 {
		v.User = &v.History[n-1]
	}
	if asJSON {
		return writeJSON(e.stdout, v)
	}
	for _, k := range domain.CalendarVersions() {
		mark := ""
		if k.Name == v.Current {
			mark = " (current: new incidents pin it)"
		}
		fmt.Fprintf(e.stdout, "%s%s\n", k, mark)
	}
	if v.User == nil {
		fmt.Fprintln(e.stdout, `user calendar: none recorded ("breachledger calendar set FILE" records one)`)
		return nil
	}
	u := v.User
	fmt.Fprintf(e.stdout, "user calendar: %s by %s, event %s", u, safetext.Line(u.Actor), u.Event)
	if u.Reason != "" {
		fmt.Fprintf(e.stdout, ": %s", safetext.Line(u.Reason))
	}
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JURISDICTION\tDATE\tWHAT")
	for _, c := range u.Closures {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Jurisdiction, c.Date, safetext.Line(c.What))
	}
	return tw.Flush()
}

// removedCalendarFlag refuses the global --calendar flag and
// BREACHLEDGER_CALENDAR, which made each reader count on its own local
// file: the user calendar is recorded on the ledger now.
func removedCalendarFlag(c *cli.Context) error {
	if c.IsSet("calendar") || os.Getenv("BREACHLEDGER_CALENDAR") != "" {
		return usagef("%s", calendarFlagRemoved)
	}
	return nil
}

const calendarFlagRemoved = `--calendar and BREACHLEDGER_CALENDAR are removed (rule calendar-on-the-record): readers no longer read local calendar files, so that every reader counts on the same days; record the closing days on the ledger with "breachledger calendar set FILE" (admin)`

// calendarUsage adds the rule to an unknown --calendar after a command.
func calendarUsage(err error) error {
	if err != nil && strings.Contains(err.Error(), "-calendar") {
		return usagef("%v: %s", err, calendarFlagRemoved)
	}
	return nil
}
