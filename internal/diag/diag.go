// Package diag holds the user-facing error types shared by every part of
// Citadel: a Diagnostic says what is wrong with an input, where (file, line,
// column, field path or packet number) and how to fix it. Errors that are the
// user's to fix report BadInput, which the CLI maps to exit code 2.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Diagnostic is one problem found in a user's input.
type Diagnostic struct {
	File   string // path of the input, as the user named it
	Line   int    // 1-based line, 0 when unknown
	Col    int    // 1-based column, 0 when unknown
	Field  string // field path such as assets[3].zones[0], when known
	Packet int    // 1-based packet number for captures, 0 when not a capture
	Msg    string // what is wrong
	Hint   string // how to fix it, may be empty
}

// Error formats the diagnostic as file:line:col: msg (hint).
func (d *Diagnostic) Error() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d", d.Line)
			if d.Col > 0 {
				fmt.Fprintf(&b, ":%d", d.Col)
			}
		}
		b.WriteString(": ")
	}
	if d.Packet > 0 {
		fmt.Fprintf(&b, "packet %d: ", d.Packet)
	}
	if d.Field != "" {
		fmt.Fprintf(&b, "%s: ", d.Field)
	}
	b.WriteString(d.Msg)
	if d.Hint != "" {
		fmt.Fprintf(&b, " (hint: %s)", d.Hint)
	}
	return b.String()
}

// BadInput reports that the user must fix the input.
func (d *Diagnostic) BadInput() bool { return true }

// List is every problem found in one input, reported together.
type List []*Diagnostic

// Error joins the diagnostics, one a line, in file order.
func (l List) Error() string {
	parts := make([]string, len(l))
	for i, d := range l {
		parts[i] = d.Error()
	}
	return strings.Join(parts, "\n")
}

// BadInput reports that the user must fix the input.
func (l List) BadInput() bool { return true }

// Sort orders the list by file, line and column.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns l as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// badInput wraps an error that is the user's to fix.
type badInput struct{ err error }

func (e *badInput) Error() string  { return e.err.Error() }
func (e *badInput) Unwrap() error  { return e.err }
func (e *badInput) BadInput() bool { return true }

// Errorf returns a bad-input error without a position, for problems such as
// a wrong flag value.
func Errorf(format string, args ...any) error {
	return &badInput{fmt.Errorf(format, args...)}
}

// IsBadInput reports whether err, or any error it wraps, is the user's to fix.
func IsBadInput(err error) bool {
	var b interface{ BadInput() bool }
	return errors.As(err, &b) && b.BadInput()
}
