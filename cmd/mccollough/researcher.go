package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
)

func runResearcher(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{"usage: mccollough researcher add --email EMAIL [--password-stdin]"}
	}
	fs := newFlagSet("researcher add", "Create a researcher account. The password is read from standard input with\n"+
		"--password-stdin; otherwise one is generated and printed once.", env)
	var db dbFlags
	db.register(fs, env)
	email := fs.String("email", "", "the researcher's `email` (required)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := parseFlags(fs, env, args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return usageError{"--email is required"}
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading the password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password = rand.Text() // 26 base32 characters, 130 bits
	}
	d, _, err := db.open(ctx, env)
	if err != nil {
		return err
	}
	defer d.Close()
	r, err := d.CreateResearcher(ctx, *email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created researcher %s\n", r.Email)
	if !*fromStdin {
		fmt.Fprintf(env.stdout, "password: %s\n(shown once: store it in a password manager)\n", password)
	}
	return nil
}
