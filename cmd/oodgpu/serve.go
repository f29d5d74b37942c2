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

	"github.com/oodgpu/oodgpu/models/zoo"
	"github.com/oodgpu/oodgpu/scorer"
	"github.com/oodgpu/oodgpu/webapp"
)

// webFlags are the flags shared by serve and site: the model and where app.wasm is.
type webFlags struct {
	modelPath string
	webDir    string
}

func (f *webFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.modelPath, "model", "", "weight file with a fitted detector (default: the embedded FashionMNIST Glow)")
	cmd.Flags().StringVar(&f.webDir, "web", "web", "folder holding app.wasm (make wasm builds web/app.wasm)")
}

// options loads the model and its bytes for the web app.
func (f *webFlags) options() (webapp.Options, error) {
	o := webapp.Options{WebDir: f.webDir}
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

func newServeCmd() *cobra.Command {
	var (
		dev      deviceFlags
		web      webFlags
		addr     string
		uploadMB int
		timeout  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the browser app and the scoring API (POST /api/score)",
		Long: "Serves the app's pages (scoring on the browser's WebGPU adapter, or on the CPU in\n" +
			"WebAssembly), its static assets and an HTTP API: POST /api/score takes image files as\n" +
			"multipart/form-data (query: batch, seed) and answers JSON. app.wasm is a build output:\n" +
			"`make serve` builds it and serves.",
		Example: "  make wasm && oodgpu serve --addr 127.0.0.1:8080\n" +
			"  curl -F image=@examples/mnist-test-0.png http://127.0.0.1:8080/api/score",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := web.options()
			if err != nil {
				return err
			}
			if o.Exec, err = dev.executor(cmd.ErrOrStderr()); err != nil {
				return err
			}
			o.MaxUploadBytes = int64(uploadMB) << 20
			o.ScoreTimeout = timeout
			webapp.Routes()
			h, err := webapp.NewServer(o)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
				WriteTimeout: timeout + time.Minute, IdleTimeout: 2 * time.Minute}
			if err := webapp.CheckWasm(web.webDir); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "oodgpu: the app's pages need app.wasm, and %v; the API works without it\n", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "oodgpu: serving http://%s (model %s, API on %s)\n", ln.Addr(), o.Model.Name, o.Exec.Name())
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
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
		},
	}
	dev.register(cmd)
	web.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.IntVar(&uploadMB, "max-upload-mb", 64, "largest POST /api/score body, in MiB")
	fl.DurationVar(&timeout, "timeout", 2*time.Minute, "longest scoring time of one API request")
	return cmd
}

func newSiteCmd() *cobra.Command {
	var (
		web webFlags
		out string
	)
	cmd := &cobra.Command{
		Use:   "site",
		Short: "Write the browser app as a static website (no server needed; scoring runs in the browser)",
		Example: "  make wasm && oodgpu site --out dist\n" +
			"  python3 -m http.server -d dist 8000   # or any static host",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := web.options()
			if err != nil {
				return err
			}
			webapp.Routes()
			if err := webapp.BuildSite(out, o); err != nil {
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
