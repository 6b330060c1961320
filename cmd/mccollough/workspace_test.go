package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

func TestResearcherAdd(t *testing.T) {
	url := pgtest.NewURL(t)
	env := []string{"DATABASE_URL=" + url}
	r := runWithStdin(t, "a long password 1\n", env, "researcher", "add", "--email", "Ada@Example.org", "--password-stdin")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "a long password") {
		t.Fatal("a password from stdin must not be echoed")
	}
	r = runWithStdin(t, "", env, "researcher", "add", "--email", "bob@example.org")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	generated := ""
	for _, line := range strings.Split(r.stdout, "\n") {
		if p, ok := strings.CutPrefix(line, "password: "); ok {
			generated = p
		}
	}
	if len(generated) < 20 {
		t.Fatalf("no generated password printed:\n%s", r.stdout)
	}
	db, err := storage.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Authenticate(context.Background(), "ada@example.org", "a long password 1"); err != nil {
		t.Fatalf("stdin password does not sign in: %v", err)
	}
	if _, err := db.Authenticate(context.Background(), "bob@example.org", generated); err != nil {
		t.Fatalf("generated password does not sign in: %v", err)
	}
	r = runWithStdin(t, "short\n", env, "researcher", "add", "--email", "carol@example.org", "--password-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "password: must be at least 10 characters") {
		t.Fatalf("short password: exit %d %s", r.code, r.stderr)
	}
	r = runWithStdin(t, "a long password 1\n", env, "researcher", "add", "--email", "ada@example.org", "--password-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate: exit %d %s", r.code, r.stderr)
	}
}

func TestExportWritesTheSameCSVAsTheServer(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	db, err := storage.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	def := experiments.Classic()
	off := false
	def.Screening = &experiments.Screening{Enabled: &off} // the trials below are the test's
	e, err := db.CreateExperiment(ctx, nil, def, storage.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	s, token, err := db.CreateSession(ctx, e, storage.NewSession{ParticipantRef: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range s.Plan.Trials[:10] {
		r := experiments.Response{Index: tr.Index, Tint: *tr.Tint, Response: "red"}
		if _, err := db.RecordTrial(ctx, s.ID, token, storage.TrialWrite{Response: r}); err != nil {
			t.Fatal(err)
		}
	}
	var want bytes.Buffer
	if err := db.ExportCSV(ctx, e.ID, storage.ExportFilter{}, &want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, book := filepath.Join(dir, "trials.csv"), filepath.Join(dir, "codebook.csv")
	r := runCmd(t, []string{"DATABASE_URL=" + url}, "export", "--experiment", "classic", "-o", out, "--codebook", book)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want.Bytes()) || bytes.Count(got, []byte("\n")) != 11 {
		t.Fatalf("export file differs from the server's CSV (%d lines)", bytes.Count(got, []byte("\n")))
	}
	if b, _ := os.ReadFile(book); !bytes.HasPrefix(b, []byte("column,type,unit,meaning")) {
		t.Fatal("no codebook written")
	}
	r = runCmd(t, []string{"DATABASE_URL=" + url}, "export", "--experiment", "nope")
	if r.code != 1 || !strings.Contains(r.stderr, `no experiment "nope"`) {
		t.Fatalf("unknown experiment: exit %d %s", r.code, r.stderr)
	}
}
