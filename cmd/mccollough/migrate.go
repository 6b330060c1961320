package main

import (
	"context"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet("migrate", "Apply the database migrations the database lacks, then exit.", env)
	var db dbFlags
	db.register(fs, env)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	d, log, err := db.open(ctx, env) // migrates
	if err != nil {
		return err
	}
	d.Close()
	log.Info("database schema is up to date")
	return nil
}
