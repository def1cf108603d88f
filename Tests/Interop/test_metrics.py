"""onnxpipe's --metrics file, read by Prometheus' own Python parser (prometheus_client),
and (test_node_exporter.py, `make test-metrics`) served by node_exporter's textfile collector."""
import hashlib
import os
import subprocess
import tempfile
import unittest

from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ONNXPIPE = os.environ.get("ONNXPIPE", os.path.join(ROOT, ".build", "debug", "onnxpipe"))
MODEL = os.path.join(ROOT, "Tests", "Fixtures", "models", "logreg.onnx")


def records(count):
    return "".join('{"X":[%d,%d,1.5,-2]}\n' % (i % 7, i % 5) for i in range(count)).encode()


def score_with_metrics(directory, count=100, extra=()):
    """Runs onnxpipe on `count` NDJSON records with --metrics; returns the metrics file's path."""
    path = os.path.join(directory, "onnxpipe.prom")
    subprocess.run([ONNXPIPE, "--in", "ndjson", "--batch-size", "8", "--metrics", path, *extra, MODEL],
                   input=records(count), stdout=subprocess.DEVNULL, check=True)
    return path


def samples(text):
    """{(name, sorted labels): value} of every sample, by Prometheus' parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class MetricsFileTests(unittest.TestCase):
    def test_the_metrics_file_parses_and_counts_the_run(self):
        with tempfile.TemporaryDirectory() as directory:
            text = open(score_with_metrics(directory)).read()
            self.assertEqual(os.listdir(directory), ["onnxpipe.prom"], "no temporary file is left behind")
        families = {family.name: family.type for family in text_string_to_metric_families(text)}
        self.assertEqual(families, {
            "onnxpipe_records": "counter", "onnxpipe_batches": "counter", "onnxpipe_input_bytes": "counter",
            "onnxpipe_output_bytes": "counter", "onnxpipe_model_reloads": "counter",
            "onnxpipe_batches_in_flight": "gauge", "onnxpipe_model_info": "gauge",
            "onnxpipe_run_rows": "histogram", "onnxpipe_batch_latency_seconds": "histogram"})
        values = samples(text)
        self.assertEqual(values[("onnxpipe_records_total", (("outcome", "scored"),))], 100)
        self.assertEqual(values[("onnxpipe_records_total", (("outcome", "rejected"),))], 0)
        # The records' bytes, without their line endings (as --stats' bytes_in).
        self.assertEqual(values[("onnxpipe_input_bytes_total", ())], len(records(100)) - 100)
        self.assertEqual(values[("onnxpipe_model_reloads_total", (("result", "ok"),))], 0)
        self.assertEqual(values[("onnxpipe_batches_in_flight", ())], 0)
        identity = hashlib.sha256(open(MODEL, "rb").read()).hexdigest()[:12]
        self.assertEqual(values[("onnxpipe_model_info", (("identity", identity), ("path", MODEL)))], 1)
        # Histograms: cumulative buckets, +Inf equal to the count, the rows adding up to the records.
        batches = values[("onnxpipe_batches_total", ())]
        self.assertGreaterEqual(batches, 100 / 8)
        for name, count in [("onnxpipe_run_rows", batches), ("onnxpipe_batch_latency_seconds", batches)]:
            buckets = sorted(((float(dict(labels)["le"]), value) for (sample, labels), value in values.items()
                              if sample == name + "_bucket"))
            self.assertEqual([b for _, b in buckets], sorted(b for _, b in buckets), name)
            self.assertEqual(buckets[-1], (float("inf"), count), name)
            self.assertEqual(values[(name + "_count", ())], count, name)
        self.assertEqual(values[("onnxpipe_run_rows_sum", ())], 100)

    def test_rejected_records_are_counted_apart(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "m.prom")
            bad = records(10) + b'{"X":[1,2]}\n' * 3
            subprocess.run([ONNXPIPE, "--in", "ndjson", "--on-error", "skip", "--metrics", path, MODEL],
                           input=bad, stdout=subprocess.DEVNULL, check=True)
            values = samples(open(path).read())
        self.assertEqual(values[("onnxpipe_records_total", (("outcome", "scored"),))], 10)
        self.assertEqual(values[("onnxpipe_records_total", (("outcome", "rejected"),))], 3)


if __name__ == "__main__":
    unittest.main()
