// Command mccollough runs the McCollough platform, one subcommand per job:
// serve (the web server, with its own PostgreSQL unless given one),
// migrate, render (a stimulus spec to PNG), observe (the ConvNet observer
// through an experiment), export (trials as CSV) and researcher (accounts).
// Every setting is a flag with an environment fallback; --help lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

var commands = map[string]command{
	"serve":      {"run the web server (starts its own PostgreSQL unless DATABASE_URL is set)", runServe},
	"migrate":    {"apply database migrations and exit", runMigrate},
	"render":     {"render a stimulus spec to a PNG file", runRender},
	"export":     {"write an experiment's trials as CSV", runExport},
	"observe":    {"run the ConvNet observer through an experiment (model participants)", runObserve},
	"researcher": {"manage researcher accounts: researcher add --email E", runResearcher},
}

// environment is what commands read from and write to, so tests can run
// them in-process.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, env, os.Args[1:]))
}

func run(ctx context.Context, env *environment, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "mccollough: unknown command %q (run 'mccollough --help' for the list)\n", args[0])
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "mccollough %s: %s\n", args[0], ue.msg)
		return 2
	default:
		fmt.Fprintf(env.stderr, "mccollough %s: %s\n", args[0], err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "McCollough: McCollough-effect experiments for humans and ConvNets.")
	fmt.Fprintln(w, "\nUsage: mccollough <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'mccollough <command> --help' for a command's flags.")
	fmt.Fprintln(w, strings.TrimSpace(`
Environment (each also a flag):
  DATABASE_URL     use this PostgreSQL server instead of the private one
  MCCOLLOUGH_DATA  data folder of the private PostgreSQL and other state (default ./data)
  ADDR             address serve listens on (default :8080)
  LOG_LEVEL        debug, info, warn or error (default info)
  TRUSTED_PROXIES  CIDRs of the reverse proxies whose forwarding headers serve believes (default none)`))
}
