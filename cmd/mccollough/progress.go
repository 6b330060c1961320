package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/mccollough/mccollough/convnet"
)

// pretrainBars shows the pretraining of a population's networks on w
// (stderr): on a terminal one progress bar per network, networks training
// side by side each redrawn on its own line; elsewhere (a log, a pipe)
// one line per network when it is ready. mpb (vbauerster/mpb) is a
// maintained library built for several concurrent bars; schollz/
// progressbar, which draws a single bar per writer, is kept for the one
// bar of the observer sessions.
type pretrainBars struct {
	p     *mpb.Progress // nil: plain lines on w
	w     io.Writer
	lines sync.Mutex
}

func newPretrainBars(w io.Writer) *pretrainBars {
	pb := &pretrainBars{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pb.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	}
	return pb
}

// networkBar is one network's bar: its training progress and, when it
// is done, where the weights came from.
type networkBar struct {
	pb     *pretrainBars
	name   string
	bar    *mpb.Bar
	mu     sync.Mutex
	status string
}

// add starts a bar for a network of steps pretraining steps.
func (pb *pretrainBars) add(name string, steps int) *networkBar {
	nb := &networkBar{pb: pb, name: name, status: "waiting"}
	if pb.p == nil {
		return nb
	}
	nb.bar = pb.p.AddBar(int64(steps),
		mpb.PrependDecorators(
			decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace}),
			decor.CountersNoUnit("%d/%d steps", decor.WCSyncWidth),
		),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			nb.mu.Lock()
			defer nb.mu.Unlock()
			return nb.status
		})),
	)
	return nb
}

// progress is the convnet.Progress of the bar's training: the step, with
// the running loss and tint accuracy (exponential moving averages over
// about 50 steps, since single batches of 32 are noisy).
func (nb *networkBar) progress() convnet.Progress {
	if nb.bar == nil {
		return nil
	}
	const a = 0.04
	var loss, acc float64
	return func(step int, l, c float64) {
		if step <= 1 {
			loss, acc = l, c
		} else {
			loss += a * (l - loss)
			acc += a * (c - acc)
		}
		nb.set(fmt.Sprintf("loss %.3f, tint accuracy %.1f%%", loss, 100*acc))
		nb.bar.SetCurrent(int64(step))
	}
}

func (nb *networkBar) set(status string) {
	nb.mu.Lock()
	nb.status = status
	nb.mu.Unlock()
}

// done completes the bar with a final status (also for a network that
// was loaded, not trained), or aborts it on err.
func (nb *networkBar) done(status string, err error) {
	if err != nil {
		status = "failed: " + err.Error()
	}
	if nb.bar == nil {
		nb.pb.lines.Lock()
		fmt.Fprintf(nb.pb.w, "%s: %s\n", nb.name, status)
		nb.pb.lines.Unlock()
		return
	}
	nb.set(status)
	if err != nil {
		nb.bar.Abort(false)
	} else {
		nb.bar.SetTotal(-1, true)
	}
}

// wait waits for every bar to finish drawing.
func (pb *pretrainBars) wait() {
	if pb.p != nil {
		pb.p.Wait()
	}
}
