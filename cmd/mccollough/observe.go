package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments/analysis"
)

func runObserve(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet("observe", "Run the machine observer (a small ConvNet with an adaptation layer) through an experiment's\n"+
		"sessions, one model participant per seed (seeds alternate between the counterbalancing arms);\n"+
		"its answers are stored beside the humans'. The pretrained network is kept in the database\n"+
		"(or --model FILE) and trained on first use.", env)
	var db dbFlags
	db.register(fs, env)
	slug := fs.String("experiment", "", "experiment `slug` (required)")
	mechanism := fs.String("mechanism", string(convnet.Decorrelation), "adaptation `mechanism`: decorrelation, suppression or none")
	seeds := fs.Int("seeds", 10, "number of model participants (`n`)")
	firstSeed := fs.Int64("first-seed", 1, "seed of the first model participant")
	retrain := fs.Bool("retrain", false, "train the network again even if a trained one is stored")
	modelFile := fs.String("model", "", "keep the trained network in this weights `file` instead of the database")
	trainSteps := fs.Int("train-steps", 0, "pretraining `steps` (0: the reference 1,500 of 32 images)")
	queue := fs.Bool("queue", false, "only queue the runs for the workers of 'serve' and exit")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	switch {
	case *slug == "":
		return usageError{"--experiment is required"}
	case *seeds < 1 || *seeds > 1000:
		return usageError{"--seeds must be from 1 to 1000"}
	}
	mech := convnet.Mechanism(*mechanism)
	if err := (convnet.AdaptParams{Mechanism: mech}).WithDefaults().Validate(); err != nil {
		return usageError{strings.TrimPrefix(err.Error(), "convnet: ")}
	}
	cfg := convnet.DefaultTrainConfig()
	if *trainSteps > 0 {
		cfg.Steps = *trainSteps
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
	seedList := make([]int64, *seeds)
	for i := range seedList {
		seedList[i] = *firstSeed + int64(i)
	}
	if *queue {
		ids, err := d.EnqueueObserverRuns(ctx, e.ID, string(mech), seedList, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "queued %d observer runs (ids %d–%d) for the workers of 'serve'\n", len(ids), ids[0], ids[len(ids)-1])
		return nil
	}

	model, err := loadModel(ctx, d.DB, cfg, *modelFile, *retrain, convnet.ProgressBar(env.stderr, cfg.Steps))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "observer %s: tint accuracy %.1f%%, pattern accuracy %.1f%% on held-out images\n",
		model.Digest(), 100*model.Metrics.TintAccuracy, 100*model.Metrics.PatternAccuracy)
	bar := progressbar.NewOptions(len(seedList), progressbar.OptionSetWriter(env.stderr),
		progressbar.OptionSetDescription("observer sessions ("+string(mech)+")"), progressbar.OptionShowCount(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(env.stderr) }))
	for _, seed := range seedList {
		sessionID, m, err := runObserver(ctx, d.DB, model, e, mech, seed, nil)
		if err != nil {
			return fmt.Errorf("seed %d: %w", seed, err)
		}
		_ = bar.Add(1)
		fmt.Fprintf(env.stdout, "seed %d: session %s (arm %d, %d trials, %.1f s)\n", seed, sessionID, m.Arm, m.Trials, m.Seconds)
	}
	return printModelEffect(ctx, env, d, e.ID, string(mech))
}

// printModelEffect reports the contingent effect of the stored model
// participants of mechanism, as the results page computes it.
func printModelEffect(ctx context.Context, env *environment, d *database, experimentID int64, mech string) error {
	parts, err := d.AnalysisParticipants(ctx, experimentID)
	if err != nil {
		return err
	}
	res := analysis.Analyze(parts, analysis.Options{Seed: experimentID})
	for _, g := range res.Groups {
		if g.Mechanism == nil || *g.Mechanism != mech {
			continue
		}
		ce := g.ContingentEffect
		if ce.Mean == nil {
			fmt.Fprintf(env.stdout, "%s: no usable contingent effect yet (%d excluded)\n", mech, g.NExcluded)
			return nil
		}
		ci := ""
		if ce.CILow != nil && ce.CIHigh != nil {
			ci = fmt.Sprintf(", 95%% CI [%.2f, %.2f]", *ce.CILow, *ce.CIHigh)
		}
		unit := g.Unit
		if g.N != 1 {
			unit += "s"
		}
		fmt.Fprintf(env.stdout, "%s (n = %d %s, %d sessions): contingent effect %.2f a*%s\n", mech, g.N, unit, g.NSessions, *ce.Mean, ci)
	}
	return nil
}
