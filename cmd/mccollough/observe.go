package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/mccollough/mccollough/convnet"
	"github.com/mccollough/mccollough/experiments"
	"github.com/mccollough/mccollough/experiments/analysis"
)

func runObserve(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet("observe", "Run the machine observer (a small ConvNet with an adaptation layer) through an experiment's\n"+
		"sessions: a population of --networks networks, each pretrained from its own seed, one model participant\n"+
		"each (--seeds more sessions per network only resample the same network's answers). Session seeds\n"+
		"alternate between the counterbalancing arms; the answers are stored beside the humans'. Every network\n"+
		"is kept in the database (or --model-dir) once pretrained, and pretrained on first use.", env)
	var db dbFlags
	db.register(fs, env)
	slug := fs.String("experiment", "", "experiment `slug` (required)")
	mechanism := fs.String("mechanism", string(experiments.Decorrelation), "adaptation `mechanism`: "+experiments.MechanismNames())
	networks := fs.Int("networks", experiments.DefaultNetworks, "number of networks (`n`), each pretrained from its own seed: one observer each")
	firstNetwork := fs.Int64("first-network", 1, "pretraining seed of the first network")
	seeds := fs.Int("seeds", 1, "model participants (sessions) per network (`n`): their plans and sampled answers differ, the observer does not")
	firstSeed := fs.Int64("first-seed", 1, "seed of the first session (the others follow consecutively)")
	retrain := fs.Bool("retrain", false, "pretrain the networks again even if they are stored")
	modelDir := fs.String("model-dir", "", "keep the pretrained networks in this `folder` (seed-N.bin) instead of the database")
	trainSteps := fs.Int("train-steps", 0, "pretraining `steps` (0: the reference 1,500 of 32 images)")
	queue := fs.Bool("queue", false, "only queue the runs for the workers of 'serve' and exit")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	pop := experiments.Population{Networks: *networks, FirstNetwork: *firstNetwork, Seeds: *seeds, FirstSeed: *firstSeed}
	params := experiments.AdaptParams{Mechanism: experiments.Mechanism(*mechanism)}.WithDefaults()
	switch errs := append(params.Validate(), pop.Validate()...); {
	case *slug == "":
		return usageError{"--experiment is required"}
	case len(errs) > 0:
		return usageError{"--" + strings.ReplaceAll(errs[0].Field, "_", "-") + " " + errs[0].Message}
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
	runs := pop.Runs()
	if *queue {
		ids, err := d.EnqueueObserverRuns(ctx, e.ID, string(params.Mechanism), runs, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "queued %d observer runs (ids %d–%d) for the workers of 'serve'\n", len(ids), ids[0], ids[len(ids)-1])
		return nil
	}

	netSeeds := make([]int64, pop.Networks)
	for k := range netSeeds {
		netSeeds[k] = pop.FirstNetwork + int64(k)
	}
	nets, err := loadNetworks(ctx, d.DB, cfg, netSeeds, *modelDir, *retrain, env.stderr)
	if err != nil {
		return err
	}
	bar := progressbar.NewOptions(len(runs), progressbar.OptionSetWriter(env.stderr),
		progressbar.OptionSetDescription("observer sessions ("+string(params.Mechanism)+")"), progressbar.OptionShowCount(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(env.stderr) }))
	for _, run := range runs {
		model := nets[run.Network-pop.FirstNetwork]
		sessionID, m, err := runObserver(ctx, d.DB, model, e, params.Mechanism, run.Seed, nil)
		if err != nil {
			return fmt.Errorf("network %d, seed %d: %w", run.Network, run.Seed, err)
		}
		_ = bar.Add(1)
		fmt.Fprintf(env.stdout, "network %d (%s), seed %d: session %s (arm %d, %d trials, %.1f s)\n",
			run.Network, model.Digest(), run.Seed, sessionID, m.Arm, m.Trials, m.Seconds)
	}
	return printModelEffect(ctx, env, d, e.ID, string(params.Mechanism))
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
