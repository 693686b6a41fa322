// Command gen writes the frozen calendar versions into domain/calendardata
// from github.com/rickar/cal. Run it once, when a new version is added to
// calendars.Frozen: a released version must never change (the calendars
// tests regenerate each in memory and compare).
//
//	go run ./calendars/gen [-dir domain/calendardata] [-version 2026.1]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/breachledger/breachledger/calendars"
)

func main() {
	dir := flag.String("dir", "domain/calendardata", "the directory of package calendardata")
	only := flag.String("version", "", "write only this version (default: those whose file is missing)")
	flag.Parse()
	if err := run(*dir, *only); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, only string) error {
	for _, v := range calendars.Frozen() {
		path := filepath.Join(dir, calendars.FileName(v.Name))
		if only == "" {
			if _, err := os.Stat(path); err == nil {
				continue // released: never rewritten
			}
		} else if v.Name != only {
			continue
		}
		src, err := calendars.Generate(v.Name, v.First, v.Last)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		fmt.Println("wrote", path)
	}
	return nil
}
