// Package experiments is the domain of the McCollough platform: experiment
// definitions and their validation, the reproducible session plan built from
// a definition, a seed and a counterbalancing arm, the adaptive test methods
// (staircase, adjustment) as pure rules over stored responses, and the one
// domain error type.
//
// It imports no web, database or ML library: the server, storage and the
// ConvNet observer all call into it, so a human in a browser and the machine
// observer run literally the same plan over the same stimuli.
package experiments
