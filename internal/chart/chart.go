// Package chart draws the simple line and bar charts llmparts writes as PNG
// or SVG files (loss curves, RoPE decay, benchmark ratios). It is a thin
// wrapper over gonum.org/v1/plot so every command draws the same way.
package chart

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Series is one named line: X and Y must have the same length. Lo and Hi,
// when set (both, of X's length), draw a translucent band of the line's
// colour between them, e.g. the min–max range over several runs.
type Series struct {
	Name   string
	X, Y   []float64
	Lo, Hi []float64
}

// Line describes a line chart.
type Line struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Series                []Series
	// LegendBottomLeft moves the legend from the top right corner to the
	// bottom left one (for lines that fall from the top left).
	LegendBottomLeft bool
}

var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
}

// Save writes the chart to path; the extension (.png, .svg, .pdf) picks the format.
func (l Line) Save(path string, width, height vg.Length) error {
	p := plot.New()
	p.Title.Text = l.Title
	p.X.Label.Text = l.XLabel
	p.Y.Label.Text = l.YLabel
	if l.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{}
	}
	if l.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{}
	}
	p.Add(plotter.NewGrid())
	for i, s := range l.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("chart: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			pts[j].X, pts[j].Y = s.X[j], s.Y[j]
		}
		col := palette[i%len(palette)]
		if s.Lo != nil || s.Hi != nil {
			if len(s.Lo) != len(s.X) || len(s.Hi) != len(s.X) {
				return fmt.Errorf("chart: series %q has %d x values but a band of %d lo and %d hi", s.Name, len(s.X), len(s.Lo), len(s.Hi))
			}
			// The band is one polygon: along Hi forwards, back along Lo.
			poly := make(plotter.XYs, 0, 2*len(s.X))
			for j := range s.X {
				poly = append(poly, plotter.XY{X: s.X[j], Y: s.Hi[j]})
			}
			for j := len(s.X) - 1; j >= 0; j-- {
				poly = append(poly, plotter.XY{X: s.X[j], Y: s.Lo[j]})
			}
			band, err := plotter.NewPolygon(poly)
			if err != nil {
				return fmt.Errorf("chart: series %q band: %w", s.Name, err)
			}
			band.Color = color.RGBA{col.R / 4, col.G / 4, col.B / 4, 64} // premultiplied alpha 0.25
			band.LineStyle.Width = 0
			p.Add(band)
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("chart: series %q: %w", s.Name, err)
		}
		ln.Color = col
		ln.Width = vg.Points(1.5)
		p.Add(ln)
		if s.Name != "" {
			p.Legend.Add(s.Name, ln)
		}
	}
	p.Legend.Top = !l.LegendBottomLeft
	p.Legend.Left = l.LegendBottomLeft
	return save(p, path, width, height)
}

// Bar describes a bar chart of named values.
type Bar struct {
	Title, YLabel string
	Labels        []string
	Values        []float64
	// RefLine, if non-zero, draws a horizontal reference line at that value.
	RefLine float64
}

// Save writes the bar chart to path.
func (b Bar) Save(path string, width, height vg.Length) error {
	if len(b.Labels) != len(b.Values) {
		return fmt.Errorf("chart: %d labels for %d values", len(b.Labels), len(b.Values))
	}
	p := plot.New()
	p.Title.Text = b.Title
	p.Y.Label.Text = b.YLabel
	bars, err := plotter.NewBarChart(plotter.Values(b.Values), vg.Points(20))
	if err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	bars.Color = palette[0]
	p.Add(bars)
	p.NominalX(b.Labels...)
	if b.RefLine != 0 {
		ref, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: b.RefLine}, {X: float64(len(b.Values)) - 0.5, Y: b.RefLine}})
		if err == nil {
			ref.Color = palette[3]
			ref.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(ref)
		}
	}
	return save(p, path, width, height)
}

func save(p *plot.Plot, path string, width, height vg.Length) error {
	if width == 0 {
		width = 7 * vg.Inch
	}
	if height == 0 {
		height = 4.5 * vg.Inch
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".png", ".svg", ".pdf":
	default:
		return fmt.Errorf("chart: unsupported file type %q (want .png, .svg or .pdf)", ext)
	}
	// plot.Save writes the whole image to a buffer first; it is then written
	// in one go, so a failed render never leaves a half-written file behind
	// except on a failed disk write.
	if err := p.Save(width, height, path); err != nil {
		return fmt.Errorf("chart: save %s: %w", path, err)
	}
	return nil
}
