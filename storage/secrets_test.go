package storage_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/mccollough/mccollough/storage"
	"github.com/mccollough/mccollough/storage/pgtest"
)

// Replicas that ask for a secret at the same moment, on a fresh database,
// all get the same bytes, and later asks keep getting them.
func TestServerSecretIsCreatedOnceForEveryReplica(t *testing.T) {
	url := pgtest.NewURL(t)
	ctx := context.Background()
	replicas := make([]*storage.DB, 2)
	for i := range replicas {
		db, err := storage.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		replicas[i] = db
	}
	const asks = 16
	got := make([][]byte, asks)
	errs := make([]error, asks)
	var wg sync.WaitGroup
	for i := range asks {
		wg.Go(func() { got[i], errs[i] = replicas[i%2].ServerSecret(ctx, "seal", 32) })
	}
	wg.Wait()
	for i := range asks {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if len(got[i]) != 32 || !bytes.Equal(got[i], got[0]) {
			t.Fatalf("ask %d got %x, ask 0 got %x: want one 32-byte secret", i, got[i], got[0])
		}
	}
	if bytes.Equal(got[0], make([]byte, 32)) {
		t.Fatal("the secret is all zeros")
	}
	other, err := replicas[0].ServerSecret(ctx, "another", 32)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, got[0]) {
		t.Fatal("two secrets of different names are the same bytes")
	}
}
