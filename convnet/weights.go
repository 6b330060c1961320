package convnet

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
)

// The weights file is self-describing and versioned:
//
//	line 1   "mccollough-convnet <FileFormat>\n"
//	line 2   the JSON header (fileHeader) on one line, then "\n"
//	rest     every parameter's float32 values, little-endian, in the
//	         header's order and shapes
//
// The header holds the training config (how the weights were made), the
// architecture, the parameter names and shapes, the held-out metrics, the
// feature statistics and the SHA-256 of the binary part, so a truncated or
// edited file is refused rather than silently mis-read.
const (
	fileMagic = "mccollough-convnet"
	// FileFormat is the version of the weights file layout. Bump it on any
	// incompatible change; Load refuses other versions.
	FileFormat = 1
)

type fileHeader struct {
	Format  int          `json:"format"`
	Train   TrainConfig  `json:"train"`
	Params  []Param      `json:"params"`
	Metrics Metrics      `json:"metrics"`
	Stats   FeatureStats `json:"feature_stats"`
	SHA256  string       `json:"sha256"`
}

// WriteTo writes the model in the weights file format.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var blob bytes.Buffer
	for _, p := range m.Weights {
		if err := binary.Write(&blob, binary.LittleEndian, p.Data); err != nil {
			return 0, err
		}
	}
	sum := sha256.Sum256(blob.Bytes())
	h := fileHeader{Format: FileFormat, Train: m.Train, Params: m.Weights, Metrics: m.Metrics, Stats: m.Stats, SHA256: hex.EncodeToString(sum[:])}
	hj, err := json.Marshal(h)
	if err != nil {
		return 0, err
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%s %d\n", fileMagic, FileFormat)
	out.Write(hj)
	out.WriteByte('\n')
	out.Write(blob.Bytes())
	return out.WriteTo(w)
}

// Save writes the model to path atomically (a temporary file renamed over
// it), so a crash never leaves half a weights file behind.
func (m *Model) Save(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".convnet-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := m.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// ReadModel reads a model in the weights file format.
func ReadModel(r io.Reader) (*Model, error) {
	br := bufio.NewReader(r)
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("convnet: not a weights file: %w", err)
	}
	var magic string
	var format int
	if _, err := fmt.Sscanf(line, "%s %d\n", &magic, &format); err != nil || magic != fileMagic {
		return nil, errors.New("convnet: not a weights file (bad first line)")
	}
	if format != FileFormat {
		return nil, fmt.Errorf("convnet: weights file format %d, this build reads %d (retrain)", format, FileFormat)
	}
	hj, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("convnet: weights file header: %w", err)
	}
	var h fileHeader
	if err := json.Unmarshal(hj, &h); err != nil {
		return nil, fmt.Errorf("convnet: weights file header: %w", err)
	}
	if err := h.Train.Validate(); err != nil {
		return nil, err
	}
	want := paramShapes(h.Train.Arch)
	if len(h.Params) != len(want) {
		return nil, fmt.Errorf("convnet: weights file has %d parameters, the architecture %d", len(h.Params), len(want))
	}
	blob, err := io.ReadAll(br)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(blob)
	if hex.EncodeToString(sum[:]) != h.SHA256 {
		return nil, errors.New("convnet: weights file is corrupt (checksum mismatch)")
	}
	off := 0
	for i := range want {
		p := h.Params[i]
		if p.Name != want[i].Name || !reflect.DeepEqual(p.Shape, want[i].Shape) {
			return nil, fmt.Errorf("convnet: weights file parameter %d is %s%v, want %s%v", i, p.Name, p.Shape, want[i].Name, want[i].Shape)
		}
		n := numel(p.Shape)
		if off+4*n > len(blob) {
			return nil, errors.New("convnet: weights file is truncated")
		}
		want[i].Data = make([]float32, n)
		for j := range n {
			want[i].Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(blob[off+4*j:]))
		}
		off += 4 * n
	}
	if off != len(blob) {
		return nil, errors.New("convnet: weights file has trailing data")
	}
	nf := h.Train.Arch.Features
	if len(h.Stats.Mean) != nf || len(h.Stats.SD) != nf {
		return nil, errors.New("convnet: weights file lacks the feature statistics")
	}
	return &Model{Train: h.Train, Weights: want, Stats: h.Stats, Metrics: h.Metrics, digest: h.SHA256}, nil
}

// Load reads a model from a weights file.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ReadModel(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// LoadOrTrain returns the model saved at path when it was trained with
// exactly cfg, and otherwise trains one with cfg and saves it there. With
// retrain it always trains (the CLI's --retrain). A file trained with a
// different config is replaced, never silently used.
func LoadOrTrain(ctx context.Context, path string, cfg TrainConfig, retrain bool, progress Progress) (m *Model, trained bool, err error) {
	if !retrain {
		m, err := Load(path)
		switch {
		case err == nil && reflect.DeepEqual(m.Train, cfg):
			return m, false, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			// An unreadable or old-format file: retrain over it.
		}
	}
	m, err = Train(ctx, cfg, progress)
	if err != nil {
		return nil, false, err
	}
	if err := m.Save(path); err != nil {
		return nil, true, err
	}
	return m, true, nil
}

// Digest identifies the weights: the SHA-256 (hex, first 16 digits) of
// their binary form. Observer results name the model by it.
func (m *Model) Digest() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.digest == "" {
		h := sha256.New()
		for _, p := range m.Weights {
			binary.Write(h, binary.LittleEndian, p.Data)
		}
		m.digest = hex.EncodeToString(h.Sum(nil))
	}
	return m.digest[:16]
}
