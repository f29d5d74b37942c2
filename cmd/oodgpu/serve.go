package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/oodgpu/oodgpu/app"
	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
)

// webFlags are the flags shared by serve and site: the model and where app.wasm is.
type webFlags struct {
	modelPath string
	webDir    string
	zooDir    string
}

func (f *webFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.modelPath, "model", "", "weight file with a fitted detector (default: the embedded FashionMNIST Glow)")
	cmd.Flags().StringVar(&f.webDir, "web", "web", "folder holding app.wasm (make wasm builds web/app.wasm)")
	cmd.Flags().StringVar(&f.zooDir, "zoo", "models/zoo", "folder of further weight files the page offers beside --model (none when missing)")
}

// options loads the model and its bytes for the web app.
func (f *webFlags) options() (app.Options, error) {
	o := app.Options{WebDir: f.webDir, ZooDir: f.zooDir}
	if f.modelPath == "" {
		o.ModelBytes = zoo.DefaultBytes()
		m, err := scorer.Decode(zoo.DefaultName, o.ModelBytes)
		o.Model = m
		return o, err
	}
	b, err := os.ReadFile(f.modelPath)
	if err != nil {
		return o, err
	}
	o.ModelBytes = b
	o.Model, err = scorer.Decode(f.modelPath, b)
	return o, err
}

// serveFlags are serve's own flags.
type serveFlags struct {
	addr         string
	uploadMB     int
	timeout      time.Duration
	queue        int
	allowOrigins []string
	allowHosts   []string
	maxImageMB   int
}

func (f *serveFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.IntVar(&f.uploadMB, "max-upload-mb", 64, "largest POST /api/score body, in MiB")
	fl.DurationVar(&f.timeout, "timeout", app.DefaultScoreTimeout,
		"longest time one API request may spend decoding and scoring its images, counted from when it leaves the queue (0: no limit, and no write timeout either)")
	fl.IntVar(&f.queue, "queue", app.DefaultMaxQueue,
		"API requests that may wait while another is scored; beyond them a request is answered 503 with Retry-After at once (0: none wait)")
	registerMaxImageMB(cmd, &f.maxImageMB)
	fl.StringArrayVar(&f.allowOrigins, "allow-origin", nil,
		"let web pages of this origin (scheme://host[:port]) POST to the API; repeatable; * allows every origin "+
			"(by default only this server's own pages may, and requests without an Origin header, as curl sends, always may)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil,
		"when listening on a loopback address, also answer requests whose Host header names this host; repeatable; * answers any "+
			"(by default only localhost and loopback addresses, which stops DNS rebinding)")
}

// options sets o's API limits and checks from the flags.
func (f *serveFlags) options(o *app.Options) error {
	switch {
	case f.uploadMB < 1:
		return fmt.Errorf("--max-upload-mb %d: want a positive size", f.uploadMB)
	case f.timeout < 0:
		return fmt.Errorf("--timeout %v: want 0 (no limit) or a positive duration", f.timeout)
	case f.queue < 0:
		return fmt.Errorf("--queue %d: want 0 (none wait) or more", f.queue)
	}
	lim, err := decodeLimits(f.maxImageMB)
	if err != nil {
		return err
	}
	o.DecodeLimits = lim
	o.MaxUploadBytes = int64(f.uploadMB) << 20
	o.ScoreTimeout = f.timeout
	o.MaxQueue = f.queue
	if f.queue == 0 {
		o.MaxQueue = -1 // app.Options: negative means none wait
	}
	o.AllowOrigins, o.AllowHosts = f.allowOrigins, f.allowHosts
	return nil
}

func newServeCmd() *cobra.Command {
	var (
		dev   deviceFlags
		web   webFlags
		serve serveFlags
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the browser app and the scoring API (POST /api/score)",
		Long: "Serves the app's pages (scoring on the browser's WebGPU adapter, or on the CPU in\n" +
			"WebAssembly), its static assets and an HTTP API: POST /api/score takes image files as\n" +
			"multipart/form-data (query: batch, seed) and answers JSON. Requests are scored one at a\n" +
			"time; --queue more may wait. Web pages of other origins may not POST (--allow-origin),\n" +
			"and on a loopback address only localhost names are answered (--allow-host). app.wasm is\n" +
			"a build output: `make serve` builds it and serves.",
		Example: "  make wasm && oodgpu serve --addr 127.0.0.1:8080\n" +
			"  curl -F image=@examples/mnist-test-1.png http://127.0.0.1:8080/api/score",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := web.options()
			if err != nil {
				return err
			}
			if o.Exec, err = dev.executor(cmd.ErrOrStderr()); err != nil {
				return err
			}
			if err := serve.options(&o); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", serve.addr)
			if err != nil {
				return err
			}
			defer ln.Close()
			o.Addr = ln.Addr().String()
			app.Routes()
			h, err := app.NewServer(o)
			if err != nil {
				return err
			}
			if err := app.CheckWasm(web.webDir); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "oodgpu: the app's pages need app.wasm, and %v; the API works without it\n", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "oodgpu: serving http://%s (model %s, API on %s)\n", ln.Addr(), o.Model.Name, o.Exec.Name())
			return serveUntilInterrupt(cmd.Context(), app.NewHTTPServer(h, o.ScoreTimeout), ln)
		},
	}
	dev.register(cmd)
	web.register(cmd)
	serve.register(cmd)
	return cmd
}

// serveUntilInterrupt serves on ln until an interrupt, then shuts the server down.
func serveUntilInterrupt(ctx context.Context, srv *http.Server, ln net.Listener) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func newSiteCmd() *cobra.Command {
	var (
		web webFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "site",
		Short: "Write the browser app as a static website (no server needed; scoring runs in the browser)",
		Long: "Writes the app's pages and go-app's scripts, and under web/ app.wasm, the worker's script and the\n" +
			"weight files under content-hashed names (app.<hash>.wasm: a host may serve them as immutable),\n" +
			"with the model list, style, icons and examples. Beside every file but the images go its .gz and\n" +
			".br forms, for hosts that serve precompressed files (brotli at its best for app.wasm: this\n" +
			"takes a while).",
		Example: "  make wasm && oodgpu site --out dist\n" +
			"  python3 -m http.server -d dist 8000   # or any static host",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := web.options()
			if err != nil {
				return err
			}
			app.Routes()
			if err := app.BuildSite(out, o); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote the static site to %s\n", out)
			return nil
		},
	}
	web.register(cmd)
	cmd.Flags().StringVar(&out, "out", "dist", "folder to write the site into")
	return cmd
}
