package cachedir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestIn(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, base string) string // returns the base to use
		want  error                                  // nil, ErrNone or ErrUntrusted
	}{
		{"fresh", func(t *testing.T, base string) string { return base }, nil},
		{"missing base is made", func(t *testing.T, base string) string { return filepath.Join(base, "a", "b") }, nil},
		{"relative base", func(t *testing.T, base string) string { return "relative/cache" }, ErrNone},
		{"base is a file", func(t *testing.T, base string) string {
			f := filepath.Join(base, "file")
			write(t, f, 0o600)
			return f
		}, ErrNone},
		{"group-writable dir", func(t *testing.T, base string) string {
			mkdir(t, filepath.Join(base, Name), 0o770)
			return base
		}, ErrUntrusted},
		{"world-writable dir", func(t *testing.T, base string) string {
			mkdir(t, filepath.Join(base, Name), 0o707)
			return base
		}, ErrUntrusted},
		{"dir is a symlink", func(t *testing.T, base string) string {
			other := filepath.Join(base, "elsewhere")
			mkdir(t, other, 0o700)
			if err := os.Symlink(other, filepath.Join(base, Name)); err != nil {
				t.Fatal(err)
			}
			return base
		}, ErrUntrusted},
		{"dir is a file", func(t *testing.T, base string) string {
			write(t, filepath.Join(base, Name), 0o600)
			return base
		}, ErrNone}, // MkdirAll fails: there is no directory to use
		{"parent world-writable", func(t *testing.T, base string) string {
			p := filepath.Join(base, "shared")
			mkdir(t, p, 0o777)
			return p
		}, ErrUntrusted},
		{"parent world-writable and sticky", func(t *testing.T, base string) string {
			p := filepath.Join(base, "tmp")
			mkdir(t, p, 0o777|os.ModeSticky)
			return p
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.setup(t, t.TempDir())
			dir, err := In(base)
			if !is(err, tt.want) {
				t.Fatalf("In(%s) = %q, %v; want %v", base, dir, err, tt.want)
			}
			if err != nil {
				return
			}
			if want := filepath.Join(base, Name); dir != want {
				t.Errorf("dir = %s, want %s", dir, want)
			}
			fi, err := os.Stat(dir)
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("made %s with %v, %v; want mode 0700", dir, fi.Mode(), err)
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 0 {
				t.Errorf("the write probe left %v in %s", left, dir)
			}
		})
	}
}

func TestInOwnedByAnother(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	base := t.TempDir()
	dir := filepath.Join(base, Name)
	mkdir(t, dir, 0o700)
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := In(base); !errors.Is(err, ErrUntrusted) {
		t.Errorf("In with %s owned by nobody: %v, want %v", dir, err, ErrUntrusted)
	}
	f := filepath.Join(base, "kept.db")
	write(t, f, 0o600)
	if err := os.Chown(f, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := CheckFile(f); !errors.Is(err, ErrUntrusted) {
		t.Errorf("CheckFile of a file owned by nobody: %v, want %v", err, ErrUntrusted)
	}
}

func TestFileIn(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, Name)
	tests := []struct {
		name    string
		file    string
		setup   func(t *testing.T, path string)
		want    error
		wantErr bool
	}{
		{name: "missing file", file: "a.projections.db"},
		{name: "own file", file: "b.projections.db", setup: func(t *testing.T, p string) { write(t, p, 0o600) }},
		{name: "group-writable file", file: "c.projections.db", setup: func(t *testing.T, p string) { write(t, p, 0o620) }, want: ErrUntrusted, wantErr: true},
		{name: "symlink", file: "d.projections.db", setup: func(t *testing.T, p string) {
			write(t, filepath.Join(base, "target"), 0o600)
			if err := os.Symlink(filepath.Join(base, "target"), p); err != nil {
				t.Fatal(err)
			}
		}, want: ErrUntrusted, wantErr: true},
		{name: "a path, not a name", file: "../x.db", wantErr: true},
		{name: "a hidden name", file: ".probe-1", wantErr: true},
		{name: "empty", file: "", wantErr: true},
	}
	if _, err := In(base); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t, filepath.Join(dir, tt.file))
			}
			got, err := FileIn(base, tt.file)
			if (err != nil) != tt.wantErr || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("FileIn(%q) = %q, %v; want error %v (%v)", tt.file, got, err, tt.wantErr, tt.want)
			}
			if err == nil && got != filepath.Join(dir, tt.file) {
				t.Errorf("FileIn(%q) = %s", tt.file, got)
			}
		})
	}
}

func TestDirFollowsXDG(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", base)
	t.Setenv("HOME", t.TempDir())
	dir, err := Dir()
	if err != nil || dir != filepath.Join(base, Name) {
		t.Fatalf("Dir() = %q, %v; want %s", dir, err, filepath.Join(base, Name))
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if _, err := Dir(); !errors.Is(err, ErrNone) {
		t.Errorf("Dir() with neither HOME nor XDG_CACHE_HOME: %v, want %v", err, ErrNone)
	}
}

func is(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func write(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
