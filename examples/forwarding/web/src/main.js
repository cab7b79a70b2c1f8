// The page's telemetry: the OpenTelemetry JS web SDK exports spans as
// OTLP/HTTP JSON to the page's own server, whose forwarding handler (mounted
// at /observe-proxy/) adds the write token and relays them to the backend.
// The page holds no token and does not know where the backend is.
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, WebTracerProvider } from '@opentelemetry/sdk-trace-web';

const PROXY_PATH = '/observe-proxy/v1/traces';

// RecordingExporter keeps the result of the last export, so the page (and a
// test driving it) can tell whether the span was accepted by the server.
class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.last = null;
  }

  export(spans, done) {
    this.inner.export(spans, (result) => {
      this.last = result;
      done(result);
    });
  }

  forceFlush() {
    return this.inner.forceFlush();
  }

  shutdown() {
    return this.inner.shutdown();
  }
}

const exporter = new RecordingExporter(
  new OTLPTraceExporter({ url: new URL(PROXY_PATH, window.location.href).href }),
);

const provider = new WebTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'forwarding-example-browser' }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
provider.register();

const tracer = trace.getTracer('observe-forwarding-example');
const statusEl = document.getElementById('status');

// sendSpan records one span, waits until it has been exported, and reports
// the outcome on the page and in window.__forwarding.
async function sendSpan(name) {
  window.__forwarding = { state: 'pending' };
  statusEl.textContent = 'sending…';
  const span = tracer.startSpan(name, {
    attributes: { 'page.path': window.location.pathname },
  });
  const { traceId, spanId } = span.spanContext();
  span.end();
  await provider.forceFlush();
  const result = exporter.last || { code: 1, error: new Error('nothing was exported') };
  const ok = result.code === 0; // ExportResultCode.SUCCESS
  window.__forwarding = {
    state: ok ? 'exported' : 'failed',
    name,
    traceId,
    spanId,
    error: ok ? '' : String(result.error),
  };
  statusEl.textContent = ok
    ? `span "${name}" exported: trace ${traceId}, span ${spanId}`
    : `export failed: ${result.error}`;
}

document.getElementById('send').addEventListener('click', () => {
  sendSpan('button clicked');
});
sendSpan('page loaded');
