package main

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/mccollough/mccollough/storage"
)

func runExport(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet("export", "Write an experiment's trials as CSV (the same file as the export button), straight from the\n"+
		"local database: operator access, no sign-in.", env)
	var db dbFlags
	db.register(fs, env)
	slug := fs.String("experiment", "", "experiment `slug` (required)")
	out := fs.String("o", "", "output `file` (default: standard output)")
	kind := fs.String("kind", "", "only `human` or model participants")
	status := fs.String("status", "", "only sessions with this `status` (e.g. complete)")
	codebook := fs.String("codebook", "", "also write the codebook (column, type, unit, meaning) to this `file`")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *slug == "" {
		return usageError{"--experiment is required"}
	}
	filter := storage.ExportFilter{Kind: *kind, Status: *status}
	if errs := filter.Validate(); len(errs) > 0 {
		return usageError{errs.Error()}
	}
	d, _, err := db.open(ctx, env)
	if err != nil {
		return err
	}
	defer d.Close()
	e, err := d.ExperimentBySlug(ctx, *slug)
	if err != nil {
		return err
	}
	if *out == "" {
		if err := d.ExportCSV(ctx, e.ID, filter, env.stdout); err != nil {
			return err
		}
	} else if err := exportToFile(ctx, d, e.ID, filter, *out); err != nil {
		return err
	}
	if *codebook != "" {
		f, err := os.Create(*codebook)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := storage.WriteCodebook(f, storage.ExportVariables()); err != nil {
			return err
		}
	}
	if *out != "" {
		fmt.Fprintf(env.stderr, "wrote %s\n", *out)
	}
	return nil
}

func exportToFile(ctx context.Context, d *database, experimentID int64, filter storage.ExportFilter, name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	if err := d.ExportCSV(ctx, experimentID, filter, buf); err != nil {
		f.Close()
		return err
	}
	if err := buf.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
