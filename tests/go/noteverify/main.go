// noteverify checks a signed note with Go's golang.org/x/mod/sumdb/note, independently of
// supportctl's own code: exit 0 and print the note's text when the note carries a valid
// signature by the verifier key, exit 1 and say why otherwise.
//
// Usage: noteverify VERIFIER-KEY-FILE NOTE-FILE
package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: noteverify VERIFIER-KEY-FILE NOTE-FILE")
		os.Exit(2)
	}
	key, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	msg, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail(err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(key)))
	if err != nil {
		fail(fmt.Errorf("verifier key: %w", err))
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail(err)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != verifier.Name() || n.Sigs[0].Hash != verifier.KeyHash() {
		fail(fmt.Errorf("expected exactly one signature, by %s", verifier.Name()))
	}
	fmt.Print(n.Text)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "noteverify:", err)
	os.Exit(1)
}
