package app

import (
	"errors"
	"fmt"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/oodgpu/oodgpu/data"
)

// await blocks until the JavaScript promise p settles. Call it from a goroutine (ctx.Async):
// the browser's event loop runs while it waits.
func await(p goapp.Value) (goapp.Value, error) {
	type settled struct {
		v   goapp.Value
		err error
	}
	ch := make(chan settled, 1)
	resolve := goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		var v goapp.Value
		if len(args) > 0 {
			v = args[0]
		}
		ch <- settled{v: v}
		return nil
	})
	defer resolve.Release()
	reject := goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		msg := "promise rejected"
		if len(args) > 0 && args[0].Truthy() {
			msg = args[0].Call("toString").String()
		}
		ch <- settled{err: errors.New(msg)}
		return nil
	})
	defer reject.Release()
	p.Call("then", resolve, reject)
	s := <-ch
	return s.v, s.err
}

// nextFrame waits until the browser is about to draw its next frame. Call it from a goroutine.
func nextFrame() {
	drawn := make(chan struct{})
	f := goapp.FuncOf(func(goapp.Value, []goapp.Value) any {
		close(drawn)
		return nil
	})
	defer f.Release()
	goapp.Window().Call("requestAnimationFrame", f)
	<-drawn
}

// blankFile is the warm-up's image file for the model info describes (blankPNG) as an
// ArrayBuffer, read from a Blob as a dropped file is read (readStream), so that the warm-up runs
// that code too.
func blankFile(info ModelInfo) (goapp.Value, error) {
	b, err := blankPNG(data.Shape{H: info.Height, W: info.Width, C: info.Channels})
	if err != nil {
		return nil, err
	}
	arr := goapp.Window().Get("Uint8Array").New(len(b))
	goapp.CopyBytesToJS(arr, b)
	blob := goapp.Window().Get("Blob").New([]any{arr})
	return readStream(blob.Call("stream"), data.MaxImageFileBytes)
}

// bytesOf copies a JavaScript ArrayBuffer of n bytes into Go.
func bytesOf(buf goapp.Value, n int) []byte {
	b := make([]byte, n)
	goapp.CopyBytesToGo(b, goapp.Window().Get("Uint8Array").New(buf))
	return b
}

// fetchBytes downloads url, refusing bodies over limit bytes.
func fetchBytes(url string, limit int) ([]byte, error) {
	buf, err := fetchBuffer(url, limit)
	if err != nil {
		return nil, err
	}
	return bytesOf(buf, buf.Get("byteLength").Int()), nil
}

// fetchBuffer downloads url into a JavaScript ArrayBuffer, refusing bodies over limit bytes.
func fetchBuffer(url string, limit int) (goapp.Value, error) {
	resp, err := await(goapp.Window().Call("fetch", url))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("fetching %s: HTTP %d %s", url, resp.Get("status").Int(), resp.Get("statusText").String())
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if n := buf.Get("byteLength").Int(); n > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than %d", url, n, limit)
	}
	return buf, nil
}

// droppedFile is a File the user picked or dropped, held until it is read, or an example image
// served at url.
type droppedFile struct {
	name string
	file goapp.Value
	url  string
}

// filesOf lists a FileList. It must run in the event handler: a drop's files are only readable
// while the event is dispatched. It reads their names alone: the rest waits for buffer, out of
// the handler's task.
func filesOf(list goapp.Value) []droppedFile {
	if !list.Truthy() {
		return nil
	}
	out := make([]droppedFile, list.Length())
	for i := range out {
		f := list.Index(i)
		out[i] = droppedFile{name: f.Get("name").String(), file: f}
	}
	return out
}

// buffer returns the file's bytes as a JavaScript ArrayBuffer (downloading an example), refusing
// files larger than data.MaxImageFileBytes without reading more. A picked or dropped file is
// read as a stream: asking a File for its size can hold up the page's thread while the browser
// looks the file up, so it is asked only of a file too large.
func (f droppedFile) buffer() (goapp.Value, error) {
	if f.url != "" {
		return fetchBuffer(f.url, data.MaxImageFileBytes)
	}
	buf, err := readStream(f.file.Call("stream"), data.MaxImageFileBytes)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, fmt.Errorf("%d MB is too large (the limit is %d MB)", f.file.Get("size").Int()>>20, data.MaxImageFileBytes>>20)
	case err != nil:
		return nil, fmt.Errorf("reading it: %w", err)
	}
	return buf, nil
}

// errTooLarge is readStream's error for a stream longer than its limit.
var errTooLarge = errors.New("too large")

// readStream reads a ReadableStream of bytes into an ArrayBuffer, cancelling it once it has
// given more than limit bytes (errTooLarge).
func readStream(stream goapp.Value, limit int) (goapp.Value, error) {
	reader := stream.Call("getReader")
	var chunks []goapp.Value
	n := 0
	for {
		res, err := await(reader.Call("read"))
		if err != nil {
			return nil, err
		}
		if res.Get("done").Bool() {
			break
		}
		chunk := res.Get("value")
		if n += chunk.Get("byteLength").Int(); n > limit {
			reader.Call("cancel")
			return nil, errTooLarge
		}
		chunks = append(chunks, chunk)
	}
	all := goapp.Window().Get("Uint8Array").New(n)
	at := 0
	for _, c := range chunks {
		all.Call("set", c, at)
		at += c.Get("byteLength").Int()
	}
	return all.Get("buffer"), nil
}

// dropZone is the state of a page's drop area, whether files are being dragged over it. The
// pages embed it and hand the files dropped or picked to their own handler.
type dropZone struct{ dragging bool }

// dropClass is the drop area's CSS class, highlighted while files are dragged over it.
func (d *dropZone) dropClass() string {
	if d.dragging {
		return "drop dragging"
	}
	return "drop"
}

func (d *dropZone) onDragOver(_ goapp.Context, e goapp.Event) {
	e.PreventDefault()
	d.dragging = true
}

func (d *dropZone) onDragLeave(goapp.Context, goapp.Event) { d.dragging = false }

// dropped ends a drag over the zone and returns the files of the drop event e.
func (d *dropZone) dropped(e goapp.Event) []droppedFile {
	e.PreventDefault()
	d.dragging = false
	return filesOf(e.Get("dataTransfer").Get("files"))
}

// picked returns the files chosen in the file input that fired ctx's event and clears it, so
// that picking the same files again fires another change.
func picked(ctx goapp.Context) []droppedFile {
	files := filesOf(ctx.JSSrc().Get("files"))
	ctx.JSSrc().Set("value", "")
	return files
}
