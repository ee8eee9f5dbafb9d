package serve

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus series, in a registry of its own
// (several servers can live in one process, as in the tests).
type metrics struct {
	reg              *prometheus.Registry
	requests         *prometheus.CounterVec
	promptTokens     prometheus.Counter
	completionTokens prometheus.Counter
	queue            prometheus.Gauge
	active           prometheus.Gauge
	ttft, itl        prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmparts_requests_total", Help: "HTTP requests by path and status code.",
		}, []string{"path", "code"}),
		promptTokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "llmparts_prompt_tokens_total", Help: "Prompt tokens processed.",
		}),
		completionTokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "llmparts_completion_tokens_total", Help: "Completion tokens generated.",
		}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "llmparts_queue_depth", Help: "Requests waiting for a slot.",
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "llmparts_active_requests", Help: "Requests generating in a slot.",
		}),
		ttft: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "llmparts_time_to_first_token_seconds", Help: "Time from arrival to the first generated token.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		itl: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "llmparts_inter_token_seconds", Help: "Time between successive tokens of one request.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	m.reg.MustRegister(m.requests, m.promptTokens, m.completionTokens, m.queue, m.active, m.ttft, m.itl)
	return m
}
