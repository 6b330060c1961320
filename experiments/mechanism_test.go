package experiments

import (
	"reflect"
	"testing"
)

func TestAdaptParams(t *testing.T) {
	p := AdaptParams{Mechanism: Decorrelation}.WithDefaults()
	if p.FastTauS != DefaultFastTauS || p.FastGain != DefaultFastGain || p.SlowTauS != DefaultSlowTauS || p.SlowGain != DefaultSlowGain {
		t.Fatalf("defaults %+v", p)
	}
	if errs := p.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	fast := AdaptParams{Mechanism: FastAdaptation}.WithDefaults()
	if fast.SlowGain != 0 || fast.FastGain == 0 || !FastAdaptation.Fast() || FastAdaptation.Slow() {
		t.Errorf("fast: %+v", fast)
	}
	if none := (AdaptParams{Mechanism: NoAdaptation}).WithDefaults(); len(none.Validate()) > 0 || none != (AdaptParams{Mechanism: NoAdaptation}) {
		t.Errorf("none: %+v", none)
	}
	errs := AdaptParams{Mechanism: "suppression"}.WithDefaults().Validate()
	if len(errs) != 1 || errs[0].Field != "mechanism" || errs[0].Message != "must be decorrelation, fast, slow or none" {
		t.Errorf("unknown mechanism: %v", errs)
	}
	errs = AdaptParams{Mechanism: SlowAdaptation, SlowTauS: -1}.WithDefaults().Validate()
	if len(errs) != 1 || errs[0].Field != "slow_tau_s" {
		t.Errorf("negative time constant: %v", errs)
	}
}

func TestPopulationRuns(t *testing.T) {
	p := Population{}.WithDefaults()
	if p.Networks != DefaultNetworks || p.Seeds != 1 || len(p.Runs()) != DefaultNetworks {
		t.Fatalf("default population %+v: %d runs", p, len(p.Runs()))
	}
	runs := Population{Networks: 3, FirstNetwork: 5, Seeds: 2, FirstSeed: 10}.Runs()
	want := []ModelRun{{5, 10}, {5, 11}, {6, 12}, {6, 13}, {7, 14}, {7, 15}}
	if !reflect.DeepEqual(runs, want) {
		t.Errorf("runs %v, want %v", runs, want)
	}
	for _, tc := range []struct {
		p     Population
		field string
	}{
		{Population{Networks: MaxNetworks + 1}, "networks"},
		{Population{Seeds: MaxModelRuns + 1}, "seeds"},
		{Population{Networks: 20, Seeds: 20}, "seeds"},
		{Population{FirstNetwork: -1}, "first_network"},
		{Population{FirstSeed: -1}, "first_seed"},
	} {
		errs := tc.p.WithDefaults().Validate()
		if len(errs) != 1 || errs[0].Field != tc.field {
			t.Errorf("%+v: %v, want one error on %s", tc.p, errs, tc.field)
		}
	}
}
