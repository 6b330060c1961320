// Package convnet is the machine observer: a small ConvNet (gorgonia) that
// takes part in the same McCollough-effect sessions as human participants
// — the same plans, the same stimuli (rendered by package stimuli), answers
// through the same storage path — so that human and machine perception can
// be compared on one dataset (DESIGN.md §6).
//
// # The network
//
// Input: stimuli.Tensor at 64×64 with the human stimulus' cycles per image
// (RefSizePx = the definition's size_px), recoded by a fixed retina-like
// transform into a luminance and two colour-opponent channels
// (toOpponent). Then conv 5×5×8 → ReLU → maxpool 2 → conv 5×5×16 → ReLU →
// maxpool 2 → fully connected 32 with ReLU, the feature layer → the
// adaptation layer → two heads: tint (P(red)) and pattern (kind ×
// orientation bin, PatternClasses). Every layer is split into a colour
// stream and a form stream (Arch.Streams, see DefaultArch for why): the
// tint head reads the 16 colour units, the pattern head the 16 form units.
//
// Pretraining (Train, "a lifetime of experience") draws random patterns of
// every kind, orientation, period, phase and duty with an independent
// random colour (Distribution), and minimises tint cross-entropy (soft
// labels σ(a*/1.5), log-odds bounded at ±4) plus pattern cross-entropy
// with Adam. It is a pure function of its TrainConfig: weights are
// initialised from the seed, batches come from a seeded PCG stream, and
// every reduction runs in a fixed order, so the same config gives
// bit-identical weights on machines that use the same convolution
// kernels (CPUKernels; the tests check a fresh training against
// testdata/networks/seed-1.bin). Models are saved with the config that
// made them (weights.go) and reused by LoadOrTrain. A population of
// observers is networks of the same config with different seeds.
//
// # The adaptation layer and the observer
//
// Between the feature layer and the heads sits an adaptation layer that
// backprop never trains (adapt.go): it learns which colour goes with which
// form while the observer looks and subtracts that prediction from the
// colour units, in a fast component (τ ≈ 30 s, decays with rest) and a
// slow one (grows with induction, persists through rest, unlearnt by
// testing); experiments.Mechanism chooses both, one or none. An Observer
// (Model.NewObserver) owns one such layer, a simulated clock and a seeded
// answer generator; it runs a session plan (Observer.Run) as a browser
// would, adapting one step per 100 ms (StepDuration) of anything it looks
// at, test trials included.
//
// The network up to the feature layer never changes after pretraining, so
// the Model computes the features of each distinct image once (cached) and
// observers apply their adaptation layer and the two small heads in plain
// Go: a whole session takes milliseconds.
//
// # Speed
//
// gorgonia's Conv2d spends most of a training step on im2col buffers
// (allocated and zeroed anew every run), transposes and matrix products
// with rows too short for gonum's SIMD kernels. conv.go replaces it with a
// gorgonia Op (grouped convolution + ReLU + max-pooling, with its
// gradients as Ops) over whole padded planes, parallel over the images of
// a batch, whose inner loops (kernels.go) keep each output in registers
// across all K×K taps with AVX2/FMA where the CPU has them
// (kernels_amd64.s) and are loops of gonum's kernels elsewhere (or with
// the purego build tag). The graph and its tape machine are built once and
// fed in place, and the next batch is rendered while the current one
// trains. See bench_test.go for the benchmarks and BENCHMARKS.md for the
// comparison with PyTorch.
package convnet
