package main

import (
	"bufio"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The PyTorch column: a helper script (torch_helper.py, embedded here and
// written to a temporary directory) runs in a child process for the whole
// run. For each case, right after the Go columns, the inputs that the Go
// columns used are written to raw files, the helper times the equivalent
// torch call on them with the same protocol as measure, and answers in JSON
// on stdout. Go and torch calls thus alternate case by case on the same
// inputs; they never run at the same time.

//go:embed torch_helper.py
var torchHelper []byte

// torchArg is one input tensor of a torch call.
type torchArg struct {
	f32   []float32
	i32   []int32
	shape []int
}

func f32Arg(x []float32, shape ...int) torchArg { return torchArg{f32: x, shape: shape} }
func i32Arg(x []int32, shape ...int) torchArg   { return torchArg{i32: x, shape: shape} }

// torchCall is the torch equivalent of a case: an op of torch_helper.py's
// build() and its inputs.
type torchCall struct {
	Op     string
	Args   []torchArg
	Params map[string]float64
}

// torchPeer is the running helper, or why there is none (err).
type torchPeer struct {
	python     string
	version    string
	capability string
	blas       string
	threads    int
	err        error

	dir  string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	seq  int
	errb *strings.Builder
}

type torchHello struct {
	OK         bool   `json:"ok"`
	Error      string `json:"error"`
	Torch      string `json:"torch"`
	Threads    int    `json:"threads"`
	Capability string `json:"capability"`
	BLAS       string `json:"blas"`
	Python     string `json:"python"`
}

// pythonCandidates are tried in order when -python is not given: the first
// that imports torch wins (a pyenv or venv python3 first on PATH often lacks
// Debian's python3-torch, which lives in /usr/bin/python3).
var pythonCandidates = []string{"python3", "/usr/bin/python3"}

// startTorch starts the helper with the given interpreter (or the first
// candidate that has torch) and torch.set_num_threads(threads). It never
// fails: an unavailable torch is reported by the peer's err.
func startTorch(python string, threads int) *torchPeer {
	cands := pythonCandidates
	if python != "" {
		cands = []string{python}
	}
	var first *torchPeer
	seen := map[string]bool{}
	for _, c := range cands {
		path, err := exec.LookPath(c)
		if err != nil {
			if first == nil {
				first = &torchPeer{python: c, err: err}
			}
			continue
		}
		if real, err := filepath.EvalSymlinks(path); err == nil && seen[real] {
			continue
		} else if err == nil {
			seen[real] = true
		}
		t := startTorchWith(path, threads)
		if t.err == nil {
			return t
		}
		if first == nil {
			first = t
		}
	}
	if first == nil {
		first = &torchPeer{err: errors.New("no python3 found")}
	}
	return first
}

func startTorchWith(python string, threads int) *torchPeer {
	t := &torchPeer{python: python, errb: &strings.Builder{}}
	dir, err := os.MkdirTemp("", "simdloss-bench-torch-")
	if err != nil {
		t.err = err
		return t
	}
	t.dir = dir
	script := filepath.Join(dir, "torch_helper.py")
	if err := os.WriteFile(script, torchHelper, 0o600); err != nil {
		t.fail(err)
		return t
	}
	t.cmd = exec.Command(python, "-u", script, strconv.Itoa(threads))
	n := strconv.Itoa(threads)
	t.cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+n, "MKL_NUM_THREADS="+n, "OPENBLAS_NUM_THREADS="+n)
	t.cmd.Stderr = t.errb
	if t.in, err = t.cmd.StdinPipe(); err != nil {
		t.fail(err)
		return t
	}
	stdout, err := t.cmd.StdoutPipe()
	if err != nil {
		t.fail(err)
		return t
	}
	t.out = bufio.NewReaderSize(stdout, 1<<16)
	if err := t.cmd.Start(); err != nil {
		t.fail(err)
		return t
	}
	var h torchHello
	if err := t.read(&h); err != nil {
		t.fail(err)
		return t
	}
	if !h.OK {
		t.fail(errors.New(h.Error))
		return t
	}
	t.version, t.capability, t.blas, t.threads = h.Torch, h.Capability, h.BLAS, h.Threads
	return t
}

// fail records err and stops the helper.
func (t *torchPeer) fail(err error) {
	t.err = err
	t.close()
}

// close stops the helper and removes its directory.
func (t *torchPeer) close() {
	t.wait()
	if t.dir != "" {
		os.RemoveAll(t.dir)
		t.dir = ""
	}
}

// wait closes the helper's stdin and waits for it to exit (killing it after
// 5 s), so that its stderr has been read in full.
func (t *torchPeer) wait() {
	if t.in != nil {
		t.in.Close()
		t.in = nil
	}
	if t.cmd != nil && t.cmd.Process != nil {
		done := make(chan struct{})
		go func() { t.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.cmd.Process.Kill()
			<-done
		}
	}
	t.cmd = nil
}

// describe is the header line's account of the torch column.
func (t *torchPeer) describe() string {
	if t.err != nil {
		return "unavailable (" + t.err.Error() + ")"
	}
	return fmt.Sprintf("torch %s via %s, %d thread(s), ATen CPU capability %s, BLAS: %s", t.version, t.python, t.threads, t.capability, t.blas)
}

func (t *torchPeer) read(v any) error {
	line, err := t.out.ReadBytes('\n')
	if err != nil {
		t.wait()
		msg := strings.TrimSpace(t.errb.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			return fmt.Errorf("helper exited: %s", msg)
		}
		return fmt.Errorf("helper: %w", err)
	}
	return json.Unmarshal(line, v)
}

type torchReqArg struct {
	Path  string `json:"path"`
	Dtype string `json:"dtype"`
	Shape []int  `json:"shape"`
}

type torchRequest struct {
	Op      string             `json:"op"`
	Args    []torchReqArg      `json:"args"`
	Params  map[string]float64 `json:"params,omitempty"`
	Count   int                `json:"count"`
	MinTime float64            `json:"min_time"`
	MaxCall float64            `json:"max_call"`
	Out     string             `json:"out,omitempty"`
}

type torchReply struct {
	Error    string   `json:"error"`
	MedianNs float64  `json:"median_ns"`
	MinNs    float64  `json:"min_ns"`
	MaxNs    float64  `json:"max_ns"`
	Runs     int      `json:"runs"`
	Outputs  []string `json:"outputs"`
}

// call writes c's inputs to files, sends the request and reads the reply.
func (t *torchPeer) call(c *torchCall, count int, minTime, maxCall time.Duration, out string) (torchReply, error) {
	if t.err != nil {
		return torchReply{}, t.err
	}
	req := torchRequest{Op: c.Op, Params: c.Params, Count: count, MinTime: minTime.Seconds(), MaxCall: maxCall.Seconds(), Out: out}
	var files []string
	defer func() {
		for _, f := range files {
			os.Remove(f)
		}
	}()
	for _, a := range c.Args {
		t.seq++
		path := filepath.Join(t.dir, fmt.Sprintf("in%d.bin", t.seq))
		files = append(files, path)
		var data any = a.f32
		dtype := "float32"
		if a.i32 != nil {
			data, dtype = a.i32, "int32"
		}
		if err := writeRaw(path, data); err != nil {
			return torchReply{}, err
		}
		req.Args = append(req.Args, torchReqArg{path, dtype, a.shape})
	}
	b, err := json.Marshal(req)
	if err != nil {
		return torchReply{}, err
	}
	if _, err := t.in.Write(append(b, '\n')); err != nil {
		t.fail(fmt.Errorf("helper: %w", err))
		return torchReply{}, t.err
	}
	var r torchReply
	if err := t.read(&r); err != nil {
		t.fail(err)
		return torchReply{}, t.err
	}
	if r.Error != "" {
		return r, errors.New(r.Error)
	}
	return r, nil
}

func writeRaw(path string, data any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := binary.Write(w, binary.LittleEndian, data); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// measure times c in the helper.
func (t *torchPeer) measure(c *torchCall, count int, minTime, maxCall time.Duration) (sample, error) {
	r, err := t.call(c, count, minTime, maxCall, "")
	if err != nil {
		return sample{}, err
	}
	ns := func(f float64) time.Duration { return time.Duration(math.Round(f)) }
	return sample{ns(r.MedianNs), ns(r.MinNs), ns(r.MaxNs), r.Runs, nil}, nil
}

// compute runs c once in the helper and returns its results as out does:
// the loss first where there is one, then the outputs.
func (t *torchPeer) compute(c *torchCall) ([]float64, error) {
	t.seq++
	r, err := t.call(c, 0, 0, 0, filepath.Join(t.dir, fmt.Sprintf("out%d", t.seq)))
	if err != nil {
		return nil, err
	}
	var res []float64
	for _, p := range r.Outputs {
		b, err := os.ReadFile(p)
		os.Remove(p)
		if err != nil {
			return nil, err
		}
		for i := 0; i+4 <= len(b); i += 4 {
			res = append(res, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
		}
	}
	return res, nil
}
