package convnet

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ProgressBar returns a Progress that draws a terminal progress bar on w
// for a training of total steps, described with the running loss and tint
// accuracy (exponential moving averages over about 50 steps, since single
// batches of 32 are noisy). It finishes the bar at the last step.
func ProgressBar(w io.Writer, total int) Progress {
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("pretraining"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	const a = 0.04
	var loss, acc float64
	return func(step int, l, c float64) {
		if step <= 1 {
			loss, acc = l, c
		} else {
			loss += a * (l - loss)
			acc += a * (c - acc)
		}
		bar.Describe(fmt.Sprintf("pretraining: loss %.3f, tint accuracy %.1f%%", loss, 100*acc))
		_ = bar.Set(step)
		if step >= total {
			_ = bar.Finish()
		}
	}
}
