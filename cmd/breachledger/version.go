package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/breachledger/breachledger/safetext"
)

// buildInfo is what "breachledger version" prints: enough to tell two
// binaries apart in an incident report or an auditor's notes.
type buildInfo struct {
	Version  string `json:"version"`      // main.version, set by -ldflags (make build: git describe)
	Go       string `json:"go"`           // the Go release that built it
	Module   string `json:"module"`       // the main module's path and version
	Revision string `json:"revision"`     // vcs.revision, "" when the build did not stamp it
	Modified *bool  `json:"modified"`     // vcs.modified: built from a tree with uncommitted changes; null when unknown
	Tags     string `json:"build_tags"`   // the build tags (-tags)
	ESDB     bool   `json:"eventstoredb"` // built with the EventStoreDB client (without the noesdb tag)
	Store    string `json:"stores"`       // which stores this binary opens
}

// readBuildInfo reads the build's module information
// (runtime/debug.ReadBuildInfo).
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Go: runtime.Version(), ESDB: true}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.Module = strings.TrimSpace(bi.Main.Path + " " + bi.Main.Version)
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.modified":
				m := s.Value == "true"
				b.Modified = &m
			case "-tags":
				b.Tags = s.Value
			}
		}
	}
	// The build tag noesdb leaves the EventStoreDB client out (stores/noesdb.go).
	b.ESDB = !slices.Contains(strings.Split(b.Tags, ","), "noesdb")
	b.Store = "SQLite file, EventStoreDB (esdb://)"
	if !b.ESDB {
		b.Store = "SQLite file only (built with -tags noesdb)"
	}
	return b
}

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, the Go release and the build (revision, build tags, stores); --version prints the version alone",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			b := readBuildInfo()
			if c.Bool("json") {
				return writeJSON(e.stdout, b)
			}
			revision, modified := b.Revision, "unknown"
			if revision == "" {
				revision = "unknown (not stamped by the build)"
			}
			if b.Modified != nil {
				modified = "no"
				if *b.Modified {
					modified = "yes (built from a tree with uncommitted changes)"
				}
			}
			tags := b.Tags
			if tags == "" {
				tags = "(none)"
			}
			// The version comes from the build's -ldflags: escaped all the same.
			_, err := fmt.Fprint(e.stdout, safetext.Text(fmt.Sprintf(
				"breachledger %s\ngo:         %s\nmodule:     %s\nrevision:   %s\nmodified:   %s\nbuild tags: %s\nstores:     %s\n",
				b.Version, b.Go, b.Module, revision, modified, tags, b.Store)))
			return err
		},
	}
}
