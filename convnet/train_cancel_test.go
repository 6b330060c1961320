package convnet

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// TestTrainCancelledAtRandomPoints: cancelling Train at any moment makes
// it return the context's error (it used to block forever about once in
// 40 cancellations: the batch producer returned on ctx.Done() without
// closing its channel while the training loop waited on it). Cancellation
// comes from the progress callback at a random step, and from another
// goroutine after a random delay, which can land anywhere: before the
// first batch, between the loop's check and its receive, during the
// held-out measurement.
func TestTrainCancelledAtRandomPoints(t *testing.T) {
	cfg := tinyConfig()
	r := rand.New(rand.NewPCG(17, 1))
	const runs = 300
	for i := range runs {
		ctx, cancel := context.WithCancel(context.Background())
		var progress Progress
		if i%3 == 0 {
			at := 1 + r.IntN(cfg.Steps)
			progress = func(step int, _, _ float64) {
				if step == at {
					cancel()
				}
			}
		} else {
			time.AfterFunc(time.Duration(r.IntN(4000))*time.Microsecond, cancel)
		}
		done := make(chan error, 1)
		go func() {
			_, err := Train(ctx, cfg, progress)
			done <- err
		}()
		// A generous bound only so that a regression fails with a message
		// instead of hanging the test binary; no speed is asserted.
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Fatalf("run %d: Train = %v, want nil or context.Canceled", i, err)
			}
			if err == nil && i%3 == 0 {
				t.Fatalf("run %d: cancelled from the progress callback, Train still returned a model", i)
			}
		case <-time.After(time.Minute):
			t.Fatalf("run %d: Train did not return after cancellation", i)
		}
		cancel()
	}
}
